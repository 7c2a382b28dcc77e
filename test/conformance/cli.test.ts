// `contrail-lb-operator sim` as a process: the first stdout line is the URL object, the servers
// answer, SIGTERM stops it cleanly; a bad topology is a clear one-line error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { http } from './support.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const cli = (args: string[]) => spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'sim', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });

test('sim prints {keystone,nova,neutron,contrail,control} first, serves, and stops on SIGTERM', async () => {
  const child = cli(['--seed', '7', '--boot-time-ms', '100']);
  try {
    const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
    const urls = JSON.parse(line) as Record<string, string>;
    assert.deepEqual(Object.keys(urls).sort(), ['contrail', 'control', 'keystone', 'neutron', 'nova']);
    for (const u of Object.values(urls)) assert.match(u, /^http:\/\/127\.0\.0\.1:\d+/);
    assert.match(urls['nova'] as string, /\/v2\.1$/);
    assert.equal((await http('GET', `${urls['contrail'] as string}/`)).status, 200);
    assert.equal((await http('GET', `${urls['control'] as string}/healthz`)).status, 200);
  } finally {
    child.kill('SIGTERM');
  }
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 0);
});

test('sim --topology with a mistake exits 1 with the file and path in one line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lbop-topo-'));
  try {
    const file = join(dir, 'topo.yaml');
    writeFileSync(file, 'projects: [{name: p}]\nnetworks:\n  - {name: n, project: p, subnets: [{cidr: 10.0.0.0/99}]}\n');
    const child = cli(['--topology', file]);
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 1);
    assert.equal(err, `sim: ${file}: networks[0].subnets[0].cidr: must be an IPv4 CIDR like 10.0.0.0/24\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sim with an unknown flag exits 2 with a one-line refusal that points to --help', async () => {
  const child = cli(['--colour']);
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 2);
  assert.match(err, /^sim: unknown flag '--colour' \(see sim --help\)\n$/);
});
