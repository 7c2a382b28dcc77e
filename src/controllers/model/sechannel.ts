// The SE channel as the controllers see it: present only when the operator serves the SE API
// (--se-api-addr). The SE controller mints a bootstrap token and writes the SEBootstrap into the
// server's user_data (on the config drive, never in Nova metadata) and reports the agent's
// heartbeats as the AgentConnected condition; the VirtualService controller reads that condition.
// Absent, the controllers behave as before the channel existed.
import type { AgentRegistry, BootstrapTokenIssuer, MemberState, SEBootstrap, WitnessBoard } from '../../seapi/index.js';
import type { RepairPolicy } from './repair.js';
import type { ScaleInDrains } from '../leaving.js';

export interface SEChannel {
  agents: AgentRegistry;
  tokens: BootstrapTokenIssuer;
  /** The SE API URLs an SE is told to try, in order. */
  controllerURLs: string[];
  /** PEM of the CA that signs the SE API's certificates. */
  caBundle: string;
  heartbeatIntervalMs: number;
  /** When a silent SE is Partitioned, Failed and replaced (model/repair.ts; --se-*-timeout, --se-repair-*). */
  repair: RepairPolicy;
  /** Plain Neutron's data-path witnesses (seapi/witnesses.ts): the asks the heartbeat acks carry. */
  witnesses?: WitnessBoard;
  /**
   * Whether the SE serves the VS now: its agent heartbeats, and the config it applied is the
   * current one and carries the VS (the VirtualService's Ready with the SE API on).
   */
  serves(seKey: string, virtualService: string): boolean;
  /**
   * The pool members the SE's agent reports for the VS (memberID "ip:port" → state, from its last
   * heartbeat); undefined when the agent is silent or reported no VIP of the VS (pool/members.ts).
   */
  poolMembers(seKey: string, virtualService: string): ReadonlyMap<string, MemberState> | undefined;
  /** Scale-in drains in progress (every leaving SE; drainTimeoutSeconds 0: no drain phase): the VS controller steps them, the desired-config feed follows. */
  drains?: ScaleInDrains;
  /** The TLS Secrets of VSs with enableSSL ports (controllers/tlssecrets.ts). */
  tls?: {
    /** Why the VS's enableSSL ports are not served, when its Secret is unusable. */
    problemOf(vsKey: string): { reason: string; message: string } | undefined;
    onChange(fn: (vsKey: string) => void): void;
  };
}

/** The SEBootstrap JSON as Nova wants user_data (base64). Holds the token: never log it. */
export function bootstrapUserData(ch: SEChannel, se: SEBootstrap['serviceEngine'], token: string): string {
  const boot: SEBootstrap = {
    kind: 'contrail-lb-operator/se-bootstrap', version: 1, serviceEngine: se,
    controllerURLs: ch.controllerURLs, caBundle: ch.caBundle, bootstrapToken: token, heartbeatIntervalMs: ch.heartbeatIntervalMs,
  };
  return Buffer.from(JSON.stringify(boot)).toString('base64');
}

