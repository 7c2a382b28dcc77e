// Robustness (issue 5, "Bad input"): random and malformed JSON bodies on every write route of
// every API. The simulator must answer each with a 4xx in the API's own format (never a 500,
// except where the real server documents one), keep serving, and leave its state untouched by
// every rejected request. Deterministic: a fixed seed drives the generator.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Random } from '../../src/sim/rand.js';
import { endpoint, eventually, get, http, login, sim, type Res } from './support.js';

const VIP_NET = '02b846e6-cd68-4c84-b7ab-3709946ed28b';
const SEED = 20261124;
const ROUNDS = 12;

const FIELDS = ['fq_name', 'parent_type', 'uuid', 'name', 'display_name', 'network_id', 'fixed_ips', 'ip_address', 'subnet_id',
  'allowed_address_pairs', 'mac_address', 'device_id', 'device_owner', 'port_security_enabled', 'virtual_network_refs',
  'network_ipam_refs', 'virtual_machine_interface_refs', 'attr', 'ipam_subnets', 'subnet', 'ip_prefix', 'ip_prefix_len',
  'instance_ip_address', 'instance_ip_mode', 'subnet_uuid', 'to', 'type', 'ref-type', 'ref-uuid', 'ref-fq-name', 'operation',
  'virtual_machine_interface_allowed_address_pairs', 'allowed_address_pair', 'address_mode', 'annotations', 'key_value_pair',
  'cidr', 'gateway_ip', 'allocation_pools', 'floating_network_id', 'port_id', 'imageRef', 'flavorRef', 'networks', 'port',
  'metadata', 'user_data', 'config_drive', 'interfaceAttachment', 'net_id', 'auth', 'identity', 'methods', 'password', 'scope',
  'project', 'user', 'domain', 'shared', 'router:external', 'loadbalancer_properties', 'service_health_check_properties',
  'floating_ip_address', 'ecmp_hashing_include_fields', 'perms2', 'id_perms', 'obj_uuids', 'detail', 'fields', 'filters'];

function value(r: Random, depth: number): unknown {
  const k = Math.floor(r.float() * (depth > 2 ? 7 : 10));
  switch (k) {
    case 0: return null;
    case 1: return r.float() < 0.5;
    case 2: return Math.floor(r.float() * 2000) - 1000;
    case 3: return r.float() * 1e6;
    case 4: return ['', 'x', ':', 'a:b', '10.0.0.1', '10.0.0.0/24', '300.1.1.1', 'default-domain', VIP_NET, 'active-active', 'ADD', 'project', '\u0001', 'not-a-uuid'][Math.floor(r.float() * 14)];
    case 5: return r.hex(8);
    case 6: return ['default-domain', 'demo', r.hex(4)];
    case 7: case 8: return Array.from({ length: Math.floor(r.float() * 4) }, () => value(r, depth + 1));
    default: return obj(r, depth + 1);
  }
}

function obj(r: Random, depth: number): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  const n = Math.floor(r.float() * 5);
  for (let i = 0; i < n; i++) o[FIELDS[Math.floor(r.float() * FIELDS.length)] as string] = value(r, depth);
  return o;
}

/** A body: raw garbage, a random JSON value, or the right wrapper key around random fields. */
function body(r: Random, wrapper: string | undefined): { raw: string } {
  const k = r.float();
  if (k < 0.1) return { raw: ['{', '{"a":', 'null', '[]', '"x"', '{"a":1}}', '\u0000', '{"' + wrapper + '": '][Math.floor(r.float() * 8)] as string };
  if (k < 0.3 || wrapper === undefined) return { raw: JSON.stringify(k < 0.2 ? value(r, 0) : obj(r, 0)) };
  const inner = r.float() < 0.2 ? value(r, 1) : obj(r, 1);
  return { raw: JSON.stringify({ [wrapper]: inner }) };
}

let routes: Array<{ api: string; method: string; url: string; wrapper?: string }> = [];
let token = '';
let control = '';

