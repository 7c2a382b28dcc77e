// The dominator tree and retained sizes that test/bench/heapsnapshot-retained.ts attributes a heap
// snapshot with: checked on small graphs whose answer is known by hand, and on random graphs with
// cycles against the definition (a node's retained size = what becomes unreachable without it).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dominance, type HeapGraph } from '../bench/heap-dominators.js';

/** A graph from adjacency lists; `weak` lists "from>to" edges that do not retain. */
function graph(adj: number[][], sizes: number[], weak: string[] = []): HeapGraph {
  const firstEdge = [0];
  const edgeTo: number[] = [];
  const edgeRetains: number[] = [];
  adj.forEach((out, v) => {
    for (const w of out) { edgeTo.push(w); edgeRetains.push(weak.includes(`${v}>${w}`) ? 0 : 1); }
    firstEdge.push(edgeTo.length);
  });
  return { nodeCount: adj.length, selfSize: sizes, firstEdge, edgeTo, edgeRetains };
}

/** Retained size by definition: self sizes of the nodes unreachable from 0 once v is removed. */
function bruteRetained(g: HeapGraph, v: number): number {
  const seen = new Set<number>(v === 0 ? [] : [0]);
  const stack = v === 0 ? [] : [0];
  while (stack.length > 0) {
    const u = stack.pop() as number;
    for (let e = g.firstEdge[u] as number; e < (g.firstEdge[u + 1] as number); e++) {
      const w = g.edgeTo[e] as number;
      if (g.edgeRetains[e] === 1 && w !== v && !seen.has(w)) { seen.add(w); stack.push(w); }
    }
  }
  const reach = new Set<number>([0]);
  const st = [0];
  while (st.length > 0) {
    const u = st.pop() as number;
    for (let e = g.firstEdge[u] as number; e < (g.firstEdge[u + 1] as number); e++) {
      const w = g.edgeTo[e] as number;
      if (g.edgeRetains[e] === 1 && !reach.has(w)) { reach.add(w); st.push(w); }
    }
  }
  let bytes = 0;
  for (const u of reach) if (!seen.has(u)) bytes += g.selfSize[u] as number;
  return bytes;
}

test('a diamond: the join is dominated by the fork, not by either branch', () => {
  // 0 → 1 → {2, 3} → 4; 4 → 5
  const g = graph([[1], [2, 3], [4], [4], [5], []], [1, 10, 100, 1000, 10000, 100000]);
  const d = dominance(g);
  assert.deepEqual([...d.idom], [0, 0, 1, 1, 1, 4]);
  assert.deepEqual([...d.retained], [111111, 111110, 100, 1000, 110000, 100000]);
});

test('a weak edge does not retain, and what only a weak edge reaches is not live', () => {
  // 0 → 1 → 2, 0 ⇢ 2 (weak), 1 ⇢ 3 (weak, 3 otherwise unreachable)
  const g = graph([[1, 2], [2, 3], [], []], [1, 2, 4, 8], ['0>2', '1>3']);
  const d = dominance(g);
  assert.equal(d.idom[2], 1);
  assert.equal(d.idom[3], -1);
  assert.equal(d.retained[1], 6);
  assert.equal(d.retained[0], 7);
});

test('random graphs with cycles: retained sizes equal the brute force', () => {
  let seed = 7;
  const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n);
  for (let round = 0; round < 50; round++) {
    const n = 2 + rand(30);
    const adj: number[][] = Array.from({ length: n }, () => []);
    for (let k = 0; k < n * 2; k++) adj[rand(n)]!.push(rand(n));
    const sizes = Array.from({ length: n }, () => 1 + rand(1000));
    const g = graph(adj, sizes);
    const d = dominance(g);
    for (let v = 0; v < n; v++) assert.equal(d.retained[v], d.idom[v] === -1 ? 0 : bruteRetained(g, v), `round ${round}, node ${v}`);
  }
});
