// The registry of secrets a test makes at run time (passwords it puts in a Secret, tokens it
// mints), so the final secret scan (`make test-secrets`) knows what to look for. One JSON line
// per secret in .local/test-secrets/<pid>.jsonl; the scan never prints a value, only its label.
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './cluster.js';

const registered = new Set<string>();

export function registerSecret(label: string, value: string): void {
  if (value === '' || registered.has(value)) return;
  registered.add(value);
  const dir = join(repoRoot, '.local', 'test-secrets');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  appendFileSync(join(dir, `${process.pid}.jsonl`), `${JSON.stringify({ label, value })}\n`, { mode: 0o600 });
}
