// Service Engine capacity, claimed with optimistic concurrency on the ServiceEngine object itself
// (as the scheduler binds a pod: a write with a resourceVersion precondition). Each virtual
// service placed on an SE holds a claim there — an entry in the annotation below — and a claim
// is only ever added by a write that saw fewer than maxVSPerSE claims on the SE's current
// version; a concurrent claimer's write makes ours fail with 409 and we decide again on the
// fresh object. So maxVSPerSE holds by construction, for any number of workers and replicas.
//
// Order that keeps "placed ⊆ claimed" true at every instant (docs/operator.md, capacity):
//   claim → program the VIP refs → write VS status → release the claims no longer placed.
//
// A claim's value is the VS's uid and, when made under a placement reservation
// (reservation.ts), that reservation's nonce: `uid/nonce`. A decision re-stamps the claims it
// keeps with its own nonce, and a release removes a claim only if it still has the exact value
// the releaser saw. So with two deciders on one VS (an old leader and a new one), the old one's
// release cannot take away a slot the new one has (re-)claimed: the value differs.
import { isConflict, isNotFound, objectPath, type KubeClient } from '../../runtime/index.js';
import { resourceOf, type SEObj } from './objects.js';

export const CLAIMS_ANNOTATION = 'lb.contrail-operator.io/vs-claims';
const SE = resourceOf('ServiceEngine');
const MAX_CONFLICTS = 32;

/** Claims on one SE: VirtualService name (same namespace) → its uid. */
export type Claims = ReadonlyMap<string, string>;
/** Claims on one SE as written: VirtualService name → `uid` or `uid/nonce`. */
export type ClaimTokens = ReadonlyMap<string, string>;

const uidOf = (token: string): string => { const i = token.indexOf('/'); return i < 0 ? token : token.slice(0, i); };
/** The value a claimant writes: its uid, and its reservation's nonce when it holds one. */
export const tokenOf = (vs: Pick<Claimant, 'uid' | 'nonce'>): string => (vs.nonce !== undefined ? `${vs.uid}/${vs.nonce}` : vs.uid);

/**
 * Parsed once per cached object, not once per caller: a group reconcile reads every SE's claims
 * for every VS, and a VS reconcile for every candidate SE in every planning round. Keyed by the
 * metadata object (the informer replaces objects, it never edits them) and checked against the
 * raw annotation, so an object edited in place is parsed again. Callers must not mutate the Map.
 */
const parsed = new WeakMap<object, { raw: string; claims: Claims; tokens: ClaimTokens }>();

function parsedOf(se: Pick<SEObj, 'metadata'>): { claims: Claims; tokens: ClaimTokens } | undefined {
  const raw = se.metadata.annotations?.[CLAIMS_ANNOTATION];
  if (raw === undefined || raw === '') return undefined;
  const hit = parsed.get(se.metadata);
  if (hit !== undefined && hit.raw === raw) return hit;
  const tokens = parseClaims(raw);
  const entry = { raw, tokens, claims: new Map([...tokens].map(([n, t]) => [n, uidOf(t)])) };
  parsed.set(se.metadata, entry);
  return entry;
}

export function claimsOf(se: Pick<SEObj, 'metadata'>): Claims {
  return parsedOf(se)?.claims ?? new Map();
}

export function claimTokensOf(se: Pick<SEObj, 'metadata'>): ClaimTokens {
  return parsedOf(se)?.tokens ?? new Map();
}

