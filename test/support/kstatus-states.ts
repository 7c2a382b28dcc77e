// Every state each kind can reach, as its status really reads: produced by the controllers' own
// pure summarizers (summarizeCloud, summarizeGroup, summarizeSE, resolvedCondition, summarize)
// and then the kstatus hook (applyKstatus), exactly as the status writers run them. Where a
// controller writes a state inline (a Cloud whose Secret is missing, a Pool waiting for its
// Cloud) it is written here the same way, condition for condition.
//
// `kstatus` is what the real library (sigs.k8s.io/cli-utils/pkg/kstatus) must compute for the
// object; `verdict` is our own reading (kstatusVerdict). They differ in one place only: a
// disabled VirtualService, which we call Current but kstatus calls InProgress because of its
// Ready=False fallback (docs/gitops.md says how to tell Flux otherwise).
import { setStatusCondition, type Condition } from "../../src/api/index.js";
import { summarizeCloud } from "../../src/controllers/cloud/controller.js";
import type { CheckResult } from "../../src/controllers/cloud/check.js";
import { applyKstatus, type KstatusState } from "../../src/controllers/model/index.js";
import type { KindName } from "../../src/api/index.js";
import { resolvedCondition, type ServerResolution } from "../../src/controllers/pool/resolve.js";
import { withReadyFromResolved } from "../../src/controllers/pool/ready.js";
import { summarizeGroup } from "../../src/controllers/serviceenginegroup/controller.js";
import type { GroupSE } from "../../src/controllers/serviceenginegroup/plan.js";
import type { SESeen } from "../../src/controllers/serviceengine/observe.js";
import { summarizeSE, type SEReport } from "../../src/controllers/serviceengine/status.js";
import { summarize, type SummaryInput } from "../../src/controllers/virtualservice/status.js";

export interface KstatusCase {
  kind: KindName;
  /** a DNS-1123 name, unique within the kind */
  name: string;
  status: { observedGeneration?: number; conditions?: Condition[] } & Record<string, unknown>;
  verdict: KstatusState;
  kstatus: "Current" | "InProgress" | "Failed";
}

/** Objects are created fresh, so their status describes generation 1. */
export const GENERATION = 1;
const now = new Date("2026-12-01T10:00:00Z");

function done(kind: KindName, name: string, status: KstatusCase["status"], verdict: KstatusState, kstatus: KstatusCase["kstatus"] = verdict): KstatusCase {
  applyKstatus(kind, status, GENERATION, now);
  return { kind, name, status, verdict, kstatus };
}

function cloud(name: string, r: CheckResult, verdict: KstatusState): KstatusCase {
  const st = {};
  summarizeCloud(st, GENERATION, r, now);
  return done("Cloud", name, st, verdict);
}

const keystone = { keystone: "https://keystone.example:5000/v3" };

function cloudCases(): KstatusCase[] {
  // What the Cloud controller's notReady() writes when the Secret is missing.
  const missing: Condition[] = [];
  for (const type of ["Authenticated", "Ready"]) {
    setStatusCondition(missing, { type, status: "False", reason: "CredentialsSecretNotFound", message: "Secret lb-system/x not found", observedGeneration: GENERATION }, now);
  }
  return [
    cloud("ready", { endpoints: { ...keystone, nova: "n", neutron: "q" }, resolved: { managementNetworkUUID: "m", imageUUID: "i", flavorID: "f" } }, "Current"),
    cloud("bad-password", { endpoints: keystone, failure: { stage: "Authenticated", reason: "InvalidCredentials", message: "keystone authenticate: 401", transient: false } }, "Failed"),
    cloud("keystone-down", { endpoints: keystone, failure: { stage: "Authenticated", reason: "KeystoneUnreachable", message: "keystone authenticate: ECONNREFUSED", transient: true } }, "Failed"),
    cloud("nova-down", { endpoints: keystone, failure: { stage: "EndpointsReachable", reason: "EndpointUnreachable", message: "nova list: 503", transient: true } }, "Failed"),
    cloud("no-image", { endpoints: keystone, failure: { stage: "Resolved", reason: "NotFound", message: "image avi-se not found", transient: false } }, "Failed"),
    done("Cloud", "no-secret", { observedGeneration: GENERATION, conditions: missing }, "Failed"),
    // Contrail: analytics unreachable keeps the Cloud usable (Ready=True, reason AnalyticsUnreachable).
    cloud("analytics-down", { endpoints: { ...keystone, nova: "n", neutron: "q", contrail: "c" }, resolved: { managementNetworkUUID: "m", imageUUID: "i", flavorID: "f" }, analytics: { ok: false, url: "c", reason: "AnalyticsNotFound", message: "analytics at c: Not Found" } }, "Current"),
    cloud("analytics-refused", { endpoints: { ...keystone, nova: "n", neutron: "q", contrail: "c" }, resolved: { managementNetworkUUID: "m", imageUUID: "i", flavorID: "f" }, analytics: { ok: false, url: "c", reason: "AnalyticsRefused", message: "analytics at c: 403" } }, "Current"),
    cloud("analytics-unreachable", { endpoints: { ...keystone, nova: "n", neutron: "q", contrail: "c" }, resolved: { managementNetworkUUID: "m", imageUUID: "i", flavorID: "f" }, analytics: { ok: false, url: "c", reason: "AnalyticsUnreachable", message: "analytics at c: ECONNREFUSED" } }, "Current"),
    cloud("contrail-nova-down", { endpoints: { ...keystone, nova: "n", contrail: "c" }, failure: { stage: "EndpointsReachable", reason: "EndpointUnreachable", message: "nova list: 503", transient: true } }, "Failed"),
  ];
}

