// The SE secrets the operator and its agents make while a test runs, into the secret registry
// (test/support/secrets.ts) the final scan (`make test-secrets`) reads: the one-time bootstrap
// token the operator mints per SE (it keeps only its hash, so a test must pick the token up where
// it travels — the Nova server's user_data), and each agent's client private key (written to its
// state directory; the scan also finds any PEM key by shape, this adds the bare key body).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Sim } from '../../src/sim/context.js';
import type { SimPlugin } from '../../src/sim/index.js';
import { registerSecret } from './secrets.js';

type Register = (label: string, value: string) => void;

/** The bootstrap token in a server's user_data (base64 of the bootstrap document), if any. */
export function bootstrapTokenOf(userData: string | null): string | undefined {
  if (userData === null) return undefined;
  const text = Buffer.from(userData, 'base64').toString('utf8');
  return /"bootstrapToken"\s*:\s*"([^"]+)"/.exec(text)?.[1];
}

/** A simulator observer registering the bootstrap token of every server booted with one. */
export function bootstrapTokenRecorder(register: Register = registerSecret): SimPlugin {
  const seen = new Set<string>();
  let sim: Sim | undefined;
  const record = (): void => {
    for (const s of sim?.compute.servers.values() ?? []) {
      // A server's user_data is fixed at boot: each server is read once.
      if (seen.has(s.id)) continue;
      seen.add(s.id);
      const token = bootstrapTokenOf(s.userData);
      if (token !== undefined) register(`se-bootstrap-token:${s.name}`, token);
    }
  };
  return {
    async start(s, subscribe) {
      sim = s;
      subscribe(record);
    },
    async close() {
      record();
    },
  };
}

/** Registers the body of every `<stateRoot>/<server>/client.key` (the agents' private keys). */
export function registerAgentKeys(stateRoot: string, register: Register = registerSecret): number {
  if (!existsSync(stateRoot)) return 0;
  let n = 0;
  for (const d of readdirSync(stateRoot)) {
    const file = join(stateRoot, d, 'client.key');
    if (!existsSync(file)) continue;
    const body = readFileSync(file, 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('-----')).join('');
    if (body === '') continue;
    register(`se-agent-key:${d}`, body);
    n++;
  }
  return n;
}
