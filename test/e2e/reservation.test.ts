// Two deciders on the same virtual services, against a real kube-apiserver: the placement
// reservation (model/reservation.ts) and the nonce'd claims (model/claims.ts) keep every
// capacity limit while an "old leader" and a "new leader" both place the same VSs. The new
// leader's clock runs a reservation TTL ahead, so it finds every reservation of the old one
// lapsed and takes it over mid-decision — the case the TTL alone cannot rule out (a paused
// process) — and the old one keeps deciding. A sampler checks the invariants throughout, every
// step checks them after, and at the end (one sequential pass, as the controller's next
// reconciles do) placed ⊆ claimed ⊆ placed and no reservation is left.
// The first test is the same-VS release race, step by step.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { KubeClient, objectPath, updateStatus } from '../../src/runtime/index.js';
import {
  assertFresh, assertHeld, claimSE, claimTokensOf, groupSpec, releaseReservation, releaseSE, requestedSEs,
  RESERVATION_ANNOTATION, RESERVATION_TTL_MS, reservationOf, Superseded, takeReservation,
  type GroupObj, type ReservationIO, type SEObj, type VSObj,
} from '../../src/controllers/model/index.js';
import { placeWithClaims, releaseUnplaced } from '../../src/controllers/virtualservice/capacity.js';
import { beginDecision, placedOn, placementSettled } from '../../src/controllers/virtualservice/decision.js';
import { planPlacement, type PlacementPlan } from '../../src/controllers/virtualservice/placement.js';
import { seeded } from '../support/seeded.js';
import { candidatesOf, capacityNamespace, GROUP, SE, VS, type CapacityNamespace } from './capacity-support.js';

const VS_COUNT = 10;
const WORKERS_PER_PROCESS = 3;
const STEPS_PER_WORKER = 20;
const DEADLINE_MS = 240_000;

let t: CapacityNamespace;
let client: KubeClient;
let ns: string;

before(async () => {
  t = await capacityNamespace('lbop-reservation');
  ({ client, ns } = t);
  await t.group('g');
  for (let i = 0; i < 5; i++) await t.se(`g-se-${i}`, 'g');
  for (let i = 0; i < VS_COUNT; i++) await t.vs(`vs-${i}`);
  await t.vs('race');
});
after(() => client?.close());

const list = <T>(rt: typeof SE): Promise<T[]> => t.list<T>(rt);
const getVS = (name: string): Promise<VSObj> => t.getVS(name);
const snapshot = (settled = false): ReturnType<CapacityNamespace['snapshot']> => t.snapshot(settled);

/** A decider process: its identity and its clock (the new leader's runs a TTL ahead). */
interface Proc { holder: string; skewMs: number }
const ioOf = (p: Proc): ReservationIO => ({ client, holder: p.holder, now: () => new Date(Date.now() + p.skewMs) });
const tally = { settled: 0, busy: 0, superseded: 0, decided: 0, takeovers: 0 };

/** The VS controller's placement step, as controller.ts runs it: settled? → reserve → claim → fenced status → release. */
async function decide(p: Proc, name: string, want: number, pauseMs: number): Promise<void> {
  const group = (await list<GroupObj>(GROUP))[0] as GroupObj;
  const g = groupSpec(group);
  const vs = await getVS(name);
  const ses = await list<SEObj>(SE);
  const planFor = (v: VSObj) => (full: ReadonlySet<string>): PlacementPlan => {
    const plan = planPlacement({
      requested: requestedSEs({ minSEs: Math.max(1, want), maxSEs: 4 }, g), current: placedOn(v), maxVSPerSE: g.maxVSPerSE, policy: g.placement, groupHeadroom: 0,
      candidates: candidatesOf(ses, name, full),
    });
    return want === 0 ? { ...plan, assigned: [], primary: undefined } : plan;
  };
  if (placementSettled(vs, planFor(vs)(new Set()).assigned, ses)) { tally.settled++; return; }
  const before = reservationOf(vs);
  const begun = await beginDecision(ioOf(p), vs);
  if (begun.kind !== 'decide') { tally.busy++; return; }
  if (before !== undefined && before.holder !== p.holder) tally.takeovers++;
  const d = begun.decision;
  try {
    const { plan } = await placeWithClaims({ client }, { name, uid: vs.metadata.uid ?? '', group: 'g', nonce: d.reservation.nonce }, g.maxVSPerSE, ses, planFor(d.vs));
    assertFresh(`${ns}/${name}`, d.reservation, ioOf(p).now());
    await new Promise((r) => setTimeout(r, pauseMs)); // where the cloud writes would be: the window a takeover lands in
    const written = await updateStatus<VSObj>(client, VS, { namespace: ns, name }, {
      current: d.vs,
      mutate: (o) => { assertHeld(o, d.reservation); o.status = { ...o.status, serviceEngines: plan.assigned.map((n, i) => ({ name: n, primary: i === 0 })) }; },
    });
    if (written.obj !== undefined) d.vs = written.obj;
    await releaseUnplaced({ client }, { name, uid: vs.metadata.uid ?? '' }, ses, plan.assigned);
    tally.decided++;
  } catch (e) {
    if (!(e instanceof Superseded)) throw e;
    tally.superseded++;
  } finally {
    await releaseReservation(ioOf(p), d.vs, d.reservation);
  }
}

