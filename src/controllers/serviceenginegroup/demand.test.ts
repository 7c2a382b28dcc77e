import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CLAIMS_ANNOTATION, type GroupObj, type SEObj, type VSObj } from '../model/index.js';
import { blockedBy, groupDemand } from './demand.js';
import { planGroup, strandedSEs } from './plan.js';

const group = { apiVersion: 'x', kind: 'ServiceEngineGroup', metadata: { name: 'g', namespace: 'demo' }, spec: { cloudRef: 'c', maxVSPerSE: 2, maxScaleoutPerVS: 2, minScaleoutPerVS: 2, maxSEs: 8 } } as unknown as GroupObj;
const cond = (type: string, status: 'True' | 'False', reason: string, observedGeneration = 1) => ({ type, status, reason, message: reason, lastTransitionTime: '2026-01-01T00:00:00Z', observedGeneration });
const vs = (name: string, conditions: ReturnType<typeof cond>[] = [], generation = 1): VSObj => ({
  apiVersion: 'x', kind: 'VirtualService', metadata: { name, namespace: 'demo', uid: `uid-${name}`, generation },
  spec: { cloudRef: 'c', poolRef: 'p', seGroupRef: 'g', vip: [{ vipID: '0', networkRef: 'n' }], services: [{ port: 80 }] },
  ...(conditions.length > 0 ? { status: { conditions } } : {}),
} as unknown as VSObj);
const se = (name: string, claims: Record<string, string> = {}): SEObj => ({
  apiVersion: 'x', kind: 'ServiceEngine',
  metadata: { name, namespace: 'demo', ...(Object.keys(claims).length > 0 ? { annotations: { [CLAIMS_ANNOTATION]: JSON.stringify(claims) } } : {}) },
  spec: { cloudRef: 'c', seGroupRef: 'g' },
} as unknown as SEObj);

describe('blockedBy', () => {
  test('a VS not reconciled yet waits for its first status (it may be blocked on its VIP)', () => {
    assert.equal(blockedBy(vs('a')), 'not reconciled yet');
  });

  test('a VS with its VIP allocated, waiting for SEs, at maxSEs, or on SEs failing to boot, counts', () => {
    const vip = cond('VIPAllocated', 'True', 'Allocated');
    assert.equal(blockedBy(vs('a', [vip, cond('Placed', 'False', 'WaitingForSEs')])), undefined);
    assert.equal(blockedBy(vs('a', [vip, cond('Placed', 'False', 'InsufficientSEs')])), undefined);
    assert.equal(blockedBy(vs('a', [vip, cond('Placed', 'False', 'SEBootFailed')])), undefined);
    assert.equal(blockedBy(vs('a', [vip, cond('Placed', 'True', 'Placed')])), undefined);
  });

  test('a VIP still pending (waiting for the Cloud) asks for no SE yet', () => {
    assert.equal(blockedBy(vs('a', [cond('VIPAllocated', 'False', 'Pending'), cond('Placed', 'False', 'WaitingForSEs')])), 'VIPAllocated: Pending');
  });

  test('an exhausted VIP subnet, a quota, a refused network or failed programming asks for no SE', () => {
    assert.equal(blockedBy(vs('a', [cond('VIPAllocated', 'False', 'IPExhausted')])), 'VIPAllocated: IPExhausted');
    assert.equal(blockedBy(vs('a', [cond('VIPAllocated', 'False', 'QuotaExceeded')])), 'VIPAllocated: QuotaExceeded');
    assert.equal(blockedBy(vs('a', [cond('VIPAllocated', 'False', 'ProgrammingFailed')])), 'VIPAllocated: ProgrammingFailed');
    assert.equal(blockedBy(vs('a', [cond('VIPAllocated', 'False', 'IPInUse')])), 'VIPAllocated: IPInUse');
    const vip = cond('VIPAllocated', 'True', 'Allocated');
    assert.equal(blockedBy(vs('a', [vip, cond('Placed', 'False', 'Forbidden')])), 'Placed: Forbidden');
    assert.equal(blockedBy(vs('a', [vip, cond('Placed', 'False', 'ProgrammingFailed')])), 'Placed: ProgrammingFailed');
  });

  test('a Placed failure older than the spec counts again (the new spec may be placeable)', () => {
    assert.equal(blockedBy(vs('a', [cond('VIPAllocated', 'True', 'Allocated', 2), cond('Placed', 'False', 'Forbidden', 1)], 2)), undefined);
  });
});

