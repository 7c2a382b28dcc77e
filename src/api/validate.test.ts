import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { crdCases, crdUpdateCases, validBase } from '../../test/cases/crd-cases.js';
import { crdDirectory } from './crds.js';
import { formatPath } from './errors.js';
import { kindOf } from './kinds.js';
import { validateObject, withDefaults } from './validate.js';

const render = (errors: { path: readonly (string | number)[]; message: string }[]): string =>
  errors.map((e) => `${formatPath(e.path)}: ${e.message}`).join('\n');

describe('samples', () => {
  const dir = join(crdDirectory(), 'samples');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
    it(`${file}: every object of ours is valid`, () => {
      const docs = parseAllDocuments(readFileSync(join(dir, file), 'utf8'));
      let ours = 0;
      for (const doc of Array.isArray(docs) ? docs : []) {
        const obj = doc.toJS() as Record<string, unknown>;
        if (kindOf(obj) === undefined) continue;
        ours++;
        const result = validateObject(obj);
        assert.equal(render(result.errors), '', `${file}: ${String(obj.kind)}`);
      }
      assert.ok(ours > 0, `${file} has objects of our kinds`);
    });
  }
});

describe('the valid bases of the CRD cases', () => {
  for (const [name, build] of Object.entries(validBase)) {
    it(`${name} is valid`, () => assert.equal(render(validateObject(build()).errors), ''));
  }
});

describe('invalid objects (test/cases/crd-cases.ts)', () => {
  for (const c of crdCases) {
    it(c.name, () => {
      const out = render(validateObject(c.manifest, { ignoreStatus: true }).errors);
      assert.ok(out.includes(c.expect), `expected ${JSON.stringify(c.expect)} in:\n${out}`);
    });
  }
  it('has a case for every CEL rule message', async () => {
    const { listRules } = await import('./validate.js');
    const expects = [...crdCases, ...crdUpdateCases].map((c) => c.expect);
    for (const r of listRules()) {
      assert.ok(r.message !== undefined && expects.includes(r.message), `no case for rule ${r.kind} ${r.path}: ${r.rule}`);
    }
  });
});

describe('updates (CEL transition rules)', () => {
  for (const c of crdUpdateCases) {
    it(c.name, () => {
      assert.equal(render(validateObject(c.old, { oldObject: c.old }).errors), '', 'an unchanged update is valid');
      const out = render(validateObject(c.manifest, { oldObject: c.old }).errors);
      assert.ok(out.includes(c.expect), `expected ${JSON.stringify(c.expect)} in:\n${out}`);
      assert.equal(render(validateObject(c.manifest).errors), '', 'the same object is valid on create');
    });
  }
  it('a mutable field may change', () => {
    const old = validBase.vs();
    const next = validBase.vs();
    (next.spec as Record<string, unknown>).poolRef = 'other-pool';
    assert.equal(render(validateObject(next, { oldObject: old }).errors), '');
  });
});

describe('defaults', () => {
  it('fills what the server fills', () => {
    const vs = withDefaults({
      apiVersion: 'lb.contrail-operator.io/v1alpha1',
      kind: 'VirtualService',
      metadata: { name: 'x' },
      spec: { cloudRef: 'c', poolRef: 'p', vip: [{ vipID: '0', networkRef: 'n' }], services: [{ port: 80 }] },
    });
    assert.deepEqual(vs.spec, {
      cloudRef: 'c',
      poolRef: 'p',
      seGroupRef: 'default',
      enabled: true,
      vip: [{ vipID: '0', networkRef: 'n', autoAllocateIP: true, autoAllocateFloatingIP: false }],
      services: [{ port: 80, protocol: 'TCP', enableSSL: false }],
      scaleout: { ecmp: false, minSEs: 1, maxSEs: 4 },
    });
  });
  it('does not touch the input', () => {
    const obj = validBase.pool();
    const before = JSON.stringify(obj);
    validateObject(obj);
    withDefaults(obj);
    assert.equal(JSON.stringify(obj), before);
  });
});

describe('other checks', () => {
  it('accepts an IPv6 static VIP inside an IPv6 subnet and refuses one outside', () => {
    const vs = validBase.vs();
    const vip = { vipID: '0', autoAllocateIP: false, ipAddress: '2001:db8::10', subnet: '2001:db8::/64', networkRef: 'v6' };
    (vs.spec as Record<string, unknown>).vip = [vip];
    assert.equal(render(validateObject(vs).errors), '');
    vip.ipAddress = '2001:db9::10';
    assert.match(render(validateObject(vs).errors), /spec\.vip\[0\]\.ipAddress: .*ipAddress must be inside subnet/);
  });
  it('reports a wrong version of our group the way kubectl does', () => {
    const vs = { ...validBase.vs(), apiVersion: 'lb.contrail-operator.io/v1beta1' };
    assert.match(render(validateObject(vs).errors), /no matches for kind "VirtualService" in version "lb.contrail-operator.io\/v1beta1"/);
  });
  it('checks status unless told to ignore it', () => {
    const vs = { ...validBase.vs(), status: { conditions: [{ type: 'Ready', status: 'Maybe', reason: 'X', message: '', lastTransitionTime: '2026-01-01T00:00:00Z' }] } };
    assert.match(render(validateObject(vs).errors), /status\.conditions\[0\]\.status: Unsupported value: "Maybe"/);
    assert.equal(render(validateObject(vs, { ignoreStatus: true }).errors), '');
  });
  it('still refuses unknown fields in an ignored status, as strict decoding does', () => {
    const pool = { ...validBase.pool(), status: { foo: 1, serverCount: -5 } };
    assert.equal(render(validateObject(pool, { ignoreStatus: true }).errors), 'status.foo: unknown field "status.foo"');
  });
  it('does not evaluate CEL rules over ill-typed input', () => {
    const vs = validBase.vs();
    (vs.spec as Record<string, unknown>).scaleout = { minSEs: 'many', maxSEs: 2 };
    const out = render(validateObject(vs).errors);
    assert.match(out, /spec\.scaleout\.minSEs: Invalid value: "string": must be of type integer/);
    assert.doesNotMatch(out, /must be less than or equal/);
  });
  it('reports only the first failing string check, in the server\'s order (maxLength, minLength, pattern)', () => {
    const vs = validBase.vs();
    (vs.spec as Record<string, unknown>).poolRef = '';
    assert.equal(render(validateObject(vs).errors), 'spec.poolRef: Invalid value: "": should be at least 1 chars long');
    (vs.spec as Record<string, unknown>).poolRef = 'X'.repeat(300);
    assert.equal(render(validateObject(vs).errors), 'spec.poolRef: Too long: may not be more than 253 bytes');
  });
  it('requires metadata.name', () => {
    const pool = validBase.pool();
    pool.metadata = { namespace: 'demo' };
    assert.match(render(validateObject(pool).errors), /metadata\.name: Required value/);
  });
});