test('the same-VS race, step by step: a lapsed holder can neither write status, nor release the new reservation, nor the claim it re-stamped', async () => {
  const old: Proc = { holder: 'old-leader', skewMs: 0 };
  const neu: Proc = { holder: 'new-leader', skewMs: RESERVATION_TTL_MS + 1_000 };
  const seA = (await list<SEObj>(SE)).find((s) => s.metadata.name === 'g-se-4') as SEObj;
  const uid = (await getVS('race')).metadata.uid ?? '';

  const a = await takeReservation(ioOf(old), await getVS('race'));
  assert.equal(a.kind, 'held');
  if (a.kind !== 'held') return;
  assert.equal(await claimSE({ client }, seA, { name: 'race', uid, group: 'g', nonce: a.reservation.nonce }, 3), 'claimed');
  const seenByOld = await client.get<SEObj>(objectPath(SE, { namespace: ns, name: 'g-se-4' }));
  assert.equal(claimTokensOf(seenByOld).get('race'), `${uid}/${a.reservation.nonce}`);

  // The old holder stalls past its TTL: the new one takes over, and keeps the same SE (re-stamps the claim).
  assert.deepEqual(await takeReservation(ioOf(old), await getVS('race')).then((t) => t.kind), 'held', 'the same holder re-takes its own');
  const b = await takeReservation(ioOf(neu), await getVS('race'));
  assert.equal(b.kind, 'held');
  if (b.kind !== 'held') return;
  assert.notEqual(b.reservation.nonce, a.reservation.nonce);
  assert.equal(await claimSE({ client }, seenByOld, { name: 'race', uid, group: 'g', nonce: b.reservation.nonce }, 3), 'claimed');

  // The old holder resumes: its fenced status write fails on the fresh version…
  await assert.rejects(updateStatus<VSObj>(client, VS, { namespace: ns, name: 'race' }, {
    current: a.vs, mutate: (o) => { assertHeld(o, a.reservation); o.status = { serviceEngines: [{ name: 'g-se-0', primary: true }] }; },
  }), Superseded);
  // …its release of the claim it saw leaves the re-stamped claim, and its reservation release leaves the new one.
  await releaseSE({ client }, seenByOld, { name: 'race', uid });
  assert.equal(claimTokensOf(await client.get<SEObj>(objectPath(SE, { namespace: ns, name: 'g-se-4' }))).get('race'), `${uid}/${b.reservation.nonce}`);
  assert.equal(await releaseReservation(ioOf(old), await getVS('race'), a.reservation), false);
  assert.equal(reservationOf(await getVS('race'))?.nonce, b.reservation.nonce);
  assert.equal((await getVS('race')).status?.serviceEngines, undefined, 'the old decision wrote nothing');

  // The new holder finishes: its status is written, then it releases its own reservation and the claim.
  const w = await updateStatus<VSObj>(client, VS, { namespace: ns, name: 'race' }, {
    current: b.vs, mutate: (o) => { assertHeld(o, b.reservation); o.status = { serviceEngines: [] }; },
  });
  await releaseSE({ client }, await client.get<SEObj>(objectPath(SE, { namespace: ns, name: 'g-se-4' })), { name: 'race', uid });
  assert.equal(await releaseReservation(ioOf(neu), w.obj as VSObj, b.reservation), true);
  assert.equal((await getVS('race')).metadata.annotations?.[RESERVATION_ANNOTATION], undefined);
  assert.equal((await snapshot(true)).violations.length, 0);
});

test('an old and a new leader placing the same VSs at random: every limit holds at every sample', async () => {
  const procs: Proc[] = [{ holder: 'old-leader', skewMs: 0 }, { holder: 'new-leader', skewMs: RESERVATION_TTL_MS + 1_000 }];
  const deadline = Date.now() + DEADLINE_MS;
  const violations: string[] = [];
  let samples = 0;
  let peak = 0;
  let done = false;
  const sampler = (async () => {
    while (!done) {
      const r = await snapshot();
      samples++;
      peak = Math.max(peak, r.maxVSPerSEObserved, r.maxClaimsObserved);
      violations.push(...r.violations.map((v) => `sample ${samples}: ${v}`));
    }
  })();
  // Within a process the work queue gives a key to one worker at a time; across processes nothing does.
  const inFlight = procs.map(() => new Set<string>());
  const worker = async (pi: number, w: number): Promise<void> => {
    const rand = seeded(7000 + pi * 100 + w);
    for (let step = 0; step < STEPS_PER_WORKER && Date.now() < deadline; step++) {
      const name = `vs-${Math.floor(rand() * VS_COUNT)}`;
      const mine = inFlight[pi] as Set<string>;
      if (mine.has(name)) continue;
      mine.add(name);
      try {
        await decide(procs[pi] as Proc, name, rand() < 0.2 ? 0 : 1 + Math.floor(rand() * 2), Math.floor(rand() * 30));
      } finally {
        mine.delete(name);
      }
      const r = await snapshot();
      violations.push(...r.violations.map((v) => `${procs[pi]?.holder} step ${step}: ${v}`));
    }
  };
  await Promise.all(procs.flatMap((_, pi) => Array.from({ length: WORKERS_PER_PROCESS }, (_, w) => worker(pi, w))));
  done = true;
  await sampler;
  assert.deepEqual(violations, [], 'no limit broken at any sample or step');
  assert.ok(samples >= 10, `the sampler ran (${samples} samples)`);
  // The deciders did collide (a decision superseded by the other's reservation, or a reservation
  // taken over). Which of the two happens depends on timing; the step-by-step test above drives
  // the takeover path deterministically.
  assert.ok(tally.takeovers + tally.superseded > 0, `the race was real: ${JSON.stringify(tally)}`);
  assert.equal(peak, 3, 'some SE reached maxVSPerSE, none went past it');

  // The controller's next reconciles: one decider, one VS at a time, each VS once.
  for (let i = 0; i < VS_COUNT; i++) {
    const name = `vs-${i}`;
    await decide(procs[1] as Proc, name, placedOn(await getVS(name)).length, 0);
  }
  const settled = await snapshot(true);
  assert.deepEqual(settled.violations, [], 'placed ⊆ claimed ⊆ placed, and no reservation left');
});
