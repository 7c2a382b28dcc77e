// The operator (a child process) against the simulator and a real kube-apiserver, watched the
// way a GitOps tool watches it: the real kstatus library (scripts/kstatus-check) polled over the
// seed objects while they converge — never Failed on the way, all Current at the end — then a
// Cloud whose password is wrong (Failed + AuthenticationFailed) and fixed (Current +
// Reconnected), the group's ScaledOut/ScaledIn events, and the info log line of every cloud
// create/delete, with no secret in it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN, SECRETS_NAMESPACE, conditionsOf, startHarness, type Harness } from './harness.js';
import { repoRoot } from '../support/cluster.js';
import type { KindName } from '../../src/api/index.js';
import type { KubeObject } from '../../src/runtime/index.js';
import { applySeed } from './vs-support.js';

const checker = join(repoRoot, '.local', 'bin', 'kstatus-check');
interface Verdict { kind: string; name: string; status: string; message: string }

function kstatus(objects: readonly unknown[]): Promise<Verdict[]> {
  return new Promise((resolve, reject) => {
    const child = execFile(checker, [], { maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err !== null) reject(new Error(`kstatus-check: ${stderr.trim() || err.message}`));
      else resolve(JSON.parse(stdout) as Verdict[]);
    });
    child.stdin?.end(JSON.stringify(objects));
  });
}

let h: Harness;
before(async () => {
  assert.ok(existsSync(checker), `${checker} is missing: run \`make kstatus-check\` first`);
  h = await startHarness({ name: 'kstatus-live', sim: { bootTimeMs: 300 } });
  h.startOperator();
});
after(async () => h?.stop());

const KINDS: KindName[] = ['Cloud', 'ServiceEngineGroup', 'ServiceEngine', 'Pool', 'VirtualService'];
async function everything(): Promise<KubeObject[]> {
  const lists = await Promise.all(KINDS.map((k) => h.list<KubeObject>(k)));
  return lists.flat().filter((o) => o.kind !== 'Cloud' || o.metadata.name === h.cloudName);
}
const cloudEvents = async (): Promise<{ reason: string; note: string }[]> =>
  (await h.events('default')).filter((e) => e.regarding.kind === 'Cloud' && e.regarding.name === h.cloudName);

test('the seed converges under kstatus: InProgress, never Failed on the way, then every object Current', async () => {
  await applySeed(h, { groupSpec: { seDeprovisionDelaySeconds: 0 } });
  const seen = new Map<string, string[]>();
  // Collected, not thrown: waitFor retries through errors.
  const failures: string[] = [];
  const started = Date.now();
  const settled = await h.waitFor(async () => {
    const objs = await everything();
    const verdicts = await kstatus(objs);
    for (const v of verdicts) {
      const key = `${v.kind}/${v.name}`;
      const trail = seen.get(key) ?? [];
      if (trail[trail.length - 1] !== v.status) trail.push(v.status);
      seen.set(key, trail);
      if (v.status === 'Failed') failures.push(`${key}: ${v.message}`);
    }
    const ses = objs.filter((o) => o.kind === 'ServiceEngine');
    return ses.length > 0 && verdicts.length === objs.length && verdicts.every((v) => v.status === 'Current') ? verdicts : undefined;
  }, { what: 'every object Current under kstatus', timeoutMs: 90_000, intervalMs: 200 });
  const ms = Date.now() - started;
  // The figure for the report: how each object went, and how long the seed took to be Current.
  assert.deepEqual(failures, [], 'nothing is Failed while the seed converges');
  console.log(`kstatus trails (${ms} ms): ${[...seen].map(([k, t]) => `${k} ${t.join('→')}`).join('; ')}`);
  assert.ok(settled.some((v) => v.kind === 'VirtualService'));
  // Never Current before the operator looked (the CRDs default status.observedGeneration to 0).
  const trailOf = (kind: string): string[] => [...seen].find(([k]) => k.startsWith(`${kind}/`))?.[1] ?? [];
  assert.deepEqual(trailOf('VirtualService'), ['InProgress', 'Current'], 'VirtualService: InProgress until converged, then Current');
  // The group may be Current before vs2's VIP is allocated (a VS counts as demand only then,
  // docs/scaling.md), then scale out for it: InProgress and Current in turn, starting InProgress.
  const group = trailOf('ServiceEngineGroup');
  assert.equal(group[0], 'InProgress', 'ServiceEngineGroup: InProgress before the operator looked');
  assert.equal(group.at(-1), 'Current');
  assert.ok(group.every((v, i) => v === (i % 2 === 0 ? 'InProgress' : 'Current')), `ServiceEngineGroup trail ${group.join('→')}`);
  const vs = await h.get('VirtualService', 'vs2');
  assert.equal(conditionsOf(vs)['Ready']?.status, 'True');
  assert.deepEqual([conditionsOf(vs)['Reconciling']?.status, conditionsOf(vs)['Stalled']?.status], ['False', 'False']);
  // "Is everything up": kubectl wait on Ready for every kind, Pools included (without the SE API
  // their Ready mirrors Resolved). The namespaced kinds are listed instead of the contrail-lb
  // category, which would also take in other tests' cluster-scoped Clouds; the Cloud by name.
  const wait = await h.cluster.kubectl(['wait', '-n', h.namespace, 'lbseg,lbse,lbpool,lbvs', '--all', '--for=condition=Ready', '--timeout=30s']);
  assert.equal(wait.code, 0, wait.stderr);
  assert.match(wait.stdout, /pool\.lb\.contrail-operator\.io\/\S+ condition met/);
  assert.equal((await h.cluster.kubectl(['wait', `lbcloud/${h.cloudName}`, '--for=condition=Ready', '--timeout=30s'])).code, 0);
  const pool = conditionsOf(await h.get('Pool', 'vs2-pool'));
  assert.deepEqual([pool['Ready']?.status, pool['Ready']?.reason], ['True', 'Resolved']);
});

