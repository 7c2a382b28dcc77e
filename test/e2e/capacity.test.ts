// Capacity invariants under concurrency, against a real kube-apiserver (the middle tier: the VS
// controller's own placement and claim functions run in-process, no operator process, no cloud).
// Several workers place and remove virtual services at random on shared Service Engines — each
// worker owns its VSs, as the work queue gives one key to one worker — and after every step a
// fresh snapshot is checked: no SE over maxVSPerSE (claims, and VS statuses listing it), no VS
// over maxScaleoutPerVS, nothing placed or claimed outside its group. At the end, with the
// workers stopped, "placed ⊆ claimed ⊆ placed" holds too. Seeded, bounded in steps and time.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { KubeClient, objectPath, updateStatus } from '../../src/runtime/index.js';
import { groupSpec, requestedSEs, type ClaimIO, type GroupObj, type SEObj, type VSObj } from '../../src/controllers/model/index.js';
import { placeWithClaims, releaseUnplaced } from '../../src/controllers/virtualservice/capacity.js';
import { planPlacement, type PlacementPlan } from '../../src/controllers/virtualservice/placement.js';
import { seeded as rng } from '../support/seeded.js';
import { candidatesOf, capacityNamespace, GROUP, SE, VS, type CapacityNamespace } from './capacity-support.js';

const WORKERS = 6;
const STEPS_PER_WORKER = 25;
const VS_PER_WORKER = 5;
const DEADLINE_MS = 240_000;

let t: CapacityNamespace;
let client: KubeClient;
let ns: string;

before(async () => {
  t = await capacityNamespace('lbop-capacity');
  ({ client, ns } = t);
  await t.group('g');
  await t.group('other');
  // 5 SEs in g, 2 in another group (never to be used by g's VSs); all Ready.
  for (const n of ['a', 'b', 'c', 'd', 'e']) await t.se(`g-se-${n}`, 'g');
  for (const n of ['a', 'b']) await t.se(`other-se-${n}`, 'other');
  for (let w = 0; w < WORKERS; w++) for (let i = 0; i < VS_PER_WORKER; i++) await t.vs(`vs-${w}-${i}`);
});
after(() => client?.close());

const list = <T>(rt: typeof SE): Promise<T[]> => t.list<T>(rt);
const snapshot = (settled = false): ReturnType<CapacityNamespace['snapshot']> => t.snapshot(settled);

/** One placement step of the VS controller: plan over a (possibly stale) list, claim, write status, release. */
async function place(vs: VSObj, want: number, group: GroupObj): Promise<void> {
  const io: ClaimIO = { client };
  const ses = (await list<SEObj>(SE)).filter((s) => s.spec.seGroupRef === 'g');
  const g = groupSpec(group);
  const requested = requestedSEs({ minSEs: want, maxSEs: 4 }, g);
  const current = (vs.status?.serviceEngines ?? []).flatMap((s) => (s.name === undefined ? [] : [s.name]));
  const planWithout = (full: ReadonlySet<string>): PlacementPlan => planPlacement({
    requested, current, maxVSPerSE: g.maxVSPerSE, policy: g.placement, groupHeadroom: 0,
    candidates: candidatesOf(ses, vs.metadata.name, full),
  });
  const { plan } = await placeWithClaims(io, { name: vs.metadata.name, uid: vs.metadata.uid ?? '', group: 'g' }, g.maxVSPerSE, ses, planWithout);
  await writePlaced(vs, plan.assigned);
  await releaseUnplaced(io, { name: vs.metadata.name, uid: vs.metadata.uid ?? '' }, await list<SEObj>(SE), plan.assigned);
}

async function remove(vs: VSObj): Promise<void> {
  await writePlaced(vs, []);
  await releaseUnplaced({ client }, { name: vs.metadata.name, uid: vs.metadata.uid ?? '' }, await list<SEObj>(SE), []);
}

async function writePlaced(vs: VSObj, names: readonly string[]): Promise<void> {
  await updateStatus<VSObj>(client, VS, { namespace: ns, name: vs.metadata.name }, {
    mutate: (o) => { o.status = { ...o.status, serviceEngines: names.map((name, i) => ({ name, primary: i === 0 })) }; },
  });
}

test('random concurrent place/remove by several workers: the capacity invariants hold after every step', async () => {
  const deadline = Date.now() + DEADLINE_MS;
  const group = (await list<GroupObj>(GROUP)).find((g) => g.metadata.name === 'g') as GroupObj;
  const violations: string[] = [];
  let steps = 0;
  let peak = 0;
  const worker = async (w: number): Promise<void> => {
    const rand = rng(1000 + w);
    for (let step = 0; step < STEPS_PER_WORKER && Date.now() < deadline; step++) {
      const name = `vs-${w}-${Math.floor(rand() * VS_PER_WORKER)}`;
      const vs = await client.get<VSObj>(objectPath(VS, { namespace: ns, name }));
      if (rand() < 0.7) await place(vs, 1 + Math.floor(rand() * 3), group);
      else await remove(vs);
      steps++;
      const r = await snapshot();
      peak = Math.max(peak, r.maxVSPerSEObserved, r.maxClaimsObserved);
      violations.push(...r.violations.map((v) => `worker ${w} step ${step}: ${v}`));
    }
  };
  await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
  assert.deepEqual(violations, [], 'no invariant broken at any step');
  assert.ok(steps >= WORKERS * 5, `enough steps ran (${steps})`);
  // 30 VSs × up to 2 SEs on 5 SEs of 3 slots: the group is contended, so the cap was reached.
  assert.equal(peak, 3, 'some SE reached maxVSPerSE (the race was real) and none went past it');

  // Quiescent: every placement holds its claim and every claim is a placement.
  const settled = await snapshot(true);
  assert.deepEqual(settled.violations, []);
  const ses = await list<SEObj>(SE);
  for (const se of ses.filter((s) => s.spec.seGroupRef === 'other')) assert.equal(se.metadata.annotations?.['lb.contrail-operator.io/vs-claims'], undefined, 'no claim outside the group');
});
