// A config drive per server booted with `config_drive: true`, as a directory in the OpenStack
// layout (what the SE agent would find mounted): openstack/latest/meta_data.json (uuid, name,
// meta, project…), user_data (decoded; it carries the bootstrap token, so the files are 0600 in a
// 0700 directory and never logged) and network_data.json (the vNICs' MACs). Servers booted
// without one get none here (the simulator has no metadata service yet).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Server } from '../compute.js';

export function configDrivePath(root: string, serverId: string): string {
  return join(root, serverId);
}

export function writeConfigDrive(root: string, s: Server, macs: string[]): string | undefined {
  if (!s.configDrive) return undefined;
  const dir = configDrivePath(root, s.id);
  const latest = join(dir, 'openstack', 'latest');
  mkdirSync(latest, { recursive: true, mode: 0o700 });
  const file = (name: string, body: string | Buffer): void => writeFileSync(join(latest, name), body, { mode: 0o600 });
  file('meta_data.json', JSON.stringify({
    uuid: s.id, name: s.name, hostname: s.name, launch_index: 0, availability_zone: s.availabilityZone,
    project_id: s.projectId, meta: s.metadata, keys: [], public_keys: {},
  }));
  file('network_data.json', JSON.stringify({
    links: macs.map((mac, i) => ({ id: `tap${i}`, type: 'vif', ethernet_mac_address: mac, mtu: 1500 })), networks: [], services: [],
  }));
  if (s.userData !== null) file('user_data', Buffer.from(s.userData, 'base64'));
  return dir;
}

export function removeConfigDrive(root: string, serverId: string): void {
  rmSync(configDrivePath(root, serverId), { recursive: true, force: true });
}
