// The checking pipeline behind `validate`, in process: sources in, problems out.
import { formatPath, type FieldPath } from '../../api/errors.js';
import { apiVersion as ourApiVersion, group } from '../../api/kinds.js';
import { validateObject } from '../../api/validate.js';
import { parseFile, type ParsedDocument } from './documents.js';
import type { Source } from './input.js';
import { findDuplicates, findVIPConflicts, resolveRefs, type ObjectRecord } from './semantic.js';

export interface Problem {
  file: string;
  line: number;
  kind?: string;
  namespace?: string;
  name?: string;
  /** field.path, empty for a problem with the whole document */
  path: string;
  message: string;
}

export interface CheckOptions {
  strict: boolean;
  resolveRefs: boolean;
}

export interface CheckReport {
  problems: Problem[];
  /** Objects of our kinds checked. */
  objects: number;
  /** Documents of other kinds, ignored (or reported under --strict). */
  ignored: number;
  files: number;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

interface Located {
  source: Source;
  doc: ParsedDocument;
  /** Prefix inside the document: [] or ['items', i] for a v1 List. */
  prefix: FieldPath;
  value: unknown;
}

/** A document, or the items of a kind: List document (as kubectl get -o yaml writes them). */
function expand(source: Source, doc: ParsedDocument): Located[] {
  const v = doc.value;
  if (isObj(v) && v.kind === 'List' && v.apiVersion === 'v1' && Array.isArray(v.items)) {
    return v.items.map((item, i) => ({ source, doc, prefix: ['items', i], value: item }));
  }
  return [{ source, doc, prefix: [], value: v }];
}

function identityOf(v: Record<string, unknown>): Pick<Problem, 'kind' | 'namespace' | 'name'> {
  const meta = isObj(v.metadata) ? v.metadata : {};
  return {
    ...(typeof v.kind === 'string' ? { kind: v.kind } : {}),
    ...(typeof meta.namespace === 'string' ? { namespace: meta.namespace } : {}),
    ...(typeof meta.name === 'string' ? { name: meta.name } : {}),
  };
}

export function checkSources(sources: readonly Source[], opts: CheckOptions): CheckReport {
  const problems: Problem[] = [];
  const records: ObjectRecord[] = [];
  const recordPlace = new Map<ObjectRecord, Located>();
  let objects = 0;
  let ignored = 0;
  for (const source of sources) {
    const parsed = parseFile(source.text);
    for (const e of parsed.syntaxErrors) problems.push({ file: source.name, line: e.line, path: '', message: e.message });
    for (const loc of parsed.documents.flatMap((d) => expand(source, d))) {
      const at = (path: FieldPath): number => loc.doc.lineOf([...loc.prefix, ...path]);
      const v = loc.value;
      const prefixPath = formatPath(loc.prefix);
      const fail = (path: FieldPath, message: string, who: Pick<Problem, 'kind' | 'namespace' | 'name'> = {}): void => {
        problems.push({ file: source.name, line: at(path), ...who, path: formatPath([...loc.prefix, ...path]), message });
      };
      if (!isObj(v)) {
        fail([], `document ${loc.doc.index}${prefixPath === '' ? '' : ` ${prefixPath}`} is not an object (a Kubernetes manifest is a mapping with apiVersion and kind)`);
        continue;
      }
      const who = identityOf(v);
      const hasVersion = typeof v.apiVersion === 'string' && v.apiVersion !== '';
      const hasKind = typeof v.kind === 'string' && v.kind !== '';
      const ours = hasVersion && (v.apiVersion === ourApiVersion || String(v.apiVersion).startsWith(`${group}/`));
      if (hasVersion && hasKind && !ours) {
        ignored++;
        if (opts.strict) fail(['kind'], `kind "${String(v.kind)}" in version "${String(v.apiVersion)}" is not a contrail-lb kind (--strict)`, who);
        continue;
      }
      const result = validateObject(v, { ignoreStatus: true });
      for (const e of result.errors) fail(e.path, `${e.message}`, who);
      if (result.kind === undefined || result.defaulted === undefined) continue;
      objects++;
      const meta = isObj(v.metadata) ? v.metadata : {};
      if (typeof meta.name !== 'string') continue;
      const record: ObjectRecord = {
        kind: result.kind,
        namespace: typeof meta.namespace === 'string' ? meta.namespace : undefined,
        name: meta.name,
        object: v,
        defaulted: result.defaulted,
        where: () => `${source.name}:${loc.doc.lineOf(loc.prefix)}`,
      };
      records.push(record);
      recordPlace.set(record, loc);
    }
  }
  const semantic = [...findDuplicates(records), ...findVIPConflicts(records), ...(opts.resolveRefs ? resolveRefs(records) : [])];
  for (const p of semantic) {
    const loc = recordPlace.get(p.record);
    if (loc === undefined) continue;
    problems.push({
      file: loc.source.name,
      line: loc.doc.lineOf([...loc.prefix, ...p.path]),
      ...identityOf(p.record.object),
      path: formatPath([...loc.prefix, ...p.path]),
      message: p.message,
    });
  }
  return { problems, objects, ignored, files: sources.length };
}

/** FILE:LINE: Kind/namespace/name: field.path: message */
export function formatProblem(p: Problem): string {
  const who = p.kind === undefined ? undefined : [p.kind, p.namespace, p.name ?? '(unnamed)'].filter((s) => s !== undefined).join('/');
  return [`${p.file}:${p.line}`, who, p.path === '' ? undefined : p.path, p.message].filter((s) => s !== undefined).join(': ');
}
