// Checking a cloud: credentials from the Secret, authentication, endpoint discovery, the
// Contrail homepage, and resolving the management network, SE image and flavor to ids. Each
// step's outcome becomes a condition with the cloud's own error text (never a secret: the
// clients scrub registered secrets, and only serverMessage travels).
import { isCloudError, type Cloud, type CloudError, type Credentials, type ProjectScope } from '../../cloud/index.js';
import type { CloudSpec } from '../../api/index.js';
import type { ResolvedCloud } from '../model/index.js';

export interface SecretData { [key: string]: string | undefined }

export interface CloudCredentials {
  credentials: Credentials;
  /** The project whose token observes the cloud (Secret key `projectName`, default `admin`). */
  adminProject: ProjectScope;
  /** Domain of the tenants' projects (Secret key `projectDomainName`, default `Default`). */
  projectDomain: string | undefined;
}

/** Decodes a Secret's base64 data (pure). */
export function decodeSecretData(data: Record<string, string> | undefined): SecretData {
  const out: SecretData = {};
  for (const [k, v] of Object.entries(data ?? {})) out[k] = Buffer.from(v, 'base64').toString('utf8').replace(/\r?\n$/, '');
  return out;
}

/** Credentials from the Secret's keys (CRD doc of credentialsSecretRef); a message naming what is missing. */
export function credentialsFrom(d: SecretData): CloudCredentials | string {
  const projectDomain = d['projectDomainName'];
  const adminProject: ProjectScope = d['projectID'] !== undefined ? { id: d['projectID'] }
    : { name: d['projectName'] ?? 'admin', ...(projectDomain !== undefined ? { domain: projectDomain } : {}) };
  if (d['applicationCredentialID'] !== undefined || d['applicationCredentialSecret'] !== undefined) {
    if (d['applicationCredentialID'] === undefined || d['applicationCredentialSecret'] === undefined) {
      return 'the Secret needs both applicationCredentialID and applicationCredentialSecret';
    }
    return { credentials: { kind: 'applicationCredential', id: d['applicationCredentialID'], secret: d['applicationCredentialSecret'] }, adminProject, projectDomain };
  }
  if (d['username'] === undefined || d['password'] === undefined) {
    return 'the Secret needs keys username and password (or applicationCredentialID and applicationCredentialSecret)';
  }
  const userDomain = d['userDomainName'];
  return {
    credentials: { kind: 'password', username: d['username'], password: d['password'], ...(userDomain !== undefined ? { userDomain } : {}) },
    adminProject, projectDomain,
  };
}

export type CheckStage = 'Authenticated' | 'EndpointsReachable' | 'Resolved';

export interface CheckFailure {
  stage: CheckStage;
  reason: string;
  message: string;
  /** Worth retrying soon (the cloud was unavailable) rather than waiting for an edit. */
  transient: boolean;
}

/** The analytics probe's outcome (Contrail only): it never makes the Cloud unusable (docs/troubleshooting.md). */
export type AnalyticsCheck = { ok: true; url: string } | { ok: false; url: string; reason: AnalyticsReason; message: string };

export type AnalyticsReason = 'AnalyticsUnreachable' | 'AnalyticsNotFound' | 'AnalyticsRefused';

export interface CheckResult {
  endpoints: { keystone: string; nova?: string; neutron?: string; contrail?: string };
  resolved?: ResolvedCloud;
  failure?: CheckFailure;
  /** Set once the rest checked out, on a Contrail Cloud. */
  analytics?: AnalyticsCheck;
}

/** The condition reason for a cloud error class: what an admin should look at. */
export function reasonFor(stage: CheckStage, e: CloudError): string {
  switch (e.kind) {
    case 'Unauthorized': return 'InvalidCredentials';
    case 'Forbidden': return 'Forbidden';
    case 'TLS': return 'TLSVerificationFailed';
    case 'Unavailable': return stage === 'Authenticated' ? 'KeystoneUnreachable' : 'EndpointUnreachable';
    case 'Config': return 'EndpointNotInCatalog';
    case 'NotFound': return stage === 'Resolved' ? 'NotFound' : 'EndpointNotFound';
    default: return 'CloudError';
  }
}

function failure(stage: CheckStage, e: unknown): CheckFailure {
  if (isCloudError(e)) return { stage, reason: reasonFor(stage, e), message: `${e.api} ${e.op}: ${e.serverMessage}`, transient: e.transient };
  return { stage, reason: 'CloudError', message: e instanceof Error ? e.message : String(e), transient: true };
}

/**
 * The AnalyticsReachable reason for a failed probe: NotFound (404) means the URL answers but is no
 * analytics API — typically the default, the VNC API URL, on a deployment whose analytics is on its
 * own port (8081); Refused is Keystone's token not accepted there; anything else (no answer, TLS,
 * 5xx) is Unreachable.
 */
