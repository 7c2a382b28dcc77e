import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseFile } from './documents.js';

describe('parseFile', () => {
  it('reads scalars as kubectl does: YAML 1.1 booleans, dates stay strings', () => {
    const { documents, syntaxErrors } = parseFile('a: yes\nb: off\nc: n\nd: "yes"\ne: 2026-01-01\nf: 80\ng: ~\nh: 1.5\n');
    assert.deepEqual(syntaxErrors, []);
    assert.deepEqual(documents[0]?.value, { a: true, b: false, c: false, d: 'yes', e: '2026-01-01', f: 80, g: null, h: 1.5 });
  });
  it('gives the same values on the alias path (yaml) as on the fast path (js-yaml)', () => {
    const text = 'a: yes\nb: off\ne: 2026-01-01T00:00:00Z\nf: 0x10\nl: [1, two]\n';
    const fast = parseFile(text).documents[0]?.value;
    const slow = parseFile(`${text}p: &anchor 1\nq: *anchor\n`).documents[0]?.value as Record<string, unknown>;
    delete slow.p;
    delete slow.q;
    assert.deepEqual(slow, fast);
  });
  it('skips empty documents but keeps document numbers', () => {
    const { documents } = parseFile('---\n# only a comment\n---\na: 1\n---\n');
    assert.deepEqual(documents.map((d) => [d.index, d.value]), [[2, { a: 1 }]]);
  });
  it('finds the line of a field, or of its deepest existing parent', () => {
    const text = 'a: 1\n---\nkind: X\nspec:\n  vip:\n    - vipID: "0"\n      subnet: x\n    - {vipID: "1"}\n';
    const doc = parseFile(text).documents[1];
    assert.ok(doc);
    assert.equal(doc.lineOf([]), 3);
    assert.equal(doc.lineOf(['spec', 'vip', 0, 'subnet']), 7);
    assert.equal(doc.lineOf(['spec', 'vip', 1, 'vipID']), 8);
    assert.equal(doc.lineOf(['spec', 'vip', 0, 'ipAddress']), 6);
    assert.equal(doc.lineOf(['spec', 'scaleout', 'minSEs']), 4);
  });
  it('reports a syntax error with its line', () => {
    const { documents, syntaxErrors } = parseFile('a: 1\nb: [unclosed\nc: 2\n');
    assert.equal(documents.length, 0);
    assert.equal(syntaxErrors.length > 0, true);
    assert.match(syntaxErrors[0]?.message ?? '', /^YAML syntax error: /);
  });
  it('refuses duplicate keys', () => {
    assert.match(parseFile('a: 1\na: 2\n').syntaxErrors[0]?.message ?? '', /YAML syntax error: .*[Uu]nique|duplicat/);
  });
  it('caps alias expansion (billion laughs)', () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 0; i < 8; i++) lines.push(`${'bcdefghi'[i]}: &${'bcdefghi'[i]} [${Array(9).fill(`*${i === 0 ? 'a' : 'bcdefghi'[i - 1]}`).join(',')}]`);
    const { documents, syntaxErrors } = parseFile(lines.join('\n') + '\n');
    assert.equal(documents.length, 0);
    assert.match(syntaxErrors[0]?.message ?? '', /alias/i);
  });
  it('reads JSON', () => {
    const { documents } = parseFile('{\n  "kind": "Pool",\n  "spec": {"servers": [{"ip": "1.2.3.4", "port": 80}]}\n}\n');
    assert.deepEqual(documents[0]?.value, { kind: 'Pool', spec: { servers: [{ ip: '1.2.3.4', port: 80 }] } });
    assert.equal(documents[0]?.lineOf(['spec', 'servers', 0, 'port']), 3);
  });
});
