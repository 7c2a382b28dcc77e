// Counting the writes to one object, as a write budget test needs them: the apiserver's audit log
// is not on in these clusters and the operator's rest_client_* metrics carry no resource, so a
// watch on the object records every new resourceVersion (any writer, any subresource) with what
// changed. Started from the object's current resourceVersion: only writes after start count.
import type { IncomingMessage } from 'node:http';
import { isDeepStrictEqual } from 'node:util';
import { kinds, type KindName } from '../../src/api/index.js';
import type { KubeObject } from '../../src/runtime/index.js';
import type { Harness } from './harness.js';

export interface ObjectWrite<T> {
  /** ms since the watch started */
  atMs: number;
  resourceVersion: string;
  /** the object as written */
  object: T;
  /** the object as it was before this write */
  before: T;
}

export interface WriteRecorder<T> {
  /** Ends the watch; the writes seen, in order. */
  stop(): Promise<ObjectWrite<T>[]>;
}

export async function recordWrites<T extends KubeObject>(h: Harness, kind: KindName, name: string): Promise<WriteRecorder<T>> {
  const k = kinds[kind];
  const path = `/apis/${k.apiVersion}${k.namespaced ? `/namespaces/${h.namespace}` : ''}/${k.plural}`;
  let last = await h.client.get<T>(`${path}/${name}`);
  const t0 = Date.now();
  const writes: ObjectWrite<T>[] = [];
  const ac = new AbortController();
  const res: IncomingMessage = await h.client.open('GET', path, {
    query: { watch: true, fieldSelector: `metadata.name=${name}`, resourceVersion: last.metadata.resourceVersion ?? '', timeoutSeconds: 3600 },
    signal: ac.signal, timeoutMs: 10_000,
  });
  if (res.statusCode !== 200) throw new Error(`watch ${kind}/${name}: HTTP ${res.statusCode ?? 0}`);
  let buf = '';
  let failed: Error | undefined;
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => {
    buf += chunk;
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i).trim();
      buf = buf.slice(i + 1);
      if (line === '') continue;
      const ev = JSON.parse(line) as { type: string; object: T };
      if (ev.type === 'ERROR') { failed = new Error(`watch ${kind}/${name}: ${JSON.stringify(ev.object)}`); continue; }
      if (ev.type !== 'MODIFIED' || ev.object.metadata.resourceVersion === last.metadata.resourceVersion) continue;
      writes.push({ atMs: Date.now() - t0, resourceVersion: ev.object.metadata.resourceVersion ?? '', object: ev.object, before: last });
      last = ev.object;
    }
  });
  let ended = false;
  res.on('end', () => { ended = true; });
  res.on('error', () => { ended = true; });
  return {
    stop: async () => {
      const endedEarly = ended;
      ac.abort();
      res.destroy();
      if (failed) throw failed;
      if (endedEarly) throw new Error(`watch ${kind}/${name} ended before stop(): writes after it were not counted`);
      return writes;
    },
  };
}

/** Top-level fields of `status` (and `spec`, `metadata.labels`/`annotations`) a write changed. */
export function changedFields<T extends KubeObject & { spec?: unknown; status?: unknown }>(w: ObjectWrite<T>): string[] {
  const out: string[] = [];
  const cmp = (prefix: string, a: unknown, b: unknown): void => {
    const ao = (a ?? {}) as Record<string, unknown>;
    const bo = (b ?? {}) as Record<string, unknown>;
    for (const key of new Set([...Object.keys(ao), ...Object.keys(bo)])) {
      if (!isDeepStrictEqual(ao[key], bo[key])) out.push(`${prefix}.${key}`);
    }
  };
  cmp('spec', w.before.spec, w.object.spec);
  cmp('status', w.before.status, w.object.status);
  cmp('metadata.labels', w.before.metadata.labels, w.object.metadata.labels);
  cmp('metadata.annotations', w.before.metadata.annotations, w.object.metadata.annotations);
  return out;
}