test('ScaledOut on the group, and an info log line for every cloud create naming kind, id and owner', async () => {
  const events = (await h.events()).filter((e) => e.regarding.kind === 'ServiceEngineGroup' && e.regarding.name === 'default');
  assert.ok(events.some((e) => e.reason === 'ScaledOut' && /^scaling out from 0 to 1 Service Engines: creating default-se-0$/.test(e.note)), JSON.stringify(events));
  const lines = h.operators.map((p) => p.output()).join('\n').split('\n').filter((l) => l.includes('"cloud object created"')).map((l) => JSON.parse(l) as Record<string, string>);
  const kinds = new Set(lines.map((l) => `${l['api']}/${l['kind']}`));
  for (const k of ['nova/server', 'neutron/port']) assert.ok(kinds.has(k), `a created ${k} is logged (have ${[...kinds].join(', ')})`);
  const server = lines.find((l) => l['kind'] === 'server');
  assert.match(server?.['owner'] ?? '', new RegExp(`^ServiceEngine/${h.namespace}/default-se-0 \\(`));
  assert.match(server?.['id'] ?? '', /^[0-9a-f-]{36}$/);
  assert.doesNotMatch(h.operators.map((p) => p.output()).join('\n'), new RegExp(ADMIN.password));
});

test('a wrong password: Cloud Failed under kstatus with AuthenticationFailed; the right one: Current and Reconnected', async () => {
  const secret = `/api/v1/namespaces/${SECRETS_NAMESPACE}/secrets/${h.cloudName}-credentials`;
  await h.client.patch(secret, { stringData: { password: 'not-the-password' } }, 'merge');
  try {
    const failed = await h.waitFor(async () => {
      const [v] = await kstatus([await h.get('Cloud', h.cloudName)]);
      return v?.status === 'Failed' ? v : undefined;
    }, { what: 'Cloud Failed under kstatus', timeoutMs: 60_000 });
    assert.match(failed.message, /401|credentials|Unauthorized/i);
    const ev = await h.waitFor(async () => (await cloudEvents()).find((e) => e.reason === 'AuthenticationFailed'), { what: 'AuthenticationFailed event', timeoutMs: 10_000 });
    assert.match(ev.note, /^InvalidCredentials: /);
    assert.doesNotMatch(ev.note, /not-the-password/);
  } finally {
    await h.client.patch(secret, { stringData: { password: ADMIN.password } }, 'merge');
  }
  await h.waitFor(async () => (await kstatus([await h.get('Cloud', h.cloudName)]))[0]?.status === 'Current', { what: 'Cloud Current again', timeoutMs: 60_000 });
  const back = await h.waitFor(async () => (await cloudEvents()).find((e) => e.reason === 'Reconnected'), { what: 'Reconnected event', timeoutMs: 10_000 });
  assert.match(back.note, /^connected again after InvalidCredentials: /);
});

test('deleting the VirtualService: ScaledIn on the group and a log line for every cloud delete', async () => {
  await h.remove('VirtualService', 'vs2');
  const ev = await h.waitFor(async () => (await h.events()).find((e) => e.regarding.kind === 'ServiceEngineGroup' && e.reason === 'ScaledIn'), { what: 'ScaledIn event', timeoutMs: 60_000 });
  assert.match(ev.note, /^scaling in from 1 to 0 Service Engines: retiring default-se-0 \(idle\)$/);
  await h.waitFor(async () => (await h.list('ServiceEngine')).length === 0, { what: 'SE gone', timeoutMs: 60_000 });
  const deleted = h.operators.map((p) => p.output()).join('\n').split('\n').filter((l) => l.includes('"cloud object deleted"')).map((l) => JSON.parse(l) as Record<string, string>);
  assert.ok(deleted.some((l) => l['api'] === 'nova' && l['kind'] === 'server'), 'the SE server delete is logged');
});
