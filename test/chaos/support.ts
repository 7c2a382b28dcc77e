// Shared pieces of the chaos suite (issue 19): sizes (full for `npm run chaos`, a CI subset for
// `make test-chaos` with LBOP_CHAOS=ci), a seeded generator, the convergence wait, the audit of
// the cloud (leaks, duplicates, IPs twice), the capacity-invariant sampler and the write counter.
import { checkInvariants } from '../../src/controllers/model/invariants.js';
import type { GroupObj, SEObj, VSObj } from '../../src/controllers/model/objects.js';
import type { Harness } from '../e2e/harness.js';
import { condition, type VS } from '../e2e/vs-support.js';
export { seeded } from '../support/seeded.js';

export const CI = process.env['LBOP_CHAOS'] === 'ci';
/** A size: the full figure, the CI figure, or LBOP_CHAOS_<NAME> when set. */
export function size(name: string, full: number, ci: number): number {
  const v = Number(process.env[`LBOP_CHAOS_${name}`]);
  return Number.isInteger(v) && v > 0 ? v : CI ? ci : full;
}


export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Figures go to stdout as one line per scenario, prefixed so a run's log can be grepped. */
export function figures(scenario: string, f: Record<string, number | string>): void {
  console.log(`chaos ${scenario}: ${Object.entries(f).map(([k, v]) => `${k}=${v}`).join(' ')}`);
}

const minSEsOf = (v: VS): number => (v.spec['scaleout'] as { minSEs?: number } | undefined)?.minSEs ?? 1;

/** Waits until every named VS is Ready from its current spec at its requested scale-out. */
export async function waitConverged(h: Harness, names: readonly string[], timeoutMs: number): Promise<VS[]> {
  const want = new Set(names);
  return h.waitFor(async () => {
    const mine = (await h.list<VS>('VirtualService')).filter((v) => want.has(v.metadata.name));
    const ready = mine.filter((v) => condition(v.status, 'Ready')?.status === 'True' &&
      v.status?.observedGeneration === v.metadata.generation && v.status?.seSummary === `${minSEsOf(v)}/${minSEsOf(v)}`);
    return ready.length === names.length ? mine : undefined;
  }, { what: `${names.length} VS Ready at their requested scale-out`, timeoutMs, intervalMs: 1000 });
}

export interface Audit { leaked: string[]; duplicates: string[]; ipsTwice: string[]; cloudObjects: number }

/** The cloud against the cluster: nothing of a VS/SE that does not exist, one VIP port + one instance-ip per VS, no address twice. */
export async function audit(h: Harness, vss: readonly VS[]): Promise<Audit> {
  const uids = new Set(vss.map((v) => v.metadata.uid ?? ''));
  const ours = await h.ourObjects();
  const vsOwned = ours.filter((o) => o.owner['lbop.owner-kind'] === 'VirtualService');
  const leaked = vsOwned.filter((o) => !uids.has(o.owner['lbop.owner-uid'] ?? '')).map((o) => `${o.api} ${o.type} ${o.name ?? o.uuid}`);
  const duplicates: string[] = [];
  for (const v of vss) {
    const types = vsOwned.filter((o) => o.owner['lbop.owner-uid'] === v.metadata.uid && o.api === 'contrail').map((o) => o.type).sort();
    if (JSON.stringify(types) !== JSON.stringify(['instance-ip', 'virtual-machine-interface'])) duplicates.push(`${v.metadata.name}: ${types.join(',')}`);
  }
  const ses = new Set((await h.list<VS>('ServiceEngine')).map((s) => s.metadata.uid ?? ''));
  leaked.push(...ours.filter((o) => o.owner['lbop.owner-kind'] === 'ServiceEngine' && !ses.has(o.owner['lbop.owner-uid'] ?? '')).map((o) => `${o.api} ${o.type} ${o.name ?? o.uuid} (SE gone)`));
  const seen = new Map<string, string>();
  const ipsTwice: string[] = [];
  for (const v of vss) {
    const ip = v.status?.vip?.[0]?.ipAddress ?? '';
    const other = seen.get(ip);
    if (other !== undefined) ipsTwice.push(`${ip}: ${other} and ${v.metadata.name}`);
    seen.set(ip, v.metadata.name);
  }
  return { leaked, duplicates, ipsTwice, cloudObjects: ours.length };
}

/** Samples the capacity invariants every `everyMs` until stopped; returns the samples and violations seen. */
export function sampleInvariants(h: Harness, everyMs = 500): { stop(): Promise<{ samples: number; violations: string[] }> } {
  let running = true;
  let samples = 0;
  const violations = new Set<string>();
  const loop = (async () => {
    while (running) {
      try {
        const [groups, ses, vss] = await Promise.all([
          h.list<GroupObj>('ServiceEngineGroup'), h.list<SEObj>('ServiceEngine'), h.list<VSObj>('VirtualService'),
        ]);
        for (const v of checkInvariants({ groups, ses, vss }).violations) violations.add(v);
        samples++;
      } catch {
        // the apiserver busy: the next sample
      }
      await sleep(everyMs);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { samples, violations: [...violations] };
    },
  };
}

interface StatRow { api: string; method: string; route: string; status: number; count: number }

/** Cloud writes (POST/PUT/PATCH/DELETE on Nova, Neutron, Contrail) since the last stats reset: answered 2xx, and all attempts. */
export async function cloudWrites(h: Harness): Promise<{ ok: number; attempts: number }> {
  const s = await h.simControl<{ requests: StatRow[] }>('GET', '/sim/stats');
  const w = s.requests.filter((r) => r.api !== 'keystone' && r.method !== 'GET' && r.method !== 'HEAD');
  return {
    ok: w.filter((r) => r.status >= 200 && r.status < 300).reduce((a, r) => a + r.count, 0),
    attempts: w.reduce((a, r) => a + r.count, 0),
  };
}
