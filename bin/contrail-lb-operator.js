#!/usr/bin/env node
// Entry point for the installed CLI, the container image and `npx contrail-lb-operator` in a
// checkout. Runs the compiled dispatcher from dist/ when it was built (`make build`, the image),
// else the TypeScript source through tsx (a fresh clone after `npm ci`: no build step needed).
// Plain JavaScript with built-ins only, and the Node check first: on an old Node the user gets
// one line, not a stack trace from a dependency that needs a newer one.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const MIN_NODE_MAJOR = 24; // as src/cli.ts and package.json engines
const fail = (msg) => {
  process.stderr.write(`contrail-lb-operator: ${msg}\n`);
  process.exit(1);
};

if (Number(process.versions.node.split('.')[0]) < MIN_NODE_MAJOR) {
  fail(`Node ${MIN_NODE_MAJOR} or newer is required, this is Node ${process.versions.node} (${process.execPath}); in a checkout, 'make deps' installs the pinned Node into node_modules/.bin`);
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const compiled = join(root, 'dist/src/cli.js');
let entry = compiled;
if (!existsSync(compiled)) {
  entry = join(root, 'src/cli.ts');
  try {
    const { register } = await import('tsx/esm/api');
    register();
  } catch {
    fail(`neither ${compiled} (run 'make build') nor tsx (run 'npm ci' or 'make deps') is there to run ${entry}`);
  }
}

const { main } = await import(pathToFileURL(entry).href);
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`contrail-lb-operator: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
