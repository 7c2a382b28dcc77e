// The shared state every simulated API works on.
import type { Identity } from './keystone.js';
import type { Ipam } from './ipam.js';
import type { Compute } from './compute.js';
import type { Random } from './rand.js';
import type { VncStore } from './store.js';

export interface SimulatorURLs {
  keystone: string;
  nova: string;
  neutron: string;
  contrail: string;
  /** Contrail analytics on its own port (SimulatorOptions.separateAnalytics); else served at `contrail`. */
  analytics?: string;
  control: string;
}

export type AaaMode = 'no-auth' | 'cloud-admin' | 'rbac';

export interface Sim {
  store: VncStore;
  ipam: Ipam;
  random: Random;
  identity: Identity;
  compute: Compute;
  urls: SimulatorURLs;
  config: { aaaMode: AaaMode; bootTimeMs: number; tokenLifetimeSeconds: number; region: string };
  images: Array<{ id: string; name: string }>;
  flavors: Array<{ id: string; name: string; vcpus: number; ram: number; disk: number }>;
  /** Nova compute hosts (topology `hosts`). */
  hosts: string[];
  /**
   * What the vRouters last reported of each VMI's service-health-check (VMI uuid → state): the
   * data-plane plugin's prober writes it, the analytics API serves it as the VMI's UVE
   * (UveVMInterfaceAgent.health_check_instance_list / is_health_check_active). Empty without probes.
   */
  healthChecks: Map<string, { up: boolean; reason: string; at: number }>;
  /** Wakes waiters and persistence after a change outside the VNC store (servers, tokens). */
  changed(): void;
}
