// bench:cache-trim — heap held by N cached VirtualServices as `kubectl apply` and the operator leave
// them (managedFields of three managers, the last-applied annotation), kept whole, with managedFields
// dropped, both dropped (session 7's trimForCache), and trimmed as the reflector now does
// (trimForCache: both dropped, then repeated values interned, src/runtime/intern.ts).
// VS_COUNT=N (default 10000). Strings as a real namespace holds them: a namespace name longer than
// V8's shared short strings, condition reasons and messages, SE names of a 40-SE group, and the
// creation and transition seconds of objects applied over ten minutes. Metadata fields in the API
// server's order (ObjectMeta's: … labels, annotations, finalizers, managedFields): a `delete` of a
// field that is not the last one turns the object into a V8 dictionary.
import { trimForCache, LAST_APPLIED } from '../../src/runtime/reflector.js';
import { internedCount } from '../../src/runtime/intern.js';
const N = Number(process.env.VS_COUNT ?? 10000);
function vs(i: number) {
  const spec = { cloudRef: 'c1', seGroupRef: 'default', poolRef: `pool-${i}`, vip: { network: 'vip-net' }, ports: [{ port: 80, protocol: 'HTTP' }, { port: 443, protocol: 'TCP' }] };
  const at = new Date(Date.parse('2026-12-02T19:00:00Z') + (i % 600) * 1000).toISOString().replace('.000', '');
  const status = { phase: 'Ready', vip: { address: `10.1.${i >> 8}.${i & 255}` }, serviceEngines: [{ name: `default-se-${i % 40}`, state: 'OPER_UP' }, { name: `default-se-${(i + 1) % 40}`, state: 'OPER_UP' }],
    conditions: [{ type: 'Ready', status: 'True', reason: 'AllServiceEnginesUp', message: 'placed on 2 of 2 service engines', lastTransitionTime: at, observedGeneration: 1 }] };
  const obj = { apiVersion: 'lb.contrail-operator.io/v1alpha1', kind: 'VirtualService', metadata: { name: `vs-${i}`, namespace: 'team-payments-prod', uid: `6f1c2e4a-0000-4000-8000-${String(i).padStart(12, '0')}`, resourceVersion: String(1000 + i), generation: 1, creationTimestamp: at, labels: { app: `app-${i}` },
    annotations: { [LAST_APPLIED]: JSON.stringify({ apiVersion: 'lb.contrail-operator.io/v1alpha1', kind: 'VirtualService', metadata: { name: `vs-${i}`, namespace: 'team-payments-prod', labels: { app: `app-${i}` } }, spec }) + '\n' },
    finalizers: ['lb.contrail-operator.io/cleanup'],
    managedFields: [
      { manager: 'kubectl-client-side-apply', operation: 'Update', apiVersion: 'lb.contrail-operator.io/v1alpha1', time: '2026-12-02T19:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:annotations': { '.': {}, 'f:kubectl.kubernetes.io/last-applied-configuration': {} }, 'f:labels': { '.': {}, 'f:app': {} } }, 'f:spec': { '.': {}, 'f:cloudRef': {}, 'f:seGroupRef': {}, 'f:poolRef': {}, 'f:vip': { '.': {}, 'f:network': {} }, 'f:ports': {} } } },
      { manager: 'contrail-lb-operator', operation: 'Update', apiVersion: 'lb.contrail-operator.io/v1alpha1', time: '2026-12-02T19:00:05Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:finalizers': { '.': {}, 'v:"lb.contrail-operator.io/cleanup"': {} } } } },
      { manager: 'contrail-lb-operator', operation: 'Update', apiVersion: 'lb.contrail-operator.io/v1alpha1', time: '2026-12-02T19:00:09Z', fieldsType: 'FieldsV1', subresource: 'status', fieldsV1: { 'f:status': { '.': {}, 'f:phase': {}, 'f:vip': { '.': {}, 'f:address': {} }, 'f:serviceEngines': {}, 'f:conditions': { '.': {}, 'k:{"type":"Ready"}': { '.': {}, 'f:lastTransitionTime': {}, 'f:message': {}, 'f:observedGeneration': {}, 'f:reason': {}, 'f:status': {}, 'f:type': {} } } } } },
    ] }, spec, status };
  return JSON.stringify(obj);
}
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with node --expose-gc (npm run bench:cache-trim)");
for (const mode of ['none', 'managedFields dropped', 'managedFields + last-applied dropped (session 7)', 'trimForCache (+ interned values)'] as const) {
  gc(); const before = process.memoryUsage().heapUsed;
  const cache = new Map<string, unknown>();
  const t = performance.now();
  for (let i = 0; i < N; i++) {
    const o = JSON.parse(vs(i));
    if (mode.startsWith('trimForCache')) trimForCache(o);
    else if (mode !== 'none') {
      delete o.metadata.managedFields;
      if (mode.includes('last-applied')) delete o.metadata.annotations;
    }
    cache.set(String(i), o);
  }
  const ms = performance.now() - t;
  gc(); const after = process.memoryUsage().heapUsed;
  console.log(`${mode} N=${N}: ${((after - before) / 1048576).toFixed(1)} MiB heap, ${((after - before) / N).toFixed(0)} B/object, JSON ${vs(0).length} B, ` +
    `ingest ${ms.toFixed(0)} ms${mode.startsWith('trimForCache') ? `, ${internedCount()} interned strings (table counted in the heap)` : ''}`);
  cache.clear();
}
