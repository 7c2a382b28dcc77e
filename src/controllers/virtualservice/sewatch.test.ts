import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CLAIMS_ANNOTATION, type GroupObj, type SEObj, type VSObj } from '../model/index.js';
import { vsKeysForGroupUpdate, vsKeysForSEChange, type SEWatchLookup } from './sewatch.js';

// A group `g` (maxVSPerSE 2) of SEs a, b, c in namespace demo, and VSs:
//   on-a   listed on a, wants 1 (settled)         on-ab  listed on a and b, wants 2 (settled)
//   short  listed on b, wants 2 (short of one)    none   listed nowhere, wants 1 (waiting)
//   off    disabled                                gone   deleting, listed nowhere
const vs = (name: string, listed: string[], over: { minSEs?: number; enabled?: boolean; deleting?: boolean } = {}): VSObj => ({
  apiVersion: 'lb.contrail-operator.io/v1alpha1', kind: 'VirtualService',
  metadata: { name, namespace: 'demo', uid: `uid-${name}`, ...(over.deleting === true ? { deletionTimestamp: '2026-12-03T00:00:00Z' } : {}) },
  spec: { cloudRef: 'c', poolRef: 'p', seGroupRef: 'g', vip: [], services: [], scaleout: { minSEs: over.minSEs ?? 1, maxSEs: 4 }, ...(over.enabled === false ? { enabled: false } : {}) },
  status: { serviceEngines: listed.map((n, i) => ({ name: n, primary: i === 0 })) },
} as unknown as VSObj);
const vss = [vs('on-a', ['a']), vs('on-ab', ['a', 'b'], { minSEs: 2 }), vs('short', ['b'], { minSEs: 2 }), vs('none', []), vs('off', [], { enabled: false }), vs('gone', [], { deleting: true })];
const group = { apiVersion: 'lb.contrail-operator.io/v1alpha1', kind: 'ServiceEngineGroup', metadata: { name: 'g', namespace: 'demo', generation: 1, uid: 'g1' }, spec: { cloudRef: 'c', maxVSPerSE: 2, maxScaleoutPerVS: 4 } } as unknown as GroupObj;
const look: SEWatchLookup = {
  listing: (seKey) => vss.filter((v) => v.status?.serviceEngines?.some((s) => `demo/${s.name}` === seKey)).map((v) => `demo/${v.metadata.name}`),
  ofGroup: (g) => (g === 'demo/g' ? vss : []),
  group: (g) => (g === 'demo/g' ? group : undefined),
};

interface SEOpts { ready?: boolean; claims?: Record<string, string>; hosted?: string[]; heartbeat?: string; ip?: string; fault?: string; rv?: string; since?: string }
const se = (name: string, o: SEOpts = {}): SEObj => ({
  apiVersion: 'lb.contrail-operator.io/v1alpha1', kind: 'ServiceEngine',
  metadata: {
    name, namespace: 'demo', uid: `se-${name}`, resourceVersion: o.rv ?? '1', creationTimestamp: '2026-12-03T00:00:00Z',
    ...(o.claims !== undefined ? { annotations: { [CLAIMS_ANNOTATION]: JSON.stringify(o.claims) } } : {}),
  },
  spec: { cloudRef: 'c', seGroupRef: 'g' },
  status: {
    state: o.fault !== undefined ? 'ERROR' : 'ACTIVE',
    dataInterfaces: [{ networkUUID: 'n1', portUUID: `p-${name}`, attached: true, ...(o.ip !== undefined ? { ipAddress: o.ip } : {}) }],
    hostedVIPs: (o.hosted ?? []).map((v) => ({ virtualService: v })),
    vsSummary: (o.hosted ?? []).join(','),
    agent: { lastHeartbeatTime: o.heartbeat ?? '2026-12-03T00:00:00Z' },
    ...(o.fault !== undefined ? { fault: o.fault } : {}),
    conditions: o.fault !== undefined
      ? [{ type: 'Ready', status: 'False', reason: 'Booting', message: 'booting', lastTransitionTime: o.since ?? 't0' }, { type: 'Booted', status: 'False', reason: 'BootFailed', message: o.fault, lastTransitionTime: 't0' }]
      : [{ type: 'Ready', status: o.ready === false ? 'False' : 'True', reason: o.ready === false ? 'Booting' : 'Ready', message: '', lastTransitionTime: o.since ?? 't0' }],
  },
} as unknown as SEObj);

