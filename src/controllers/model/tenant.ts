// The namespace's project with both its name and its id: Contrail networks name their project
// (fq_name), Neutron networks carry its id (project_id), and Cloud.spec.tenants gives either.
// The project-scoped token (cached by Keystone) says both, so steady state costs no request.
import type { CloudConnection } from './connections.js';
import type { TenantProject } from './networks.js';

/** undefined: the namespace is not a tenant of the Cloud. */
export async function tenantOf(conn: CloudConnection, namespace: string): Promise<TenantProject | undefined> {
  const scope = conn.projectFor(namespace);
  if (scope === undefined) return undefined;
  const token = await conn.cloud.keystone.token(scope);
  const name = token.projectName ?? scope.name;
  const id = token.projectId ?? scope.id;
  return { ...(name !== undefined ? { name } : {}), ...(id !== undefined ? { id } : {}) };
}
