// The Cloud controller: keeps one open, checked connection per Cloud (connections.ts) and
// reports it. Story of a reconcile: load the Cloud and its credentials Secret → (re)open the
// connection when either changed → check it (auth, endpoints, Contrail homepage, names) →
// start its CloudView once healthy → report Ready / Authenticated / EndpointsReachable →
// re-check after the resync period. The Secret's content lives only in memory: a hash of it
// decides whether to reopen; nothing of it reaches status, events or logs.
import { createHash } from 'node:crypto';
import { formatTime, removeStatusCondition, setStatusCondition, type CloudStatus, type Condition } from '../../api/index.js';
import { openCloud, openCloudView, type Cloud as CloudClients } from '../../cloud/index.js';
import { isNotFound, isStatus, objectKey, updateStatus, type ObjectRef, type ReconcileContext, type ReconcileResult } from '../../runtime/index.js';
import { cloudResyncMs, contrailAnalyticsURL, INDEX, resourceOf, tenantProjects, withKstatus, type CloudConnection, type CloudObj, type OperatorContext, type Secret } from '../model/index.js';
import { checkCloud, credentialsFrom, decodeSecretData, type CheckResult, type CloudCredentials } from './check.js';
import { cloudEvents } from './events.js';

const CLOUD = resourceOf('Cloud');
const FAILING_RECHECK_MS = 10_000;
/**
 * status.lastSyncTime is a heartbeat, not a clock: refreshed only once it is this much older than
 * the CloudView's last complete list (as the kubelet refreshes an unchanged Node status every
 * 5 min), so a converged operator writes no status; the exact time is the metric
 * lbop_cloud_last_sync_timestamp_seconds.
 */
export const LAST_SYNC_WRITE_MS = 5 * 60_000;

/** Whether a list completed at `at` should move a stored lastSyncTime (pure). */
export function lastSyncDue(stored: string | undefined, at: Date): boolean {
  const prev = stored === undefined ? NaN : Date.parse(stored);
  return !Number.isFinite(prev) || at.getTime() - prev >= LAST_SYNC_WRITE_MS;
}

/** Per open connection: what it was opened from (a hash, never the secret itself). */
interface Opened { fingerprint: string; conn: CloudConnection }

export function installCloudController(ctx: OperatorContext): void {
  const opened = new Map<string, Opened>();
  const controller = ctx.manager.controller<CloudObj>({
    name: 'cloud',
    informer: ctx.informers.clouds,
    workers: Math.min(ctx.config.workers, 4),
    // Status-only updates are our own writes.
    shouldEnqueueUpdate: (old, obj) => old.metadata.generation !== obj.metadata.generation,
    watches: [{ informer: ctx.informers.secrets, map: (s) => ctx.informers.clouds.store.indexKeys(INDEX.cloudBySecret, objectKey(s)) }],
    reconcile: (ref, rc) => reconcileCloud(ctx, opened, ref, rc),
  });
  void controller;
}

function secretRefOf(c: CloudObj): ObjectRef {
  const r = c.spec.keystone.credentialsSecretRef;
  return { namespace: r.namespace, name: r.name };
}

async function readSecret(ctx: OperatorContext, ref: ObjectRef, signal: AbortSignal): Promise<Secret | 'forbidden' | undefined> {
  const cached = ctx.informers.secrets.store.get(objectKey(ref));
  if (cached !== undefined) return cached;
  try {
    return await ctx.client.get<Secret>(`/api/v1/namespaces/${encodeURIComponent(ref.namespace ?? '')}/secrets/${encodeURIComponent(ref.name)}`, { signal });
  } catch (e) {
    if (isNotFound(e)) return undefined;
    if (isStatus(e, 403)) return 'forbidden';
    throw e;
  }
}