describe('vsKeysForSEChange: the VSs an SE event can move', () => {
  test("a claim write that leaves room and changes nothing a host reads wakes only the claimant (was: every VS of the group)", () => {
    const before = se('a', { claims: { 'on-a': 'uid-on-a', 'on-ab': 'uid-on-ab' }, rv: '1' });
    const wider = { ...group, spec: { ...group.spec, maxVSPerSE: 5 } } as GroupObj;
    const l = { ...look, group: () => wider };
    const after = se('a', { claims: { 'on-a': 'uid-on-a', 'on-ab': 'uid-on-ab', none: 'uid-none/n1' }, rv: '2' });
    assert.deepEqual(vsKeysForSEChange(before, after, l), ['demo/none']);
  });

  test('the SE controller echoing placements (hostedVIPs, vsSummary) or a heartbeat wakes no one', () => {
    const before = se('a', { hosted: ['on-a'], heartbeat: 't1', since: 't0' });
    const after = se('a', { hosted: ['on-a', 'on-ab'], heartbeat: 't2', since: 't0', rv: '2' });
    assert.deepEqual(vsKeysForSEChange(before, after, look), []);
  });

  test('a change a host reads (a data interface, Ready) wakes the VSs listed on it', () => {
    assert.deepEqual(vsKeysForSEChange(se('a'), se('a', { ip: '10.0.0.5' }), look), ['demo/on-a', 'demo/on-ab']);
    // Ready → not Ready also changes what it offers: the short VSs come too.
    assert.deepEqual(vsKeysForSEChange(se('b'), se('b', { ready: false }), look), ['demo/none', 'demo/on-ab', 'demo/short']);
  });

  test('an SE becoming Ready wakes the VSs short of SEs, not the settled ones or a disabled or deleting VS', () => {
    assert.deepEqual(vsKeysForSEChange(se('c', { ready: false }), se('c'), look), ['demo/none', 'demo/short']);
  });

  test('a slot freed on a full SE wakes the short VSs and the releaser; filling the last slot does too', () => {
    const full = se('c', { claims: { x: 'uid-x', y: 'uid-y' } });
    const freed = se('c', { claims: { x: 'uid-x' }, rv: '2' });
    assert.deepEqual(vsKeysForSEChange(full, freed, look), ['demo/none', 'demo/short', 'demo/y']);
    assert.deepEqual(vsKeysForSEChange(freed, full, look), ['demo/none', 'demo/short', 'demo/y']);
  });

  test("a claim restamped with another decider's nonce or removed by another wakes that claimant", () => {
    const a = se('a', { claims: { 'on-a': 'uid-on-a/n1' } });
    assert.deepEqual(vsKeysForSEChange(a, se('a', { claims: { 'on-a': 'uid-on-a/n2' } }), look), ['demo/on-a']);
    assert.deepEqual(vsKeysForSEChange(a, se('a', { claims: {} }), look), ['demo/on-a']);
  });

  test('a boot fault appearing wakes the short VSs (they report SEBootFailed)', () => {
    assert.deepEqual(vsKeysForSEChange(se('c', { ready: false }), se('c', { fault: 'No valid host was found' }), look), ['demo/none', 'demo/short']);
  });

  test('an SE added or deleted wakes its hosts, its claimants and the short VSs', () => {
    const a = se('a', { claims: { 'on-a': 'uid-on-a' } });
    assert.deepEqual(vsKeysForSEChange(undefined, a, look), ['demo/none', 'demo/on-a', 'demo/on-ab', 'demo/short']);
    assert.deepEqual(vsKeysForSEChange(a, undefined, look), ['demo/none', 'demo/on-a', 'demo/on-ab', 'demo/short']);
  });

  test('an SE of a group not (yet) cached wakes its hosts and claimants only', () => {
    const orphan = { ...se('a'), spec: { cloudRef: 'c', seGroupRef: 'other' } } as SEObj;
    assert.deepEqual(vsKeysForSEChange(undefined, orphan, look), ['demo/on-a', 'demo/on-ab']);
  });
});

describe('vsKeysForGroupUpdate', () => {
  test("a status write wakes no VS; a spec change or the deletion wakes the group's VSs", () => {
    const status = { ...group, status: { seCount: 3 }, metadata: { ...group.metadata, resourceVersion: '9' } } as GroupObj;
    assert.deepEqual(vsKeysForGroupUpdate(group, status, look), []);
    const spec = { ...group, spec: { ...group.spec, maxVSPerSE: 3 }, metadata: { ...group.metadata, generation: 2 } } as GroupObj;
    assert.equal(vsKeysForGroupUpdate(group, spec, look).length, vss.length);
    const deleting = { ...group, metadata: { ...group.metadata, deletionTimestamp: '2026-12-03T00:00:00Z' } } as GroupObj;
    assert.equal(vsKeysForGroupUpdate(group, deleting, look).length, vss.length);
  });
});
