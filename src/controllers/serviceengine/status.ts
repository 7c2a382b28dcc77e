// The ServiceEngine status: a report of what the cloud shows (server, state, addresses, data
// vNICs), what the VirtualServices placed on it say (hosted VIPs), and three conditions.
// Pure (time comes in the report): the controller patches it only when it changed. The Ready
// reasons are the contract the group and VirtualService controllers read through sePhase().
import { findCondition, setStatusCondition, type Condition, type ServiceEngineStatus } from '../../api/index.js';
import { SE_REASON, type HeartbeatVerdict, type RepairPolicy } from '../model/index.js';
import { reportRepair } from './repair.js';
import type { SESeen } from './observe.js';
import type { SEPlan } from './plan.js';

export interface HostedVIP { virtualService: string; vipID: string; ipAddress?: string }

export interface SEReport {
  generation: number;
  seen: SESeen | undefined;
  plan: SEPlan | undefined;
  /** The server was ACTIVE before (sePhase(se).wasActive). */
  wasActive: boolean;
  /** The time conditions that change now are stamped with (the controller's clock). */
  now: Date;
  hostedVIPs: HostedVIP[];
  virtualServices: string[];
  /** A boot that failed: Nova's fault message, kept until a boot succeeds. */
  bootFault: string | undefined;
  /** Something outside the SE blocks it (cloud not ready, namespace not allowed, an API error). */
  blocked: { reason: string; message: string } | undefined;
  /** What the SE API's registry knows of the agent; undefined when the SE API is off. */
  agent?: AgentView;
}

export interface AgentView {
  connectivity: 'Connected' | 'Disconnected' | 'Unknown';
  version?: string;
  configVersion?: number;
  rejected?: { version: number; error: string };
  /** ms since the epoch (the operator's clock). */
  lastHeartbeatAt?: number;
  /** model/repair.ts's verdict, for a Ready SE (HeartbeatFailure / Partitioned conditions). */
  repair?: { verdict: HeartbeatVerdict; policy: RepairPolicy };
}

/** status.agent.lastHeartbeatTime moves at most this often: a heartbeat alone never writes. */
export const HEARTBEAT_TIME_RESOLUTION_MS = 60_000;

type SetCondition = (type: string, status: boolean, reason: string, message: string) => void;

export function summarizeSE(st: ServiceEngineStatus, r: SEReport): void {
  const conds: Condition[] = (st.conditions ??= []);
  const set: SetCondition = (type, status, reason, message) => {
    setStatusCondition(conds, { type, status: status ? 'True' : 'False', reason, message, observedGeneration: r.generation }, r.now);
  };
  st.observedGeneration = r.generation;
  st.hostedVIPs = r.hostedVIPs.map((v) => ({ virtualService: v.virtualService, vipID: v.vipID, ...(v.ipAddress !== undefined ? { ipAddress: v.ipAddress } : {}) }));
  st.vsSummary = r.virtualServices.join(',');
  if (r.seen !== undefined) reportObserved(st, r.seen, r.wasActive);
  if (r.bootFault !== undefined) st.fault = r.bootFault;
  else delete st.fault;
  reportConditions(st, conds, r, set);
  if (r.agent !== undefined) reportAgent(st, conds, r.agent, set);
  const repair = r.agent?.repair;
  if (repair !== undefined) {
    reportRepair(conds, repair.verdict, repair.policy, set);
    // A dead SE (silent and its data path failing) is Failed like a server Nova lost: the group replaces it.
    if (repair.verdict.kind === 'Failed' && r.plan?.phase === 'Ready') {
      set('Ready', false, SE_REASON.HeartbeatFailure, findCondition(conds, 'HeartbeatFailure')?.message ?? 'heartbeat failure');
    }
  }
}

