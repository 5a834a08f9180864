#!/usr/bin/env node
// Entry point: the compiled CLI lives in dist/ (built by `npm ci` via `prepare`).
// A large log's framing worker starts before the CLI's modules load (text-worker-spawn.ts).
import { prespawnForArgs } from '../dist/src/ingest/text-worker-spawn.js';

prespawnForArgs(process.argv.slice(2));
const { main } = await import('../dist/src/cli.js');

process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});
main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
