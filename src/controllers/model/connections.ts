// The open cloud connections, one per Cloud object, shared by every reconciler. The Cloud
// controller is the only writer (it opens, checks, replaces and closes them); the others read
// them and subscribe to two kinds of news: a connection changed (opened, became ready or not,
// closed) and its CloudView saw cloud objects change (so they can enqueue the owners).
import type { CloudSpec } from '../../api/index.js';
import type { Cloud, CloudView, ProjectScope, ViewChange } from '../../cloud/index.js';

export type CloudMode = 'contrail' | 'neutron';

/** What the Cloud controller resolved from the cloud's names (DESIGN.md §1). */
export interface ResolvedCloud {
  managementNetworkUUID: string;
  imageUUID: string;
  flavorID: string;
  floatingNetworkUUID?: string;
}

export interface CloudConnection {
  name: string;
  spec: CloudSpec;
  cloud: Cloud;
  view: CloudView;
  mode: CloudMode;
  /** Authenticated, endpoints reachable and names resolved; the view may still be syncing. */
  ready: boolean;
  clusterID: string;
  /** Set once ready. */
  resolved: ResolvedCloud | undefined;
  /** The OpenStack project a namespace may use (Cloud.spec.tenants), undefined = refused. */
  projectFor(namespace: string): ProjectScope | undefined;
}

type ConnectionListener = (cloud: string) => void;
type ViewListener = (cloud: string, changes: ViewChange[]) => void;

/** A project name or id from Cloud.spec.tenants: 32 hex digits is Keystone's id form. */
export function projectScope(project: string, domain: string | undefined): ProjectScope {
  if (/^[0-9a-f]{32}$/.test(project)) return { id: project };
  return { name: project, ...(domain !== undefined ? { domain } : {}) };
}

/** Namespace → project from the tenants list (pure). The first mapping of a namespace wins. */
export function tenantProjects(spec: CloudSpec, domain: string | undefined): Map<string, ProjectScope> {
  const m = new Map<string, ProjectScope>();
  for (const t of spec.tenants ?? []) if (!m.has(t.namespace)) m.set(t.namespace, projectScope(t.project, domain));
  return m;
}

export class CloudConnections {
  private readonly byName = new Map<string, CloudConnection>();
  private readonly connectionListeners = new Set<ConnectionListener>();
  private readonly viewListeners = new Set<ViewListener>();

  get(name: string): CloudConnection | undefined {
    return this.byName.get(name);
  }

  list(): CloudConnection[] {
    return [...this.byName.values()];
  }

  /** Called when a connection is opened, replaced, changes readiness or closes. */
  onChange(fn: ConnectionListener): () => void {
    this.connectionListeners.add(fn);
    return () => this.connectionListeners.delete(fn);
  }

  /** Called with what each refresh of a cloud's view found changed (with the owners' tags). */
  onViewChange(fn: ViewListener): () => void {
    this.viewListeners.add(fn);
    return () => this.viewListeners.delete(fn);
  }

  // --- for the Cloud controller only ---

  set(conn: CloudConnection): void {
    const old = this.byName.get(conn.name);
    if (old !== undefined && old !== conn) closeConnection(old);
    this.byName.set(conn.name, conn);
    this.changed(conn.name);
  }

  remove(name: string): void {
    const old = this.byName.get(name);
    if (old === undefined) return;
    this.byName.delete(name);
    closeConnection(old);
    this.changed(name);
  }

  closeAll(): void {
    for (const name of [...this.byName.keys()]) this.remove(name);
  }

  changed(name: string): void {
    for (const fn of this.connectionListeners) fn(name);
  }

  viewChanged(name: string, changes: ViewChange[]): void {
    for (const fn of this.viewListeners) fn(name, changes);
  }
}

function closeConnection(c: CloudConnection): void {
  c.view.stop();
  c.cloud.close();
}
