// Who holds a V8 heap snapshot's bytes: retained size (what would be freed if the holder went) by
// top-level holder and by constructor. heapsnapshot-summary.ts says what the bytes are (self size
// by kind, repeated strings); this says who keeps them. For bench:scale's SCALE_BENCH_HEAPSNAPSHOT=1.
//   npx tsx test/bench/heapsnapshot-retained.ts FILE.heapsnapshot [minMiB=0.25] [depth=14] [top=40]
// Prints (1) the dominator tree from the root, every holder retaining ≥ minMiB, each labelled with
// the edge its dominator (or a retainer) holds it by; (2) retained size by constructor, summed over
// the instances not inside another instance of the same constructor (a Map of Maps counts once);
// (3) the Maps and Sets with most entries (per-object maps show up as N entries ≈ N objects).
// The snapshot's number arrays are parsed from the bytes (a JSON.parse of a 10k-VS snapshot would
// exceed V8's string limit); only the strings table goes through JSON.parse.
import { readFileSync } from 'node:fs';
import { dominance, type HeapGraph } from './heap-dominators.js';

interface Meta {
  node_fields: string[];
  node_types: [string[], ...unknown[]];
  edge_fields: string[];
  edge_types: [string[], ...unknown[]];
}

const [file, minArg, depthArg, topArg] = process.argv.slice(2);
if (file === undefined) throw new Error('usage: heapsnapshot-retained.ts FILE.heapsnapshot [minMiB] [depth] [top]');
const minBytes = Number(minArg ?? 0.25) * 1048576;
const maxDepth = Number(depthArg ?? 14);
const top = Number(topArg ?? 40);

const buf = readFileSync(file);
/** Offset of the value after `"key":` (its `[`). */
function sectionStart(key: string, from = 0): number {
  const at = buf.indexOf(`"${key}":`, from, 'latin1');
  if (at === -1) throw new Error(`${file}: no "${key}" section`);
  return at + key.length + 3;
}
/** The unsigned integers of the `[...]` array at `at`. */
function parseInts(at: number, expected: number): { values: Float64Array; end: number } {
  const values = new Float64Array(expected);
  let k = 0;
  let cur = 0;
  let inNum = false;
  let i = at;
  for (; i < buf.length; i++) {
    const c = buf[i] as number;
    if (c >= 48 && c <= 57) { cur = cur * 10 + (c - 48); inNum = true; continue; }
    if (inNum) { values[k++] = cur; cur = 0; inNum = false; }
    if (c === 93 && i > at) break; // ]
  }
  if (k !== expected) throw new Error(`${file}: expected ${expected} numbers, read ${k}`);
  return { values, end: i };
}

const nodesAt = sectionStart('nodes');
const head = JSON.parse(`${buf.toString('utf8', buf.indexOf('{'), nodesAt - '"nodes":'.length).replace(/,\s*$/, '')}}`) as { snapshot: { meta: Meta; node_count: number; edge_count: number } };
const meta = head.snapshot.meta;
const nf = meta.node_fields.length;
const ef = meta.edge_fields.length;
const nodes = parseInts(nodesAt, head.snapshot.node_count * nf);
const edges = parseInts(sectionStart('edges', nodes.end), head.snapshot.edge_count * ef);
const stringsAt = sectionStart('strings', edges.end);
const strings = JSON.parse(buf.toString('utf8', stringsAt, buf.lastIndexOf(']') + 1)) as string[];

const [nType, nName, nSize, nEdges] = ['type', 'name', 'self_size', 'edge_count'].map((f) => meta.node_fields.indexOf(f)) as [number, number, number, number];
const [eType, eName, eTo] = ['type', 'name_or_index', 'to_node'].map((f) => meta.edge_fields.indexOf(f)) as [number, number, number];
const nodeTypes = meta.node_types[0];
const edgeTypes = meta.edge_types[0];
const weak = edgeTypes.indexOf('weak');
const nodeCount = head.snapshot.node_count;
const edgeCount = head.snapshot.edge_count;

const selfSize = new Float64Array(nodeCount);
const firstEdge = new Uint32Array(nodeCount + 1);
const edgeTo = new Uint32Array(edgeCount);
const edgeRetains = new Uint8Array(edgeCount);
for (let i = 0, e = 0; i < nodeCount; i++) {
  selfSize[i] = nodes.values[i * nf + nSize] as number;
  firstEdge[i] = e;
  e += nodes.values[i * nf + nEdges] as number;
  firstEdge[i + 1] = e;
}
for (let e = 0; e < edgeCount; e++) {
  edgeTo[e] = (edges.values[e * ef + eTo] as number) / nf;
  edgeRetains[e] = edges.values[e * ef + eType] === weak ? 0 : 1;
}
const graph: HeapGraph = { nodeCount, selfSize, firstEdge, edgeTo, edgeRetains };
const { idom, retained, postorder } = dominance(graph);

