// The CRDs themselves: what kube-apiserver requires of them (structural schemas, CEL within
// budget, list-map keys required) and what the issue promises (descriptions, columns, names).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { celMirrors } from './cel.js';
import { loadCRDs, walkSchema, type JSONSchemaProps } from './crds.js';
import { category, group, kindNames, kinds, version } from './kinds.js';

const crds = loadCRDs();

const expectedColumns: Record<string, string[]> = {
  VirtualService: ['VIP', 'FLOATING', 'SES', 'OPER', 'READY', 'AGE', 'REASON', 'MESSAGE'],
  ServiceEngine: ['SERVER', 'STATE', 'MGMT-IP', 'VS', 'READY', 'AGE', 'REASON', 'MESSAGE'],
  Pool: ['SERVERS', 'RESOLVED', 'UP', 'READY', 'AGE', 'REASON', 'MESSAGE'],
  Cloud: ['KEYSTONE', 'CONTRAIL', 'READY', 'AGE', 'REASON', 'MESSAGE'],
  ServiceEngineGroup: ['HA', 'SES', 'READY-SES', 'READY', 'AGE', 'REASON', 'MESSAGE'],
};

function nodeAt(schema: JSONSchemaProps, jsonPath: string): JSONSchemaProps | undefined {
  let node: JSONSchemaProps | undefined = schema;
  for (const part of jsonPath.replace(/\[\?\(.*?\)\]/g, '[]').split('.').filter((p) => p !== '')) {
    const name = part.replace(/\[.*\]$/, '');
    node = node?.properties?.[name];
    if (part.endsWith(']')) node = node?.items;
  }
  return node;
}

for (const kind of kindNames) {
  const crd = crds[kind];
  const info = kinds[kind];
  const v = crd.spec.versions[0];
  const schema = v?.schema.openAPIV3Schema as JSONSchemaProps;
  describe(`${kind} CRD`, () => {
    it('matches the kind metadata the controllers import', () => {
      assert.equal(crd.metadata.name, `${info.plural}.${group}`);
      assert.equal(crd.spec.group, group);
      assert.equal(crd.spec.scope, info.namespaced ? 'Namespaced' : 'Cluster');
      assert.deepEqual(crd.spec.names, {
        kind, listKind: info.listKind, plural: info.plural, singular: info.singular, shortNames: [info.shortName], categories: [category],
      });
      assert.equal(crd.spec.versions.length, 1);
      assert.equal(v?.name, version);
      assert.equal(v?.served && v.storage, true);
      // VirtualService alone has a scale subresource (kubectl scale, an external HPA): docs/autoscale.md.
      const scale = kind === 'VirtualService'
        ? { scale: { specReplicasPath: '.spec.scaleout.minSEs', statusReplicasPath: '.status.numSEsUp', labelSelectorPath: '.status.selector' } }
        : {};
      assert.deepEqual(v?.subresources, { status: {}, ...scale });
      for (const p of Object.values(scale.scale ?? {})) assert.ok(nodeAt(schema, p) !== undefined, `${p} exists in the schema`);
    });
    it('is structural, with a type and a description on every field', () => {
      walkSchema(schema, (node, path) => {
        const where = path.join('.') || '(root)';
        assert.ok(typeof node.type === 'string', `${where} has a type`);
        if (path.join('.') !== 'metadata') assert.ok((node.description ?? '').length > 0, `${where} has a description`);
        if (node.type === 'object' && path.join('.') !== 'metadata') assert.ok(node.properties !== undefined, `${where} lists its properties`);
        if (node.type === 'array') assert.ok(node.items !== undefined, `${where} has items`);
        for (const req of node.required ?? []) assert.ok(node.properties?.[req] !== undefined, `${where}: required ${req} exists`);
        if (node.default !== undefined && node.enum !== undefined) assert.ok(node.enum.includes(node.default), `${where}: default in enum`);
      });
    });
    it('has bounded lists in spec, and list-map keys that are required or defaulted', () => {
      walkSchema(schema, (node, path) => {
        if (node.type === 'array' && path[0] === 'spec') assert.ok(node.maxItems !== undefined, `${path.join('.')} has maxItems`);
        if (node['x-kubernetes-list-type'] === 'map') {
          for (const key of node['x-kubernetes-list-map-keys'] ?? []) {
            const ok = node.items?.required?.includes(key) === true || node.items?.properties?.[key]?.default !== undefined;
            assert.ok(ok, `${path.join('.')}: map key ${key} is required or defaulted`);
          }
        }
      });
    });
    it('bounds every string a CEL rule reads, and every rule has a message and a TypeScript mirror', () => {
      walkSchema(schema, (node, path) => {
        for (const r of node['x-kubernetes-validations'] ?? []) {
          assert.ok(Object.hasOwn(celMirrors, r.rule), `mirror for ${r.rule}`);
          assert.ok((r.message ?? '') !== '', `${path.join('.')}: rule has a message`);
          if (node.type === 'string') assert.ok(node.maxLength !== undefined, `${path.join('.')} has maxLength`);
          if (r.fieldPath !== undefined) assert.ok(node.properties?.[r.fieldPath.slice(1)] !== undefined, `fieldPath ${r.fieldPath} exists`);
        }
      });
    });
    it('has the printer columns the issue lists, pointing at existing fields', () => {
      const columns = v?.additionalPrinterColumns ?? [];
      if (expectedColumns[kind] !== undefined) assert.deepEqual(columns.map((c) => c.name), expectedColumns[kind]);
      for (const c of columns) {
        if (c.jsonPath === '.metadata.creationTimestamp') continue;
        assert.ok(nodeAt(schema, c.jsonPath) !== undefined, `${c.name}: ${c.jsonPath} exists in the schema`);
      }
    });
  });
}

describe('CEL mirrors', () => {
  it('has no mirror for a rule no CRD uses any more', () => {
    const used = new Set<string>();
    for (const k of kindNames) {
      walkSchema(crds[k].spec.versions[0]?.schema.openAPIV3Schema as JSONSchemaProps, (n) => {
        for (const r of n['x-kubernetes-validations'] ?? []) used.add(r.rule);
      });
    }
    assert.deepEqual(Object.keys(celMirrors).filter((r) => !used.has(r)), []);
  });
});
