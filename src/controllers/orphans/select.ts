// Which cloud objects the orphan sweep deletes, and in which order: a pure function, because
// "nothing else, ever" is the property that matters most. An object is an orphan only when it
// carries OUR cluster ID and its owner is known NOT to exist (by uid). Untagged objects, other
// clusters' objects, owners of kinds we do not know, and owners in namespaces we do not watch
// are never selected.
import { KIND, type Owner } from '../../cloud/index.js';

export interface Tagged { kind: string; id: string; owner: Owner | undefined; obj: unknown }

/** Dependency order: what refers to others goes first (DESIGN.md §2 rule 6). */
const RANK: Record<string, number> = {
  [KIND.floatingIp]: 0,
  [KIND.neutronFloatingIp]: 0,
  [KIND.instanceIp]: 1,
  [KIND.server]: 2,
  [KIND.vmi]: 3,
  [KIND.port]: 3,
  // An SE's data-path health check: the VMIs that refer to it go first (VNC refuses the delete of
  // a referred-to object).
  [KIND.serviceHealthCheck]: 4,
};

/**
 * `alive(owner)`: true = the owner exists, false = known gone, undefined = cannot tell (never
 * delete then). Returns the orphans in deletion order (stable within a rank).
 */
export function selectOrphans(items: readonly Tagged[], clusterID: string, alive: (o: Owner) => boolean | undefined): Tagged[] {
  const out = items.filter((it) => it.owner !== undefined && it.owner.clusterID === clusterID && RANK[it.kind] !== undefined && alive(it.owner) === false);
  return out.sort((a, b) => (RANK[a.kind] as number) - (RANK[b.kind] as number));
}

/** Owner liveness from the caches: uids per kind, and which namespaces are watched. */
export function ownerLiveness(
  uidsByKind: ReadonlyMap<string, ReadonlySet<string>>,
  watches: (namespace: string) => boolean,
  clusterScoped: ReadonlySet<string>,
): (o: Owner) => boolean | undefined {
  return (o) => {
    const uids = uidsByKind.get(o.kind);
    if (uids === undefined) return undefined;
    if (uids.has(o.uid)) return true;
    if (!clusterScoped.has(o.kind) && (o.namespace === '' || !watches(o.namespace))) return undefined;
    return false;
  };
}
