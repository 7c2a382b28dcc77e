// Doing one planned step for a Service Engine through the cloud clients. Every object gets a
// deterministic name (`lbop-<uid8>-mgmt`, `lbop-<uid8>-se`, `lbop-<uid8>-data-<net8>`) and the
// owner tags; every successful write goes through to the CloudView at once, so the next plan in
// the same reconcile sees it and a retry never creates a second object. Deletes treat NotFound
// as done (teardown tolerant of 404s).
import {
  isNotFound, KIND, objectName, ownerDescription, stampMetadata,
  type Owner, type ProjectScope, type ServerCreate,
} from '../../cloud/index.js';
import type { EventRecorder, KubeObject } from '../../runtime/index.js';
import type { CloudConnection } from '../model/index.js';
import { attachedTo, attachMayHaveHappened } from './attachadopt.js';
import { createdPortEntry, portKind, withAttachment } from './observe.js';
import type { SEAction } from './plan.js';

export interface ApplyEnv {
  conn: CloudConnection;
  project: ProjectScope;
  owner: Owner;
  se: KubeObject;
  events: EventRecorder;
  boot: { refs: () => Promise<{ imageRef: string; flavorRef: string }>; configDrive: boolean; availabilityZone?: string; userData: string; bootstrap?: SEBootstrapping; serverGroup?: string };
  /** The controller's clock (a just-booted server's creation time in the view). */
  now: () => Date;
}

export const serverName = (uid: string): string => objectName(uid, 'se');
export const mgmtPortName = (uid: string): string => objectName(uid, 'mgmt');
export const dataPortName = (uid: string, networkUUID: string): string => objectName(uid, `data-${networkUUID.replace(/-/g, '').slice(0, 8)}`);

/**
 * With the SE API on: a fresh single-use token per boot, in user_data only (the config drive),
 * bound to the Nova server id once the create returns it.
 */
export interface SEBootstrapping {
  mint(): Promise<string>;
  userData(token: string): string;
  bind(serverID: string): Promise<void>;
}

/** user_data telling the SE its name and its controller (base64, as Nova wants it). */
export function userData(o: { seName: string; namespace: string; cloud: string; clusterID: string }): string {
  const lines = [
    '#cloud-config',
    'write_files:',
    '  - path: /etc/lbop/se.conf',
    '    content: |',
    `      SE_NAME=${o.namespace}/${o.seName}`,
    `      CONTROLLER=contrail-lb-operator`,
    `      CLUSTER_ID=${o.clusterID}`,
    `      CLOUD=${o.cloud}`,
  ];
  return Buffer.from(lines.join('\n') + '\n').toString('base64');
}

async function ignoreNotFound(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
}

type Step<K extends SEAction['kind']> = (env: ApplyEnv, a: Extract<SEAction, { kind: K }>) => Promise<void>;

/** The view entry of a port with its binding changed, written through at once. */
function rebind(env: ApplyEnv, portUUID: string, serverID: string | undefined): void {
  const { view, mode } = env.conn;
  const pk = portKind(mode);
  const cur = view.get(pk, portUUID);
  if (cur !== undefined) view.written(pk, portUUID, withAttachment(mode, cur.obj, serverID), cur.owner);
}

const createManagementPort: Step<'CreateManagementPort'> = async (env) => {
  const { conn, owner } = env;
  const network = conn.resolved?.managementNetworkUUID ?? '';
  const p = await conn.cloud.neutron(env.project).createPort({ network_id: network, name: mgmtPortName(owner.uid), description: ownerDescription(owner) });
  conn.view.written(portKind(conn.mode), p.id, createdPortEntry(conn.mode, p), owner);
};

const bootServer: Step<'BootServer'> = async (env, a) => {
  const { conn, owner } = env;
  const bootstrap = env.boot.bootstrap;
  const { imageRef, flavorRef } = await env.boot.refs(); // before the token: a bad name mints nothing
  const userData = bootstrap !== undefined ? bootstrap.userData(await bootstrap.mint()) : env.boot.userData;
  const req: ServerCreate = {
    name: serverName(owner.uid),
    imageRef,
    flavorRef,
    networks: [{ port: a.managementPortUUID }],
    metadata: stampMetadata(owner),
    config_drive: env.boot.configDrive,
    user_data: userData,
    ...(env.boot.availabilityZone !== undefined ? { availability_zone: env.boot.availabilityZone } : {}),
  };
  // The group hint (antiAffinity): Nova's scheduler keeps the group's members on distinct hosts.
  const { id } = await conn.cloud.nova(env.project).createServer(req, env.boot.serverGroup !== undefined ? { group: env.boot.serverGroup } : undefined);
  conn.view.written(KIND.server, id, { id, name: req.name, status: 'BUILD', metadata: req.metadata, addresses: {}, created: env.now().toISOString() }, owner);
  rebind(env, a.managementPortUUID, id);
  await bootstrap?.bind(id);
};

