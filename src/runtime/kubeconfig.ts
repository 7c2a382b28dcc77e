// Kubeconfig loading with kubectl's rules, where @kubernetes/client-node differs:
// - a path list (KUBECONFIG=a:b) is merged as kubectl merges it: for each named cluster, user and
//   context the FIRST file that defines it wins, and so does the first current-context set;
//   files that do not exist are skipped, unless none exists (client-node throws on duplicates
//   and on a missing file instead);
// - relative file references (certificate-authority, client-certificate, client-key, tokenFile)
//   are resolved against the directory of the file that holds them;
// - --context picks a context other than current-context, and a missing one is an error naming
//   the contexts there are.
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYAML } from 'yaml';

/** The kubeconfig as a JSON boundary: only the shape we merge on is typed. */
interface Named {
  name: string;
  [k: string]: unknown;
}
export interface KubeconfigDoc {
  apiVersion?: string;
  kind?: string;
  'current-context'?: string;
  clusters?: Named[];
  users?: Named[];
  contexts?: Named[];
  [k: string]: unknown;
}

export class KubeconfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KubeconfigError';
  }
}

const FILE_FIELDS: Record<'clusters' | 'users', { entry: string; fields: string[] }> = {
  clusters: { entry: 'cluster', fields: ['certificate-authority'] },
  users: { entry: 'user', fields: ['client-certificate', 'client-key', 'tokenFile'] },
};

function absolutise(doc: KubeconfigDoc, dir: string): KubeconfigDoc {
  const out: KubeconfigDoc = { ...doc };
  for (const list of ['clusters', 'users'] as const) {
    const { entry, fields } = FILE_FIELDS[list];
    out[list] = (doc[list] ?? []).map((n) => {
      const body = n[entry];
      if (typeof body !== 'object' || body === null) return n;
      const copy: Record<string, unknown> = { ...(body as Record<string, unknown>) };
      for (const f of fields) {
        const v = copy[f];
        if (typeof v === 'string' && v !== '' && !isAbsolute(v)) copy[f] = resolve(dir, v);
      }
      return { ...n, [entry]: copy };
    });
  }
  return out;
}

/** kubectl's merge: first definition of each name wins, first current-context wins. Pure. */
export function mergeKubeconfigs(docs: readonly KubeconfigDoc[]): KubeconfigDoc {
  const merged: KubeconfigDoc = { apiVersion: 'v1', kind: 'Config', clusters: [], users: [], contexts: [] };
  for (const d of docs) {
    if (merged['current-context'] === undefined && typeof d['current-context'] === 'string' && d['current-context'] !== '') {
      merged['current-context'] = d['current-context'];
    }
    for (const list of ['clusters', 'users', 'contexts'] as const) {
      const have = merged[list] as Named[];
      for (const n of d[list] ?? []) if (typeof n.name === 'string' && !have.some((h) => h.name === n.name)) have.push(n);
    }
  }
  return merged;
}

/** The paths of a kubeconfig setting: one path, or a list joined by ':' (';' on Windows). */
export function kubeconfigPaths(setting: string): string[] {
  return setting.split(delimiter).filter((p) => p !== '');
}

/** Reads and merges the files of a kubeconfig setting; throws KubeconfigError with one line. */
export function loadKubeconfig(setting: string): KubeconfigDoc {
  const paths = kubeconfigPaths(setting);
  const present = paths.filter((p) => existsSync(p));
  if (present.length === 0) throw new KubeconfigError(`no kubeconfig file found at ${paths.join(', ') || "''"}`);
  const docs = present.map((p) => {
    let doc: unknown;
    try {
      doc = parseYAML(readFileSync(p, 'utf8'));
    } catch (e) {
      throw new KubeconfigError(`kubeconfig ${p}: ${(e as Error).message.split('\n')[0] ?? 'unreadable'}`);
    }
    if (doc === null || doc === undefined) return {};
    if (typeof doc !== 'object' || Array.isArray(doc)) throw new KubeconfigError(`kubeconfig ${p}: not a kubeconfig (expected a mapping)`);
    return absolutise(doc as KubeconfigDoc, dirname(resolve(p)));
  });
  return mergeKubeconfigs(docs);
}

/** Sets current-context to `context` (the --context flag), refusing one that is not there. */
export function selectContext(doc: KubeconfigDoc, context: string | undefined): KubeconfigDoc {
  if (context === undefined) return doc;
  const names = (doc.contexts ?? []).map((c) => c.name);
  if (!names.includes(context)) throw new KubeconfigError(`context '${context}' not found in the kubeconfig (have: ${names.join(', ') || 'none'})`);
  return { ...doc, 'current-context': context };
}

/**
 * The agent's proxy for a kubeconfig cluster's proxy-url: http:// and https:// proxies are used
 * (CONNECT for an https apiserver); any other scheme (socks5://) is refused, never dropped.
 */
export function proxyFor(proxyURL: string | undefined): string | undefined {
  if (proxyURL === undefined || proxyURL === '') return undefined;
  let u: URL;
  try {
    u = new URL(proxyURL);
  } catch {
    throw new KubeconfigError(`the kubeconfig's proxy-url is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new KubeconfigError(`the kubeconfig's proxy-url scheme ${u.protocol.replace(/:$/, '')}:// is not supported (use an http:// or https:// proxy)`);
  }
  return u.href;
}
