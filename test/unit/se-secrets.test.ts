// The SE secrets into the scan's registry: bootstrap tokens from the simulator's servers'
// user_data, agent private keys from their state directories — and the scan then finds them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Sim } from '../../src/sim/context.js';
import { scan, type Secret } from '../support/secret-scan.js';
import { bootstrapTokenOf, bootstrapTokenRecorder, registerAgentKeys } from '../support/se-secrets.js';

const TOKEN = 'lbop-bt.9f8e7d6c5b4a39281706f5e4d3c2b1a0';
const userData = (doc: unknown): string => Buffer.from(JSON.stringify(doc)).toString('base64');

test('the bootstrap token of every server booted with one is registered, each server once', async () => {
  const servers = new Map<string, { id: string; name: string; userData: string | null }>();
  let listener = (): void => undefined;
  const got: Secret[] = [];
  const rec = bootstrapTokenRecorder((label, value) => got.push({ label, value }));
  await rec.start({ compute: { servers } } as unknown as Sim, (l) => (listener = l));
  servers.set('a', { id: 'a', name: 'se-a', userData: userData({ kind: 'contrail-lb-operator/se-bootstrap', bootstrapToken: TOKEN }) });
  servers.set('b', { id: 'b', name: 'no-drive', userData: null });
  listener();
  listener();
  servers.set('c', { id: 'c', name: 'se-c', userData: userData({ bootstrapToken: `${TOKEN}-c` }) });
  await rec.close();
  assert.deepEqual(got, [{ label: 'se-bootstrap-token:se-a', value: TOKEN }, { label: 'se-bootstrap-token:se-c', value: `${TOKEN}-c` }]);
  assert.equal(bootstrapTokenOf(Buffer.from('#cloud-config\n').toString('base64')), undefined, 'user_data without a token');
});

test("an agent's private key is registered and then found in a log even without its PEM armour", () => {
  const root = mkdtempSync(join(tmpdir(), 'lbop-se-secrets-'));
  try {
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    mkdirSync(join(root, 'srv-1'));
    writeFileSync(join(root, 'srv-1', 'client.key'), pem);
    mkdirSync(join(root, 'srv-2')); // an agent that never enrolled: no key
    const got: Secret[] = [];
    assert.equal(registerAgentKeys(root, (label, value) => got.push({ label, value })), 1);
    assert.equal(got[0]?.label, 'se-agent-key:srv-1');
    const body = got[0]?.value ?? '';
    assert.ok(body.length > 64 && !body.includes('-----'), 'the bare key body');
    const logs = join(root, 'logs');
    mkdirSync(logs);
    writeFileSync(join(logs, 'agent.log'), `ok\n${JSON.stringify({ msg: 'dump', key: body.slice(0) })}\n`);
    const r = scan([logs], got, root);
    assert.deepEqual(r.hits.map((h) => [h.file, h.line, h.label]), [[join('logs', 'agent.log'), 2, 'se-agent-key:srv-1']]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