function groupCases(): KstatusCase[] {
  const se = (name: string, phase: GroupSE["phase"]): GroupSE => ({ name, createdAt: now.toISOString(), phase, hostedVS: 1 });
  const group = (name: string, members: GroupSE[], desired: number, shortfall: number, verdict: KstatusState): KstatusCase => {
    const st = {};
    summarizeGroup(st, GENERATION, members, { create: 0, retire: [], desired, shortfall, recheckAfterMs: undefined }, now);
    return done("ServiceEngineGroup", name, st, verdict);
  };
  return [
    group("ready", [se("a", "Ready"), se("b", "Ready")], 2, 0, "Current"),
    group("scaling-out", [se("a", "Ready"), se("b", "Booting")], 2, 0, "InProgress"),
    group("at-max-ses", [se("a", "Ready")], 1, 2, "Failed"),
  ];
}

function seCases(): KstatusCase[] {
  const seen: SESeen = {
    mgmt: { uuid: "m", name: "lbop-x-mgmt", role: "mgmt", networkUUID: "mgmt-net", mac: "02:01", ips: [], attachedTo: "s", referenced: false },
    servers: [{ id: "s", status: "ACTIVE", fault: undefined, created: "", addresses: new Map([["02:01", ["10.10.10.5"]]]) }],
    data: [],
    extraMgmt: [],
  };
  const booting: SESeen = { ...seen, servers: [{ id: "s", status: "BUILD", fault: undefined, created: "", addresses: new Map() }] };
  const base: SEReport = {
    generation: GENERATION, seen, plan: { phase: "Ready", actions: [], networksAttached: true, waiting: false }, wasActive: false, now,
    hostedVIPs: [], virtualServices: [], bootFault: undefined, blocked: undefined,
  };
  const se = (name: string, over: Partial<SEReport>, verdict: KstatusState): KstatusCase => {
    const st = {};
    summarizeSE(st, { ...base, ...over });
    return done("ServiceEngine", name, st, verdict);
  };
  return [
    se("ready", {}, "Current"),
    se("booting", { seen: booting, plan: { phase: "Booting", actions: [], networksAttached: false, waiting: true } }, "InProgress"),
    se("boot-failed", { seen: booting, plan: { phase: "Booting", actions: [], networksAttached: false, waiting: true }, bootFault: "Quota exceeded for instances" }, "Failed"),
    se("attaching", { plan: { phase: "Ready", actions: [], networksAttached: false, waiting: true } }, "InProgress"),
    se("server-failed", { seen: { ...seen, servers: [] }, wasActive: true, plan: { phase: "Failed", actions: [], networksAttached: false, waiting: false } }, "Failed"),
    se("cloud-not-ready", { blocked: { reason: "CloudNotReady", message: "Cloud jvnc2 is not Ready" } }, "InProgress"),
    se("tenant-not-allowed", { blocked: { reason: "TenantNotAllowed", message: "namespace x is not mapped" } }, "Failed"),
  ];
}

