import { test } from 'node:test';
import assert from 'node:assert/strict';
import { internedCount, internStrings, isInterned } from './intern.js';

const vs = (i: number) => JSON.parse(JSON.stringify({
  metadata: { name: `vs-${i}`, namespace: 'lbop-intern-ns', uid: `uid-${i}`, labels: { app: `app-${i}` } },
  status: { vip: { address: `10.0.0.${i}` }, conditions: [{ type: 'Ready', status: 'True', reason: 'LbopInternReason', message: 'lbop intern message' }] },
})) as unknown;

test('repeated field values go into the table once; unique non-listed values (uids, labels, addresses) never', () => {
  const before = internedCount();
  const a = internStrings(vs(1));
  assert.deepEqual(a, vs(1), 'values unchanged');
  const afterOne = internedCount();
  internStrings(vs(2));
  // One object adds its repeated values (namespace, Ready, True, reason, message) and its name;
  // the second adds only its own name.
  assert.equal(internedCount() - afterOne, 1);
  assert.ok(afterOne - before >= 5);
  for (const s of ['lbop-intern-ns', 'LbopInternReason', 'lbop intern message', 'vs-2']) assert.ok(isInterned(s), s);
  for (const s of ['uid-1', 'app-1', '10.0.0.1']) assert.ok(!isInterned(s), s);
});

test("a Secret's data is never walked (no secret value kept in the table)", () => {
  const s = { kind: 'Secret', type: 'Opaque', data: { status: 'lbop-c2VjcmV0', name: 'lbop-aHVudGVyMg==' }, stringData: { type: 'lbop-plain' } };
  assert.deepEqual(internStrings(structuredClone(s)), s);
  for (const v of ['lbop-c2VjcmV0', 'lbop-aHVudGVyMg==', 'lbop-plain']) assert.ok(!isInterned(v), v);
  assert.ok(isInterned('Opaque'));
});
