// Retained sizes of a V8 heap snapshot, as DevTools' "Retained size" column computes them: the
// dominator tree of the object graph from the snapshot's root (weak edges do not retain), then each
// node's retained size = its self size + that of every node it dominates. Pure; read by
// heapsnapshot-retained.ts, tested in test/unit/heap-dominators.test.ts.
// Dominators: Cooper, Harvey & Kennedy, "A Simple, Fast Dominance Algorithm" (iterative over
// reverse postorder); a heap graph converges in a few passes.

/** A heap graph in compressed form: node i's edges are edgeTo[firstEdge[i] .. firstEdge[i+1]). */
export interface HeapGraph {
  nodeCount: number;
  selfSize: ArrayLike<number>;
  firstEdge: ArrayLike<number>; // nodeCount + 1 entries
  edgeTo: ArrayLike<number>; // target node ordinals
  edgeRetains: ArrayLike<number>; // 1 if the edge keeps its target alive (not weak)
}

export interface Dominance {
  /** Immediate dominator of each node (the root's is itself); -1 if unreachable from the root. */
  idom: Int32Array;
  /** Retained size of each node (0 if unreachable). */
  retained: Float64Array;
  /** Reachable nodes in postorder (every node after the nodes it dominates). */
  postorder: Uint32Array;
}

/** The dominator tree and retained sizes from node 0. */
export function dominance(g: HeapGraph, root = 0): Dominance {
  const n = g.nodeCount;
  // Postorder by an iterative DFS over retaining edges.
  const po = new Int32Array(n).fill(-1); // postorder number
  const order: number[] = [];
  const visited = new Uint8Array(n);
  const stackNode = new Uint32Array(n);
  const stackEdge = new Uint32Array(n);
  let sp = 0;
  stackNode[0] = root;
  stackEdge[0] = g.firstEdge[root] as number;
  visited[root] = 1;
  sp = 1;
  while (sp > 0) {
    const v = stackNode[sp - 1] as number;
    const e = stackEdge[sp - 1] as number;
    if (e < (g.firstEdge[v + 1] as number)) {
      stackEdge[sp - 1] = e + 1;
      const w = g.edgeTo[e] as number;
      if (g.edgeRetains[e] === 1 && visited[w] === 0) {
        visited[w] = 1;
        stackNode[sp] = w;
        stackEdge[sp] = g.firstEdge[w] as number;
        sp++;
      }
    } else {
      po[v] = order.length;
      order.push(v);
      sp--;
    }
  }
  const postorder = Uint32Array.from(order);
  const m = postorder.length;

  // Predecessors (retaining edges between reachable nodes), by postorder number, compressed.
  const predStart = new Uint32Array(m + 1);
  for (let v = 0; v < n; v++) {
    if (po[v] === -1) continue;
    for (let e = g.firstEdge[v] as number; e < (g.firstEdge[v + 1] as number); e++) {
      const w = g.edgeTo[e] as number;
      const pw = po[w] as number;
      if (g.edgeRetains[e] === 1 && pw !== -1) predStart[pw + 1] = (predStart[pw + 1] as number) + 1;
    }
  }
  for (let i = 0; i < m; i++) predStart[i + 1] = (predStart[i + 1] as number) + (predStart[i] as number);
  const preds = new Uint32Array(predStart[m] as number);
  const fill = predStart.slice(0, m);
  for (let v = 0; v < n; v++) {
    const pv = po[v] as number;
    if (pv === -1) continue;
    for (let e = g.firstEdge[v] as number; e < (g.firstEdge[v + 1] as number); e++) {
      const w = g.edgeTo[e] as number;
      const pw = po[w] as number;
      if (g.edgeRetains[e] === 1 && pw !== -1) preds[(fill[pw] as number)++] = pv;
    }
  }

  // Iterate in reverse postorder, in postorder numbers (the root has the highest, m - 1).
  const dom = new Int32Array(m).fill(-1);
  const r = m - 1;
  dom[r] = r;
  let changed = true;
  while (changed) {
    changed = false;
    for (let b = r - 1; b >= 0; b--) {
      let nd = -1;
      for (let i = predStart[b] as number; i < (predStart[b + 1] as number); i++) {
        const p = preds[i] as number;
        if (dom[p] === -1) continue;
        if (nd === -1) { nd = p; continue; }
        let f1 = p;
        let f2 = nd;
        while (f1 !== f2) {
          while (f1 < f2) f1 = dom[f1] as number;
          while (f2 < f1) f2 = dom[f2] as number;
        }
        nd = f1;
      }
      if (nd !== -1 && dom[b] !== nd) { dom[b] = nd; changed = true; }
    }
  }

  const idom = new Int32Array(n).fill(-1);
  const retained = new Float64Array(n);
  for (let b = 0; b < m; b++) {
    const v = postorder[b] as number;
    idom[v] = postorder[dom[b] as number] as number;
    retained[v] = (retained[v] as number) + (g.selfSize[v] as number);
    if (b !== r) retained[idom[v] as number] = (retained[idom[v] as number] as number) + (retained[v] as number);
  }
  return { idom, retained, postorder };
}