before(async () => {
  const s = await sim();
  control = s.urls.control;
  const l = await login(s.urls.keystone, 'admin', 'admin-secret', 'demo');
  token = l.token;
  const nova = endpoint(l.catalog, 'compute');
  const port = await http('POST', `${s.urls.neutron}/v2.0/ports`, { token, body: { port: { network_id: VIP_NET } } });
  const portId = String(get(port.json, 'port', 'id'));
  const server = await http('POST', `${nova}/servers`, { token, body: { server: { name: 'fuzz', imageRef: '3d2c1b0a-9f8e-4d7c-8b6a-5f4e3d2c1b0a', flavorRef: '2', networks: 'none' } } });
  const serverId = String(get(server.json, 'server', 'id'));
  await eventually(async () => (get((await http('GET', `${nova}/servers/${serverId}`, { token })).json, 'server', 'status') === 'ACTIVE' ? true : undefined), 5000, 'ACTIVE');
  // Servers the fuzzer manages to create stay in BUILD, so no timer changes state between digests.
  await http('PUT', `${s.urls.control}/sim/config`, { body: { bootTimeMs: 3_600_000 } });
  const iips = await http('GET', `${s.urls.contrail}/instance-ips?back_ref_id=${portId}`, { token });
  const iip = String(get(iips.json, 'instance-ips', 0, 'uuid'));
  const c = s.urls.contrail;
  const vncTypes = ['project', 'network-ipam', 'virtual-network', 'virtual-machine', 'virtual-machine-interface', 'instance-ip', 'floating-ip-pool', 'floating-ip', 'loadbalancer', 'service-health-check'];
  routes = [
    { api: 'keystone', method: 'POST', url: `${s.urls.keystone}/v3/auth/tokens`, wrapper: 'auth' },
    ...vncTypes.map((t) => ({ api: 'contrail', method: 'POST', url: `${c}/${t}s`, wrapper: t })),
    { api: 'contrail', method: 'PUT', url: `${c}/virtual-network/${VIP_NET}`, wrapper: 'virtual-network' },
    { api: 'contrail', method: 'PUT', url: `${c}/virtual-machine-interface/${portId}`, wrapper: 'virtual-machine-interface' },
    { api: 'contrail', method: 'PUT', url: `${c}/instance-ip/${iip}`, wrapper: 'instance-ip' },
    ...['fqname-to-id', 'id-to-fqname', 'ref-update', 'ref-relax-for-delete', 'list-bulk-collection'].map((a) => ({ api: 'contrail', method: 'POST', url: `${c}/${a}` })),
    ...['networks', 'subnets', 'ports', 'floatingips'].map((x) => ({ api: 'neutron', method: 'POST', url: `${s.urls.neutron}/v2.0/${x}`, wrapper: x === 'floatingips' ? 'floatingip' : x.slice(0, -1) })),
    { api: 'neutron', method: 'PUT', url: `${s.urls.neutron}/v2.0/ports/${portId}`, wrapper: 'port' },
    { api: 'neutron', method: 'PUT', url: `${s.urls.neutron}/v2.0/networks/${VIP_NET}`, wrapper: 'network' },
    { api: 'nova', method: 'POST', url: `${nova}/servers`, wrapper: 'server' },
    { api: 'nova', method: 'PUT', url: `${nova}/servers/${serverId}`, wrapper: 'server' },
    { api: 'nova', method: 'POST', url: `${nova}/servers/${serverId}/os-interface`, wrapper: 'interfaceAttachment' },
    { api: 'nova', method: 'POST', url: `${nova}/servers/${serverId}/action` },
  ];
});

const digest = async (): Promise<string> => String(get((await http('GET', `${control}/sim/digest`)).json, 'digest'));