/**
 * The fault of a server the list showed ERROR without one: real Nova fills faults in a list only
 * from the cell it reads, so a boot the scheduler refused (NoValidHost: the instance is buried
 * in cell0) lists bare; GET /servers/{id} reads the right cell. `fallback` if even that has none.
 */
export async function faultOf(env: ApplyEnv, serverUUID: string, fallback: string): Promise<string> {
  try {
    const s = await env.conn.cloud.nova(env.project).getServer(serverUUID);
    return s.fault?.message !== undefined && s.fault.message !== '' ? s.fault.message : fallback;
  } catch {
    return fallback;
  }
}

const deleteServer = async (env: ApplyEnv, a: { serverUUID: string }): Promise<void> => {
  const { conn, owner } = env;
  await ignoreNotFound(conn.cloud.nova(env.project).deleteServer(a.serverUUID));
  conn.view.deleted(KIND.server, a.serverUUID);
  // Nova unbinds ports it did not create; the view learns it now rather than on the next list.
  for (const o of conn.view.ownedBy(owner.uid)) {
    if (o.kind !== portKind(conn.mode)) continue;
    const bound = conn.mode === 'neutron' ? (o.obj as { device_id?: string }).device_id : (o.obj as { virtual_machine_refs?: { uuid?: string }[] }).virtual_machine_refs?.[0]?.uuid;
    if (bound === a.serverUUID) rebind(env, o.id, undefined);
  }
};

const createDataPort: Step<'CreateDataPort'> = async (env, a) => {
  const { conn, owner } = env;
  const p = await conn.cloud.neutron(env.project).createPort({ network_id: a.networkUUID, name: dataPortName(owner.uid, a.networkUUID), description: ownerDescription(owner) });
  conn.view.written(portKind(conn.mode), p.id, createdPortEntry(conn.mode, p), owner);
};

const attachDataPort: Step<'AttachDataPort'> = async (env, a) => {
  try {
    await env.conn.cloud.nova(env.project).attachInterface(a.serverUUID, { port_id: a.portUUID });
  } catch (e) {
    // A lost answer or "still in use" may hide an attach that went through (attachadopt.ts).
    if (attachMayHaveHappened(e) && await portAttachedTo(env, a.portUUID, a.serverUUID)) {
      rebind(env, a.portUUID, a.serverUUID);
      env.events.record(env.se, 'Normal', 'VNICAdopted', `data vNIC ${a.portUUID} in network ${a.networkUUID} is attached to server ${a.serverUUID} although the attach answered: ${messageOf(e)}; adopted`);
      return;
    }
    env.events.record(env.se, 'Warning', 'VNICAdditionFailure', `attaching a data vNIC in network ${a.networkUUID} failed: ${messageOf(e)}`);
    throw e;
  }
  rebind(env, a.portUUID, a.serverUUID);
  env.events.record(env.se, 'Normal', 'VNICAdded', `data vNIC ${a.portUUID} added in network ${a.networkUUID}`);
};

/** GET the port: bound to this server? A failed read counts as no (the attach error stands). */
async function portAttachedTo(env: ApplyEnv, portUUID: string, serverUUID: string): Promise<boolean> {
  try {
    return attachedTo(await env.conn.cloud.neutron(env.project).getPort(portUUID), serverUUID);
  } catch {
    return false;
  }
}

const detachDataPort: Step<'DetachDataPort'> = async (env, a) => {
  await ignoreNotFound(env.conn.cloud.nova(env.project).detachInterface(a.serverUUID, a.portUUID));
  rebind(env, a.portUUID, undefined);
};

const deletePort = async (env: ApplyEnv, a: { portUUID: string }): Promise<void> => {
  await ignoreNotFound(env.conn.cloud.neutron(env.project).deletePort(a.portUUID));
  env.conn.view.deleted(portKind(env.conn.mode), a.portUUID);
};

/** One function per planned step; the finalizer is the controller's job, after every cloud step. */
const STEPS: { [K in SEAction['kind']]: Step<K> } = {
  CreateManagementPort: createManagementPort,
  BootServer: bootServer,
  DeleteFailedBoot: deleteServer,
  DeleteServer: deleteServer,
  CreateDataPort: createDataPort,
  AttachDataPort: attachDataPort,
  DetachDataPort: detachDataPort,
  DeleteDataPort: deletePort,
  DeleteManagementPort: deletePort,
  RemoveFinalizer: async () => undefined,
};

export async function applyAction(env: ApplyEnv, a: SEAction): Promise<void> {
  await (STEPS[a.kind] as Step<SEAction['kind']>)(env, a);
}

export function messageOf(e: unknown): string {
  if (e !== null && typeof e === 'object' && 'serverMessage' in e && typeof e.serverMessage === 'string') {
    const api = 'api' in e && typeof e.api === 'string' ? `${e.api}: ` : '';
    return `${api}${e.serverMessage}`;
  }
  return e instanceof Error ? e.message : String(e);
}