export function analyticsReasonFor(e: unknown): AnalyticsReason {
  if (!isCloudError(e)) return 'AnalyticsUnreachable';
  if (e.kind === 'NotFound') return 'AnalyticsNotFound';
  if (e.kind === 'Unauthorized' || e.kind === 'Forbidden') return 'AnalyticsRefused';
  return 'AnalyticsUnreachable';
}

/**
 * Probes the analytics API at the base heartbeat repair queries (src/cloud/contrail.ts vmiHealth),
 * with Keystone's token: GET <base>/analytics, the opserver's root (a short list of links). A
 * VNC API answers it 404 — the usual wrong URL is the default, the VNC API's, on a deployment
 * whose analytics listens on its own port (8081). A read, so it is neither a cloud write nor one
 * of repair's UVE queries in the counts; its op label is `analytics:probe`. Never throws.
 */
export async function probeAnalytics(cloud: Cloud, analyticsBase: string): Promise<AnalyticsCheck> {
  const url = analyticsBase.replace(/\/+$/, '');
  try {
    await cloud.keystone.session(cloud.adminProject).request({ api: 'contrail', op: 'analytics:probe', method: 'GET', url: `${url}/analytics` });
    return { ok: true, url };
  } catch (e) {
    const what = isCloudError(e) ? e.serverMessage : e instanceof Error ? e.message : String(e);
    return { ok: false, url, reason: analyticsReasonFor(e), message: `analytics at ${url}: ${what}` };
  }
}

interface Named { id: string; name?: string }

/** Finds by id first, then by unique name (pure). */
export function findByIdOrName<T extends Named>(items: readonly T[], want: string): T | string {
  const byId = items.find((i) => i.id === want);
  if (byId !== undefined) return byId;
  const named = items.filter((i) => i.name === want);
  if (named.length === 1) return named[0] as T;
  if (named.length > 1) return `${named.length} match the name '${want}'; give the id`;
  return `none named or with id '${want}'`;
}

/** Authenticates, discovers endpoints, pings Contrail, resolves names, then probes analytics. Never throws. */
export async function checkCloud(cloud: Cloud, spec: CloudSpec): Promise<CheckResult> {
  const endpoints: CheckResult['endpoints'] = { keystone: spec.keystone.authURL };
  const admin = cloud.adminProject;
  try {
    await cloud.keystone.token(admin);
  } catch (e) {
    return { endpoints, failure: failure('Authenticated', e) };
  }
  const session = cloud.keystone.session(admin);
  let image: string;
  try {
    endpoints.nova = await session.endpoint('compute');
    endpoints.neutron = await session.endpoint('network');
    image = await session.endpoint('image');
    if (spec.contrail !== undefined) {
      endpoints.contrail = spec.contrail.apiURL;
      await session.request({ api: 'contrail', op: 'homepage', method: 'GET', url: `${spec.contrail.apiURL.replace(/\/+$/, '')}/` });
    }
  } catch (e) {
    return { endpoints, failure: failure('EndpointsReachable', e) };
  }
  try {
    const neutron = cloud.neutron(admin);
    const networks = await neutron.listNetworks({ fields: ['id', 'name'] });
    const flavors = (await session.request<{ flavors: Named[] }>({ api: 'nova', op: 'listFlavors', method: 'GET', url: `${endpoints.nova}/flavors` })).body.flavors;
    const images = (await session.request<{ images: Named[] }>({ api: 'nova', op: 'listImages', method: 'GET', url: `${image.replace(/\/+$/, '')}/v2/images` })).body.images;
    const problems: string[] = [];
    const pick = (what: string, items: readonly Named[], want: string): string => {
      const r = findByIdOrName(items, want);
      if (typeof r === 'string') { problems.push(`${what}: ${r}`); return ''; }
      return r.id;
    };
    const resolved: ResolvedCloud = {
      managementNetworkUUID: pick('management network', networks, spec.managementNetwork),
      imageUUID: pick('image', images, spec.serviceEngine.image),
      flavorID: pick('flavor', flavors, spec.serviceEngine.flavor),
    };
    if (spec.floatingNetwork !== undefined) resolved.floatingNetworkUUID = pick('floating network', networks, spec.floatingNetwork);
    if (problems.length > 0) return { endpoints, failure: { stage: 'Resolved', reason: 'NotFound', message: problems.join('; '), transient: false } };
    if (cloud.contrail === undefined) return { endpoints, resolved };
    return { endpoints, resolved, analytics: await probeAnalytics(cloud, cloud.contrail.analyticsBase) };
  } catch (e) {
    return { endpoints, failure: failure(isCloudError(e) && e.kind !== 'Unavailable' && e.kind !== 'TLS' ? 'Resolved' : 'EndpointsReachable', e) };
  }
}