async function reconcileCloud(ctx: OperatorContext, opened: Map<string, Opened>, ref: ObjectRef, rc: ReconcileContext): Promise<ReconcileResult> {
  const cloud = ctx.informers.clouds.store.get(ref.name);
  if (cloud === undefined || cloud.metadata.deletionTimestamp !== undefined) {
    opened.delete(ref.name);
    ctx.connections.remove(ref.name);
    return {};
  }
  const resyncMs = cloudResyncMs(cloud.spec);
  const creds = await loadCredentials(ctx, cloud, rc);                      // desired
  if ('reason' in creds) return notReady(ctx, opened, cloud, creds.reason, creds.message, resyncMs);
  // Open (or reopen on change), then check.
  let current = opened.get(ref.name);
  if (current !== undefined && current.fingerprint !== creds.fingerprint) {
    // The old connection keeps serving until the new one checks out (no gap on a rotation).
    rc.log.info('cloud spec or credentials changed; reconnecting');
    current = undefined;
  }
  const clients: CloudClients = current?.conn.cloud ?? openClients(ctx, cloud, creds.creds);
  const result = await checkCloud(clients, cloud.spec);                     // observe
  if (result.failure !== undefined) {
    if (current === undefined) clients.close();
    opened.delete(ref.name);
    ctx.connections.remove(ref.name);
    rc.log.warn('cloud not ready', { reason: result.failure.reason, error: result.failure.message });
    await writeStatus(ctx, cloud, result);
    return { requeueAfterMs: result.failure.transient ? FAILING_RECHECK_MS : Math.max(resyncMs, FAILING_RECHECK_MS) };
  }
  if (current === undefined) publish(ctx, opened, cloud, clients, creds, result);    // apply
  else if (JSON.stringify(current.conn.resolved) !== JSON.stringify(result.resolved)) {
    current.conn.resolved = result.resolved;
    ctx.connections.changed(ref.name);
  }
  const synced = opened.get(ref.name)?.conn.view.lastSyncedAt;
  await writeStatus(ctx, cloud, synced !== undefined ? { ...result, lastSyncTime: synced } : result); // report
  return { requeueAfterMs: resyncMs };
}

/** The credentials from the Cloud's Secret, with a fingerprint (a hash, never the secret itself). */
async function loadCredentials(
  ctx: OperatorContext, cloud: CloudObj, rc: ReconcileContext,
): Promise<{ creds: CloudCredentials; fingerprint: string } | { reason: string; message: string }> {
  const secret = await readSecret(ctx, secretRefOf(cloud), rc.signal);
  const secretRef = cloud.spec.keystone.credentialsSecretRef;
  if (secret === 'forbidden') {
    return {
      reason: 'CredentialsSecretForbidden',
      message: `the operator may not read Secret ${secretRef.namespace}/${secretRef.name}; keep credentials Secrets in namespace ${ctx.config.secretsNamespace} (--secrets-namespace)`,
    };
  }
  if (secret === undefined) return { reason: 'CredentialsSecretNotFound', message: `Secret ${secretRef.namespace}/${secretRef.name} not found` };
  const creds = credentialsFrom(decodeSecretData(secret.data));
  if (typeof creds === 'string') return { reason: 'InvalidCredentialsSecret', message: `Secret ${secretRef.namespace}/${secretRef.name}: ${creds}` };
  const fingerprint = createHash('sha256').update(JSON.stringify([cloud.spec, ctx.clusterID, secret.data ?? {}])).digest('hex');
  return { creds, fingerprint };
}

function openClients(ctx: OperatorContext, cloud: CloudObj, creds: CloudCredentials): CloudClients {
  const k = cloud.spec.keystone;
  return openCloud({
    name: cloud.metadata.name,
    keystone: {
      authURL: k.authURL,
      ...(k.region !== undefined ? { region: k.region } : {}),
      ...(k.interface !== undefined ? { interface: k.interface } : {}),
    },
    credentials: creds.credentials,
    adminProject: creds.adminProject,
    ...(cloud.spec.contrail !== undefined ? { contrail: { apiURL: cloud.spec.contrail.apiURL, analyticsURL: contrailAnalyticsURL(cloud.spec.contrail) } } : {}),
    ...(k.caBundle !== undefined ? { caBundle: k.caBundle } : {}),
    ...(k.insecureSkipVerify !== undefined ? { insecureSkipVerify: k.insecureSkipVerify } : {}),
    logger: ctx.logger,
    registry: ctx.manager.registry,
  });
}

