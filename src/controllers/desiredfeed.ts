// The SE API's ConfigSource, fed by the informers: an observer of the caches, not a reconcile.
// Every VirtualService, Pool or ServiceEngine change recomputes buildDesired for the SEs it
// touches (a VS: the SEs in its old and new status.serviceEngines; a Pool: those of the VSs that
// use it) and puts the content; DesiredConfigs gives a new version only when the content changed,
// so a resync or a status-only change costs a hash and nothing else.
import type { Pool, ServiceEngine, VirtualService } from '../api/index.js';
import { objectKey } from '../runtime/index.js';
import { buildDesired, type DesiredConfigs } from '../seapi/index.js';
import type { ScaleInDrains } from './leaving.js';
import type { TLSSecrets } from './tlssecrets.js';
import { INDEX, type Informers, type VSObj } from './model/index.js';

const seKeysOfVS = (vs: VSObj): string[] =>
  (vs.status?.serviceEngines ?? []).flatMap((s) => (s.name === undefined ? [] : [`${vs.metadata.namespace ?? ''}/${s.name}`]));

export function feedDesiredConfigs(inf: Informers, configs: DesiredConfigs, tls?: TLSSecrets, drains?: ScaleInDrains): void {
  // A VS leaving an SE keeps its VIP there, draining, until its drain is done (leaving.ts).
  const recompute = (seKey: string): void => {
    const se = inf.serviceEngines.store.get(seKey);
    if (se === undefined || se.metadata.uid === undefined) return;
    const ns = se.metadata.namespace ?? '';
    // Leaving: a scale-in drain, still in the ECMP set or withdrawn with the fabric converging.
    const draining = drains?.onSE(seKey) ?? new Set<string>();
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
    onDelete: (se) => configs.delete(objectKey(se)),
  });
  drains?.onChange((seKey) => recompute(seKey));
  // A VS with enableSSL ports: its Secret is read (and re-read), its SEs recomputed when it changes.
  const track = (vs: VSObj): void => tls?.track(objectKey(vs), vs);
  tls?.onChange((vsKey) => { const vs = inf.virtualServices.store.get(vsKey); if (vs !== undefined) ofVS(vs); });
  inf.virtualServices.addHandlers({
    onAdd: (vs) => { track(vs); ofVS(vs); },
    onUpdate: (old, vs) => { track(vs); ofVS(old, vs); },
    onDelete: (vs) => { tls?.forget(objectKey(vs)); ofVS(vs); },
  });
  const ofPool = (pool: { metadata: { namespace?: string; name: string } }): void =>
    ofVS(...inf.virtualServices.store.byIndex(INDEX.vsByPool, objectKey(pool)));
  inf.pools.addHandlers({ onAdd: ofPool, onUpdate: (_o, p) => ofPool(p), onDelete: ofPool });
}
