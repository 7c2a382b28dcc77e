// Per-request attribution of a scale-in's failures (pure): each failed request the logged clients
// recorded (src/sim/dataplane/procs/reqlog.ts) placed relative to the withdrawal instant W (the
// route rewrite, just after the fabric's beforeWithdraw hook) and on the SE its connection was
// pinned to in the fabric's flow table read in that hook (by the client's local port):
//   when   before  written and failed before W (not the withdrawal's doing)
//          inflight written before W, failed after it (in flight at the instant)
//          after   written after W
//   where  leaving the connection was pinned to the leaving SE's next hop at the read
//          staying  pinned to an SE that stays
//          unseen   not in the table: opened after the read (or never connected)
//   conn   new | reused (and how long a reused one sat idle)
import type { LoggedFailure, LoggedResult } from '../../../src/sim/dataplane/loadgen.js';

export interface Placed extends LoggedFailure {
  /** the client's label (its mode, or e.g. "lazy-tls") */
  mode: string;
  when: 'before' | 'inflight' | 'after';
  where: 'leaving' | 'staying' | 'unseen';
  /** ms from W to the request's write (negative: written before W) */
  sinceW: number;
}

export interface Attribution {
  placed: Placed[];
  /** "mode where/when new|reused error" → count, the classes the report gives */
  classes: Record<string, number>;
}

export function attribute(results: readonly LoggedResult[], w: {
  at: number;
  clientAddress: string;
  table: ReadonlyMap<string, { state: string; vmi: string }>;
  leavingVmis: readonly string[];
}): Attribution {
  const placed: Placed[] = [];
  const classes: Record<string, number> = {};
  for (const r of results) {
    for (const f of r.failed) {
      const flow = w.table.get(`${w.clientAddress}:${f.localPort}`);
      const where = flow === undefined || flow.vmi === '' ? 'unseen' : w.leavingVmis.includes(flow.vmi) ? 'leaving' : 'staying';
      const failedAt = f.at + f.ms;
      const when = failedAt < w.at ? 'before' : f.at < w.at ? 'inflight' : 'after';
      placed.push({ ...f, mode: r.label, when, where, sinceW: f.at - w.at });
      const k = `${r.label} ${where}/${when} ${f.reused ? 'reused' : 'new'} ${f.error}`;
      classes[k] = (classes[k] ?? 0) + 1;
    }
  }
  return { placed, classes };
}

/** One line per class, largest first, with the spread of idle time and of the write's time from W. */
export function describeAttribution(a: Attribution): string[] {
  return Object.entries(a.classes).sort((x, y) => y[1] - x[1]).map(([k, n]) => {
    const of = a.placed.filter((p) => `${p.mode} ${p.where}/${p.when} ${p.reused ? 'reused' : 'new'} ${p.error}` === k);
    const span = (xs: number[]): string => `${Math.min(...xs).toFixed(0)}…${Math.max(...xs).toFixed(0)}`;
    return `${n} × ${k} (written ${span(of.map((p) => p.sinceW))} ms from W; idle ${span(of.map((p) => p.idleMs))} ms; failed after ${span(of.map((p) => p.ms))} ms)`;
  });
}

/** Per client kind: sent, failed, skipped slots, connections opened, achieved rate. */
export const describeLogged = (load: Readonly<Record<string, LoggedResult>>): string =>
  Object.values(load).map((r) => `${r.label} ${r.sent} sent at ${(r.ok / r.seconds).toFixed(0)}/s, ${r.failed.length} failed (${r.skipped} slots skipped, ${r.connections} connections)`).join('; ');

/** The timeline, one line per second from the apply: per SE, open flows (the most in the second) and new ones. */
export function describeTimeline(samples: readonly { at: number; per: Record<string, { open: number; new: number }> }[], appliedAt: number, withdrawalAt: number): string[] {
  const bySecond = new Map<number, Map<string, { open: number; new: number }>>();
  for (const s of samples) {
    const sec = Math.floor((s.at - appliedAt) / 1000);
    const m = bySecond.get(sec) ?? bySecond.set(sec, new Map()).get(sec) as Map<string, { open: number; new: number }>;
    for (const [se, v] of Object.entries(s.per)) {
      const x = m.get(se) ?? { open: 0, new: 0 };
      m.set(se, { open: Math.max(x.open, v.open), new: x.new + v.new });
    }
  }
  const w = Math.floor((withdrawalAt - appliedAt) / 1000);
  return [...bySecond].sort((a, b) => a[0] - b[0]).map(([sec, m]) =>
    `t+${sec}s${sec === w ? ' (W)' : ''}: ${[...m].sort((a, b) => a[0].localeCompare(b[0])).map(([se, v]) => `${se} open ${v.open} new ${v.new}`).join('; ')}`);
}
