// The placement invariants, checked over one snapshot of the objects (pure): what the randomized
// concurrency test asserts after every step and the VS bench reports. Each holds by construction
// (docs/operator.md, "Capacity"); a violation here is a bug.
//   maxVSPerSE        — no SE carries more claims, nor is listed by more VS statuses, than its
//                       group's maxVSPerSE;
//   maxScaleoutPerVS  — no VS status lists more SEs than its group's maxScaleoutPerVS;
//   maxSEs            — no group has more SEs (not being deleted) than maxSEs;
//   own group         — a VS is listed on, and claims, only SEs of its own group;
//   no IP twice       — no VIP address is held by two virtual services in one subnet.
//   placed ⊆ claimed  — (quiescent snapshots only: `settled`) every SE a VS status lists holds
//                       that VS's claim, and no claim is held without the listing;
//   released          — (settled) no VS still carries a placement reservation (reservation.ts).
import { claimsOf } from './claims.js';
import { groupSpec, vsSpec } from './defaults.js';
import { reservationOf } from './reservation.js';
import type { GroupObj, SEObj, VSObj } from './objects.js';

export interface Snapshot {
  groups: readonly GroupObj[];
  ses: readonly SEObj[];
  vss: readonly VSObj[];
}

export interface InvariantReport {
  violations: string[];
  /** the most VS statuses listing one SE */
  maxVSPerSEObserved: number;
  /** the most claims on one SE */
  maxClaimsObserved: number;
}

const k = (ns: string | undefined, name: string): string => `${ns ?? ''}/${name}`;

interface Indexed {
  groups: Map<string, GroupObj>;
  seByKey: Map<string, SEObj>;
  vsByKey: Map<string, VSObj>;
  limitOf(ns: string | undefined, group: string): ReturnType<typeof groupSpec> | undefined;
}

export function checkInvariants(s: Snapshot, o: { settled?: boolean } = {}): InvariantReport {
  const groups = new Map(s.groups.map((g) => [k(g.metadata.namespace, g.metadata.name), g]));
  const x: Indexed = {
    groups,
    seByKey: new Map(s.ses.map((se) => [k(se.metadata.namespace, se.metadata.name), se])),
    vsByKey: new Map(s.vss.map((vs) => [k(vs.metadata.namespace, vs.metadata.name), vs])),
    limitOf: (ns, group) => {
      const g = groups.get(k(ns, group));
      return g === undefined ? undefined : groupSpec(g);
    },
  };
  const violations: string[] = [];
  const maxClaimsObserved = seInvariants(s, x, violations);
  const listing = vsInvariants(s, x, violations, o.settled === true);
  let maxVSPerSEObserved = 0;
  for (const [seKey, names] of listing) {
    maxVSPerSEObserved = Math.max(maxVSPerSEObserved, names.length);
    const se = x.seByKey.get(seKey);
    const lim = se === undefined ? undefined : x.limitOf(se.metadata.namespace, se.spec.seGroupRef);
    if (lim !== undefined && names.length > lim.maxVSPerSE) violations.push(`SE ${seKey}: listed by ${names.length} VSs > maxVSPerSE ${lim.maxVSPerSE}`);
  }
  if (o.settled === true) {
    for (const se of s.ses) {
      const listed = new Set(listing.get(k(se.metadata.namespace, se.metadata.name)) ?? []);
      for (const vsName of claimsOf(se).keys()) if (!listed.has(vsName)) violations.push(`SE ${se.metadata.name}: claim of ${vsName} without a placement`);
    }
  }
  return { violations, maxVSPerSEObserved, maxClaimsObserved };
}

/** Claims per SE, claims from other groups, SEs per group; returns the most claims on one SE. */
function seInvariants(s: Snapshot, x: Indexed, violations: string[]): number {
  let maxClaims = 0;
  const perGroup = new Map<string, number>();
  for (const se of s.ses) {
    const key = k(se.metadata.namespace, se.metadata.name);
    const lim = x.limitOf(se.metadata.namespace, se.spec.seGroupRef);
    const claims = claimsOf(se);
    maxClaims = Math.max(maxClaims, claims.size);
    if (lim !== undefined && claims.size > lim.maxVSPerSE) violations.push(`SE ${key}: ${claims.size} claims > maxVSPerSE ${lim.maxVSPerSE}`);
    for (const [vsName, uid] of claims) {
      const vs = x.vsByKey.get(k(se.metadata.namespace, vsName));
      if (vs !== undefined && vs.metadata.uid === uid && vsSpec(vs).seGroupRef !== se.spec.seGroupRef) {
        violations.push(`SE ${key} (group ${se.spec.seGroupRef}) claimed by VS ${vsName} of group ${vsSpec(vs).seGroupRef}`);
      }
    }
    if (se.metadata.deletionTimestamp === undefined) {
      const gk = k(se.metadata.namespace, se.spec.seGroupRef);
      perGroup.set(gk, (perGroup.get(gk) ?? 0) + 1);
    }
  }
  for (const [gk, n] of perGroup) {
    const g = x.groups.get(gk);
    if (g !== undefined && n > groupSpec(g).maxSEs) violations.push(`group ${gk}: ${n} SEs > maxSEs ${groupSpec(g).maxSEs}`);
  }
  return maxClaims;
}

/** SEs per VS, placement outside the group, VIPs twice, (settled) placed without a claim; returns SE → listing VSs. */
function vsInvariants(s: Snapshot, x: Indexed, violations: string[], settled: boolean): Map<string, string[]> {
  const listing = new Map<string, string[]>();
  const ips = new Map<string, string>();
  for (const vs of s.vss) {
    const key = k(vs.metadata.namespace, vs.metadata.name);
    const group = vsSpec(vs).seGroupRef;
    const lim = x.limitOf(vs.metadata.namespace, group);
    const placed = (vs.status?.serviceEngines ?? []).flatMap((e) => (e.name === undefined ? [] : [e.name]));
    if (lim !== undefined && placed.length > lim.maxScaleoutPerVS) violations.push(`VS ${key}: on ${placed.length} SEs > maxScaleoutPerVS ${lim.maxScaleoutPerVS}`);
    for (const name of placed) {
      const seKey = k(vs.metadata.namespace, name);
      listing.set(seKey, [...(listing.get(seKey) ?? []), vs.metadata.name]);
      const se = x.seByKey.get(seKey);
      if (se !== undefined && se.spec.seGroupRef !== group) violations.push(`VS ${key} (group ${group}) placed on SE ${name} of group ${se.spec.seGroupRef}`);
      if (settled && se !== undefined && claimsOf(se).get(vs.metadata.name) !== vs.metadata.uid) violations.push(`VS ${key} placed on SE ${name} without a claim`);
    }
    if (settled && reservationOf(vs) !== undefined) violations.push(`VS ${key}: still reserved by ${reservationOf(vs)?.holder ?? ''} with nothing deciding`);
    for (const v of vs.status?.vip ?? []) {
      if (v.ipAddress === undefined) continue;
      const ipKey = `${v.subnetUUID ?? v.networkRef ?? ''}/${v.ipAddress}`;
      const other = ips.get(ipKey);
      if (other !== undefined && other !== key) violations.push(`VIP ${v.ipAddress} held by both ${other} and ${key}`);
      ips.set(ipKey, key);
    }
  }
  return listing;
}