/** A connection that checked out: start its CloudView and publish it to the other controllers. */
function publish(
  ctx: OperatorContext, opened: Map<string, Opened>, cloud: CloudObj, clients: CloudClients,
  creds: { creds: CloudCredentials; fingerprint: string }, result: CheckResult,
): void {
  const projects = tenantProjects(cloud.spec, creds.creds.projectDomain);
  const name = cloud.metadata.name;
  const view = openCloudView(clients, {
    clusterID: ctx.clusterID,
    projects: [...new Map([...projects.values()].map((p) => [JSON.stringify(p), p])).values()],
    periodMs: cloudResyncMs(cloud.spec),
    onChange: (changes) => ctx.connections.viewChanged(name, changes),
    logger: ctx.logger,
    // The operator's /metrics registry (lbop_cloudview_*): without it they went to prom-client's global one, never scraped.
    registry: ctx.manager.registry,
  });
  const conn: CloudConnection = {
    name, spec: cloud.spec, cloud: clients, view,
    mode: cloud.spec.contrail !== undefined ? 'contrail' : 'neutron',
    ready: true, clusterID: ctx.clusterID, resolved: result.resolved,
    projectFor: (namespace) => projects.get(namespace),
  };
  opened.set(name, { fingerprint: creds.fingerprint, conn });
  view.start();
  // Readers wait for the first complete list before planning from it.
  void view.refresh().then(() => { ctx.connections.changed(name); void stampSynced(ctx, name, view.lastSyncedAt); }, () => undefined);
  ctx.connections.set(conn);
}

async function notReady(ctx: OperatorContext, opened: Map<string, Opened>, cloud: CloudObj, reason: string, message: string, resyncMs: number): Promise<ReconcileResult> {
  opened.delete(cloud.metadata.name);
  ctx.connections.remove(cloud.metadata.name);
  const now = ctx.clock.now();
  await report(ctx, cloud, withKstatus<CloudObj>('Cloud', (c) => {
    const st = (c.status ??= {});
    st.conditions ??= [];
    setStatusCondition(st.conditions, { type: 'Authenticated', status: 'False', reason, message, observedGeneration: c.metadata.generation ?? 0 }, now);
    setStatusCondition(st.conditions, { type: 'Ready', status: 'False', reason, message, observedGeneration: c.metadata.generation ?? 0 }, now);
    if (c.spec.contrail !== undefined) setStatusCondition(st.conditions, { type: 'AnalyticsReachable', status: 'Unknown', reason: 'NotChecked', message: 'not checked: no usable credentials', observedGeneration: c.metadata.generation ?? 0 }, now);
    st.observedGeneration = c.metadata.generation ?? 0;
  }, () => now));
  return { requeueAfterMs: Math.max(resyncMs, FAILING_RECHECK_MS) };
}