/** AgentConnected and status.agent; the message changes only with what a user acts on. */
function reportAgent(st: ServiceEngineStatus, conds: Condition[], a: AgentView, set: SetCondition): void {
  const prev = st.agent?.lastHeartbeatTime;
  const agent: NonNullable<ServiceEngineStatus['agent']> = { ...(st.agent ?? {}) };
  if (a.version !== undefined) agent.version = a.version;
  if (a.configVersion !== undefined) agent.configVersion = a.configVersion;
  if (a.lastHeartbeatAt !== undefined && (prev === undefined || a.lastHeartbeatAt - Date.parse(prev) >= HEARTBEAT_TIME_RESOLUTION_MS)) {
    agent.lastHeartbeatTime = new Date(a.lastHeartbeatAt).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
  if (Object.keys(agent).length > 0) st.agent = agent;
  if (a.connectivity === 'Connected') {
    const rejected = a.rejected !== undefined ? `; config v${a.rejected.version} rejected: ${a.rejected.error}` : '';
    set('AgentConnected', true, 'Heartbeating', `agent ${a.version ?? '?'} applied config v${a.configVersion ?? 0}${rejected}`);
  } else if (a.connectivity === 'Disconnected') {
    if (a.lastHeartbeatAt === undefined) set('AgentConnected', false, 'NoHeartbeat', 'no heartbeat from the SE agent yet');
    else set('AgentConnected', false, 'HeartbeatLost', 'the SE agent stopped heartbeating');
  } else if (findCondition(conds, 'AgentConnected') === undefined) {
    // The grace after a start or takeover: nobody is judged yet, an earlier verdict stands.
    set('AgentConnected', false, 'AwaitingHeartbeat', 'waiting for the SE agent to heartbeat');
  }
}

/** Server, state, management address and data vNICs, as the cloud shows them. */
function reportObserved(st: ServiceEngineStatus, seen: SESeen, wasActive: boolean): void {
  const server = seen.servers[0];
  const mgmt = seen.mgmt;
  const ipOf = (p: { mac: string | undefined; ips: string[] }): string | undefined =>
    p.ips[0] ?? (p.mac !== undefined ? server?.addresses.get(p.mac)?.[0] : undefined);
  if (server !== undefined) st.serverUUID = server.id;
  else delete st.serverUUID;
  st.state = server !== undefined ? (server.status as ServiceEngineStatus['state']) : wasActive ? 'MISSING' : 'PENDING';
  if (mgmt !== undefined) {
    st.managementPortUUID = mgmt.uuid;
    const ip = ipOf(mgmt);
    if (ip !== undefined) st.managementIP = ip;
  } else {
    delete st.managementPortUUID;
    delete st.managementIP;
  }
  st.dataInterfaces = seen.data.map((p) => {
    const ip = ipOf(p);
    return {
      networkUUID: p.networkUUID, portUUID: p.uuid, attached: server !== undefined && p.attachedTo === server.id,
      ...(p.mac !== undefined ? { macAddress: p.mac } : {}), ...(ip !== undefined ? { ipAddress: ip } : {}),
    };
  });
}

/** Ready, Booted and NetworksAttached, by what blocks the SE or the plan's phase. */
function reportConditions(st: ServiceEngineStatus, conds: Condition[], r: SEReport, set: SetCondition): void {
  if (r.blocked !== undefined) {
    set('Ready', false, r.blocked.reason, r.blocked.message);
    if (findCondition(conds, 'Booted') === undefined) set('Booted', false, r.blocked.reason, r.blocked.message);
    if (findCondition(conds, 'NetworksAttached') === undefined) set('NetworksAttached', false, r.blocked.reason, r.blocked.message);
    return;
  }
  const phase = r.plan?.phase;
  if (phase === 'Deleting') {
    set('Ready', false, SE_REASON.Deleting, 'tearing down: data vNICs, then the server, then the management port');
    return;
  }
  if (phase === 'Failed') {
    const why = st.state === 'MISSING' ? 'the server vanished from Nova' : `the server went ${st.state ?? 'away'}`;
    set('Booted', false, SE_REASON.ServerFailed, `${why} after it was ACTIVE`);
    set('Ready', false, SE_REASON.ServerFailed, `${why} after it was ACTIVE; the group replaces this SE`);
    set('NetworksAttached', false, SE_REASON.ServerFailed, why);
    return;
  }
  if (phase === 'Ready') {
    set('Booted', true, SE_REASON.Active, `server ${st.serverUUID ?? ''} is ACTIVE`);
    if (r.plan?.networksAttached === true) {
      set('NetworksAttached', true, SE_REASON.Attached, `${st.dataInterfaces?.length ?? 0} data vNIC(s) attached`);
      set('Ready', true, SE_REASON.Ready, 'ACTIVE with every needed data vNIC attached');
    } else {
      set('NetworksAttached', false, SE_REASON.Attaching, 'data vNICs are being created and attached');
      set('Ready', false, SE_REASON.Attaching, 'waiting for data vNICs');
    }
    return;
  }
  // Booting.
  if (r.bootFault !== undefined) {
    // No countdown in the message: it would change the status on every reconcile.
    set('Booted', false, SE_REASON.BootFailed, `${r.bootFault}; the failed server was deleted and the boot is retried with backoff`);
  } else {
    set('Booted', false, SE_REASON.Booting, st.serverUUID === undefined ? 'creating the management port and booting the server' : `server ${st.serverUUID} is ${st.state ?? 'BUILD'}`);
  }
  set('NetworksAttached', false, SE_REASON.Booting, 'data vNICs are attached once the server is ACTIVE');
  set('Ready', false, SE_REASON.Booting, 'the server is not ACTIVE yet');
}
