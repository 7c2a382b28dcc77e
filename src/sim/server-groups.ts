// Nova server groups (os-server-groups) and the compute hosts they schedule across: a group's
// policy (anti-affinity, affinity, and their soft variants) constrains which host a member may
// land on; a hard policy with no host left is Nova's "No valid host was found" — the boot is
// accepted and the server goes ERROR, as the real scheduler does it asynchronously.
import { createHash } from 'node:crypto';
import { ApiError } from './http.js';

export const POLICIES = ['anti-affinity', 'affinity', 'soft-anti-affinity', 'soft-affinity'] as const;
export type Policy = (typeof POLICIES)[number];

export interface ServerGroup {
  id: string;
  name: string;
  policy: Policy;
  /** 2.64+: max_server_per_host (anti-affinity only) */
  rules: { max_server_per_host?: number };
  members: string[];
  projectId: string;
  userId: string;
}

export const NO_VALID_HOST = 'No valid host was found. There are not enough hosts available.';

/** Nova's hostId: sha224 of project id and host name (hex), so a tenant can compare, not learn, hosts. */
export function hostIdOf(projectId: string, host: string): string {
  return createHash('sha224').update(projectId + host).digest('hex');
}

export class ServerGroups {
  readonly groups = new Map<string, ServerGroup>();

  /** A group by id visible to the project (admins see all), or Nova's 404. */
  get(id: string, projectId: string | undefined, admin: boolean): ServerGroup {
    const g = this.groups.get(id);
    if (g === undefined || (!admin && g.projectId !== projectId)) throw new ApiError(404, `Instance group ${id} could not be found.`, 'itemNotFound');
    return g;
  }

  /** The scheduler hint: the group must exist in the booting project (servers.py maps it to 400). */
  forHint(id: string, projectId: string): ServerGroup {
    const g = this.groups.get(id);
    if (g === undefined || g.projectId !== projectId) throw new ApiError(400, `Instance group ${id} could not be found.`, 'badRequest');
    return g;
  }

  /** Removes a deleted server from every group it was a member of. */
  forget(serverId: string): void {
    for (const g of this.groups.values()) g.members = g.members.filter((m) => m !== serverId);
  }

  /**
   * The host a new member goes to, or undefined for NoValidHost. `hostOf` gives the member
   * servers' hosts (a member still being scheduled has none). Least-loaded host first.
   */
  pickHost(g: ServerGroup | undefined, hosts: readonly string[], hostOf: (id: string) => string | undefined, load: (host: string) => number): string | undefined {
    const used = new Map<string, number>();
    for (const m of g?.members ?? []) {
      const h = hostOf(m);
      if (h !== undefined) used.set(h, (used.get(h) ?? 0) + 1);
    }
    let allowed = [...hosts];
    if (g?.policy === 'anti-affinity') {
      const max = g.rules.max_server_per_host ?? 1;
      allowed = allowed.filter((h) => (used.get(h) ?? 0) < max);
    } else if (g?.policy === 'affinity' && used.size > 0) {
      allowed = allowed.filter((h) => used.has(h));
    }
    // Soft policies only order the hosts: fewest (or most) members first.
    const rank = (h: string): number => (g?.policy === 'soft-anti-affinity' ? used.get(h) ?? 0 : g?.policy === 'soft-affinity' ? -(used.get(h) ?? 0) : 0);
    return allowed.sort((a, b) => rank(a) - rank(b) || load(a) - load(b) || a.localeCompare(b))[0];
  }
}
