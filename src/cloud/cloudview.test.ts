import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { isDeepStrictEqual } from 'node:util';
import { CloudView, sameContent, type ListedItem, type ViewChange, type ViewSource } from './cloudview.js';
import type { Owner } from './owner.js';

const owner = (uid: string): Owner => ({ clusterID: 'c', kind: 'ServiceEngine', namespace: 'lb', name: uid, uid });

/** A source over a plain array; `gate` lets a test hold a list open while it writes. */
function arraySource(kind: string, items: ListedItem[]): ViewSource & { items: ListedItem[]; calls: number; gate?: Promise<void>; fail?: Error } {
  const s = {
    kind, items, calls: 0, gate: undefined as Promise<void> | undefined, fail: undefined as Error | undefined,
    async list(): Promise<ListedItem[]> {
      s.calls++;
      const snapshot = s.items.map((i) => ({ ...i }));
      if (s.gate !== undefined) await s.gate;
      if (s.fail !== undefined) throw s.fail;
      return snapshot;
    },
  };
  return s;
}

test('one list per kind per refresh; changes carry the owner', async () => {
  const ports = arraySource('port', [{ id: 'p1', owner: owner('se1'), obj: { status: 'DOWN' } }]);
  const servers = arraySource('server', [{ id: 's1', owner: owner('se1'), obj: { status: 'BUILD' } }]);
  const seen: ViewChange[][] = [];
  const view = new CloudView({ cloud: 't', sources: [ports, servers], onChange: (c) => seen.push(c) });
  assert.equal(view.synced, false);
  const r1 = await view.refresh();
  assert.equal(view.synced, true);
  assert.equal(ports.calls + servers.calls, 2);
  assert.deepEqual(r1.changes.map((c) => `${c.kind}/${c.id}:${c.change}`).sort(), ['port/p1:added', 'server/s1:added']);
  // An SE went ERROR and a port vanished: both reported with their owner.
  servers.items[0] = { id: 's1', owner: owner('se1'), obj: { status: 'ERROR' } };
  ports.items.length = 0;
  const r2 = await view.refresh();
  assert.deepEqual(r2.changes.map((c) => `${c.kind}/${c.id}:${c.change}:${c.owner?.uid}`).sort(), ['port/p1:removed:se1', 'server/s1:updated:se1']);
  assert.equal(view.get<{ status: string }>('server', 's1')?.obj.status, 'ERROR');
  assert.equal(view.get('port', 'p1'), undefined);
  // Nothing changed: no notification, no generation bump.
  const g = view.generation;
  const r3 = await view.refresh();
  assert.equal(r3.changes.length, 0);
  assert.equal(view.generation, g);
  assert.equal(seen.length, 2);
  assert.equal(view.ownedBy('se1').length, 1);
});

test('write-through is visible at once and not undone by a list that started before it', async () => {
  const ports = arraySource('port', []);
  const view = new CloudView({ cloud: 't', sources: [ports] });
  await view.refresh();
  let open!: () => void;
  ports.gate = new Promise((r) => { open = r; });
  const listing = view.refresh(); // lists [] now, answers later
  await new Promise((r) => setImmediate(r));
  const g = view.written('port', 'p9', { status: 'DOWN' }, owner('vs'));
  assert.equal(view.get('port', 'p9')?.generation, g);
  assert.equal(view.listedSince(g), false);
  open();
  await listing;
  assert.ok(view.get('port', 'p9'), 'a stale list must not remove a newer write');
  assert.equal(view.listedSince(g), false, 'that list started before the write');
  ports.gate = undefined;
  ports.items.push({ id: 'p9', owner: owner('vs'), obj: { status: 'DOWN' } });
  await view.refresh();
  assert.equal(view.listedSince(g), true);
  assert.ok(view.get('port', 'p9'));
});

