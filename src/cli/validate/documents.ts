// Splits a manifest file into documents, and finds the line of a field when a problem needs one.
//
// Scalars are resolved the way kubectl's decoder (go-yaml v2 under sigs.k8s.io/yaml) resolves
// them: YAML 1.1 booleans (y/n/yes/no/on/off), no timestamps (a date stays a string). JSON is YAML
// too, so one path serves both.
//
// Two parsers, for speed: js-yaml reads the values (several times faster than `yaml` on a cold
// process, which is what a pipeline runs), and `yaml`, which keeps source positions, re-reads only
// the files that have a problem to report. Files with aliases or a syntax error go through `yaml`
// from the start: it caps alias expansion and words syntax errors well.
import { createRequire } from 'node:module';
import jsYaml from 'js-yaml';
import type { Document, DocumentOptions, Node, ParseOptions, SchemaOptions } from 'yaml';
import type { FieldPath } from '../../api/errors.js';

export interface ParsedDocument {
  /** 1-based index of the document in its file. */
  index: number;
  /** The document's value (empty documents are not listed). */
  value: unknown;
  /** Line (1-based) of a field: the deepest part of path that exists in the source ([] = the document). */
  lineOf(path: FieldPath): number;
}

export interface SyntaxProblem {
  line: number;
  message: string;
}

export interface ParsedFile {
  documents: ParsedDocument[];
  syntaxErrors: SyntaxProblem[];
}

const maxAliasCount = 100;

const trueWords = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON']);
const falseWords = new Set(['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF']);

const yaml11Bool = new jsYaml.Type('tag:yaml.org,2002:bool', {
  kind: 'scalar',
  resolve: (data: unknown) => typeof data === 'string' && (trueWords.has(data) || falseWords.has(data)),
  construct: (data: string) => trueWords.has(data),
  predicate: (o: unknown) => typeof o === 'boolean',
  represent: (o: object) => String(o),
});

// js-yaml exports its built-in types at run time; @types/js-yaml does not declare them.
const builtin = (jsYaml as unknown as { types: Record<'null' | 'int' | 'float' | 'merge', jsYaml.Type> }).types;

const kubectlSchema = jsYaml.FAILSAFE_SCHEMA.extend({
  implicit: [builtin.null, yaml11Bool, builtin.int, builtin.float, builtin.merge],
});

/** Tags of `yaml`'s 1.1 schema minus timestamp, matching kubectlSchema's resolution. */
const yamlOptions: ParseOptions & DocumentOptions & SchemaOptions = {
  version: '1.1',
  prettyErrors: false,
  uniqueKeys: true,
  customTags: (tags) => tags.filter((t) => t !== 'timestamp' && (t as { tag?: string }).tag !== 'tag:yaml.org,2002:timestamp'),
};

// `yaml` is loaded on first need (a file with a problem): a run with nothing to report never pays for it.
type YamlModule = typeof import('yaml');
let yamlModule: YamlModule | undefined;
function yaml(): YamlModule {
  yamlModule ??= createRequire(import.meta.url)('yaml') as YamlModule;
  return yamlModule;
}

/** Source positions of one file's documents, built on first need. */
class Positions {
  private docs: Document.Parsed[] | undefined;
  private readonly lines = new (yaml().LineCounter)();

  constructor(private readonly text: string) {}

  private parsed(): Document.Parsed[] {
    if (this.docs === undefined) {
      const docs = yaml().parseAllDocuments(this.text, { ...yamlOptions, lineCounter: this.lines });
      this.docs = Array.isArray(docs) ? docs : [];
    }
    return this.docs;
  }

  lineOf(docIndex: number, path: FieldPath): number {
    const doc = this.parsed()[docIndex - 1];
    if (doc === undefined) return 1;
    const { isMap, isScalar, isSeq } = yaml();
    let node: unknown = doc.contents;
    let offset = (doc.contents as Node | null)?.range?.[0] ?? doc.range[0];
    for (const seg of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : undefined) === String(seg));
        if (pair === undefined) break;
        offset = (pair.key as Node | null)?.range?.[0] ?? offset;
        node = pair.value;
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg] as Node | undefined;
        if (item === undefined) break;
        offset = item.range?.[0] ?? offset;
        node = item;
      } else {
        break;
      }
    }
    return this.lines.linePos(offset).line;
  }
}

/** The slow, precise path: values, positions and syntax errors all from `yaml`. */
function parseWithYaml(text: string): ParsedFile {
  const positions = new Positions(text);
  const lines = new (yaml().LineCounter)();
  const docs = yaml().parseAllDocuments(text, { ...yamlOptions, lineCounter: lines });
  const documents: ParsedDocument[] = [];
  const syntaxErrors: SyntaxProblem[] = [];
  (Array.isArray(docs) ? docs : []).forEach((doc, i) => {
    if (doc.errors.length > 0) {
      for (const e of doc.errors.slice(0, 3)) {
        const line = e.linePos?.[0].line ?? lines.linePos(e.pos[0]).line;
        const text = e.message.split('\n')[0] ?? e.code;
        syntaxErrors.push({ line, message: `YAML syntax error: ${/call stack/i.test(text) ? 'nested too deeply to read' : text}` });
      }
      return;
    }
    if (doc.contents === null) return;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount });
    } catch (err) {
      const line = lines.linePos((doc.contents as Node).range?.[0] ?? 0).line;
      syntaxErrors.push({ line, message: `YAML error: ${err instanceof Error ? err.message : String(err)}` });
      return;
    }
    if (value === null || value === undefined) return;
    documents.push({ index: i + 1, value, lineOf: (path) => positions.lineOf(i + 1, path) });
  });
  return { documents, syntaxErrors };
}

// Anything that looks like an alias (*name) sends the file down the capped path.
const aliasLike = /(^|[\s,[{:-])\*[^\s,\]}]/m;

export function parseFile(text: string): ParsedFile {
  if (aliasLike.test(text)) return parseWithYaml(text);
  const values: unknown[] = [];
  try {
    jsYaml.loadAll(text, (doc) => values.push(doc), { schema: kubectlSchema });
  } catch (err) {
    const viaYaml = parseWithYaml(text);
    if (viaYaml.syntaxErrors.length > 0) return viaYaml;
    // The two parsers disagree about validity: report what js-yaml saw, with its line.
    const mark = (err as { mark?: { line?: number } }).mark;
    const reason = (err as { reason?: string }).reason ?? (err instanceof Error ? err.message : String(err));
    return { documents: [], syntaxErrors: [{ line: (mark?.line ?? 0) + 1, message: `YAML syntax error: ${reason}` }] };
  }
  const positions = new Positions(text);
  const documents: ParsedDocument[] = [];
  values.forEach((value, i) => {
    if (value === null || value === undefined) return; // an empty document, e.g. after a trailing ---
    documents.push({ index: i + 1, value, lineOf: (path) => positions.lineOf(i + 1, path) });
  });
  return { documents, syntaxErrors: [] };
}
