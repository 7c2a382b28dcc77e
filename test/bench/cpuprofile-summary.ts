// Summarises a V8 .cpuprofile (node --cpu-prof): self time by function over the last LAST_S
// seconds of the profile (default all), the top N, and the share of idle ("(idle)", "(program)",
// "(garbage collector)"). For bench:scale's SCALE_BENCH_CPUPROF=1, whose profile ends with the
// steady window.  npx tsx test/bench/cpuprofile-summary.ts FILE [LAST_S] [N]
import { readFileSync } from 'node:fs';

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: Node[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] }

const [file, lastArg, topArg] = process.argv.slice(2);
if (file === undefined) throw new Error('usage: cpuprofile-summary.ts FILE [LAST_S] [N]');
const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const times: number[] = [];
let t = p.startTime;
for (const d of p.timeDeltas) times.push((t += d));
const from = lastArg === undefined ? -Infinity : p.endTime - Number(lastArg) * 1e6;
const self = new Map<string, number>();
const total = new Map<string, number>();
let sampled = 0;
const label = (n: Node): string => {
  const f = n.callFrame;
  const where = f.url === '' ? '' : ` ${f.url.replace(/^file:\/\/.*?\/(node_modules|dist)\//, '$1/')}:${f.lineNumber + 1}`;
  return `${f.functionName || '(anonymous)'}${where}`;
};
for (let i = 0; i < p.samples.length; i++) {
  if ((times[i] ?? 0) < from) continue;
  const dt = (p.timeDeltas[i + 1] ?? 0) / 1000;
  sampled += dt;
  const n = byId.get(p.samples[i] ?? -1);
  if (n === undefined) continue;
  self.set(label(n), (self.get(label(n)) ?? 0) + dt);
  const seen = new Set<string>();
  for (let id: number | undefined = n.id; id !== undefined; id = parent.get(id)) {
    const l = label(byId.get(id) as Node);
    if (seen.has(l)) continue;
    seen.add(l);
    total.set(l, (total.get(l) ?? 0) + dt);
  }
}
const idle = ['(idle)', '(program)', '(garbage collector)'].map((k) => [k, self.get(k) ?? 0] as const);
const busy = sampled - (self.get('(idle)') ?? 0);
console.log(`${file}: ${(sampled / 1000).toFixed(1)} s sampled${lastArg !== undefined ? ` (last ${lastArg} s)` : ''}; busy ${(busy / 1000).toFixed(2)} s = ${((busy / sampled) * 100).toFixed(2)} % of a core; ${idle.map(([k, v]) => `${k} ${v.toFixed(0)} ms`).join(', ')}`);
const top = Number(topArg ?? 25);
console.log('self time (ms):');
for (const [k, v] of [...self].filter(([k]) => k !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${v.toFixed(0).padStart(7)}  ${k}`);
console.log('total time incl. callees (ms):');
for (const [k, v] of [...total].filter(([k]) => !['(root)', '(idle)'].includes(k)).sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${v.toFixed(0).padStart(7)}  ${k}`);
