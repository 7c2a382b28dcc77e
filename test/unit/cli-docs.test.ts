// A clone is all a user has: README.md and docs/ must not point outside the repository (the team's
// shared design folder is not in a clone), every relative link must resolve, and the LICENSE that
// package.json names must be there in full.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const docs = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

describe('the docs are self-contained', () => {
  for (const doc of docs) {
    it(`${doc}: no reference outside the repository, every relative link resolves`, () => {
      const text = readFileSync(join(root, doc), 'utf8');
      assert.doesNotMatch(text, /\.\.\/shared\b|\/work\/shared/, 'refers to the shared design folder, which a clone does not have');
      for (const m of text.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
        const target = m[1] as string;
        if (/^[a-z]+:/.test(target)) continue; // http(s), mailto
        const path = resolve(dirname(join(root, doc)), target);
        assert.ok(path.startsWith(root + '/') || path === root, `${target} leaves the repository`);
        assert.ok(existsSync(path), `${doc} links to ${target}, which does not exist`);
      }
    });
  }

  it('no tracked file (scripts, Makefile, comments, other READMEs) points at the shared design folder either', () => {
    const files = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' }).split('\0')
      .filter((f) => f !== '' && f !== 'test/unit/cli-docs.test.ts' && !/\.(png|jpg|gz|tgz|deb)$/.test(f) && existsSync(join(root, f)));
    assert.ok(files.length > 100, `only ${files.length} tracked files`);
    const offenders = files.filter((f) => /\.\.\/shared\b|\/work\/shared/.test(readFileSync(join(root, f), 'utf8')));
    assert.deepEqual(offenders, []);
  });

  it('the design, metrics and troubleshooting pages exist and are linked from the README', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    for (const page of ['docs/design.md', 'docs/metrics.md', 'docs/troubleshooting.md']) assert.match(readme, new RegExp(`\\]\\(${page.replace('.', '\\.')}\\)`));
  });
});

describe('LICENSE', () => {
  it('is the full Apache License 2.0 text that package.json declares', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { license: string };
    assert.equal(pkg.license, 'Apache-2.0');
    const text = readFileSync(join(root, 'LICENSE'), 'utf8');
    assert.match(text, /^\s*Apache License\s+Version 2\.0, January 2004/);
    for (let n = 1; n <= 9; n++) assert.match(text, new RegExp(`\\n\\s*${n}\\. [A-Z]`), `section ${n}`);
    assert.match(text, /END OF TERMS AND CONDITIONS/);
    assert.match(text, /APPENDIX: How to apply the Apache License to your work/);
  });
});
