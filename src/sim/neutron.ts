// Neutron v2.0 under the Contrail plugin (cloud-api.md §5): networks, subnets, ports and
// floating IPs over the VNC store, with the NeutronError envelope and the plugin's error classes.
// One file per resource (neutron-networks/-subnets/-ports/-floatingips.ts) over the shared
// caller/visibility/listing helpers of neutron-scope.ts.
import { ApiError, Router, type Reply } from './http.js';
import type { Sim } from './context.js';
import { floatingIpRoutes } from './neutron-floatingips.js';
import { networkRoutes } from './neutron-networks.js';
import { portRoutes } from './neutron-ports.js';
import { neutronScope } from './neutron-scope.js';
import { subnetRoutes } from './neutron-subnets.js';

const STATUS_CLASS: Record<number, string> = {
  400: 'BadRequest', 403: 'NotAuthorized', 404: 'NotFound', 405: 'HTTPMethodNotAllowed', 409: 'Conflict',
  413: 'HTTPRequestEntityTooLarge', 429: 'OverQuota', 500: 'InternalServerError', 503: 'ServiceUnavailable',
};

export function neutronErrorReply(err: ApiError): Reply {
  if (err.status === 401) return { status: 401, headers: err.headers, body: { error: { code: 401, title: 'Unauthorized', message: err.message } } };
  const type = err.kind ?? STATUS_CLASS[err.status] ?? 'NeutronException';
  return { status: err.status, headers: err.headers, body: { NeutronError: { type, message: err.message, detail: '' } } };
}


export function neutronRouter(sim: Sim): Router {
  const n = neutronScope(sim);
  const r = new Router();
  r.add('GET', '/', () => ({ status: 200, body: { versions: [{ id: 'v2.0', status: 'CURRENT', links: [{ rel: 'self', href: `${sim.urls.neutron}/v2.0/` }] }] } }));
  r.add('GET', '/v2.0', () => ({ status: 200, body: { resources: ['networks', 'subnets', 'ports', 'floatingips'].map((n) => ({ name: n.replace(/s$/, ''), collection: n, links: [{ rel: 'self', href: `${sim.urls.neutron}/v2.0/${n}` }] })) } }));
  r.add('GET', '/v2.0/extensions', () => ({
    status: 200,
    body: { extensions: ['allowed-address-pairs', 'port-security', 'binding', 'security-group', 'quotas', 'router', 'extra_dhcp_opt'].map((a) => ({ alias: a, name: a, description: a, links: [], updated: '2013-01-01T00:00:00-00:00' })) },
  }));

  networkRoutes(r, sim, n);
  subnetRoutes(r, sim, n);
  portRoutes(r, sim, n);
  floatingIpRoutes(r, sim, n);
  return r;
}
