// What the control-plane-outage tests (operator-outage, leader-handover) observe besides traffic:
// the simulator's cloud writes, the SEs' heartbeats as an operator's gauge shows them, and vs2
// served by N connected SEs.
import { type Harness, type OperatorProcess } from '../e2e/harness.js';
import { vsStatus, type VS } from '../e2e/vs-support.js';

export type SEObject = { metadata: { name: string; deletionTimestamp?: string }; status?: { serverUUID?: string; conditions?: { type: string; status: string; reason: string }[] } };
interface Row { api: string; method: string; route: string; status: number; count: number }

/** The simulator's writes: every non-GET request bar Keystone logins and analytics queries, counted by `api method route status`. */
export async function cloudWrites(h: Harness): Promise<Map<string, number>> {
  const rows = (await h.simControl<{ requests: Row[] }>('GET', '/sim/stats')).requests;
  const m = new Map<string, number>();
  for (const r of rows) {
    // Keystone logins and Contrail analytics' UVE queries (a POST that reads) change nothing.
    if (r.method === 'GET' || r.method === 'HEAD' || r.api === 'keystone' || r.route.startsWith('/analytics/uves/')) continue;
    const k = `${r.api} ${r.method} ${r.route} ${r.status}`;
    m.set(k, (m.get(k) ?? 0) + r.count);
  }
  return m;
}

/** The writes counted in `now` beyond those in `then`, one `key +N` each. */
export function writesSince(then: Map<string, number>, now: Map<string, number>): string[] {
  return [...now].filter(([k, n]) => n !== (then.get(k) ?? 0)).map(([k, n]) => `${k} +${n - (then.get(k) ?? 0)}`);
}

/** Until the cloud has seen no write for 3 s (the operator settled). */
export function cloudQuiet(h: Harness): Promise<true> {
  return h.waitFor(async () => {
    const a = await cloudWrites(h);
    await new Promise((r) => setTimeout(r, 3000));
    return writesSince(a, await cloudWrites(h)).length === 0 ? true : undefined;
  }, { timeoutMs: 60_000, intervalMs: 0, what: 'no cloud write for 3 s' });
}

/** The SE's last heartbeat accepted by operator p (its gauge), seconds since the epoch; 0 when none. */
export async function lastHeartbeat(h: Harness, p: OperatorProcess, se: string): Promise<number> {
  const m = new RegExp(`^lbop_se_last_heartbeat_timestamp_seconds\\{namespace="${h.namespace}",se="${se}"\\} (\\S+)$`, 'm').exec(await h.metrics(p).catch(() => ''));
  return m === null ? 0 : Number(m[1]);
}

/** Until vs2 is Ready on at least n connected SEs; those SEs' objects. */
export function servedBy(h: Harness, n: number, what: string): Promise<SEObject[]> {
  return h.waitFor(async () => {
    const s = await vsStatus(h);
    const connected = (s?.serviceEngines ?? []).filter((e) => e.connected === true);
    if (s?.conditions?.find((c) => c.type === 'Ready')?.status !== 'True' || connected.length < n) return undefined;
    return (await h.list<SEObject & VS>('ServiceEngine')).filter((x) => connected.some((c) => c.name === x.metadata.name));
  }, { timeoutMs: 180_000, intervalMs: 500, what });
}
