import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kinds, type KindName } from '../../api/kinds.js';
import { withDefaults } from '../../api/validate.js';
import { findDuplicates, findVIPConflicts, resolveRefs, type ObjectRecord } from './semantic.js';

function record(kind: KindName, name: string, spec: Record<string, unknown>, namespace?: string): ObjectRecord {
  const object = { apiVersion: kinds[kind].apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) }, spec };
  return { kind: kinds[kind], name, namespace, object, defaulted: withDefaults(object), where: () => `f.yaml:${name}` };
}

const cloud = record('Cloud', 'c', { tenants: [{ namespace: 'demo', project: 'demo' }] });
const pool = record('Pool', 'p', { cloudRef: 'c' }, 'demo');
const vs = (name: string, vip: Record<string, unknown>, extra: Record<string, unknown> = {}, ns = 'demo'): ObjectRecord =>
  record('VirtualService', name, { cloudRef: 'c', poolRef: 'p', vip: [{ vipID: '0', ...vip }], services: [{ port: 80 }], ...extra }, ns);

const messages = (ps: { message: string }[]): string[] => ps.map((p) => p.message);

describe('findDuplicates', () => {
  it('reports the second definition of the same kind/namespace/name only', () => {
    const a = vs('a', { networkRef: 'n' });
    const problems = findDuplicates([a, vs('a', { networkRef: 'm' }), vs('a', { networkRef: 'n' }, {}, 'other'), pool]);
    assert.deepEqual(messages(problems), ['Duplicate value: "a": the same object is also defined at f.yaml:a']);
  });
});

describe('findVIPConflicts', () => {
  it('reports a static address claimed twice in the same subnet, not in different ones', () => {
    const a = vs('a', { autoAllocateIP: false, ipAddress: '19.1.1.5', subnetUUID: 'a834986a-385e-4616-9d9c-6b91cfaa51e0' });
    const b = vs('b', { autoAllocateIP: false, ipAddress: '19.1.1.5', subnetUUID: 'a834986a-385e-4616-9d9c-6b91cfaa51e0' });
    const c = vs('c', { autoAllocateIP: false, ipAddress: '19.1.1.5', networkRef: 'other-net' });
    const problems = findVIPConflicts([a, b, c]);
    assert.equal(problems.length, 1);
    assert.equal(problems[0]?.record, b);
    assert.deepEqual(problems[0]?.path, ['spec', 'vip', 0, 'ipAddress']);
    assert.match(problems[0]?.message ?? '', /also the static address of VirtualService demo\/a vip 0/);
  });
});

describe('resolveRefs', () => {
  it('is quiet when everything resolves', () => {
    assert.deepEqual(resolveRefs([cloud, pool, vs('a', { networkRef: 'n' })]), []);
  });
  it('reports a missing Pool, Cloud and explicit ServiceEngineGroup', () => {
    const a = vs('a', { networkRef: 'n' }, { poolRef: 'missing', seGroupRef: 'gold' });
    assert.deepEqual(messages(resolveRefs([pool, a])), [
      'Not found: Cloud "c" is not defined in the input', // the Pool's
      'Not found: Cloud "c" is not defined in the input', // the VirtualService's
      'Not found: Pool "missing" is not defined in the input in namespace demo',
      'Not found: ServiceEngineGroup "gold" is not defined in the input in namespace demo',
    ]);
  });
  it('does not require the default group, which the operator may create', () => {
    assert.deepEqual(resolveRefs([cloud, pool, vs('a', { networkRef: 'n' })]), []);
  });
  it('refuses a namespace that is not a tenant of the Cloud, and a Pool of another Cloud', () => {
    const otherPool = record('Pool', 'p', { cloudRef: 'elsewhere' }, 'team');
    const a = vs('a', { networkRef: 'n' }, {}, 'team');
    const out = messages(resolveRefs([cloud, otherPool, a]));
    assert.ok(out.includes('Forbidden: namespace "team" is not a tenant of Cloud "c" (spec.tenants)'), out.join('\n'));
    assert.ok(out.includes('Invalid value: "p": Pool is in Cloud "elsewhere", not "c"'), out.join('\n'));
  });
});
