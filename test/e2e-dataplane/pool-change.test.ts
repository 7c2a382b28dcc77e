// Pool membership changes seen in traffic (issue 14 item 4, "a pool server added"): with 2 SEs
// serving vs2 and a sampler sending new connections all along, a server added to the Pool gets
// traffic within N s of the apply (through every SE), and one disabled (`enabled: false`) or
// removed stops getting new requests within M s while a slow request already in flight on it
// finishes. N and M are measured from the apply to the end of the first (last) sampler run that
// names it: sampler runs last ~0.1–0.3 s, so that is their resolution. Not one request may fail.
// Root only (network namespaces); otherwise skipped with one line.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerAgentKeys } from '../support/se-secrets.js';
import { NetnsDataplane } from '../../src/sim/dataplane/dataplane.js';
import { runLoad, type LoadResult } from '../../src/sim/dataplane/loadgen.js';
import { type Harness } from '../e2e/harness.js';
import { applyGroup, applyVS, vsStatus, type VS } from '../e2e/vs-support.js';
import { skipReason } from '../dataplane/support.js';
import { agentDataplane, startDataplaneHarness } from './support.js';
import { showStat } from '../../src/agent/haproxy/socket.js';
import { freePort } from '../support/net.js';

const skip = skipReason();
if (skip !== undefined) process.stdout.write(`e2e-dataplane pool-change: ${skip}\n`);

const S1 = '198.18.30.3';
const S2 = '198.18.30.4';
/** Bounds on N and M: the agent applies a member change by the Runtime API or a reload, the SE API long poll wakes at once. */
const JOIN_BOUND_MS = 10_000;
const LEAVE_BOUND_MS = 10_000;
type SEObject = { metadata: { name: string }; status?: { serverUUID?: string } };
type Sample = { start: number; end: number; result: LoadResult };

/** Sessions an SE's HAProxy sent to the backend server at ADDR (`show stat` server rows, column stot). */
async function serverSessions(stateRoot: string, serverID: string, addr: string): Promise<number> {
  const rows = await showStat(join(stateRoot, serverID, 'stats.sock'));
  return rows.filter((r) => r['type'] === '2' && (r['addr'] ?? '').startsWith(`${addr}:`)).reduce((n, r) => n + Number(r['stot'] ?? 0), 0);
}

