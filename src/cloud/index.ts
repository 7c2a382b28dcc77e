// Opening a Cloud: one HTTP client, one Keystone, and per-project Nova/Neutron clients plus the
// Contrail client when the Cloud has a VNC endpoint. What the reconcilers import.
import type { Registry } from 'prom-client';
import type winston from 'winston';
import { CloudHTTP, type CloudHTTPOptions } from './http.js';
import { Keystone, scopeKey, type Credentials, type EndpointInterface, type ProjectScope } from './keystone.js';
import { NeutronClient } from './neutron.js';
import { NovaClient } from './nova.js';
import { ContrailClient } from './contrail.js';
import { CloudView, type ViewChange } from './cloudview.js';
import { contrailSources, neutronSources } from './viewsources.js';
import { writeLogLine } from './writelog.js';

export interface CloudConfig {
  name: string;
  keystone: { authURL: string; region?: string; interface?: EndpointInterface };
  credentials: Credentials;
  /** The project whose token talks to Contrail (needs the admin role in cloud-admin mode). */
  adminProject?: ProjectScope;
  contrail?: { apiURL: string; analyticsURL?: string };
  /** Endpoint overrides (tests; clouds whose catalog is wrong). */
  endpoints?: { network?: string; compute?: string };
  caBundle?: string;
  insecureSkipVerify?: boolean;
  timeoutMs?: number;
  retries?: number;
  maxRetryAfterMs?: number;
  logger?: winston.Logger;
  registry?: Registry;
}

export interface Cloud {
  readonly name: string;
  readonly http: CloudHTTP;
  readonly keystone: Keystone;
  /** The project whose token observes the whole cloud (Contrail, all-project Neutron lists). */
  readonly adminProject: ProjectScope;
  /** Absent for plain-Neutron clouds. */
  readonly contrail: ContrailClient | undefined;
  neutron(project: ProjectScope): NeutronClient;
  nova(project: ProjectScope): NovaClient;
  close(): void;
}

export function openCloud(c: CloudConfig): Cloud {
  const httpOpts: CloudHTTPOptions = {
    cloud: c.name,
    ...(c.caBundle !== undefined ? { caBundle: c.caBundle } : {}),
    ...(c.insecureSkipVerify !== undefined ? { insecureSkipVerify: c.insecureSkipVerify } : {}),
    ...(c.timeoutMs !== undefined ? { timeoutMs: c.timeoutMs } : {}),
    ...(c.retries !== undefined ? { retries: c.retries } : {}),
    ...(c.maxRetryAfterMs !== undefined ? { maxRetryAfterMs: c.maxRetryAfterMs } : {}),
    ...(c.logger !== undefined ? { logger: c.logger } : {}),
    ...(c.registry !== undefined ? { registry: c.registry } : {}),
    describeWrite: writeLogLine,
  };
  const http = new CloudHTTP(httpOpts);
  const keystone = new Keystone({
    authURL: c.keystone.authURL, credentials: c.credentials, http,
    ...(c.keystone.region !== undefined ? { region: c.keystone.region } : {}),
    ...(c.keystone.interface !== undefined ? { interface: c.keystone.interface } : {}),
  });
  const admin = c.adminProject ?? { name: 'admin' };
  const contrail = c.contrail !== undefined ? new ContrailClient(keystone.session(admin), { apiURL: c.contrail.apiURL, ...(c.contrail.analyticsURL !== undefined ? { analyticsURL: c.contrail.analyticsURL } : {}) }) : undefined;
  const neutrons = new Map<string, NeutronClient>();
  const novas = new Map<string, NovaClient>();
  return {
    name: c.name, http, keystone, contrail, adminProject: admin,
    neutron(project) {
      const k = scopeKey(project);
      let n = neutrons.get(k);
      if (n === undefined) {
        n = new NeutronClient(keystone.session(project), c.endpoints?.network !== undefined ? { endpoint: c.endpoints.network } : {});
        neutrons.set(k, n);
      }
      return n;
    },
    nova(project) {
      const k = scopeKey(project);
      let n = novas.get(k);
      if (n === undefined) {
        n = new NovaClient(keystone.session(project), c.endpoints?.compute !== undefined ? { endpoint: c.endpoints.compute } : {});
        novas.set(k, n);
      }
      return n;
    },
    close() { http.close(); },
  };
}

export interface CloudViewConfig {
  clusterID: string;
  /** Projects whose Nova servers are observed (the Cloud's tenants); [] when the cloud has no Nova. */
  projects: readonly ProjectScope[];
  periodMs?: number;
  onChange?: (changes: ViewChange[]) => void;
  logger?: winston.Logger;
  registry?: Registry;
}

/** The CloudView for a Cloud: Contrail kinds when it has a VNC endpoint, else Neutron ports/FIPs. */
export function openCloudView(cloud: Cloud, v: CloudViewConfig): CloudView {
  const novas = v.projects.map((p) => cloud.nova(p));
  const sources = cloud.contrail !== undefined
    ? contrailSources({ contrail: cloud.contrail, novas, clusterID: v.clusterID })
    : neutronSources({ neutron: cloud.neutron(cloud.adminProject), novas, clusterID: v.clusterID });
  return new CloudView({
    cloud: cloud.name, sources,
    ...(v.periodMs !== undefined ? { periodMs: v.periodMs } : {}),
    ...(v.onChange !== undefined ? { onChange: v.onChange } : {}),
    ...(v.logger !== undefined ? { logger: v.logger } : {}),
    ...(v.registry !== undefined ? { registry: v.registry } : {}),
  });
}

export * from './errors.js';
export * from './owner.js';
export { CloudHTTP, type CloudHTTPOptions, type CloudRequest, type CloudResponse } from './http.js';
export { Keystone, type Credentials, type ProjectScope, type Session, type Token, type EndpointInterface } from './keystone.js';
export { NeutronClient } from './neutron.js';
export type * from './neutron.js';
export { NovaClient } from './nova.js';
export type * from './nova.js';
export { ContrailClient } from './contrail.js';
export type * from './contrail.js';
export { CloudView, type Observed, type ViewChange, type ViewSource, type RefreshResult } from './cloudview.js';
export { contrailSources, neutronSources, KIND } from './viewsources.js';
