import { test } from 'node:test';
import assert from 'node:assert/strict';
import { schemaOf, type JSONSchemaProps, type KindName } from '../../api/index.js';
import { CRD_DEFAULTS, contrailAnalyticsURL, groupSpec, vsSpec } from './defaults.js';
import type { GroupObj, VSObj } from './objects.js';

function specNode(kind: KindName, path: string): JSONSchemaProps | undefined {
  let node: JSONSchemaProps | undefined = schemaOf(kind).properties?.['spec'];
  for (const part of path.split('.')) node = node?.properties?.[part];
  return node;
}

test('every defaulted view matches the default its CRD declares (drift fails here)', () => {
  for (const [kind, defaults] of Object.entries(CRD_DEFAULTS) as [KindName, Record<string, unknown>][]) {
    for (const [path, value] of Object.entries(defaults)) {
      const node = specNode(kind, path);
      assert.ok(node !== undefined, `${kind} spec.${path} exists in crds/`);
      assert.deepEqual(node.default, value, `${kind} spec.${path}: CRD default ${JSON.stringify(node.default)}, model ${JSON.stringify(value)}`);
    }
  }
});

test('every numeric default of a group\'s spec is in the model (a new one must be added)', () => {
  const props = schemaOf('ServiceEngineGroup').properties?.['spec']?.properties ?? {};
  const withDefault = Object.entries(props).filter(([, p]) => p.default !== undefined).map(([k]) => k).sort();
  assert.deepEqual(withDefault, [...Object.keys(CRD_DEFAULTS.ServiceEngineGroup), 'antiAffinity'].sort());
});

test('a spec without the optional fields reads as the CRD defaults', () => {
  const g = { metadata: { name: 'g' }, spec: { cloudRef: 'c' } } as unknown as GroupObj;
  assert.deepEqual(groupSpec(g), { minScaleoutPerVS: 1, maxScaleoutPerVS: 4, maxSEs: 10, maxVSPerSE: 10, bufferSEs: 0, placement: 'Packed', seDeprovisionDelaySeconds: 300, drainTimeoutSeconds: 30 });
  const vs = { metadata: { name: 'v' }, spec: { cloudRef: 'c', poolRef: 'p', vip: [] } } as unknown as VSObj;
  assert.deepEqual(vsSpec(vs), { seGroupRef: 'default', enabled: true, scaleout: { minSEs: 1, maxSEs: 4, ecmp: false } });
});

test('analytics is asked at spec.contrail.analyticsURL, else at the VNC API URL (no CRD default: it follows apiURL)', () => {
  assert.equal(contrailAnalyticsURL({ apiURL: 'https://contrail-api:8082' }), 'https://contrail-api:8082');
  assert.equal(contrailAnalyticsURL({ apiURL: 'https://contrail-api:8082', analyticsURL: 'https://contrail-analytics:8081' }), 'https://contrail-analytics:8081');
  assert.equal(specNode('Cloud', 'contrail.analyticsURL')?.default, undefined);
  assert.equal(specNode('Cloud', 'contrail.analyticsURL')?.type, 'string');
});
