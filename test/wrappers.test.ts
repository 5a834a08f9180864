// Collector wrappers: real shapes from the corpus and each collector's documented layout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createUnwrapper, unwrapLine } from '../src/ingest/wrappers.js';
import { corpus } from './envoy-access-shared.js';
import { readJsonl, CORPUS } from './helpers.js';
import path from 'node:path';

const INNER = '[2024-07-20T07:09:48.470Z] "GET /x HTTP/1.1" 503 UF 0 91 0 - "-" "curl/8.4.0" "id" "localhost:8000" "172.28.0.2:801"';
const us = (iso: string) => Date.parse(iso) * 1000;

test('docker compose logs -t (corpus line 1): compose prefix + RFC3339Nano', () => {
  const u = unwrapLine(corpus()[0].line);
  assert.ok(u.line.startsWith('[2024-07-20T07:09:48.470Z] "GET /upstream-connection-failure'));
  assert.equal(u.origin, 'envoy-1');
  assert.equal(u.collectorTimeUs, us('2024-07-20T07:09:48.471Z') + 209);
  assert.deepEqual(u.wrappers, ['compose', 'timestamp']);
});

test('stern (corpus line 20) and kubectl --timestamps (corpus line 38)', () => {
  const recs = corpus();
  const s = unwrapLine(recs[19].line);
  assert.equal(s.origin, 'ingressgateway-7cc46d9596-v8qnt/istio-proxy');
  assert.ok(s.line.startsWith('[2022-01-11T06:44:07.918Z]'));
  const k = unwrapLine(recs[37].line);
  assert.ok(k.line.startsWith('[2020-11-22T20:04:32.765Z]'));
  assert.equal(k.collectorTimeUs, us('2020-11-22T20:04:54.223Z') + 2);
  // stern in front of an Envoy debug line (corpus: tmp-1 istio-proxy [2020-04-08 ...)
  const dbg = recs.find((r) => r.line.startsWith('tmp-1 istio-proxy '))!;
  assert.equal(unwrapLine(dbg.line).line, dbg.line.slice('tmp-1 istio-proxy '.length));
  // stern with colours
  const c = unwrapLine(`\x1b[32mweb-6d4cf56db6-x2x9k\x1b[0m \x1b[34mistio-proxy\x1b[0m ${INNER}`);
  assert.equal(c.line, INNER);
  assert.equal(c.origin, 'web-6d4cf56db6-x2x9k/istio-proxy');
});

test('kubectl --prefix, with and without --timestamps', () => {
  const a = unwrapLine(`[pod/web-6d4cf56db6-x2x9k/istio-proxy] ${INNER}`);
  assert.equal(a.line, INNER);
  assert.equal(a.origin, 'web-6d4cf56db6-x2x9k/istio-proxy');
  const b = unwrapLine(`[pod/web-0/nginx] 2024-07-20T07:09:48.471209278Z ${INNER}`);
  assert.equal(b.line, INNER);
  assert.equal(b.collectorTimeUs, us('2024-07-20T07:09:48.471Z') + 209);
});

test('Docker json-file and CRI (full and partial lines)', () => {
  const dj = unwrapLine(JSON.stringify({ log: INNER + '\n', stream: 'stdout', time: '2024-07-20T07:09:48.471209278Z' }));
  assert.equal(dj.line, INNER);
  assert.equal(dj.stream, 'stdout');
  assert.equal(dj.collectorTimeUs, us('2024-07-20T07:09:48.471Z') + 209);
  // A JSON access log inside json-file stays JSON.
  const inner = '{"response_flags":"UF","response_code":"503"}';
  assert.equal(unwrapLine(JSON.stringify({ log: inner + '\n', stream: 'stdout', time: '2024-07-20T07:09:48Z' })).line, inner);
  const cri = unwrapLine(`2024-07-20T07:09:48.471209278Z stderr F ${INNER}`);
  assert.equal(cri.line, INNER);
  assert.equal(cri.stream, 'stderr');
  const u = createUnwrapper();
  assert.equal(u.push(`2024-07-20T07:09:48.471209278Z stdout P ${INNER.slice(0, 40)}`), null);
  const joined = u.push(`2024-07-20T07:09:48.471309278Z stdout F ${INNER.slice(40)}`)!;
  assert.equal(joined.line, INNER);
  assert.equal(joined.collectorTimeUs, us('2024-07-20T07:09:48.471Z') + 209);
  assert.equal(u.flush(), null);
});

test('lines that only look wrapped are left alone', () => {
  const recs = corpus();
  // Envoy 1.8 custom format starting with its own 3-digit START_TIME (envoyproxy/envoy#6190).
  assert.equal(unwrapLine(recs[27].line).line, recs[27].line);
  // Client-visible bodies, NGINX lines, Istio app logs (TAB after the time) and plain Envoy lines.
  for (const r of recs.filter((x) => !/^(envoy-1 |ingressgateway|tmp-1 istio-proxy|2020-11-22T20:04:54)/.test(x.line))) {
    assert.equal(unwrapLine(r.line).line, r.line, r.line);
  }
  for (const r of readJsonl<{ line: string }>(path.join(CORPUS, 'logs/nginx-real.jsonl'))) {
    const u = unwrapLine(r.line);
    if (u.wrappers) assert.ok(u.wrappers.every((w) => ['compose', 'timestamp', 'docker-json', 'kubectl-prefix', 'cri', 'stern'].includes(w)), r.line);
  }
  assert.equal(unwrapLine('2023-10-12T08:08:15.271027Z  debug  envoy http2 stream closed').wrappers, undefined);
});
