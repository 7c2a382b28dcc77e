// JSON shapes of VNC reads and lists (cloud-api.md §1.3, §1.6), built on the fly from the store
// so the store keeps only what was written (id_perms/perms2 are derived, which saves memory).
import { CHILD_TYPES, TYPES, underscored } from './schema.js';
import { pyIso } from './rand.js';
import { isObject, type VncObject, type VncStore } from './store.js';

export interface RenderOptions {
  /** Restricts properties and refs to these names. */
  fields?: ReadonlySet<string>;
  /** Restricts back-refs and children to these names (undefined: all). */
  extra?: ReadonlySet<string>;
  backRefs?: boolean;
  children?: boolean;
  hrefs?: boolean;
}

function uuidLongs(uuid: string): { uuid_mslong: number; uuid_lslong: number } {
  const h = uuid.replace(/-/g, '');
  return { uuid_mslong: Number(BigInt(`0x${h.slice(0, 16)}`)), uuid_lslong: Number(BigInt(`0x${h.slice(16)}`)) };
}

export function idPerms(o: VncObject): Record<string, unknown> {
  const given = isObject(o.props['id_perms']) ? o.props['id_perms'] : {};
  return {
    enable: given['enable'] ?? true,
    uuid: uuidLongs(o.uuid),
    created: pyIso(o.created),
    last_modified: pyIso(o.modified),
    permissions: { owner: 'cloud-admin', owner_access: 7, group: 'cloud-admin-group', group_access: 7, other_access: 7 },
    description: given['description'] ?? null,
    user_visible: given['user_visible'] ?? true,
    creator: given['creator'] ?? null,
  };
}

export function perms2(o: VncObject): Record<string, unknown> {
  const given = isObject(o.props['perms2']) ? o.props['perms2'] : {};
  return { owner: o.owner, owner_access: 7, global_access: 0, share: [], ...given };
}

/** `GET /<type>/<uuid>` body (the inner object). */
export function renderObject(store: VncStore, o: VncObject, opt: RenderOptions = {}): Record<string, unknown> {
  const hrefs = opt.hrefs !== false;
  const want = (k: string): boolean => opt.fields === undefined || opt.fields.has(k);
  const out: Record<string, unknown> = { uuid: o.uuid, name: o.fq[o.fq.length - 1], fq_name: o.fq };
  if (o.parentType !== undefined) {
    out['parent_type'] = o.parentType;
    out['parent_uuid'] = o.parentUuid;
    if (hrefs) out['parent_href'] = store.href(o.parentType, o.parentUuid as string);
  }
  if (hrefs) out['href'] = store.href(o.type, o.uuid);
  out['id_perms'] = idPerms(o);
  out['perms2'] = perms2(o);
  for (const [k, v] of Object.entries(o.props)) {
    if (k === 'id_perms' || k === 'perms2' || v === undefined || !want(k)) continue;
    out[k] = v;
  }
  const spec = TYPES[o.type];
  for (const field of Object.keys(spec?.refs ?? {})) {
    const list = o.refs[field];
    if (list === undefined || !want(field)) continue;
    out[field] = list.map((r) => {
      const e: Record<string, unknown> = { to: r.to, uuid: r.uuid, attr: r.attr ?? null };
      if (hrefs) e['href'] = store.href(store.typeOfField(field), r.uuid);
      return e;
    });
  }
  if (opt.backRefs !== false) {
    for (const r of store.referrers(o.uuid)) {
      const key = `${underscored(r.type)}_back_refs`;
      if (opt.extra !== undefined && !opt.extra.has(key)) continue;
      for (const list of Object.values(r.refs)) {
        for (const ref of list) {
          if (ref.uuid !== o.uuid) continue;
          const e: Record<string, unknown> = { to: r.fq, uuid: r.uuid, attr: ref.attr ?? null };
          if (hrefs) e['href'] = store.href(r.type, r.uuid);
          ((out[key] ??= []) as unknown[]).push(e);
        }
      }
    }
  }
  if (opt.children !== false && (CHILD_TYPES[o.type]?.length ?? 0) > 0) {
    for (const c of store.childrenOf(o.uuid)) {
      const key = `${underscored(c.type)}s`;
      if (opt.extra !== undefined && !opt.extra.has(key)) continue;
      const e: Record<string, unknown> = { to: c.fq, uuid: c.uuid };
      if (hrefs) e['href'] = store.href(c.type, c.uuid);
      ((out[key] ??= []) as unknown[]).push(e);
    }
  }
  return out;
}

/** The create response (§1.2): name, fq_name, uuid, href and the parent_* keys. */
export function renderCreated(store: VncStore, o: VncObject): Record<string, unknown> {
  const out: Record<string, unknown> = {
    name: o.fq[o.fq.length - 1], fq_name: o.fq, uuid: o.uuid, href: store.href(o.type, o.uuid),
  };
  if (o.parentType !== undefined) {
    out['parent_type'] = o.parentType;
    out['parent_uuid'] = o.parentUuid;
    out['parent_href'] = store.href(o.parentType, o.parentUuid as string);
  }
  return out;
}
