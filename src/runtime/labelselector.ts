// Label selectors as the API server reads them (`a=b,c!=d,e in (f,g),!h`), parsed only far
// enough to validate a flag at start (a bad selector would otherwise be a 400 on every list,
// retried forever) and to know which label keys it reads: objects the operator creates for a
// shard's object copy those keys from their owner, so they land in the same shard.

export interface SelectorTerm { key: string; op: '=' | '!=' | 'in' | 'notin' | 'exists' | '!'; values: string[] }

const NAME = '[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?';
const KEY = new RegExp(`^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?${NAME}$`);
const VALUE = new RegExp(`^(${NAME})?$`);

/** Splits on commas outside parentheses. */
function splitTerms(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((t) => t.trim());
}

function key(k: string, selector: string): string {
  if (k.length > 316 || !KEY.test(k)) throw new Error(`label selector '${selector}': '${k}' is not a valid label key`);
  return k;
}

function value(v: string, selector: string): string {
  if (!VALUE.test(v)) throw new Error(`label selector '${selector}': '${v}' is not a valid label value`);
  return v;
}

/** The selector's terms; throws Error with a one-line reason when the API server would reject it. */
export function parseLabelSelector(selector: string): SelectorTerm[] {
  if (selector.trim() === '') throw new Error('label selector is empty');
  return splitTerms(selector).map((t): SelectorTerm => {
    if (t === '') throw new Error(`label selector '${selector}': empty term`);
    const set = /^(\S+)\s+(in|notin)\s*\(([^()]*)\)$/.exec(t);
    if (set !== null) {
      const values = (set[3] as string).split(',').map((v) => value(v.trim(), selector));
      return { key: key(set[1] as string, selector), op: set[2] as 'in' | 'notin', values };
    }
    if (t.startsWith('!')) return { key: key(t.slice(1).trim(), selector), op: '!', values: [] };
    const eq = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(t);
    if (eq !== null) return { key: key(eq[1] as string, selector), op: eq[2] === '!=' ? '!=' : '=', values: [value(eq[3] as string, selector)] };
    return { key: key(t, selector), op: 'exists', values: [] };
  });
}

/** Whether labels match the parsed selector (every term holds). */
export function matchesLabelSelector(terms: readonly SelectorTerm[], labels: Readonly<Record<string, string>> | undefined): boolean {
  const l = labels ?? {};
  return terms.every((t) => {
    const v = l[t.key];
    switch (t.op) {
      case '=': return v === t.values[0];
      case '!=': return v !== t.values[0];
      case 'in': return v !== undefined && t.values.includes(v);
      case 'notin': return v === undefined || !t.values.includes(v);
      case 'exists': return v !== undefined;
      case '!': return v === undefined;
    }
  });
}

/**
 * The owner's labels for every key the selector reads. A selector depends on those keys only, so
 * an object given them matches exactly when its owner does.
 */
export function selectedLabels(terms: readonly SelectorTerm[], ownerLabels: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of terms) {
    const v = ownerLabels?.[t.key];
    if (v !== undefined) out[t.key] = v;
  }
  return out;
}
