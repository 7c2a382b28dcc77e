// The image and flavor an SE boots with, when its ServiceEngine or ServiceEngineGroup overrides
// the Cloud's default: Nova's imageRef must be an image id and flavorRef a flavor id, but the
// spec takes a name as well (as Cloud.spec.serviceEngine does). The Cloud default is resolved by
// the Cloud check; an override is resolved here, only when a boot needs it, against lists kept
// for one Cloud resync period — SEs with no override make no call at all.
import { NotFound, type Session } from '../../cloud/index.js';
import { cloudResyncMs, type CloudConnection } from '../model/index.js';

export interface Named { id: string; name?: string }

/** By id first, then by unique name (pure); a string says what is wrong. */
export function pickRef(items: readonly Named[], want: string): string | { problem: string } {
  if (items.some((i) => i.id === want)) return want;
  const named = items.filter((i) => i.name === want);
  if (named.length === 1) return (named[0] as Named).id;
  if (named.length > 1) return { problem: `${named.length} match the name '${want}'; give the id` };
  return { problem: `none named or with id '${want}'` };
}

interface Lists { at: number; images: Named[]; flavors: Named[] }

export class BootRefs {
  private readonly lists = new Map<string, Lists>();

  constructor(private readonly now: () => number) {}

  /**
   * The ids to boot with. `image`/`flavor` are the override (undefined: the Cloud's default,
   * already resolved). A name the cached lists lack is looked up once more on fresh lists (it
   * may have been uploaded since) before the boot fails with a NotFound naming it.
   */
  async resolve(conn: CloudConnection, session: Session, want: { image: string | undefined; flavor: string | undefined }): Promise<{ imageRef: string; flavorRef: string }> {
    const resolved = conn.resolved;
    const defaults = { imageRef: resolved?.imageUUID ?? '', flavorRef: resolved?.flavorID ?? '' };
    const needImage = want.image !== undefined && want.image !== conn.spec.serviceEngine.image;
    const needFlavor = want.flavor !== undefined && want.flavor !== conn.spec.serviceEngine.flavor;
    if (!needImage && !needFlavor) return defaults;
    const pick = async (fresh: boolean): Promise<{ imageRef: string; flavorRef: string; problems: string[] }> => {
      const l = await this.listsFor(conn, session, fresh);
      const problems: string[] = [];
      const one = (what: string, items: Named[], w: string | undefined, dflt: string, need: boolean): string => {
        if (!need || w === undefined) return dflt;
        const r = pickRef(items, w);
        if (typeof r === 'string') return r;
        problems.push(`${what}: ${r.problem}`);
        return '';
      };
      return { imageRef: one('image', l.images, want.image, defaults.imageRef, needImage), flavorRef: one('flavor', l.flavors, want.flavor, defaults.flavorRef, needFlavor), problems };
    };
    let r = await pick(false);
    if (r.problems.length > 0) r = await pick(true);
    if (r.problems.length > 0) throw new NotFound({ api: 'nova', op: 'resolveBootRefs', serverMessage: r.problems.join('; ') });
    return { imageRef: r.imageRef, flavorRef: r.flavorRef };
  }

  private async listsFor(conn: CloudConnection, session: Session, fresh: boolean): Promise<Lists> {
    const cached = this.lists.get(conn.name);
    const now = this.now();
    // "Fresh" still reuses a list a second old: a burst of SEs with one bad name lists once.
    const maxAge = fresh ? 1_000 : cloudResyncMs(conn.spec);
    if (cached !== undefined && now - cached.at < maxAge) return cached;
    const nova = await session.endpoint('compute');
    const glance = await session.endpoint('image');
    // Glance pages at 25 by default; 1000 is its usual api_limit_max.
    const flavors = (await session.request<{ flavors: Named[] }>({ api: 'nova', op: 'listFlavors', method: 'GET', url: `${nova.replace(/\/+$/, '')}/flavors` })).body.flavors;
    const images = (await session.request<{ images: Named[] }>({ api: 'nova', op: 'listImages', method: 'GET', url: `${glance.replace(/\/+$/, '')}/v2/images?limit=1000` })).body.images;
    const l: Lists = { at: now, images, flavors };
    this.lists.set(conn.name, l);
    return l;
  }
}
