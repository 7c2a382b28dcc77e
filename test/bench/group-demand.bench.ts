// bench:group-demand — the group controller's per-reconcile planning work at N VSs (pure, no I/O):
// groupDemand (claims indexed by VS once) + strandedSEs, over N VSs × 2 SEs on maxVSPerSE 50,
// half of them missing one placement. Fresh SE objects each run (claims parsed once per object).
//   GROUP_BENCH_COUNT=10000 npx tsx test/bench/group-demand.bench.ts
import { CLAIMS_ANNOTATION, claimsOf, type GroupObj, type SEObj, type VSObj } from '../../src/controllers/model/index.js';
import { groupDemand } from '../../src/controllers/serviceenginegroup/demand.js';
import { strandedSEs } from '../../src/controllers/serviceenginegroup/plan.js';
const N = Number(process.env['GROUP_BENCH_COUNT'] ?? 1000), PER = 50, S = Math.ceil(N * 2 / PER) + 2;
const group = { metadata: { name: 'g', namespace: 'x' }, spec: { cloudRef: 'c', maxVSPerSE: PER, maxScaleoutPerVS: 2, minScaleoutPerVS: 2, maxSEs: S } } as unknown as GroupObj;
const vss: VSObj[] = Array.from({ length: N }, (_, i) => ({ metadata: { name: `vs-${i}`, namespace: 'x', uid: `u${i}`, generation: 1 }, spec: { cloudRef: 'c', poolRef: 'p', seGroupRef: 'g', vip: [], services: [] },
  status: { conditions: [{ type: 'VIPAllocated', status: 'True', reason: 'Allocated', message: '', lastTransitionTime: '' }] } } as unknown as VSObj));
// half the VSs placed on 2 SEs, half missing one placement
const claims: Record<string, string>[] = Array.from({ length: S }, () => ({}));
vss.forEach((v, i) => { const a = (i * 2) % S; claims[a]![v.metadata.name] = v.metadata.uid!; if (i % 2 === 0) claims[(a + 1) % S]![v.metadata.name] = v.metadata.uid!; });
const mk = (): SEObj[] => claims.map((c, i) => ({ metadata: { name: `se-${i}`, namespace: 'x', annotations: { [CLAIMS_ANNOTATION]: JSON.stringify(c) } }, spec: { cloudRef: 'c', seGroupRef: 'g' } } as unknown as SEObj));
const free = (ses: SEObj[]) => new Map(ses.map((se) => [se.metadata.name, Math.max(0, PER - claimsOf(se).size)]));
function newWay(ses: SEObj[]): number { return strandedSEs(free(ses), groupDemand(group, vss, ses).wants, PER); }
for (const [name, f] of [['demand + stranded', newWay]] as const) {
  const runs: number[] = []; let r = 0;
  for (let k = 0; k < 5; k++) { const ses = mk(); const t = performance.now(); r = f(ses); runs.push(performance.now() - t); }
  console.log(`${N} VS × ${S} SEs, ${name}: stranded ${r}, median ${runs.sort((a, b) => a - b)[2]!.toFixed(1)} ms per group reconcile`);
}
