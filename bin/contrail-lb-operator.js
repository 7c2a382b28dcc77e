#!/usr/bin/env node
// Entry point for the installed CLI and the container image: runs the compiled dispatcher from
// dist/. src/cli.ts starts itself only when the script is named cli.js, so call main() here.
import process from 'node:process';
import { main } from '../dist/src/cli.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`contrail-lb-operator: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