test('a delete is not resurrected by an older list; a failed list keeps the last observation', async () => {
  const fips = arraySource('floatingip', [{ id: 'f1', owner: owner('vs'), obj: { ip: '1.1.1.1' } }]);
  const registry = new Registry();
  const view = new CloudView({ cloud: 't', sources: [fips], registry });
  await view.refresh();
  let open!: () => void;
  fips.gate = new Promise((r) => { open = r; });
  const listing = view.refresh();
  await new Promise((r) => setImmediate(r));
  view.deleted('floatingip', 'f1');
  open();
  await listing;
  assert.equal(view.get('floatingip', 'f1'), undefined);
  fips.gate = undefined;
  fips.items.length = 0;
  fips.items.push({ id: 'f2', owner: owner('vs'), obj: {} });
  await view.refresh();
  fips.fail = new Error('neutron list:floatingips: 503 Service Unavailable');
  const r = await view.refresh();
  assert.deepEqual(r.failed, { floatingip: 'neutron list:floatingips: 503 Service Unavailable' });
  assert.ok(view.get('floatingip', 'f2'), 'a failed list removes nothing');
  assert.match(view.lastError('floatingip') ?? '', /503/);
  const text = await registry.metrics();
  assert.match(text, /lbop_cloudview_list_errors_total\{cloud="t",kind="floatingip"\} 1/);
  assert.match(text, /lbop_cloudview_objects\{cloud="t",kind="floatingip"\} 1/);
});

test('invalidate marks entries stale until a list confirms them', async () => {
  const ports = arraySource('port', [{ id: 'p1', owner: undefined, obj: { a: 1 } }]);
  const view = new CloudView({ cloud: 't', sources: [ports] });
  await view.refresh();
  view.invalidate('port', 'p1');
  assert.equal(view.get('port', 'p1')?.stale, true);
  await view.refresh();
  assert.equal(view.get('port', 'p1')?.stale, false);
});

test('concurrent refreshes share the lists', async () => {
  const ports = arraySource('port', []);
  const view = new CloudView({ cloud: 't', sources: [ports] });
  let open!: () => void;
  ports.gate = new Promise((r) => { open = r; });
  const a = view.refresh();
  const b = view.refresh();
  const c = view.refresh();
  open();
  await Promise.all([a, b, c]);
  assert.equal(ports.calls, 2, 'one in flight plus one coalesced follow-up');
});

test('lastSyncedAt: when the last refresh that listed every kind began; a failed list leaves it', async () => {
  const ports = arraySource('port', []);
  const servers = arraySource('server', []);
  const view = new CloudView({ cloud: 't', sources: [ports, servers], registry: new Registry() });
  const synced = (): Date | undefined => view.lastSyncedAt;
  assert.equal(synced(), undefined);
  const t0 = Date.now();
  await view.refresh();
  const first = synced();
  assert.ok(first !== undefined && first.getTime() >= t0 && first.getTime() <= Date.now());
  await new Promise((r) => setTimeout(r, 5));
  servers.fail = new Error('nova down');
  await view.refresh();
  assert.equal(synced(), first, 'a partial list is not a sync');
  servers.fail = undefined;
  await view.refresh();
  assert.ok((synced()?.getTime() ?? 0) > (first?.getTime() ?? 0));
});

test('sameContent: a JSON-value comparison that agrees with isDeepStrictEqual on parsed JSON', () => {
  const base = { uuid: 'u', fq_name: ['d', 'p', 'vmi'], refs: [{ to: ['a'], attr: null }], n: 1, on: true, nested: { a: { b: [1, 2] } } };
  const variants: unknown[] = [
    base, { ...base }, { ...base, n: 2 }, { ...base, on: false }, { ...base, extra: 1 }, { uuid: 'u' },
    { ...base, fq_name: ['d', 'p'] }, { ...base, fq_name: ['d', 'p', 'other'] }, { ...base, refs: [] }, { ...base, refs: { 0: base.refs[0] } },
    { ...base, nested: { a: { b: [1, 2] } } }, { ...base, nested: { a: { b: [2, 1] } } }, { ...base, nested: null }, [], {}, null, 'x', 1,
  ];
  for (const x of variants) for (const y of variants) {
    const [a, b] = [JSON.parse(JSON.stringify(x)) as unknown, JSON.parse(JSON.stringify(y)) as unknown];
    assert.equal(sameContent(a, b), isDeepStrictEqual(a, b), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
  }
  const reordered = JSON.parse('{"b":1,"a":[1]}') as unknown;
  assert.equal(sameContent(reordered, { a: [1], b: 1 }), true, 'key order does not matter');
});
