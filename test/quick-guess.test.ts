// The quick anchors a framing worker guesses among before the CLI has loaded (quick-bytes.ts
// BUILTIN_QUICK) are those of the built-in formats, and guessQuick picks the one a log is written in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUILTIN_FORMATS } from '../src/envoy/istio-formats.js';
import { compileFormat } from '../src/envoy/format-compiler.js';
import { BUILTIN_QUICK, guessQuick, sameQuick } from '../src/ingest/quick-bytes.js';

test('BUILTIN_QUICK is the set of quick anchors of the built-in formats', () => {
  const anchors = BUILTIN_FORMATS.map((f) => compileFormat(f.format, f.name)?.quick).filter((q) => q !== undefined);
  const distinct = anchors.filter((q, i) => anchors.findIndex((o) => sameQuick(o, q)) === i);
  assert.equal(distinct.length, BUILTIN_QUICK.length);
  for (const q of distinct) assert.ok(BUILTIN_QUICK.some((b) => sameQuick(b, q)), JSON.stringify(q));
});

const DEFAULT = '[2026-11-20T10:00:01.000Z] "GET /a HTTP/1.1" 200 - 0 12 3 2 "-" "curl/8.4.0" "id-1" "shop.example.com" "10.1.0.1:8080"';
const ISTIO_1_1 = '[2026-11-20T10:00:01.000Z] "GET /a HTTP/1.1" 200 - "-" 0 12 3 2 "-" "curl/8.4.0" "id-1" "shop.example.com" "10.1.0.1:8080" outbound|8080||shop 10.2.0.1:40000 10.2.0.2:8080 10.2.0.3:50000 -';
const NGINX = '2026/11/20 10:00:01 [error] 7#7: *1 connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.0.1';

test('guessQuick: the anchor most lines pass, the more specific one on a tie, none for other logs', () => {
  const lines = (l: string, n: number) => Buffer.from(`${l}\n`.repeat(n));
  const guess = (b: Buffer) => guessQuick(b, b.length, BUILTIN_QUICK);
  assert.deepEqual(guess(lines(DEFAULT, 20)), { before: '" ', between: ' ', after: ' ' });
  assert.deepEqual(guess(lines(ISTIO_1_1, 20)), { before: '" ', between: ' ', after: ' "' });
  assert.equal(guess(lines(NGINX, 20)), undefined);
  // A failure line passes no anchor; the successes decide.
  assert.deepEqual(guess(Buffer.concat([lines(DEFAULT.replace('200 -', '503 UF'), 5), lines(DEFAULT, 2)])), { before: '" ', between: ' ', after: ' ' });
});
