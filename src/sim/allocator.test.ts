import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SubnetAllocator } from './allocator.js';
import { formatIPv4, parseCidr, parseIPv4 } from './ip.js';

const ip = (s: string): number => parseIPv4(s) as number;

function alloc24(fromStart: boolean, pools: Array<[number, number]> = []): SubnetAllocator {
  const c = parseCidr('10.0.0.0/24');
  assert.ok(c !== undefined);
  const reserved = fromStart ? new Set([ip('10.0.0.1'), ip('10.0.0.2')]) : new Set([ip('10.0.0.254'), ip('10.0.0.253')]);
  return new SubnetAllocator(c, fromStart, ip('10.0.0.1'), ip('10.0.0.254'), reserved, pools);
}

test('top down: .252, .251, …; a freed address is handed out again before lower ones', () => {
  const a = alloc24(false);
  assert.equal(formatIPv4(a.allocate() as number), '10.0.0.252');
  assert.equal(formatIPv4(a.allocate() as number), '10.0.0.251');
  assert.equal(formatIPv4(a.allocate() as number), '10.0.0.250');
  a.free(ip('10.0.0.251'));
  assert.equal(formatIPv4(a.allocate() as number), '10.0.0.251');
  assert.equal(formatIPv4(a.allocate() as number), '10.0.0.249');
});

test('from start: .3 upward; reserved requested addresses are skipped', () => {
  const a = alloc24(true);
  assert.equal(a.reserve(ip('10.0.0.4')), true);
  assert.equal(a.reserve(ip('10.0.0.4')), false, 'already used');
  assert.equal(formatIPv4(a.allocate() as number), '10.0.0.3');
  assert.equal(formatIPv4(a.allocate() as number), '10.0.0.5');
});

test('allocation pools restrict the range; exhaustion returns undefined', () => {
  const a = alloc24(false, [[ip('10.0.0.10'), ip('10.0.0.11')]]);
  assert.equal(formatIPv4(a.allocate() as number), '10.0.0.11');
  assert.equal(formatIPv4(a.allocate() as number), '10.0.0.10');
  assert.equal(a.allocate(), undefined);
  assert.equal(a.usedCount, 2);
});

test('a /8 allocates without scanning: 10k allocations stay fast and distinct', () => {
  const c = parseCidr('10.0.0.0/8');
  assert.ok(c !== undefined);
  const a = new SubnetAllocator(c, false, c.network + 1, c.network + c.size - 2, new Set(), []);
  const seen = new Set<number>();
  for (let i = 0; i < 10_000; i++) seen.add(a.allocate() as number);
  assert.equal(seen.size, 10_000);
});
