// Which VirtualServices a ServiceEngine or ServiceEngineGroup event can change the outcome of:
// pure mappers for the VS controller's watches. Enqueueing every VS of the group on each SE
// write (every capacity claim is one) made convergence O(VSs × claim writes): 10.7 reconciles
// per VS at 20 VSs, each an apiserver-free but CPU-bound pass. A VS reconcile reads of an SE:
//   - as a host (the SEs its status lists): its phase, conditions, fault, data interfaces and
//     identity — not hostedVIPs/vsSummary/agent, which the SE controller writes *because* VSs
//     moved (they would echo every placement back to every VS on the SE);
//   - as a claimant: its own entry in the SE's capacity claims (placementSettled);
//   - as a candidate (a VS short of SEs): whether the SE can take a VS — its phase, whether it
//     has a free slot, its boot fault (bootfaults.ts). A settled VS keeps its healthy SEs
//     (placement.ts), so other SEs' candidacy cannot move it.
// Unconverged VSs also requeue themselves (controller.ts CONVERGING_MS), so a change these
// miss would cost latency, not correctness; the unit test pins each case above.
import {
  claimTokensOf, groupSpec, requestedSEsOf, sePhase, vsSpec,
  type GroupObj, type SEObj, type VSObj,
} from '../model/index.js';
import { placedOn } from './decision.js';

/** What the mappers look up in the caches (informer indexes). */
export interface SEWatchLookup {
  /** keys of the VSs whose status lists the SE (`ns/se`) */
  listing(seKey: string): readonly string[];
  /** the VSs of a group (`ns/group`) */
  ofGroup(groupKey: string): readonly VSObj[];
  group(groupKey: string): GroupObj | undefined;
}

const key = (ns: string, name: string): string => `${ns}/${name}`;
const nsOf = (o: { metadata: { namespace?: string } }): string => o.metadata.namespace ?? '';
const groupKeyOf = (se: SEObj): string => key(nsOf(se), se.spec.seGroupRef);

/** The SE as the VSs it hosts read it (JSON; equal strings = nothing they read changed). */
export function hostView(se: SEObj): string {
  const s = se.status;
  return JSON.stringify([
    se.metadata.uid, se.metadata.creationTimestamp, se.metadata.deletionTimestamp, se.spec.seGroupRef,
    s?.state, s?.fault, s?.dataInterfaces,
    // lastTransitionTime and observedGeneration move without the condition saying anything new.
    (s?.conditions ?? []).map((c) => [c.type, c.status, c.reason, c.message]),
  ]);
}

/** The SE as a candidate for a VS short of SEs: usable or coming, with room, failing to boot. */
export function offerView(se: SEObj, group: GroupObj | undefined): string {
  const p = sePhase(se);
  const room = group === undefined || claimTokensOf(se).size < groupSpec(group).maxVSPerSE;
  return `${p.phase}|${room}|${p.bootFault ?? ''}`;
}

/** A VS that wants more SEs than its status lists (and is not going away). */
export function shortOfSEs(vs: VSObj, group: GroupObj): boolean {
  if (vs.metadata.deletionTimestamp !== undefined || !vsSpec(vs).enabled) return false;
  return placedOn(vs).length < requestedSEsOf(vs, group);
}

/**
 * The VS keys to reconcile for an SE event: `old` absent on an add, `obj` absent on a delete.
 * Sorted, without duplicates.
 */
export function vsKeysForSEChange(old: SEObj | undefined, obj: SEObj | undefined, look: SEWatchLookup): string[] {
  const out = new Set<string>();
  const versions = [old, obj].filter((s): s is SEObj => s !== undefined);
  // Hosts: anything they read changed (an add or delete always does).
  if (old === undefined || obj === undefined || hostView(old) !== hostView(obj)) {
    for (const se of versions) for (const k of look.listing(key(nsOf(se), se.metadata.name))) out.add(k);
  }
  // Claimants whose own entry appeared, went or changed (a release by another decider, a restamp).
  const before = old !== undefined ? claimTokensOf(old) : new Map<string, string>();
  const after = obj !== undefined ? claimTokensOf(obj) : new Map<string, string>();
  const ns = nsOf((obj ?? old) as SEObj);
  for (const name of new Set([...before.keys(), ...after.keys()])) if (before.get(name) !== after.get(name)) out.add(key(ns, name));
  // Candidates: the VSs of the group still short of SEs, when what the SE offers them changed.
  for (const gk of new Set(versions.map(groupKeyOf))) {
    const group = look.group(gk);
    if (group === undefined) continue; // the VSs report GroupNotFound; the group's add wakes them
    const offer = (se: SEObj | undefined): string | undefined => (se !== undefined && groupKeyOf(se) === gk ? offerView(se, group) : undefined);
    if (offer(old) === offer(obj)) continue;
    for (const vs of look.ofGroup(gk)) if (shortOfSEs(vs, group)) out.add(key(nsOf(vs), vs.metadata.name));
  }
  return [...out].sort();
}

/**
 * The VS keys to reconcile for a group update: all its VSs when its spec or its deletion changed
 * (a VS reads the group's spec only), none for a status write (the group controller writes its
 * counts as VSs and SEs move).
 */
export function vsKeysForGroupUpdate(old: GroupObj, obj: GroupObj, look: Pick<SEWatchLookup, 'ofGroup'>): string[] {
  const same = old.metadata.generation === obj.metadata.generation && old.metadata.deletionTimestamp === obj.metadata.deletionTimestamp &&
    old.metadata.uid === obj.metadata.uid && JSON.stringify(old.spec) === JSON.stringify(obj.spec);
  if (same) return [];
  return look.ofGroup(key(nsOf(obj), obj.metadata.name)).map((vs) => key(nsOf(vs), vs.metadata.name)).sort();
}
