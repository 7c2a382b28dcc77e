// The SE API's ConfigSource, fed by the informers: an observer of the caches, not a reconcile.
// Every VirtualService, Pool or ServiceEngine change recomputes buildDesired for the SEs it
// touches (a VS: the SEs in its old and new status.serviceEngines; a Pool: those of the VSs that
// use it) and puts the content; DesiredConfigs gives a new version only when the content changed,
// so a resync or a status-only change costs a hash and nothing else.
import type { Pool, ServiceEngine, VirtualService } from '../api/index.js';
import { objectKey } from '../runtime/index.js';
import { buildDesired, type DesiredConfigs } from '../seapi/index.js';
import { LeavingSEs, type ScaleInDrains } from './leaving.js';
import type { TLSSecrets } from './tlssecrets.js';
import { INDEX, type Informers, type VSObj } from './model/index.js';

const seKeysOfVS = (vs: VSObj): string[] =>
  (vs.status?.serviceEngines ?? []).flatMap((s) => (s.name === undefined ? [] : [`${vs.metadata.namespace ?? ''}/${s.name}`]));

export function feedDesiredConfigs(inf: Informers, configs: DesiredConfigs, drainMs?: number, tls?: TLSSecrets, drains?: ScaleInDrains): void {
  // A VS that left an SE keeps its VIP there, draining, for a moment (leaving.ts).
  const leaving = new LeavingSEs((seKey) => recompute(seKey), drainMs);
  const recompute = (seKey: string): void => {
    const se = inf.serviceEngines.store.get(seKey);
    if (se === undefined || se.metadata.uid === undefined) return;
    const ns = se.metadata.namespace ?? '';
    // Left (withdrawn, the fabric converging) or leaving (a scale-in drain, still in the ECMP set).
    const draining = new Set([...leaving.of(seKey), ...(drains?.onSE(seKey) ?? [])]);
    const placed = inf.virtualServices.store.byIndex(INDEX.vsBySE, seKey);
    const left = [...draining].flatMap((name) => inf.virtualServices.store.get(`${ns}/${name}`) ?? []).filter((vs) => !placed.includes(vs));
    const virtualServices = [...placed, ...left];
    const pools = new Map<string, Pool>();
    for (const vs of virtualServices) {
      const p = inf.pools.store.get(`${ns}/${vs.spec.poolRef}`);
      if (p !== undefined) pools.set(vs.spec.poolRef, p as unknown as Pool);
    }
    const d = buildDesired({
      se: se as unknown as ServiceEngine, virtualServices: virtualServices as unknown as VirtualService[], pools, draining,
      ...(tls !== undefined ? { tlsOf: (vs: VirtualService) => tls.of(objectKey(vs as never)) } : {}),
    });
    configs.put(d.serviceEngine, d.vips);
  };
  const ofVS = (...vss: VSObj[]): void => {
    for (const k of new Set(vss.flatMap(seKeysOfVS))) recompute(k);
  };
  inf.serviceEngines.addHandlers({
    onAdd: (se) => recompute(objectKey(se)),
    onUpdate: (_old, se) => recompute(objectKey(se)),
    onDelete: (se) => { leaving.forgetSE(objectKey(se)); configs.delete(objectKey(se)); },
  });
  drains?.onChange((seKey) => recompute(seKey));
  const moved = (old: VSObj, vs: VSObj): void => {
    const now = new Set(seKeysOfVS(vs));
    for (const k of now) leaving.stay(k, vs.metadata.name);
    for (const k of seKeysOfVS(old)) if (!now.has(k)) leaving.leave(k, vs.metadata.name);
  };
  const gone = (vs: VSObj): void => { for (const k of seKeysOfVS(vs)) leaving.stay(k, vs.metadata.name); };
  // A VS with enableSSL ports: its Secret is read (and re-read), its SEs recomputed when it changes.
  const track = (vs: VSObj): void => tls?.track(objectKey(vs), vs);
  tls?.onChange((vsKey) => { const vs = inf.virtualServices.store.get(vsKey); if (vs !== undefined) ofVS(vs); });
  inf.virtualServices.addHandlers({
    onAdd: (vs) => { track(vs); ofVS(vs); },
    onUpdate: (old, vs) => { track(vs); moved(old, vs); ofVS(old, vs); },
    onDelete: (vs) => { tls?.forget(objectKey(vs)); gone(vs); ofVS(vs); },
  });
  const ofPool = (pool: { metadata: { namespace?: string; name: string } }): void =>
    ofVS(...inf.virtualServices.store.byIndex(INDEX.vsByPool, objectKey(pool)));
  inf.pools.addHandlers({ onAdd: ofPool, onUpdate: (_o, p) => ofPool(p), onDelete: ofPool });
}