const typeOf = (v: number): string => nodeTypes[nodes.values[v * nf + nType] as number] ?? '?';
const nameOf = (v: number): string => strings[nodes.values[v * nf + nName] as number] ?? '';
function label(v: number): string {
  const t = typeOf(v);
  const name = nameOf(v);
  if (t === 'object' || t === 'closure' || t === 'native' || t === 'synthetic') return `${t === 'object' ? '' : `${t} `}${name.slice(0, 60)}`;
  if (t === 'string' || t === 'concatenated string' || t === 'sliced string') return `${t} ${JSON.stringify(name.slice(0, 40))}`;
  return `${t} ${name.slice(0, 40)}`;
}
function edgeName(e: number): string {
  const t = edgeTypes[edges.values[e * ef + eType] as number];
  const n = edges.values[e * ef + eName] as number;
  return t === 'element' || t === 'hidden' ? `[${n}]` : (strings[n] ?? '?');
}
// How a node is held: the edge from its immediate dominator when there is one, else "X.edge" from
// its first retainer (found by one scan of the edges for the nodes printed).
const mib = (b: number): string => `${(b / 1048576).toFixed(2)} MiB`;
const total = retained[0] as number;

// Dominator-tree children, compressed.
const childStart = new Uint32Array(nodeCount + 1);
for (let v = 0; v < nodeCount; v++) if (v !== 0 && idom[v] !== -1) childStart[(idom[v] as number) + 1]!++;
for (let v = 0; v < nodeCount; v++) childStart[v + 1] = (childStart[v + 1] as number) + (childStart[v] as number);
const children = new Uint32Array(childStart[nodeCount] as number);
{
  const fill = childStart.slice(0, nodeCount);
  for (let v = 0; v < nodeCount; v++) if (v !== 0 && idom[v] !== -1) children[fill[idom[v] as number]!++] = v;
}
function heldBy(v: number): string {
  const d = idom[v] as number;
  for (let e = firstEdge[d] as number; e < (firstEdge[d + 1] as number); e++) if (edgeTo[e] === v) return `.${edgeName(e)}`;
  for (let u = 0; u < nodeCount; u++) {
    for (let e = firstEdge[u] as number; e < (firstEdge[u + 1] as number); e++) if (edgeTo[e] === v && edgeRetains[e] === 1) return ` via ${label(u)}.${edgeName(e)}`;
  }
  return '';
}

console.log(`live (reachable) ${mib(total)} in ${postorder.length} of ${nodeCount} nodes`);
console.log(`(1) dominator tree, holders retaining ≥ ${mib(minBytes)}:`);
function walk(v: number, depth: number): void {
  const kids = [...children.subarray(childStart[v] as number, childStart[v + 1] as number)]
    .filter((c) => (retained[c] as number) >= minBytes)
    .sort((a, b) => (retained[b] as number) - (retained[a] as number));
  for (const c of kids) {
    console.log(`${mib(retained[c] as number).padStart(11)} ${'  '.repeat(depth)}${label(c)}${heldBy(c)}`);
    if (depth < maxDepth) walk(c, depth + 1);
  }
}
walk(0, 0);

// (2) By constructor, outermost instances only: a walk of the dominator tree keeping, per label,
// how many ancestors carry it.
const byCtor = new Map<string, { n: number; bytes: number; self: number }>();
const open = new Map<string, number>();
const ctorOf = (v: number): string => {
  const t = typeOf(v);
  return t === 'object' || t === 'closure' || t === 'native' ? `${t === 'object' ? '' : `${t} `}${nameOf(v)}` : `(${t})`;
};
{
  const stack: number[] = [0];
  const leaving: boolean[] = [false];
  while (stack.length > 0) {
    const v = stack.pop() as number;
    const leave = leaving.pop() as boolean;
    const k = ctorOf(v);
    if (leave) { open.set(k, (open.get(k) as number) - 1); continue; }
    const s = byCtor.get(k) ?? { n: 0, bytes: 0, self: 0 };
    s.n++;
    s.self += selfSize[v] as number;
    if ((open.get(k) ?? 0) === 0) s.bytes += retained[v] as number;
    byCtor.set(k, s);
    open.set(k, (open.get(k) ?? 0) + 1);
    stack.push(v);
    leaving.push(true);
    for (let i = childStart[v] as number; i < (childStart[v + 1] as number); i++) { stack.push(children[i] as number); leaving.push(false); }
  }
}
console.log(`(2) retained by constructor (outermost instances), top ${top}:  retained   self   count`);
for (const [k, s] of [...byCtor].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, top)) {
  console.log(`${mib(s.bytes).padStart(11)} ${mib(s.self).padStart(10)} ${String(s.n).padStart(8)}  ${k.slice(0, 80)}`);
}

// (3) The largest Maps and Sets by entry count: V8 keeps a Map's entries in its "table" (a hash
// table array of 3 slots per entry, 2 for a Set), so its size follows the entry count.
const maps: { v: number; entries: number }[] = [];
for (let v = 0; v < nodeCount; v++) {
  const name = nameOf(v);
  if (typeOf(v) !== 'object' || (name !== 'Map' && name !== 'Set')) continue;
  for (let e = firstEdge[v] as number; e < (firstEdge[v + 1] as number); e++) {
    if (edgeName(e) !== 'table') continue;
    const t = edgeTo[e] as number;
    maps.push({ v, entries: Math.round((firstEdge[t + 1]! - firstEdge[t]!) / (name === 'Map' ? 2 : 1)) });
  }
}
console.log(`(3) largest Maps/Sets (outgoing edges of the table ≈ entries; keys and values both counted for a Map), top 20:`);
for (const m of maps.sort((a, b) => b.entries - a.entries).slice(0, 20)) {
  console.log(`${mib(retained[m.v] as number).padStart(11)} ${String(m.entries).padStart(8)} entries  ${label(m.v)}${heldBy(m.v)}`);
}
