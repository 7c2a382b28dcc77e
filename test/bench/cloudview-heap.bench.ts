// bench:cloudview-heap — heap held by a CloudView of N VirtualServices' Contrail objects (a VIP VMI
// with two SE refs in its allowed-address pairs, its instance-ip), shaped as VNC lists them with
// the view's fields (viewsources.ts VNC_FIELDS), after one refresh and after a second refresh of
// identical lists (the change detection). VS_COUNT=N (default 10000); run with --expose-gc:
//   node --expose-gc --import tsx test/bench/cloudview-heap.bench.ts
import { Registry } from 'prom-client';
import { CloudView, type ListedItem } from '../../src/cloud/cloudview.js';
import { KIND } from '../../src/cloud/viewsources.js';

const N = Number(process.env['VS_COUNT'] ?? 10000);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');
const uuid = (p: number, i: number): string => `${String(p).padStart(8, '0')}-0000-4000-8000-${String(i).padStart(12, '0')}`;
const owner = (i: number) => ({ clusterID: 'c0ffee00', kind: 'VirtualService', namespace: 'bench', name: `scale-${i}`, uid: uuid(9, i) });
const tags = (i: number) => ({ key_value_pair: [
  { key: 'lbop-cluster', value: 'c0ffee00' }, { key: 'lbop-kind', value: 'VirtualService' }, { key: 'lbop-namespace', value: 'bench' },
  { key: 'lbop-name', value: `scale-${i}` }, { key: 'lbop-uid', value: uuid(9, i) }] });
const ts = { created: '2026-12-03T09:00:00.000000', last_modified: '2026-12-03T09:00:01.000000' };
const vmi = (i: number) => ({
  uuid: uuid(1, i), fq_name: ['default-domain', 'bench', `lbop-vip-${uuid(9, i)}-0`], name: `lbop-vip-${uuid(9, i)}-0`, display_name: `lbop-vip-${uuid(9, i)}-0`,
  annotations: tags(i), id_perms: ts, port_security_enabled: true, virtual_machine_interface_device_owner: '',
  virtual_machine_interface_mac_addresses: { mac_address: [`02:00:00:${((i >> 16) & 255).toString(16).padStart(2, '0')}:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`] },
  virtual_network_refs: [{ to: ['default-domain', 'admin', 'vip-net'], uuid: uuid(2, 0), attr: null }],
  instance_ip_back_refs: [{ to: [`lbop-vip-${uuid(9, i)}-0`], uuid: uuid(3, i), attr: null }],
  virtual_machine_interface_allowed_address_pairs: { allowed_address_pair: [] },
});
const iip = (i: number) => ({
  uuid: uuid(3, i), fq_name: [`lbop-vip-${uuid(9, i)}-0`], name: `lbop-vip-${uuid(9, i)}-0`, annotations: tags(i),
  instance_ip_address: `19.1.${(i >> 8) & 255}.${i & 255}`, instance_ip_mode: 'active-standby', instance_ip_secondary: false, subnet_uuid: uuid(4, 0),
  virtual_network_refs: [{ to: ['default-domain', 'admin', 'vip-net'], uuid: uuid(2, 0), attr: null }],
  virtual_machine_interface_refs: [{ to: ['default-domain', 'admin', `lbop-se-${i % 40}-data`], uuid: uuid(5, i % 40), attr: null },
    { to: ['default-domain', 'admin', `lbop-se-${(i + 1) % 40}-data`], uuid: uuid(5, (i + 1) % 40), attr: null }],
});
// Each list returns fresh objects, as a parsed HTTP response does.
const list = (make: (i: number) => object) => async (): Promise<ListedItem[]> => Array.from({ length: N }, (_, i) => ({ id: uuid(0, i) + make.name, owner: owner(i), obj: make(i) }));

async function main(): Promise<void> {
  gc!(); const base = process.memoryUsage().heapUsed;
  const view = new CloudView({ cloud: 'bench', registry: new Registry(), sources: [{ kind: KIND.vmi, list: list(vmi) }, { kind: KIND.instanceIp, list: list(iip) }] });
  await view.refresh();
  gc!(); const held = process.memoryUsage().heapUsed - base;
  const t = performance.now();
  const again = await view.refresh();
  const ms = performance.now() - t;
  gc!(); const held2 = process.memoryUsage().heapUsed - base;
  const json = JSON.stringify(vmi(0)).length + JSON.stringify(iip(0)).length;
  console.log(`CloudView of ${N} VS (${2 * N} objects, ${json} B JSON per VS): ${(held / 1048576).toFixed(1)} MiB heap after the first refresh, ` +
    `${(held2 / 1048576).toFixed(1)} MiB after a second identical one (${again.changes.length} changes, ${ms.toFixed(0)} ms incl. building the lists); ${(held / N).toFixed(0)} B per VS`);
  view.stop();
}
void main();
