// Where a V8 heap snapshot's bytes are: self size by node type and constructor name, and the
// strings that repeat most by total size (a cache keeping a copy per object shows up as thousands
// of near-identical strings). Used on the snapshot bench:scale takes of the compiled operator
// (SCALE_BENCH_HEAPSNAPSHOT=1) to find what the heap per VS is made of.
//   npx tsx test/bench/heapsnapshot-summary.ts FILE.heapsnapshot [top=25]
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

const file = process.argv[2];
if (file === undefined) throw new Error('usage: heapsnapshot-summary.ts FILE.heapsnapshot [top]');
const top = Number(process.argv[3] ?? 25);
const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
const fields = snap.snapshot.meta.node_fields;
const types = snap.snapshot.meta.node_types[0];
const width = fields.length;
const [fType, fName, fSize] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [number, number, number];

const byKind = new Map<string, { n: number; bytes: number }>();
const strings = new Map<string, { n: number; bytes: number }>();
let total = 0;
for (let i = 0; i < snap.nodes.length; i += width) {
  const type = types[snap.nodes[i + fType] as number] ?? '?';
  const name = snap.strings[snap.nodes[i + fName] as number] ?? '';
  const size = snap.nodes[i + fSize] as number;
  total += size;
  const key = type === 'object' || type === 'closure' || type === 'native' ? `${type} ${name}` : type;
  const k = byKind.get(key) ?? { n: 0, bytes: 0 };
  k.n++;
  k.bytes += size;
  byKind.set(key, k);
  if (type === 'string' || type === 'concatenated string' || type === 'sliced string') {
    // Digits masked so that strings differing only in a name's number or an address group together.
    const shape = name.slice(0, 60).replace(/[0-9]/g, '#');
    const s = strings.get(shape) ?? { n: 0, bytes: 0 };
    s.n++;
    s.bytes += size;
    strings.set(shape, s);
  }
}
const mib = (b: number): string => `${(b / 1048576).toFixed(2)} MiB`;
console.log(`total self size ${mib(total)} in ${snap.nodes.length / width} nodes`);
console.log('by type / constructor:');
for (const [k, v] of [...byKind].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, top)) console.log(`  ${mib(v.bytes).padStart(10)} ${String(v.n).padStart(8)}  ${k}`);
console.log('strings by shape (first 60 chars, digits as #):');
for (const [k, v] of [...strings].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, top)) console.log(`  ${mib(v.bytes).padStart(10)} ${String(v.n).padStart(8)}  ${JSON.stringify(k)}`);
