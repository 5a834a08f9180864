// An incident folder with a capture and its key log: the key log is found by content and used,
// and a client closing an answered stream is not mistaken for the failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import fs from 'node:fs';
import { BIN, REPO } from './helpers.js';
import { rstStreamCause } from '../src/decode/http2-stream.js';

const DIR = path.join(REPO, 'samples/keylog/h2-goaway');

test('a key log inside a directory input is used for decryption, and the report says so', () => {
  const truth = JSON.parse(fs.readFileSync(path.join(DIR, 'truth.json'), 'utf8'));
  const r = spawnSync(process.execPath, [BIN, 'analyze', '-q', '-f', 'json', DIR], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const rep = JSON.parse(r.stdout);
  assert.ok(rep.assumptions.some((a: string) => /keylog\.txt: found in the directory and used as the TLS key log/.test(a)));
  // truth.json (made by lab/keylog-h2-goaway.sh, checked with tshark): the server's RST_STREAM INTERNAL_ERROR
  // on stream 3 and its GOAWAY share frame 19; the client's STREAM_CLOSED on answered stream 1 (frame 18) is no failure.
  const serverRst = truth.keys.http2_rst_stream.find((x: { error_name: string }) => x.error_name === truth.made.rst_stream.error_name);
  assert.equal(rep.verdict.first.frame, serverRst.frame);
  assert.equal(rep.verdict.first.kind, 'http2.rst_stream');
  assert.equal(rep.verdict.cause, 'upstream_reset');
  assert.equal(rep.verdict.origin, 'upstream');
});

test('RST_STREAM from the client: no failure once the stream was answered; CANCEL before an answer is a client abort', () => {
  assert.equal(rstStreamCause(0x5, 'orig', true), null); // STREAM_CLOSED after the response (curl)
  assert.equal(rstStreamCause(0x8, 'orig', true), null); // CANCEL after the response
  assert.equal(rstStreamCause(0x8, 'orig', false), 'client_abort');
  assert.equal(rstStreamCause(0x7, 'resp', false), 'pool_overflow'); // REFUSED_STREAM
  assert.equal(rstStreamCause(0x2, 'resp', true), 'upstream_reset'); // INTERNAL_ERROR from the server
  assert.equal(rstStreamCause(0x1, 'orig', true), 'protocol_mismatch'); // PROTOCOL_ERROR is never routine
});
