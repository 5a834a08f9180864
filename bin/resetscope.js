#!/usr/bin/env node
// Entry point: the compiled CLI lives in dist/ (built by `npm ci` via `prepare`).
import { main } from '../dist/src/cli.js';

process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});
main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
