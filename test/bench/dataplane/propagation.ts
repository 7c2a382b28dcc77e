// Config propagation to ALL SEs: from the Pool apply (the kube-apiserver's answer) to the moment
// every SE's HAProxy shows the change on its stats socket, polled every POLL_MS (the figures'
// resolution). Two kinds, measured apart:
//   - a member change the agent makes by the Runtime API: S2 disabled/enabled (`set server … state`),
//     seen as its server row going to / leaving MAINT;
//   - a reload-type change: the Pool's lbAlgorithm RoundRobin ↔ LeastConnections, seen as the
//     backend row's `algo` (only a reloaded worker reports the new one).
import { performance } from 'node:perf_hooks';
import { cliCommand } from '../../../src/agent/haproxy/socket.js';
import type { StatRow } from '../../../src/agent/haproxy/stats.js';
import { S1, S2, type Ground, type Serving } from './ground.js';

const POLL_MS = 10;

export interface Change { apply: () => Promise<void>; shows: (rows: StatRow[]) => boolean }

const serverRows = (rows: StatRow[], ip: string): StatRow[] => rows.filter((r) => r['type'] === '2' && (r['addr'] ?? '').startsWith(`${ip}:`));
const vipBackends = (rows: StatRow[]): StatRow[] => rows.filter((r) => r['svname'] === 'BACKEND' && (r['pxname'] ?? '').startsWith('be:'));

/** S2 enabled or not, with S1 always in; the check reads every SE's S2 rows. */
export const memberChange = (g: Ground, enabled: boolean): Change => ({
  apply: () => g.pool([{ ip: S1 }, { ip: S2, enabled }], 'RoundRobin'),
  shows: (rows) => {
    const s2 = serverRows(rows, S2);
    return s2.length > 0 && s2.every((r) => (r['status'] ?? '').startsWith('MAINT') === !enabled);
  },
});

export const algorithmChange = (g: Ground, algorithm: 'RoundRobin' | 'LeastConnections'): Change => ({
  apply: () => g.pool([{ ip: S1 }, { ip: S2 }], algorithm),
  shows: (rows) => {
    const be = vipBackends(rows);
    return be.length > 0 && be.every((r) => r['algo'] === (algorithm === 'RoundRobin' ? 'roundrobin' : 'leastconn'));
  },
});

/** One change: ms from the apply's start until every SE shows it (and per SE). */
export async function propagate(g: Ground, ses: readonly Serving[], c: Change, boundMs = 30_000): Promise<{ allMs: number; perSE: number[] }> {
  const t0 = performance.now();
  await c.apply();
  const seen = new Map<string, number>();
  while (seen.size < ses.length) {
    if (performance.now() - t0 > boundMs) throw new Error(`a change not shown by every SE's HAProxy within ${boundMs} ms (${seen.size}/${ses.length})`);
    await Promise.all(ses.filter((s) => !seen.has(s.server)).map(async (s) => {
      // A reloading HAProxy may not answer for a moment: that sample is just "not yet".
      const rows = await g.stats(s.server, 500).catch(() => undefined);
      if (rows !== undefined && c.shows(rows)) seen.set(s.server, performance.now() - t0);
    }));
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  const perSE = ses.map((s) => seen.get(s.server) ?? NaN);
  return { allMs: Math.max(...perSE), perSE };
}

export function pct(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
}

export const summary = (xs: readonly number[]): string => `p50 ${pct(xs, 50).toFixed(0)} ms, p99 ${pct(xs, 99).toFixed(0)} ms (n ${xs.length}, max ${Math.max(...xs).toFixed(0)} ms)`;

/** The HAProxy worker serving SERVER's stats socket: a reload replaces it, a Runtime API change does not. */
export async function workerPid(g: Ground, server: string): Promise<string> {
  return /^Pid: (\d+)$/m.exec(await cliCommand(g.sock(server), 'show info', 1000))?.[1] ?? '';
}

/** Worker pids of every SE now. */
const pids = (g: Ground, ses: readonly Serving[]): Promise<string[]> => Promise.all(ses.map((s) => workerPid(g, s.server)));

/**
 * N changes of each kind, alternating, to all SEs: the figures. Checks that each kind took the
 * path it stands for (a member change kept every worker, a reload replaced each). Leaves S2
 * enabled and RoundRobin.
 */
export async function measurePropagation(g: Ground, ses: readonly Serving[], n: number): Promise<{ member: number[]; reload: number[] }> {
  const member: number[] = [];
  const reload: number[] = [];
  for (let i = 0; i < n; i++) {
    const before = await pids(g, ses);
    member.push((await propagate(g, ses, memberChange(g, i % 2 === 1))).allMs);
    const after = await pids(g, ses);
    if (after.some((p, j) => p !== before[j])) throw new Error(`a member change reloaded HAProxy (workers ${before.join(',')} → ${after.join(',')}): not a Runtime API change`);
  }
  if (n % 2 === 1) await propagate(g, ses, memberChange(g, true));
  for (let i = 0; i < n; i++) {
    const before = await pids(g, ses);
    reload.push((await propagate(g, ses, algorithmChange(g, i % 2 === 0 ? 'LeastConnections' : 'RoundRobin'))).allMs);
    const after = await pids(g, ses);
    if (after.some((p, j) => p === before[j])) throw new Error(`a reload-type change left a worker in place (${before.join(',')} → ${after.join(',')})`);
  }
  if (n % 2 === 1) await propagate(g, ses, algorithmChange(g, 'RoundRobin'));
  return { member, reload };
}