describe('pool membership in traffic: added → served in N s, disabled/removed → none in M s', { skip, timeout: 300_000 }, () => {
  let h: Harness;
  let dp: NetnsDataplane;
  const stateRoot = mkdtempSync(join(tmpdir(), 'lbop-e2e-pool-'));
  let vip = '';
  let ses: SEObject[] = [];
  const samples: Sample[] = [];
  let sampling = false;
  let sampler: Promise<void> = Promise.resolve();

  before(async () => {
    dp = agentDataplane(stateRoot, [S1, S2]);
    h = await startDataplaneHarness('e2e-dp-pool', dp);
    h.startOperator(['--se-api-addr', `127.0.0.1:${await freePort()}`]);
  });

  after(async () => {
    sampling = false;
    await sampler;
    await h?.stop();
    registerAgentKeys(stateRoot);
    rmSync(stateRoot, { recursive: true, force: true });
  });

  const pool = async (servers: Record<string, unknown>[]): Promise<void> => {
    await h.apply('Pool', { metadata: { name: 'vs2-pool' }, spec: { cloudRef: h.cloudName, servers, lbAlgorithm: 'RoundRobin' } });
  };

  /** New connections, back to back, until stopped: each run of 20 requests is one sample. */
  const startSampler = (): void => {
    sampling = true;
    sampler = (async () => {
      while (sampling) {
        const start = Date.now();
        const result = await runLoad(dp.client, { url: `http://${vip}/`, connections: 2, seconds: 5, maxRequests: 20, newConnections: true, timeoutSeconds: 2 });
        samples.push({ start, end: Date.now(), result });
      }
    })();
  };
  const failedSince = (t: number): number => samples.filter((s) => s.start >= t).reduce((n, s) => n + s.result.failures, 0);
  const requestsSince = (t: number): number => samples.filter((s) => s.start >= t).reduce((n, s) => n + s.result.requests, 0);
  const names = (s: Sample, ip: string): boolean => (s.result.perServer[ip] ?? 0) > 0;

  it('2 SEs serve vs2 from one pool server; the sampler runs clean', async () => {
    await applyGroup(h);
    await pool([{ ip: S1, port: 80 }]);
    await applyVS(h, { minSEs: 2 });
    ses = await h.waitFor(async () => {
      const s = await vsStatus(h);
      const connected = (s?.serviceEngines ?? []).filter((e) => e.connected === true);
      if (s?.conditions?.find((c) => c.type === 'Ready')?.status !== 'True' || connected.length < 2) return undefined;
      return (await h.list<SEObject & VS>('ServiceEngine')).filter((x) => connected.some((c) => c.name === x.metadata.name));
    }, { timeoutMs: 180_000, intervalMs: 500, what: 'vs2 served by 2 SEs' });
    vip = (await vsStatus(h))?.vip?.[0]?.ipAddress ?? '';
    assert.match(vip, /^198\.18\.20\.\d+$/);
    await h.waitFor(async () => {
      const r = await runLoad(dp.client, { url: `http://${vip}/`, connections: 2, seconds: 5, maxRequests: 100, newConnections: true, timeoutSeconds: 1 });
      return r.failures === 0 && r.requests >= 100 ? r : undefined;
    }, { timeoutMs: 60_000, intervalMs: 500, what: 'a clean run of 100 requests' });
    const t0 = Date.now();
    startSampler();
    await h.waitFor(async () => (requestsSince(t0) >= 100 ? true : undefined), { timeoutMs: 30_000, intervalMs: 100, what: '100 sampled requests' });
    assert.equal(failedSince(t0), 0);
    assert.ok(samples.every((s) => !names(s, S2)), 'nothing reaches the server not yet in the pool');
  });

  it('a server added gets traffic within N s, on every SE', async () => {
    const before = await Promise.all(ses.map((s) => serverSessions(stateRoot, s.status?.serverUUID ?? '', S2)));
    const t0 = Date.now();
    await pool([{ ip: S1, port: 80 }, { ip: S2, port: 80 }]);
    const first = await h.waitFor(async () => samples.find((s) => s.start >= t0 && names(s, S2)), { timeoutMs: 30_000, intervalMs: 50, what: `a response from ${S2}` });
    const firstMs = first.end - t0;
    const everySe = await h.waitFor(async () => {
      const now = await Promise.all(ses.map((s) => serverSessions(stateRoot, s.status?.serverUUID ?? '', S2)));
      return now.every((n, i) => n > (before[i] ?? 0)) ? Date.now() - t0 : undefined;
    }, { timeoutMs: 30_000, intervalMs: 100, what: `${S2} sent sessions by every SE's HAProxy` });
    // Both servers answer from then on (RoundRobin).
    const settled = Date.now();
    await h.waitFor(async () => (requestsSince(settled) >= 100 ? true : undefined), { timeoutMs: 30_000, intervalMs: 100, what: '100 more sampled requests' });
    const after = samples.filter((s) => s.start >= settled);
    const per = (ip: string): number => after.reduce((n, s) => n + (s.result.perServer[ip] ?? 0), 0);
    process.stdout.write(`e2e-dataplane pool-change: server added → first response from it ${firstMs} ms after the apply (sample window ${first.end - first.start} ms), through both SEs by ${everySe} ms; then ${S1}/${S2} ${per(S1)}/${per(S2)}; ${requestsSince(t0)} requests, ${failedSince(t0)} failed\n`);
    assert.ok(firstMs <= JOIN_BOUND_MS, `N = ${firstMs} ms`);
    assert.ok(per(S1) > 0 && per(S2) > 0);
    assert.equal(failedSince(t0), 0);
  });

  /** Takes S2 out by CHANGE with a slow request in flight on it; returns M and the slow request's result. */
  const takeOut = async (what: string, change: () => Promise<void>): Promise<void> => {
    // 6 slow requests on new connections, the sampler paused so that nothing else takes RoundRobin
    // turns: whichever way ECMP splits 6 over 2 SEs, one SE gets ≥ 2 and sends ≥ 1 of them to S2.
    sampling = false;
    await sampler;
    const slow = runLoad(dp.client, { url: `http://${vip}/slow?ms=4000`, connections: 6, seconds: 15, maxRequests: 6, newConnections: true, timeoutSeconds: 10 });
    await new Promise((r) => setTimeout(r, 500));
    startSampler();
    await new Promise((r) => setTimeout(r, 500)); // the slow ones in flight (answered at ~4 s), the sampler running
    const t0 = Date.now();
    await change();
    // No sample that started 1 s after the change may name S2: wait for 3 s of clean samples past the last one that did.
    let lastMs = 0;
    await h.waitFor(async () => {
      const naming = samples.filter((s) => s.start >= t0 && names(s, S2));
      lastMs = Math.max(0, ...naming.map((s) => s.end - t0));
      return Date.now() - t0 > lastMs + 3000 && samples.some((s) => s.start - t0 > lastMs + 1000) ? true : undefined;
    }, { timeoutMs: 30_000, intervalMs: 100, what: `no response from ${S2} once ${what}` });
    const inflight = await slow;
    const quiet = samples.filter((s) => s.start - t0 > lastMs);
    // M's upper bound: the end of the last sample that named S2, or, when none begun after the
    // apply did, the start of the first one begun after it (every request of it avoided S2).
    const firstAfter = samples.find((s) => s.start >= t0);
    const bound = lastMs > 0 ? lastMs : (firstAfter?.start ?? t0) - t0;
    process.stdout.write(`e2e-dataplane pool-change: server ${what} → no new request to it ${bound} ms after the apply (${lastMs > 0 ? 'end of the last sample naming it' : 'no sample begun after the apply named it; start of the first'}); in-flight slow requests ${inflight.requests} answered (${inflight.perServer[S2] ?? 0} by ${S2}), ${inflight.failures} failed; ${requestsSince(t0)} requests since, ${failedSince(t0)} failed\n`);
    assert.ok(bound <= LEAVE_BOUND_MS, `M = ${bound} ms`);
    assert.ok(quiet.length > 0 && quiet.every((s) => !names(s, S2)));
    assert.equal(inflight.failures, 0, `in-flight requests finished: ${JSON.stringify(inflight.errors)}`);
    assert.ok(inflight.requests >= 6, `all 6 slow requests answered (${inflight.requests})`);
    assert.ok((inflight.perServer[S2] ?? 0) > 0, `a slow request was in flight on ${S2}: ${JSON.stringify(inflight.perServer)}`);
    assert.equal(failedSince(t0), 0);
  };

  it('a server disabled (enabled: false) gets no new request within M s; in-flight ones finish', async () => {
    await takeOut('disabled', () => pool([{ ip: S1, port: 80 }, { ip: S2, port: 80, enabled: false }]));
  });

  it('re-enabled, then removed from the Pool: no new request within M s; in-flight ones finish', async () => {
    const t0 = Date.now();
    await pool([{ ip: S1, port: 80 }, { ip: S2, port: 80 }]);
    await h.waitFor(async () => samples.find((s) => s.start >= t0 && names(s, S2)), { timeoutMs: 30_000, intervalMs: 50, what: `${S2} back` });
    await takeOut('removed', () => pool([{ ip: S1, port: 80 }]));
    sampling = false;
    await sampler;
  });
});
