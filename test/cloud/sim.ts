// Helpers for client tests against the simulator: a Cloud on it, and its control API.
import { Registry } from 'prom-client';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { openCloud, type Cloud, type CloudConfig } from '../../src/cloud/index.js';
import { captureLogs, type Captured } from './capture.js';

export const ADMIN_PASSWORD = 'admin-secret';
export const DEMO_PASSWORD = 'demo-secret';
export const VIP_NET = '02b846e6-cd68-4c84-b7ab-3709946ed28b';
export const VIP_SUBNET = 'a834986a-385e-4616-9d9c-6b91cfaa51e0';
export const MGMT_NET = '6f0c3b8e-2d4a-4b9c-8e1f-0a2b3c4d5e01';
export const IMAGE = '3d2c1b0a-9f8e-4d7c-8b6a-5f4e3d2c1b0a';

export interface SimCloud { sim: Simulator; cloud: Cloud; cap: Captured; registry: Registry; close(): Promise<void> }

export async function simCloud(
  overrides: Partial<CloudConfig> | ((sim: Simulator) => Partial<CloudConfig>) = {}, simOpts: Parameters<typeof startSimulator>[0] = {},
): Promise<SimCloud> {
  const sim = await startSimulator({ seed: 7, bootTimeMs: 100, ...simOpts });
  const over = typeof overrides === 'function' ? overrides(sim) : overrides;
  const cap = captureLogs();
  const registry = new Registry();
  const cloud = openCloud({
    name: 'sim', keystone: { authURL: sim.urls.keystone, region: 'RegionOne' },
    credentials: { kind: 'password', username: 'admin', password: ADMIN_PASSWORD },
    contrail: { apiURL: sim.urls.contrail }, logger: cap.logger, registry, retries: 2, ...over,
  });
  return { sim, cloud, cap, registry, async close() { cloud.close(); await sim.close(); } };
}

export async function control(sim: Simulator, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${sim.urls.control}${path}`, {
    method, headers: { 'content-type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`sim control ${method} ${path}: ${res.status} ${text}`);
  return text === '' ? undefined : JSON.parse(text);
}

export async function requestCount(registry: Registry, match: { op?: string; code?: string; api?: string }): Promise<number> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === 'lbop_cloud_api_requests_total');
  return (m?.values ?? []).filter((v) => Object.entries(match).every(([k, want]) => v.labels[k] === want)).reduce((a, v) => a + v.value, 0);
}

/** Polls until `check` returns a value, or fails at the deadline. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