function parseClaims(raw: string): ClaimTokens {
  try {
    const value: unknown = JSON.parse(raw);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return new Map();
    return new Map(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch {
    return new Map(); // a hand-edited annotation; the next claim rewrites it
  }
}

export interface Claimant {
  name: string;
  uid: string;
  group: string;
  /** the placement reservation's nonce, when deciding under one */
  nonce?: string;
}

export type ClaimDecision =
  | { kind: 'held' }
  | { kind: 'full'; holders: string[] }
  | { kind: 'wrongGroup' }
  | { kind: 'write'; next: Map<string, string> };

/** Whether a VS may claim a slot on this version of the SE (pure). */
export function decideClaim(se: Pick<SEObj, 'metadata' | 'spec'>, vs: Claimant, maxVSPerSE: number, stale: ReadonlySet<string> = new Set()): ClaimDecision {
  if (se.spec.seGroupRef !== vs.group) return { kind: 'wrongGroup' };
  const claims = claimTokensOf(se);
  if (claims.get(vs.name) === tokenOf(vs) && stale.size === 0) return { kind: 'held' };
  const next = new Map([...claims].filter(([n]) => !stale.has(n) && n !== vs.name));
  if (next.size >= maxVSPerSE) return { kind: 'full', holders: [...next.keys()] };
  next.set(vs.name, tokenOf(vs));
  return { kind: 'write', next };
}

function encode(claims: ReadonlyMap<string, string>): string | null {
  if (claims.size === 0) return null; // merge patch: remove the annotation
  return JSON.stringify(Object.fromEntries([...claims].sort(([a], [b]) => a.localeCompare(b))));
}

export interface ClaimIO {
  client: KubeClient;
  signal?: AbortSignal;
  /**
   * Whether the VS `name` with this uid still exists (a fresh read, not a cache): claims of a VS
   * that is gone are pruned when an SE looks full. Only ever prunes what was really deleted.
   */
  holderExists?(name: string, uid: string): Promise<boolean>;
}

async function write(io: ClaimIO, se: SEObj, claims: ReadonlyMap<string, string>): Promise<SEObj> {
  const patch = { metadata: { resourceVersion: se.metadata.resourceVersion, annotations: { [CLAIMS_ANNOTATION]: encode(claims) } } };
  const ref = { namespace: se.metadata.namespace ?? '', name: se.metadata.name };
  return io.client.patch<SEObj>(objectPath(SE, ref), patch, 'merge', { ...(io.signal !== undefined ? { signal: io.signal } : {}) });
}

async function read(io: ClaimIO, namespace: string, name: string): Promise<SEObj | undefined> {
  try {
    return await io.client.get<SEObj>(objectPath(SE, { namespace, name }), { ...(io.signal !== undefined ? { signal: io.signal } : {}) });
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

export type ClaimOutcome = 'claimed' | 'full' | 'gone';

/**
 * Claims a slot for `vs` on the SE (start from `cached`, e.g. the informer's copy; a 409 reads it
 * again). 'full': maxVSPerSE other virtual services hold it. 'gone': the SE no longer exists,
 * is being deleted or belongs to another group.
 */
export async function claimSE(io: ClaimIO, cached: SEObj, vs: Claimant, maxVSPerSE: number): Promise<ClaimOutcome> {
  const ns = cached.metadata.namespace ?? '';
  let se: SEObj | undefined = cached;
  let stale = new Set<string>();
  for (let attempt = 0; attempt < MAX_CONFLICTS; attempt++) {
    if (se === undefined || se.metadata.deletionTimestamp !== undefined) return 'gone';
    const d = decideClaim(se, vs, maxVSPerSE, stale);
    if (d.kind === 'held') return 'claimed';
    if (d.kind === 'wrongGroup') return 'gone';
    if (d.kind === 'full') {
      const gone = await staleHolders(io, se, d.holders);
      if (gone.size === 0) return 'full';
      stale = gone;
      continue;
    }
    try {
      await write(io, se, d.next);
      return 'claimed';
    } catch (e) {
      if (isNotFound(e)) return 'gone';
      if (!isConflict(e)) throw e;
      se = await read(io, ns, cached.metadata.name);
      stale = new Set();
    }
  }
  throw new Error(`ServiceEngine ${ns}/${cached.metadata.name}: ${MAX_CONFLICTS} conflicting claim writes in a row`);
}

async function staleHolders(io: ClaimIO, se: SEObj, holders: readonly string[]): Promise<Set<string>> {
  const out = new Set<string>();
  if (io.holderExists === undefined) return out;
  const claims = claimsOf(se);
  for (const name of holders) {
    if (!(await io.holderExists(name, claims.get(name) ?? ''))) out.add(name);
  }
  return out;
}

/**
 * Drops the VS's claim on the SE if it still has the value seen on `cached` (no-op if it holds
 * none, another decider re-stamped it meanwhile, or the SE is gone).
 */
export async function releaseSE(io: ClaimIO, cached: SEObj, vs: Pick<Claimant, 'name' | 'uid'>): Promise<void> {
  const ns = cached.metadata.namespace ?? '';
  const seen = claimTokensOf(cached).get(vs.name);
  if (seen === undefined || uidOf(seen) !== vs.uid) return;
  let se: SEObj | undefined = cached;
  for (let attempt = 0; attempt < MAX_CONFLICTS; attempt++) {
    if (se === undefined) return;
    const claims = claimTokensOf(se);
    if (claims.get(vs.name) !== seen) return;
    const next = new Map(claims);
    next.delete(vs.name);
    try {
      await write(io, se, next);
      return;
    } catch (e) {
      if (isNotFound(e)) return;
      if (!isConflict(e)) throw e;
      se = await read(io, ns, cached.metadata.name);
    }
  }
  throw new Error(`ServiceEngine ${ns}/${cached.metadata.name}: ${MAX_CONFLICTS} conflicting release writes in a row`);
}

/** The SEs (of the given list) on which this VS holds a claim. */
export function claimedBy(ses: readonly SEObj[], vs: Pick<Claimant, 'name' | 'uid'>): SEObj[] {
  return ses.filter((se) => claimsOf(se).get(vs.name) === vs.uid);
}

/** Claims by other virtual services: what placement counts as an SE's load. */
export function othersClaims(se: Pick<SEObj, 'metadata'>, vsName: string): number {
  let n = 0;
  for (const name of claimsOf(se).keys()) if (name !== vsName) n++;
  return n;
}
