// The real Keystone + Neutron started by scripts/openstack-up.sh: it writes $OSTEST_DIR/env.json.
import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface OpenStackEnv {
  keystoneURL: string;
  neutronURL: string;
  region: string;
  admin: { username: string; password: string; project: string; domain: string };
  demo: { username: string; password: string; project: string; domain: string };
  ids: Record<'public' | 'public-subnet' | 'demo-net' | 'demo-subnet' | 'demo-router', string>;
}

export function openStackEnv(): OpenStackEnv {
  const dir = process.env['OSTEST_DIR'] ?? path.resolve(import.meta.dirname, '../../.local/openstack');
  const file = path.join(dir, 'env.json');
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as OpenStackEnv;
  } catch (e) {
    throw new Error(`no running test OpenStack (${file}: ${(e as Error).message}); run 'make openstack-up' first`, { cause: e });
  }
}
