// VS deletion under the placement reservation (virtualservice/deletion.ts), against a real
// kube-apiserver: a deleter waits while a placement of the VS is in flight (the placer's claim
// and status go in first, and the deleter then releases them), and a deleter whose reservation
// lapsed and was taken over cannot remove the finalizer — the JSON Patch's test fails.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { KubeClient, isNotFound, objectPath, updateStatus } from '../../src/runtime/index.js';
import {
  assertHeld, claimSE, claimTokensOf, releaseReservation, RESERVATION_TTL_MS, reservationOf, Superseded, takeReservation,
  type ReservationIO, type SEObj, type VSObj,
} from '../../src/controllers/model/index.js';
import { releaseUnplaced } from '../../src/controllers/virtualservice/capacity.js';
import { beginDeletion, removeFinalizerHeld } from '../../src/controllers/virtualservice/deletion.js';
import { VS_FINALIZER } from '../../src/controllers/virtualservice/controller.js';
import { capacityNamespace, SE, VS, type CapacityNamespace } from './capacity-support.js';

let t: CapacityNamespace;
let client: KubeClient;
let ns: string;

before(async () => {
  t = await capacityNamespace('lbop-deletion-reservation');
  ({ client, ns } = t);
  await t.group('g', { maxSEs: 2, placement: undefined });
  await t.se('g-se-0', 'g', false);
});
after(() => client?.close());

const getVS = (name: string): Promise<VSObj> => t.getVS(name);
const getSE = (): Promise<SEObj> => client.get<SEObj>(objectPath(SE, { namespace: ns, name: 'g-se-0' }));
const ioOf = (holder: string, skewMs = 0): ReservationIO => ({ client, holder, now: () => new Date(Date.now() + skewMs) });

/** A VS with the operator's finalizer, then deleted: it stays, with its deletionTimestamp. */
async function deletingVS(name: string): Promise<VSObj> {
  await t.vs(name, [VS_FINALIZER]);
  await client.delete(objectPath(VS, { namespace: ns, name }));
  const vs = await getVS(name);
  assert.notEqual(vs.metadata.deletionTimestamp, undefined);
  return vs;
}

async function gone(name: string): Promise<boolean> {
  try {
    await getVS(name);
    return false;
  } catch (e) {
    if (isNotFound(e)) return true;
    throw e;
  }
}

test('a deletion waits for the placement in flight, then releases what it placed and lets the VS go', async () => {
  const vs0 = await deletingVS('inflight');
  const uid = vs0.metadata.uid ?? '';
  // The placer read the VS before its deletion and reserved it: it claims a slot, pauses at its cloud writes…
  const placer = await takeReservation(ioOf('placer'), vs0);
  assert.equal(placer.kind, 'held');
  if (placer.kind !== 'held') return;
  assert.equal(await claimSE({ client }, await getSE(), { name: 'inflight', uid, group: 'g', nonce: placer.reservation.nonce }, 3), 'claimed');

  // …the deleter must wait: were it to release now, the placer's status and refs would land after it.
  const early = await beginDeletion(ioOf('deleter'), await getVS('inflight'));
  assert.equal(early.kind, 'busy');
  assert.equal(early.kind === 'busy' ? early.holder : '', 'placer');
  assert.equal(claimTokensOf(await getSE()).get('inflight'), `${uid}/${placer.reservation.nonce}`, 'the deleter released nothing');

  // The placer finishes (fenced status), releases its reservation.
  const w = await updateStatus<VSObj>(client, VS, { namespace: ns, name: 'inflight' }, {
    current: placer.vs, mutate: (o) => { assertHeld(o, placer.reservation); o.status = { serviceEngines: [{ name: 'g-se-0', primary: true }] }; },
  });
  assert.equal(await releaseReservation(ioOf('placer'), w.obj as VSObj, placer.reservation), true);

  // Now the deletion goes ahead: it holds the VS, releases the slot and removes the finalizer.
  const d = await beginDeletion(ioOf('deleter'), await getVS('inflight'));
  assert.equal(d.kind, 'held');
  if (d.kind !== 'held') return;
  assert.deepEqual(await releaseUnplaced({ client }, { name: 'inflight', uid }, [await getSE()], []), ['g-se-0']);
  // A placer arriving now finds the deleter's reservation and decides nothing.
  assert.equal((await takeReservation(ioOf('placer'), await getVS('inflight'))).kind, 'busy');
  await removeFinalizerHeld(client, d.vs, d.reservation, VS_FINALIZER);
  assert.equal(await gone('inflight'), true);
  assert.equal(claimTokensOf(await getSE()).has('inflight'), false, 'no slot left claimed by the deleted VS');
});

test('a deleter whose reservation lapsed and was taken over cannot remove the finalizer; the new holder can', async () => {
  const vs0 = await deletingVS('lapsed');
  const old = await beginDeletion(ioOf('old-leader'), vs0);
  assert.equal(old.kind, 'held');
  if (old.kind !== 'held') return;
  // The new leader's clock is a TTL ahead: it finds the old reservation lapsed and takes it.
  const neu = await beginDeletion(ioOf('new-leader', RESERVATION_TTL_MS + 1_000), await getVS('lapsed'));
  assert.equal(neu.kind, 'held');
  if (neu.kind !== 'held') return;

  // The old deleter resumes from the version it reserved: the patch's test fails, and the fresh read says why.
  await assert.rejects(removeFinalizerHeld(client, old.vs, old.reservation, VS_FINALIZER), Superseded);
  const still = await getVS('lapsed');
  assert.deepEqual(still.metadata.finalizers, [VS_FINALIZER]);
  assert.equal(reservationOf(still)?.holder, 'new-leader');

  await removeFinalizerHeld(client, neu.vs, neu.reservation, VS_FINALIZER);
  assert.equal(await gone('lapsed'), true);
});