/** The status a check result reports (pure: mutates the given status only; time is given). */
export function summarizeCloud(st: CloudStatus, generation: number, r: CheckResult & { lastSyncTime?: Date }, now: Date, contrail = r.endpoints.contrail !== undefined): void {
  const conds: Condition[] = (st.conditions ??= []);
  const set = (type: string, ok: boolean, reason: string, message: string): void => {
    setStatusCondition(conds, { type, status: ok ? 'True' : 'False', reason, message, observedGeneration: generation }, now);
  };
  const f = r.failure;
  st.observedGeneration = generation;
  st.endpoints = { ...r.endpoints };
  if (f?.stage === 'Authenticated') {
    set('Authenticated', false, f.reason, f.message);
    set('EndpointsReachable', false, 'NotAuthenticated', 'not checked: authentication failed');
  } else {
    set('Authenticated', true, 'Authenticated', 'Keystone accepted the credentials');
    if (f?.stage === 'EndpointsReachable') set('EndpointsReachable', false, f.reason, f.message);
    else set('EndpointsReachable', true, 'Reachable', 'Nova, Neutron' + (r.endpoints.contrail !== undefined ? ', Glance and Contrail' : ' and Glance') + ' answered');
  }
  // AnalyticsReachable (Contrail only): heartbeat repair's source of data-path health. A failure
  // keeps the Cloud Ready — SEs boot and VIPs are programmed without analytics — but Ready's
  // reason and message say it, so `kubectl get lbcloud -o wide` shows it (docs/troubleshooting.md).
  const a = r.analytics;
  if (a !== undefined) set('AnalyticsReachable', a.ok, a.ok ? 'Reachable' : a.reason, a.ok ? `analytics at ${a.url} answered` : a.message);
  else if (contrail) {
    setStatusCondition(conds, { type: 'AnalyticsReachable', status: 'Unknown', reason: 'NotChecked', message: `not checked: ${f?.stage ?? 'an earlier check'} failed`, observedGeneration: generation }, now);
  } else removeStatusCondition(conds, 'AnalyticsReachable');
  if (f === undefined) {
    if (a !== undefined && !a.ok) {
      set('Ready', true, 'AnalyticsUnreachable', `connected; management network, image and flavor resolved; degraded: ${a.message} — heartbeat repair cannot check SEs' data paths`);
    } else set('Ready', true, 'Ready', 'connected; management network, image and flavor resolved');
    const res = r.resolved;
    if (res !== undefined) {
      st.managementNetworkUUID = res.managementNetworkUUID;
      st.imageUUID = res.imageUUID;
      st.flavorID = res.flavorID;
      if (res.floatingNetworkUUID !== undefined) st.floatingNetworkUUID = res.floatingNetworkUUID;
    }
    if (r.lastSyncTime !== undefined && lastSyncDue(st.lastSyncTime, r.lastSyncTime)) st.lastSyncTime = formatTime(r.lastSyncTime);
  } else {
    set('Ready', false, f.reason, f.message);
  }
}

/** lastSyncTime as soon as the first list completed, if due (later ones ride on the resync's status write). */
async function stampSynced(ctx: OperatorContext, name: string, at: Date | undefined): Promise<void> {
  if (at === undefined) return;
  await updateStatus<CloudObj>(ctx.client, CLOUD, { name }, {
    mutate: (c) => { const st = (c.status ??= {}); if (lastSyncDue(st.lastSyncTime, at)) st.lastSyncTime = formatTime(at); },
  }).catch(() => undefined);
}

async function writeStatus(ctx: OperatorContext, cloud: CloudObj, r: CheckResult & { lastSyncTime?: Date }): Promise<void> {
  await report(ctx, cloud, withKstatus<CloudObj>('Cloud', (c) => summarizeCloud((c.status ??= {}), c.metadata.generation ?? 0, r, ctx.clock.now(), c.spec.contrail !== undefined), () => ctx.clock.now()));
}

/** Writes the status and records the events its transition deserves (events.ts). */
async function report(ctx: OperatorContext, cloud: CloudObj, mutate: (c: CloudObj) => void): Promise<void> {
  const res = await updateStatus<CloudObj>(ctx.client, CLOUD, { name: cloud.metadata.name }, { current: cloud, mutate });
  if (!res.changed || res.obj === undefined) return;
  for (const e of cloudEvents(cloud.status?.conditions, res.obj.status?.conditions)) {
    ctx.events.record(res.obj, e.type, e.reason, e.note);
    // The Ready transitions are logged by the reconcile; analytics' only here, once per transition.
    if (e.reason === 'AnalyticsUnreachable') ctx.logger.warn('contrail analytics unreachable; heartbeat repair cannot check data paths', { cloud: cloud.metadata.name, error: e.note });
    else if (e.reason === 'AnalyticsReachable') ctx.logger.info('contrail analytics reachable again', { cloud: cloud.metadata.name });
  }
}