function poolCases(): KstatusCase[] {
  const server = (ip: string, resolved: boolean): ServerResolution =>
    resolved ? { ip, port: 80, resolved, networkUUID: "n", subnetUUID: "s", subnetCIDR: "20.0.0.0/24" } : { ip, port: 80, resolved, reason: "no subnet of the project contains it", failure: "NoSubnet" };
  // ready: member health with the SE API on (pool/health.ts); "mirror": without it, Ready follows
  // Resolved through the controller's own hook (pool/ready.ts); "none": a status written before
  // Pools had Ready without the SE API (read from Resolved).
  const pool = (name: string, c: Parameters<typeof setStatusCondition>[1], verdict: KstatusState, ready: [Condition["status"], string] | "mirror" | "none" = "mirror", kstatus: KstatusCase["kstatus"] = verdict): KstatusCase => {
    const obj: { status: { conditions: Condition[] } } = { status: { conditions: [] } };
    const resolve = (p: typeof obj): void => { setStatusCondition(p.status.conditions, c, now); };
    (ready === "mirror" ? withReadyFromResolved(resolve, () => now) : resolve)(obj);
    const conditions = obj.status.conditions;
    if (Array.isArray(ready)) setStatusCondition(conditions, { type: "Ready", status: ready[0], reason: ready[1], message: `Ready ${ready[1]}`, observedGeneration: GENERATION }, now);
    return done("Pool", name, { observedGeneration: GENERATION, serverCount: 1, conditions }, verdict, kstatus);
  };
  return [
    pool("resolved", resolvedCondition([server("20.0.0.3", true)], GENERATION), "Current"),
    pool("unresolved", resolvedCondition([server("20.0.0.3", true), server("30.0.0.3", false)], GENERATION), "Failed"),
    pool("waiting-for-cloud", { type: "Resolved", status: "False", reason: "WaitingForCloud", message: "waiting for Cloud jvnc2", observedGeneration: GENERATION }, "InProgress"),
    pool("forbidden", { type: "Resolved", status: "False", reason: "Forbidden", message: "namespace x is not a tenant of Cloud jvnc2", observedGeneration: GENERATION }, "Failed"),
    pool("resolved-only", resolvedCondition([server("20.0.0.3", true)], GENERATION), "Current", "none"),
    pool("unresolved-only", resolvedCondition([server("20.0.0.3", true), server("30.0.0.3", false)], GENERATION), "Failed", "none"),
    pool("waiting-for-cloud-only", { type: "Resolved", status: "False", reason: "WaitingForCloud", message: "waiting for Cloud jvnc2", observedGeneration: GENERATION }, "InProgress", "none"),
    pool("members-up", resolvedCondition([server("20.0.0.3", true)], GENERATION), "Current", ["True", "MembersUp"]),
    pool("not-in-use", resolvedCondition([server("20.0.0.3", true)], GENERATION), "Current", ["True", "NotInUse"]),
    pool("not-checked", resolvedCondition([server("20.0.0.3", true)], GENERATION), "InProgress", ["Unknown", "NotChecked"]),
    pool("no-member-up", resolvedCondition([server("20.0.0.3", true)], GENERATION), "Failed", ["False", "NoMemberUp"]),
    // Like a disabled VirtualService: Current to us, InProgress to kstatus 0.37 (Ready=False).
    pool("all-disabled", resolvedCondition([server("20.0.0.3", true)], GENERATION), "Current", ["False", "AllDisabled"], "InProgress"),
  ];
}

function vsCases(): KstatusCase[] {
  const vip = { vipID: "0", ipAddress: "19.1.1.252", subnet: "19.1.1.0/24", subnetUUID: "s", networkRef: "n", portUUID: "p", programmed: 1 };
  const se = (name: string, serving?: boolean) => ({ name, healthy: true, attached: true, ...(serving !== undefined ? { serving } : {}) });
  const vs = (name: string, over: Partial<SummaryInput>, verdict: KstatusState, kstatus: KstatusCase["kstatus"] = verdict): KstatusCase => {
    const st = summarize({ generation: GENERATION, enabled: true, ecmp: true, requested: 1, assigned: [], programmed: new Set(), vips: [vip], shortfall: 0, problems: [], previous: undefined, now, ...over });
    return done("VirtualService", name, st as KstatusCase["status"], verdict, kstatus);
  };
  return [
    vs("up", { assigned: [se("a")], programmed: new Set(["a"]) }, "Current"),
    vs("degraded", { requested: 2, assigned: [se("a"), se("b")], programmed: new Set(["a"]) }, "Current"),
    vs("allocating", { vips: [{ vipID: "0", programmed: 0 }] }, "InProgress"),
    vs("waiting-for-ses", { assigned: [se("a")], vips: [{ ...vip, programmed: 0 }] }, "InProgress"),
    vs("not-served", { agents: true, assigned: [se("a", false)], programmed: new Set(["a"]) }, "InProgress"),
    vs("ip-exhausted", { vips: [{ vipID: "0", programmed: 0 }], problems: [{ state: "OPER_RESOURCES", condition: "VIPAllocated", reason: "IPExhausted", message: "VIP 0: no more IP addresses" }] }, "Failed"),
    vs("insufficient-ses", { shortfall: 1 }, "Failed"),
    vs("forbidden", { problems: [{ state: "OPER_DOWN", condition: "Placed", reason: "Forbidden", message: "namespace x is not a tenant of Cloud jvnc2" }] }, "Failed"),
    vs("se-boot-failed", { problems: [{ state: "OPER_RESOURCES", condition: "Placed", reason: "SEBootFailed", message: "Service Engine default-se-0 cannot boot: Quota exceeded" }] }, "Failed"),
    // kstatus has no word for "off on purpose": its Ready fallback reads Ready=False as InProgress.
    vs("disabled", { enabled: false }, "Current", "InProgress"),
  ];
}

/** Every case, each kind in each state it can reach. */
export function kstatusCases(): KstatusCase[] {
  return [...cloudCases(), ...groupCases(), ...seCases(), ...poolCases(), ...vsCases()];
}
