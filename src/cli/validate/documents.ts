// Splits a manifest file into documents and keeps where each field sits, so a problem is reported
// at the line of the offending field. YAML is read with YAML 1.1 scalars (yes/no/on/off are
// booleans) as kubectl's decoder does; JSON is YAML too, so one parser serves both.
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from 'yaml';
import type { FieldPath } from '../../api/errors.js';

export interface ParsedDocument {
  /** 1-based index of the document in its file. */
  index: number;
  /** The document's value, or undefined for an empty document. */
  value: unknown;
  /** Line (1-based) of the document's first content. */
  line: number;
  /** Line of a field: the deepest part of path that exists in the source (a key's own line). */
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

// Aliases are expanded by toJS(); a small cap stops "billion laughs" documents.
const maxAliasCount = 100;

function locate(doc: Document.Parsed, lines: LineCounter, path: FieldPath, fallback: number): number {
  let node: unknown = doc.contents;
  let offset: number | undefined;
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
  return offset === undefined ? fallback : lines.linePos(offset).line;
}

function firstLine(doc: Document.Parsed, lines: LineCounter): number {
  const start = (doc.contents as Node | null)?.range?.[0] ?? doc.range[0];
  return lines.linePos(start).line;
}

export function parseFile(text: string): ParsedFile {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, version: '1.1', prettyErrors: false, uniqueKeys: true });
  const documents: ParsedDocument[] = [];
  const syntaxErrors: SyntaxProblem[] = [];
  // parseAllDocuments returns an EmptyStream (no documents) for an empty file.
  const list = Array.isArray(docs) ? docs : [];
  list.forEach((doc, i) => {
    if (doc.errors.length > 0) {
      for (const e of doc.errors.slice(0, 3)) {
        const line = e.linePos?.[0].line ?? lines.linePos(e.pos[0]).line;
        syntaxErrors.push({ line, message: `YAML syntax error: ${e.message.split('\n')[0] ?? e.code}` });
      }
      return;
    }
    if (doc.contents === null) return; // an empty document, e.g. after a trailing ---
    const line = firstLine(doc, lines);
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount });
    } catch (err) {
      syntaxErrors.push({ line, message: `YAML error: ${err instanceof Error ? err.message : String(err)}` });
      return;
    }
    documents.push({ index: i + 1, value, line, lineOf: (path) => locate(doc, lines, path, line) });
  });
  return { documents, syntaxErrors };
}
