// What importing modules costs in RSS, measured in a fresh plain node (no tsx loader, which would
// add its own): `node test/bench/module-rss.mjs [module ...]` imports each argument in order (a
// path such as ./dist/src/controllers/operator.js after `make build`, or a package name) and
// prints RSS split into anonymous and file-backed pages (/proc/self/status), V8's heap used and
// committed, the young generation's committed size, and external memory. Run it once per module
// for each one's cost alone; the node binary's pages touched by the compiler are shared between
// modules, so costs measured alone are not additive (docs/scaling.md "Where the RSS goes").
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import v8 from 'node:v8';

const mods = process.argv.slice(2);
for (const m of mods) await import(m.startsWith('.') || m.startsWith('/') ? pathToFileURL(resolve(m)).href : m);
await new Promise((r) => setTimeout(r, 200));
const status = readFileSync('/proc/self/status', 'utf8');
const kib = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) / 1024;
const mib = (b) => (b / 1048576).toFixed(1);
const mu = process.memoryUsage();
const young = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
console.log(`${mods.join(' ') || '(nothing)'}: RSS ${kib('VmRSS').toFixed(1)} MiB = anon ${kib('RssAnon').toFixed(1)} + file ${kib('RssFile').toFixed(1)}; ` +
  `heap used/committed ${mib(mu.heapUsed)}/${mib(mu.heapTotal)} MiB (young generation ${mib(young)}), external ${mib(mu.external)} MiB`);