/** The few 500s the real servers document (cloud-api.md §1.2.11, §2, §2.1). */
function documented500(route: { url: string }, res: Res): boolean {
  if (route.url.endsWith('/virtual-machine-interfaces') && res.text === "KeyError: 'virtual_network_refs'") return true;
  if (route.url.endsWith('/floating-ips') && /has exhausted subnet|needs a parent/.test(res.text)) return true;
  return false;
}

test('fuzz: random and malformed bodies never crash the simulator nor change state when rejected', async () => {
  const r = new Random(SEED);
  let rejected = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const route of routes) {
      const before = await digest();
      const b = body(r, route.wrapper);
      const res = await http(route.method, route.url, { token, raw: b.raw, headers: { 'Content-Type': 'application/json' } });
      const where = `${route.method} ${route.url} ${b.raw.slice(0, 300)} → ${res.status} ${res.text.slice(0, 300)}`;
      assert.ok(res.status < 500 || documented500(route, res), `server error: ${where}`);
      if (res.status >= 400) {
        rejected++;
        assert.equal(await digest(), before, `state changed by a rejected request: ${where}`);
        if (route.api === 'neutron') assert.ok(get(res.json, 'NeutronError', 'type') !== undefined, `NeutronError envelope: ${where}`);
        if (route.api === 'contrail' && res.status !== 401) assert.equal(res.json === undefined || typeof res.json !== 'object' || Array.isArray(res.json), true, `VNC errors are text: ${where}`);
      }
    }
  }
  assert.ok(rejected > routes.length * ROUNDS * 0.8, `most random bodies are rejected (${rejected})`);
  const s = await sim();
  assert.equal((await http('GET', `${s.urls.contrail}/`)).status, 200, 'still serving');
  assert.equal((await http('GET', `${s.urls.neutron}/v2.0/networks`, { token })).status, 200);
});

test('fuzz: random query strings on list and read routes never produce a 500', async () => {
  const r = new Random(SEED + 1);
  const s = await sim();
  const l = await login(s.urls.keystone, 'admin', 'admin-secret', 'demo');
  const nova = endpoint(l.catalog, 'compute');
  const keys = ['detail', 'count', 'fields', 'filters', 'parent_id', 'parent_fq_name_str', 'parent_type', 'back_ref_id', 'obj_uuids', 'fq_names',
    'page_limit', 'page_marker', 'exclude_hrefs', 'exclude_back_refs', 'limit', 'marker', 'fixed_ips', 'device_id', 'network_id', 'name', 'status',
    'tags', 'tags-any', 'not-tags', 'all_tenants', 'page_reverse', 'sort_key', 'network', 'api', 'type'];
  const values = ['', 'true', 'True', '0', '-1', '99999999999', 'abc', 'a==b', 'x==[1', 'ip_address=1.2.3.4', 'ip_address', '(', '[', '.*', VIP_NET, 'default-domain:demo', 'project', '%00', '1,2,3'];
  const bases = [`${s.urls.contrail}/virtual-networks`, `${s.urls.contrail}/instance-ips`, `${s.urls.contrail}/virtual-network/${VIP_NET}`,
    `${s.urls.neutron}/v2.0/ports`, `${s.urls.neutron}/v2.0/networks`, `${s.urls.neutron}/v2.0/subnets`, `${s.urls.neutron}/v2.0/floatingips`,
    `${nova}/servers`, `${nova}/servers/detail`, `${s.urls.control}/sim/routes`, `${s.urls.control}/sim/objects`];
  for (let i = 0; i < 300; i++) {
    const q = new URLSearchParams();
    const n = 1 + Math.floor(r.float() * 3);
    for (let j = 0; j < n; j++) q.append(keys[Math.floor(r.float() * keys.length)] as string, values[Math.floor(r.float() * values.length)] as string);
    const url = `${bases[i % bases.length] as string}?${q.toString()}`;
    const res = await http('GET', url, { token: l.token });
    assert.ok(res.status < 500, `GET ${url} → ${res.status} ${res.text.slice(0, 300)}`);
  }
});
