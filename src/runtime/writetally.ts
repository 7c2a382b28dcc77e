// What one reconcile wrote, counted where the writes leave the process: the apiserver client
// (KubeClient.open) and the cloud client (CloudHTTP) note each write request they send, into the
// tally of the reconcile they run under (AsyncLocalStorage: the tally follows the reconcile's
// awaits, timers and callbacks, and nothing else). The controller runtime reads it when the
// reconcile ends: a reconcile that says it found its object converged and sent no write is counted
// in lbop_reconcile_converged_total. Requests outside any reconcile (leader election, informers,
// the CloudView's lists) have no tally and are not counted.
import { AsyncLocalStorage } from 'node:async_hooks';

export interface WriteTally {
  /** apiserver requests other than GET (status, spec, metadata, claims, reservations), Events excluded */
  apiserver: number;
  /** cloud requests that can change something (cloudWrite) */
  cloud: number;
}

const current = new AsyncLocalStorage<WriteTally>();

/** A tally with nothing counted yet. */
export const emptyTally = (): WriteTally => ({ apiserver: 0, cloud: 0 });

/** Runs fn with `tally` as the current one; returns fn's own promise (no extra await in between). */
export function withTally<T>(tally: WriteTally, fn: () => T): T {
  return current.run(tally, fn);
}

/**
 * An apiserver request about to be sent. Events are left out: an Event records what a reconcile
 * saw (a converged VS may still report a warning once), it is not the object's spec or status.
 */
export function noteApiserverRequest(method: string, path: string): void {
  const t = current.getStore();
  if (t === undefined || method === 'GET') return;
  if (/\/events(\/|\?|$)/.test(path)) return;
  t.apiserver++;
}

/** A cloud request about to be sent (every attempt: a refused or failed write was still not a no-op). */
export function noteCloudRequest(api: string, method: string, url: string): void {
  const t = current.getStore();
  if (t !== undefined && cloudWrite(api, method, url)) t.cloud++;
}

// Contrail's POST actions that only read.
const VNC_READS = new Set(['fqname-to-id', 'id-to-fqname', 'list-bulk-collection']);

/** Whether a cloud request can change something: not a GET/HEAD, not a token, not a VNC read action. */
export function cloudWrite(api: string, method: string, url: string): boolean {
  if (method === 'GET' || method === 'HEAD') return false;
  if (api === 'keystone') return false;
  if (api === 'contrail') {
    let last = '';
    try { last = new URL(url).pathname.split('/').filter((s) => s !== '').pop() ?? ''; } catch { /* not a URL: counted */ }
    if (VNC_READS.has(last)) return false;
  }
  return true;
}
