import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTopology, TopologyError, validateTopology } from './topology.js';

test('the built-in topology reproduces the seed of contracts.md §2', () => {
  const t = loadTopology();
  assert.deepEqual(t.projects.map((p) => p.name), ['admin', 'demo']);
  assert.deepEqual(t.users.map((u) => [u.name, u.password]), [['admin', 'admin-secret'], ['demo', 'demo-secret']]);
  const vip = t.networks.find((n) => n.name === 'vip-net');
  assert.equal(vip?.id, '02b846e6-cd68-4c84-b7ab-3709946ed28b');
  assert.deepEqual(vip?.subnets, [{ cidr: '19.1.1.0/24', id: 'a834986a-385e-4616-9d9c-6b91cfaa51e0' }]);
  assert.equal(t.networks.find((n) => n.name === 'public')?.external, true);
  assert.deepEqual(t.flavors.map((f) => f.name), ['m1.small', 'm1.large']);
  assert.equal(t.region, 'RegionOne');
  assert.deepEqual(t.hosts, ['compute-1', 'compute-2']);
});

test('topology errors name the file and the path of the mistake', () => {
  const bad = (doc: unknown, re: RegExp): void => assert.throws(() => validateTopology(doc, 't.yaml'), (e: unknown) => e instanceof TopologyError && re.test(e.message));
  bad([], /^t\.yaml: \(root\): must be a mapping$/);
  bad({ projects: [{ name: 'p' }], networks: [{ name: 'n', project: 'p', subnets: [{ cidr: '10.0.0.0/33' }] }] }, /networks\[0\]\.subnets\[0\]\.cidr: must be an IPv4 CIDR/);
  bad({ networks: [{ name: 'n', project: 'ghost', subnets: [] }] }, /networks\[0\]\.project: names no project/);
  bad({ colour: 'red' }, /colour: unknown key/);
  bad({ projects: [{ name: 'p', id: 'XYZ' }] }, /projects\[0\]\.id: must be 32 lower-case hex/);
  bad({ aaaMode: 'open' }, /aaaMode: must be/);
  bad({ hosts: ['h1', 'h1'] }, /hosts\[1\]: duplicate host h1/);
  assert.deepEqual(validateTopology({ hosts: ['a', 'b', 'c'] }, 't.yaml').hosts, ['a', 'b', 'c']);
  assert.throws(() => loadTopology('/nonexistent/topo.yaml'), /cannot read topology \/nonexistent\/topo\.yaml: ENOENT/);
});
