// The controllers' import graph has no cycle (a value-level ESM cycle works only by accident of
// hoisting: the first top-level use of a shared constant throws at start-up). eslint.config.js
// already refuses imports between kind folders; this catches a cycle inside one folder or through
// model/ too. Relative imports only; type and value alike.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { repoRoot } from '../support/cluster.js';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return sources(p);
    return p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : [];
  });
}

function importsOf(file: string): string[] {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const out: string[] = [];
  sf.forEachChild((n) => {
    if ((ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) && n.moduleSpecifier !== undefined && ts.isStringLiteral(n.moduleSpecifier)) {
      const spec = n.moduleSpecifier.text;
      if (spec.startsWith('.')) out.push(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
    }
  });
  return out;
}

/** Every cycle's files (strongly connected components of more than one file, or a self-import). */
function cycles(files: readonly string[]): string[][] {
  const inSet = new Set(files);
  const graph = new Map(files.map((f) => [f, importsOf(f).filter((d) => inSet.has(d))]));
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
    if (low.get(v) !== index.get(v)) return;
    const scc: string[] = [];
    let w: string;
    do {
      w = stack.pop() as string;
      onStack.delete(w);
      scc.push(w);
    } while (w !== v);
    if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc);
  };
  for (const f of files) if (!index.has(f)) visit(f);
  return out;
}

test('no import cycle in src/controllers, src/runtime, src/cloud or src/api', () => {
  const files = ['controllers', 'runtime', 'cloud', 'api'].flatMap((d) => sources(join(repoRoot, 'src', d)));
  assert.ok(files.length > 50, 'the sources were found');
  assert.deepEqual(cycles(files).map((c) => c.map((f) => relative(repoRoot, f)).sort()), []);
});

test('the cycle finder finds a real cycle (the simulator still has one: store ↔ context ↔ http ↔ …)', () => {
  const found = cycles(sources(join(repoRoot, 'src', 'sim')));
  assert.ok(found.some((c) => c.some((f) => f.endsWith('sim/store.ts'))), 'a cycle through sim/store.ts');
});