describe('groupDemand', () => {
  test('VSs blocked on their VIP neither request SEs nor strand placements: the group boots nothing for them', () => {
    // 2 SEs of 2 slots, full with 2 VSs; 12 more VSs whose VIP subnet is exhausted.
    const ses = [se('g-se-0', { ok0: 'uid-ok0', ok1: 'uid-ok1' }), se('g-se-1', { ok0: 'uid-ok0', ok1: 'uid-ok1' })];
    const placed = [cond('VIPAllocated', 'True', 'Allocated'), cond('Placed', 'True', 'Placed')];
    const ok = [vs('ok0', placed), vs('ok1', placed)];
    const exhausted = Array.from({ length: 12 }, (_, i) => vs(`x${i}`, [cond('VIPAllocated', 'False', 'IPExhausted'), cond('Placed', 'False', 'WaitingForSEs')]));
    const d = groupDemand(group, [...ok, ...exhausted], ses);
    assert.deepEqual(d.requests, [2, 2]);
    assert.deepEqual(d.wants, []);
    assert.equal(d.blocked, 12);
    const members = ses.map((s) => ({ name: s.metadata.name, createdAt: '2026-01-01T00:00:00Z', phase: 'Ready' as const, hostedVS: 2 }));
    const plan = planGroup({ maxSEs: 8, bufferSEs: 0, maxVSPerSE: 2, seDeprovisionDelaySeconds: 300 }, members, d.requests, new Date('2026-01-01T01:00:00Z'), strandedSEs(new Map([['g-se-0', 0], ['g-se-1', 0]]), d.wants, 2));
    assert.equal(plan.create, 0, 'no SE booted for placements no SE could satisfy');
  });

  test('the same VSs waiting for SEs (no VIP problem) do make the group boot', () => {
    const ses = [se('g-se-0', { ok0: 'uid-ok0', ok1: 'uid-ok1' }), se('g-se-1', { ok0: 'uid-ok0', ok1: 'uid-ok1' })];
    const waiting = Array.from({ length: 4 }, (_, i) => vs(`w${i}`, [cond('VIPAllocated', 'True', 'Allocated'), cond('Placed', 'False', 'WaitingForSEs')]));
    const placed = [cond('VIPAllocated', 'True', 'Allocated'), cond('Placed', 'True', 'Placed')];
    const d = groupDemand(group, [vs('ok0', placed), vs('ok1', placed), ...waiting], ses);
    assert.equal(d.requests.length, 6);
    assert.equal(d.wants.length, 4);
    const members = ses.map((s) => ({ name: s.metadata.name, createdAt: '2026-01-01T00:00:00Z', phase: 'Ready' as const, hostedVS: 2 }));
    const plan = planGroup({ maxSEs: 8, bufferSEs: 0, maxVSPerSE: 2, seDeprovisionDelaySeconds: 300 }, members, d.requests, new Date('2026-01-01T01:00:00Z'), strandedSEs(new Map([['g-se-0', 0], ['g-se-1', 0]]), d.wants, 2));
    assert.equal(plan.create, 4, '6 VSs × 2 SEs ÷ 2 per SE = 6 SEs: 4 more');
  });

  test("claims index by name and uid: a recreated VS's old claims are not its placements; deleting VSs are skipped", () => {
    const waiting = [cond('VIPAllocated', 'True', 'Allocated'), cond('Placed', 'False', 'WaitingForSEs')];
    const d = groupDemand(group, [vs('a', waiting), { ...vs('gone', waiting), metadata: { ...vs('gone').metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } } as VSObj], [se('s0', { a: 'stale-uid' }), se('s1', { a: 'uid-a' })]);
    assert.deepEqual(d.requests, [2]);
    assert.deepEqual(d.wants.map((w) => ({ missing: w.missing, on: [...w.on] })), [{ missing: 1, on: ['s1'] }]);
  });
});
