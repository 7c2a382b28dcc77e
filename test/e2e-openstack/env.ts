// The full test OpenStack started by scripts/openstack-up.sh: it writes $OSTEST_DIR/env.json.
import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface Account { username: string; password: string; project: string; domain: string }

export interface OpenStackEnv {
  keystoneURL: string;
  neutronURL: string;
  novaURL?: string;
  glanceURL?: string;
  region: string;
  /** false when started with OSTEST_NOVA=0 (Keystone + Neutron only). */
  nova: boolean;
  admin: Account;
  demo: Account;
  alt: Account;
  ids: Record<string, string>;
}

export function openStackEnv(): OpenStackEnv {
  const dir = process.env['OSTEST_DIR'] ?? path.resolve(import.meta.dirname, '../../.local/openstack');
  const file = path.join(dir, 'env.json');
  let env: OpenStackEnv;
  try {
    env = JSON.parse(readFileSync(file, 'utf8')) as OpenStackEnv;
  } catch (e) {
    throw new Error(`no running test OpenStack (${file}: ${(e as Error).message}); run 'make openstack-up' first`, { cause: e });
  }
  if (env.nova !== true) throw new Error(`the test OpenStack in ${dir} runs without Nova (OSTEST_NOVA=0); run 'make openstack-up' without it`);
  return env;
}
