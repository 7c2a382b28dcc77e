// The SE API's ConfigSource, fed by the informers: an observer of the caches, not a reconcile.
// Every VirtualService, Pool or ServiceEngine change recomputes buildDesired for the SEs it
// touches (a VS: the SEs in its old and new status.serviceEngines; a Pool: those of the VSs that
// use it) and puts the content; DesiredConfigs gives a new version only when the content changed,
// so a resync or a status-only change costs a hash and nothing else.
import type { Pool, ServiceEngine, VirtualService } from '../api/index.js';
import { objectKey } from '../runtime/index.js';
import { buildDesired, type DesiredConfigs } from '../seapi/index.js';
import { INDEX, type Informers, type VSObj } from './model/index.js';

const seKeysOfVS = (vs: VSObj): string[] =>
  (vs.status?.serviceEngines ?? []).flatMap((s) => (s.name === undefined ? [] : [`${vs.metadata.namespace ?? ''}/${s.name}`]));

export function feedDesiredConfigs(inf: Informers, configs: DesiredConfigs): void {
  const recompute = (seKey: string): void => {
    const se = inf.serviceEngines.store.get(seKey);
    if (se === undefined || se.metadata.uid === undefined) return;
    const ns = se.metadata.namespace ?? '';
    const virtualServices = inf.virtualServices.store.byIndex(INDEX.vsBySE, seKey);
    const pools = new Map<string, Pool>();
    for (const vs of virtualServices) {
      const p = inf.pools.store.get(`${ns}/${vs.spec.poolRef}`);
      if (p !== undefined) pools.set(vs.spec.poolRef, p as unknown as Pool);
    }
    const d = buildDesired({ se: se as unknown as ServiceEngine, virtualServices: virtualServices as unknown as VirtualService[], pools });
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
  inf.virtualServices.addHandlers({ onAdd: (vs) => ofVS(vs), onUpdate: (old, vs) => ofVS(old, vs), onDelete: (vs) => ofVS(vs) });
  const ofPool = (pool: { metadata: { namespace?: string; name: string } }): void =>
    ofVS(...inf.virtualServices.store.byIndex(INDEX.vsByPool, objectKey(pool)));
  inf.pools.addHandlers({ onAdd: ofPool, onUpdate: (_o, p) => ofPool(p), onDelete: ofPool });
}
