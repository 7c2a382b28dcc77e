// The next steps for one Service Engine: a pure planner over what the cloud shows (DESIGN.md §3.1).
// Create: management port → server (booted with that port) → ACTIVE → one data port per needed
// network, attached with os-interface. Data ports no longer needed are detached, then deleted,
// and only once no VIP instance-ip or floating IP refers to them. Delete: data ports (detach,
// delete) → server (delete, wait until gone) → management port; the finalizer goes last.

export type ServerStatus = 'BUILD' | 'ACTIVE' | 'ERROR' | 'SHUTOFF' | 'DELETED' | string;

export interface ObservedServer {
  uuid: string;
  status: ServerStatus;
  faultMessage?: string;
}

export interface ObservedDataPort {
  uuid: string;
  networkUUID: string;
  /** bound to this SE's server */
  attached: boolean;
  /** a VIP instance-ip or floating IP still refers to it */
  referenced: boolean;
}

export interface SEObservation {
  managementPort: { uuid: string } | undefined;
  server: ObservedServer | undefined;
  dataPorts: readonly ObservedDataPort[];
}

export interface SEDesire {
  deleting: boolean;
  /** networks the SE must have a data vNIC in (VIP and pool networks of the VSs placed on it) */
  neededNetworks: readonly string[];
  /** the server was ACTIVE before (Booted condition): losing it now is a failure, not a boot */
  wasActive: boolean;
}

export type SEAction =
  | { kind: 'CreateManagementPort' }
  | { kind: 'BootServer'; managementPortUUID: string }
  | { kind: 'DeleteFailedBoot'; serverUUID: string; fault: string; /** the list showed no fault: ask the server itself */ faultMissing?: true }
  | { kind: 'CreateDataPort'; networkUUID: string }
  | { kind: 'AttachDataPort'; serverUUID: string; portUUID: string; networkUUID: string }
  | { kind: 'DetachDataPort'; serverUUID: string; portUUID: string }
  | { kind: 'DeleteDataPort'; portUUID: string }
  | { kind: 'DeleteServer'; serverUUID: string }
  | { kind: 'DeleteManagementPort'; portUUID: string }
  | { kind: 'RemoveFinalizer' };

import { SERVER_DEAD_STATES, type SEPhase } from '../model/index.js';

export interface SEPlan {
  phase: SEPhase;
  actions: SEAction[];
  /** every needed network has an attached data port */
  networksAttached: boolean;
  /** something is in flight (a boot, a detach, a delete) that only observation will show done */
  waiting: boolean;
}

export function planServiceEngine(want: SEDesire, seen: SEObservation): SEPlan {
  if (want.deleting) return planTeardown(seen);

  const server = seen.server;
  if (want.wasActive && (server === undefined || SERVER_DEAD_STATES.has(server.status))) {
    // The group replaces a dead SE; rebooting it in place would hide the failure.
    return { phase: 'Failed', actions: [], networksAttached: false, waiting: false };
  }
  if (seen.managementPort === undefined) {
    return { phase: 'Booting', actions: [{ kind: 'CreateManagementPort' }], networksAttached: false, waiting: false };
  }
  if (server === undefined) {
    return {
      phase: 'Booting',
      actions: [{ kind: 'BootServer', managementPortUUID: seen.managementPort.uuid }],
      networksAttached: false,
      waiting: false,
    };
  }
  if (server.status === 'ERROR') {
    const fault = server.faultMessage ?? 'the server went to ERROR with no fault message';
    const action: SEAction = { kind: 'DeleteFailedBoot', serverUUID: server.uuid, fault, ...(server.faultMessage === undefined ? { faultMissing: true as const } : {}) };
    return { phase: 'Booting', actions: [action], networksAttached: false, waiting: false };
  }
  if (server.status !== 'ACTIVE') {
    return { phase: 'Booting', actions: [], networksAttached: false, waiting: true };
  }
  return { phase: 'Ready', ...planDataPorts(server.uuid, want.neededNetworks, seen.dataPorts) };
}

function planDataPorts(serverUUID: string, needed: readonly string[], ports: readonly ObservedDataPort[]): Omit<SEPlan, 'phase'> {
  const actions: SEAction[] = [];
  const neededSet = new Set(needed);
  const byNetwork = new Map<string, ObservedDataPort>();
  for (const p of ports) if (!byNetwork.has(p.networkUUID)) byNetwork.set(p.networkUUID, p);

  let attachedCount = 0;
  for (const net of neededSet) {
    const port = byNetwork.get(net);
    if (port === undefined) actions.push({ kind: 'CreateDataPort', networkUUID: net });
    else if (!port.attached) actions.push({ kind: 'AttachDataPort', serverUUID, portUUID: port.uuid, networkUUID: net });
    else attachedCount++;
  }
  let waiting = false;
  for (const p of ports) {
    // Unneeded ports, and duplicates of a needed network's port (e.g. left by a crash).
    const duplicate = byNetwork.get(p.networkUUID) !== p;
    if (neededSet.has(p.networkUUID) && !duplicate) continue;
    if (p.referenced) {
      waiting = true; // the VS controller drains its ref first
      continue;
    }
    actions.push(p.attached ? { kind: 'DetachDataPort', serverUUID, portUUID: p.uuid } : { kind: 'DeleteDataPort', portUUID: p.uuid });
  }
  return { actions, networksAttached: attachedCount === neededSet.size, waiting };
}

function planTeardown(seen: SEObservation): SEPlan {
  const actions: SEAction[] = [];
  const server = seen.server;
  let waiting = false;
  for (const p of seen.dataPorts) {
    if (p.attached && server !== undefined) actions.push({ kind: 'DetachDataPort', serverUUID: server.uuid, portUUID: p.uuid });
    else actions.push({ kind: 'DeleteDataPort', portUUID: p.uuid });
  }
  if (actions.length > 0) return { phase: 'Deleting', actions, networksAttached: false, waiting };
  if (server !== undefined) {
    if (server.status !== 'DELETED') actions.push({ kind: 'DeleteServer', serverUUID: server.uuid });
    waiting = true; // the management port goes only once the server is gone
    return { phase: 'Deleting', actions, networksAttached: false, waiting };
  }
  if (seen.managementPort !== undefined) {
    actions.push({ kind: 'DeleteManagementPort', portUUID: seen.managementPort.uuid });
    return { phase: 'Deleting', actions, networksAttached: false, waiting };
  }
  return { phase: 'Deleting', actions: [{ kind: 'RemoveFinalizer' }], networksAttached: false, waiting };
}
