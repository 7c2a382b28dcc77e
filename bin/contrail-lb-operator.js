#!/usr/bin/env node
// Entry point for the installed CLI: runs the compiled dispatcher from dist/.
import '../dist/src/cli.js';
