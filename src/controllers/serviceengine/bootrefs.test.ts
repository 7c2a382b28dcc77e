import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isCloudError, type Session } from '../../cloud/index.js';
import type { CloudConnection } from '../model/index.js';
import { BootRefs, pickRef } from './bootrefs.js';

test('pickRef: an id as is, a unique name to its id, an ambiguous or unknown one explained', () => {
  const items = [{ id: 'i1', name: 'avi-se' }, { id: 'i2', name: 'twin' }, { id: 'i3', name: 'twin' }];
  assert.equal(pickRef(items, 'i2'), 'i2');
  assert.equal(pickRef(items, 'avi-se'), 'i1');
  assert.deepEqual(pickRef(items, 'twin'), { problem: "2 match the name 'twin'; give the id" });
  assert.deepEqual(pickRef(items, 'gone'), { problem: "none named or with id 'gone'" });
});

/** A session answering the flavor and Glance image lists, counting the calls. */
function fakeSession(images: { id: string; name: string }[], flavors: { id: string; name: string }[]): Session & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    endpoint: async (type: string) => (type === 'compute' ? 'http://nova/v2.1' : 'http://glance'),
    request: async (r: { op: string }) => {
      calls.push(r.op);
      return { status: 200, headers: {}, body: r.op === 'listFlavors' ? { flavors: [...flavors] } : { images: [...images] } };
    },
  } as unknown as Session & { calls: string[] };
}

const conn = { name: 'c', spec: { serviceEngine: { image: 'avi-se', flavor: 'm1.small' } }, resolved: { imageUUID: 'img-default', flavorID: '2', managementNetworkUUID: 'm' } } as unknown as CloudConnection;

test('BootRefs: no override (or the Cloud default by name) makes no call', async () => {
  const s = fakeSession([], []);
  const r = new BootRefs(() => 0);
  assert.deepEqual(await r.resolve(conn, s, { image: undefined, flavor: 'm1.small' }), { imageRef: 'img-default', flavorRef: '2' });
  assert.deepEqual(s.calls, []);
});

test('BootRefs: names resolve to ids on lists kept for the resync period; an unknown name re-lists once, then NotFound', async () => {
  let now = 0;
  const images = [{ id: 'img-big', name: 'avi-se-big' }];
  const s = fakeSession(images, [{ id: '4', name: 'm1.large' }]);
  const r = new BootRefs(() => now);
  assert.deepEqual(await r.resolve(conn, s, { image: 'avi-se-big', flavor: 'm1.large' }), { imageRef: 'img-big', flavorRef: '4' });
  assert.deepEqual(await r.resolve(conn, s, { image: 'img-big', flavor: '4' }), { imageRef: 'img-big', flavorRef: '4' });
  assert.equal(s.calls.length, 2, 'one flavor and one image list for both');
  now = 5_000;
  images.push({ id: 'img-new', name: 'uploaded-later' });
  assert.deepEqual(await r.resolve(conn, s, { image: 'uploaded-later', flavor: undefined }), { imageRef: 'img-new', flavorRef: '2' });
  assert.equal(s.calls.length, 4, 'a miss re-lists');
  now = 10_000;
  await assert.rejects(r.resolve(conn, s, { image: 'nope', flavor: 'm1.tiny' }), (e: unknown) => {
    assert.ok(isCloudError(e) && e.kind === 'NotFound');
    assert.equal(e.serverMessage, "image: none named or with id 'nope'; flavor: none named or with id 'm1.tiny'");
    return true;
  });
});
