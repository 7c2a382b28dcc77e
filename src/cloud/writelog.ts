// One info log line for every object the operator creates in or deletes from the cloud (and every
// vNIC it attaches or detaches), so an admin can answer "what did the operator do to my project?"
// from the log alone, at the default level. Pure: from the request that succeeded and its parsed
// answer to the line's message and fields — kind, name, id, owner — or nothing for reads and
// updates. Only those fields are picked out: a server's user_data (the SE's bootstrap token) and
// Nova's adminPass in the answer are never read, so they cannot reach the log.
import type { CloudRequest } from './http.js';
import { ownerFromAnnotations, ownerFromDescription, ownerFromMetadata, ownerKey, type Owner } from './owner.js';
import type { Annotations } from './contrail.js';

export interface WriteLogLine {
  message: 'cloud object created' | 'cloud object deleted' | 'cloud interface attached' | 'cloud interface detached';
  fields: { api: string; kind: string; id: string; name?: string; owner?: string; server?: string };
}

type Rec = Record<string, unknown>;
const rec = (v: unknown): Rec | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Rec) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** `Kind/namespace/name (uid)`: who the object belongs to, as its owner tag says. */
function ownerText(o: Owner | undefined): string | undefined {
  return o === undefined ? undefined : `${ownerKey(o)} (${o.uid})`;
}

/** The path's segments after the API's base (the last ones carry the ids). */
function segments(url: string): string[] {
  try { return new URL(url).pathname.split('/').filter((s) => s !== ''); } catch { return []; }
}

const NEUTRON_KINDS: Record<string, string> = { createPort: 'port', deletePort: 'port', createFloatingIP: 'floatingip', deleteFloatingIP: 'floatingip' };

function line(message: WriteLogLine['message'], api: string, kind: string, id: string | undefined, extra: Omit<WriteLogLine['fields'], 'api' | 'kind' | 'id'> = {}): WriteLogLine | undefined {
  if (id === undefined) return undefined;
  const fields: WriteLogLine['fields'] = { api, kind, id };
  for (const [k, v] of Object.entries(extra) as [keyof typeof extra, string | undefined][]) if (v !== undefined) fields[k] = v;
  return { message, fields };
}

/** The log line a successful cloud request deserves, or undefined (reads, updates, auth). */
export function writeLogLine(req: Pick<CloudRequest, 'api' | 'op' | 'method' | 'url' | 'json'>, body: unknown): WriteLogLine | undefined {
  const path = segments(req.url);
  const last = path[path.length - 1];
  if (req.api === 'nova') {
    if (req.op === 'createServer') {
      const s = rec(rec(req.json)?.['server']);
      const meta = rec(s?.['metadata']) as Record<string, string> | undefined;
      return line('cloud object created', 'nova', 'server', str(rec(rec(body)?.['server'])?.['id']), { name: str(s?.['name']), owner: ownerText(ownerFromMetadata(meta)) });
    }
    if (req.op === 'deleteServer') return line('cloud object deleted', 'nova', 'server', last);
    if (req.op === 'attachInterface') {
      const a = rec(rec(body)?.['interfaceAttachment']);
      return line('cloud interface attached', 'nova', 'port', str(a?.['port_id']) ?? str(rec(rec(req.json)?.['interfaceAttachment'])?.['port_id']), { server: path[path.length - 2] });
    }
    if (req.op === 'detachInterface') return line('cloud interface detached', 'nova', 'port', last, { server: path[path.length - 3] });
    return undefined;
  }
  if (req.api === 'neutron') {
    const kind = NEUTRON_KINDS[req.op];
    if (kind === undefined) return undefined;
    if (req.method === 'DELETE') return line('cloud object deleted', 'neutron', kind, last);
    const sent = rec(rec(req.json)?.[kind]);
    const got = rec(rec(body)?.[kind]);
    return line('cloud object created', 'neutron', kind, str(got?.['id']), { name: str(sent?.['name']), owner: ownerText(ownerFromDescription(str(sent?.['description']))) });
  }
  if (req.api === 'contrail') {
    const [verb, type] = req.op.split(':');
    if (type === undefined) return undefined;
    if (verb === 'delete') return line('cloud object deleted', 'contrail', type, last);
    if (verb !== 'create') return undefined;
    const sent = rec(rec(req.json)?.[type]);
    const fq = Array.isArray(sent?.['fq_name']) ? (sent['fq_name'] as unknown[]).map(String).join(':') : undefined;
    return line('cloud object created', 'contrail', type, str(rec(rec(body)?.[type])?.['uuid']), {
      name: str(sent?.['display_name']) ?? fq, owner: ownerText(ownerFromAnnotations(rec(sent?.['annotations']) as Annotations | undefined)),
    });
  }
  return undefined;
}
