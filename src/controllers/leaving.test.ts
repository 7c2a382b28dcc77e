import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LeavingSEs } from './leaving.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('a VS that left an SE drains there for the drain time, then the SE is recomputed without it', async () => {
  const expired: string[] = [];
  const l = new LeavingSEs((k) => expired.push(k), 50);
  l.leave('ns/se-2', 'vs2');
  l.leave('ns/se-2', 'vs2'); // a second status write without the SE does not restart the drain
  assert.deepEqual([...l.of('ns/se-2')], ['vs2']);
  await sleep(100);
  assert.deepEqual([...l.of('ns/se-2')], []);
  assert.deepEqual(expired, ['ns/se-2'], 'recomputed once');
});

test('placed again, or the SE deleted: no drain, no late recompute', async () => {
  const expired: string[] = [];
  const l = new LeavingSEs((k) => expired.push(k), 30);
  l.leave('ns/se-2', 'vs2');
  l.stay('ns/se-2', 'vs2');
  l.leave('ns/se-3', 'vs2');
  l.forgetSE('ns/se-3');
  assert.deepEqual([...l.of('ns/se-2')], []);
  assert.deepEqual([...l.of('ns/se-3')], []);
  await sleep(60);
  assert.deepEqual(expired, []);
});
