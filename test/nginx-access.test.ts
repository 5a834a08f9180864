// nginx access-log ingester: built-in formats, user log_format, JSON, multi-value upstreams, status meaning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openNginxAccess } from '../src/ingest/nginx-access.js';
import { compileLogFormat } from '../src/nginx/log-format.js';
import type { Event } from '../src/events.js';
import { corpusLine, makeCtx } from './nginx-fixtures.js';

const parse = (line: string, opts: Parameters<typeof makeCtx>[0] = {}): Event => {
  const r = openNginxAccess(makeCtx(opts)).parse(line, 1);
  assert.ok(r && !Array.isArray(r), `no event for ${line}`);
  return r as Event;
};

// LAB format of nginx.md §8 (main + timing tail)
const LAB = (status: string, tail: string) =>
  `127.0.0.1 - - [21/Nov/2026:14:25:27 +0900] "GET /x HTTP/1.1" ${status} 157 "-" "curl/8.5.0" ${tail}`;

test('combined (corpus): status, request, client, zoned time; 502 alone is weak evidence', () => {
  const ev = parse(corpusLine('"GET / HTTP/1.1" 502 157'));
  assert.equal(ev.kind, 'nginx.access');
  assert.equal(ev.format, 'combined');
  assert.equal(ev.status, 502);
  assert.equal(ev.method, 'GET');
  assert.equal(ev.path, '/');
  assert.equal(ev.client, '172.21.0.1');
  assert.equal(ev.time, '2020-05-07T03:15:12Z');
  assert.equal(ev.cause, 'unknown');
  assert.equal(ev.evidence, 'status');
  assert.deepEqual(ev.upstream_addr, []);
});

test('main (combined + "$http_x_forwarded_for") and the rt/uct/uht/urt timing tail (corpus)', () => {
  const main = parse(corpusLine('502 559 "-" "Mozilla/5.0 (Windows'));
  assert.equal(main.status, 502);
  assert.equal(main.time, '2023-03-28T12:22:50Z');
  const timing = parse(corpusLine('rt=0.178 uct="-"'));
  assert.equal(timing.status, 200);
  assert.equal(timing.method, 'CONNECT');
  assert.equal(timing.request_time, 0.178);
  assert.deepEqual(timing.upstream_connect_time, [null]);
  assert.equal(timing.cause, null);
});

test('ingress-nginx upstreaminfo (corpus): three tries, multi-value fields with spaces, req_id', () => {
  const ev = parse(corpusLine('[pc-dev-example-web-service-80]'));
  assert.equal(ev.format, 'ingress-nginx');
  assert.deepEqual(ev.upstream_addr, ['192.168.215.1:80', '192.168.215.1:80', '192.168.215.1:80']);
  assert.deepEqual(ev.upstream_status, [504, 504, 504]);
  assert.deepEqual(ev.upstream_response_time, [5, 5, 5]);
  assert.equal(ev.request_time, 14.998);
  assert.equal(ev.request_id, 'a7c98d98ac870f64981a997cd2f373a1');
  assert.equal(ev.upstream_name, 'pc-dev-example-web-service-80');
  assert.equal(ev.upstream, '192.168.215.1:80');
  assert.equal(ev.cause, 'timeout');
});

test('status meaning: 499, 009, 504 without connect, 502 with a group name (LAB lines)', () => {
  const abort = parse(LAB('499', 'rt=1.002 uct="0.000" uht="-" urt="1.002" us="-"'));
  assert.equal(abort.cause, 'client_abort');
  assert.deepEqual(abort.upstream_status, [null]);
  assert.equal(abort.time, '2026-11-21T05:25:27Z');
  const http09 = parse(LAB('009', 'rt=0.001 uct="0.000" uht="0.001" urt="0.001" us="200"'));
  assert.equal(http09.cause, 'protocol_mismatch');
  assert.equal(http09.status_text, '009');
  const ct = parse(LAB('504', 'rt=2.002 uct="-" uht="-" urt="2.002" us="504"'));
  assert.equal(ct.cause, 'connect_timeout');
  const rt = parse(LAB('504', 'rt=2.002 uct="0.000" uht="-" urt="2.002" us="504"'));
  assert.equal(rt.cause, 'timeout');
  const tries = parse(LAB('502', 'rt=0.001 uct="-, -" uht="-, -" urt="0.000, 0.001" ua="127.0.0.1:19099, 127.0.0.1:19098" us="502, 502"'));
  assert.deepEqual(tries.upstream_addr, ['127.0.0.1:19099', '127.0.0.1:19098']);
  assert.deepEqual(tries.upstream_connect_time, [null, null]);
  assert.equal(tries.cause, 'unknown');
  const nolive = parse(LAB('502', 'rt=0.000 uct="-" uht="-" urt="0.000" ua="twodead" us="502"'));
  assert.equal(nolive.cause, 'no_healthy_upstream');
  const ok = parse(LAB('200', 'rt=0.010 uct="0.000" uht="0.010" urt="0.010" us="200"'));
  assert.equal(ok.cause, null);
  assert.equal(ok.raw, undefined);
});

test('custom log_format: a directive with quote pieces, multi-value "a, b : c", $request_id, $connection', () => {
  const fmt = `log_format up '$remote_addr [$time_local] "$request" $status '\n  '$upstream_addr $upstream_status $upstream_response_time rid=$request_id c=$connection';`;
  const line = '10.1.2.3 [01/May/2024:10:00:05 +0200] "POST /api HTTP/2.0" 200 10.0.0.5:80, 10.0.0.6:80 : 10.0.0.7:80 502, 502 : 200 0.001, 0.002 : 0.030 rid=4f1c9e c=7711';
  const ev = parse(line, { nginxFormat: fmt });
  assert.equal(ev.format, 'custom');
  assert.deepEqual(ev.upstream_addr, ['10.0.0.5:80', '10.0.0.6:80', '10.0.0.7:80']);
  assert.deepEqual(ev.upstream_status, [502, 502, 200]);
  assert.deepEqual(ev.upstream_response_time, [0.001, 0.002, 0.03]);
  assert.equal(ev.request_id, '4f1c9e');
  assert.equal(ev.connection_id, 7711);
  assert.equal(ev.time, '2024-05-01T08:00:05Z');
  assert.equal(ev.cause, null);
  assert.equal(ev.retried, true);
  const f = compileLogFormat(fmt);
  assert.equal(f.name, 'up');
  assert.deepEqual(f.vars, ['remote_addr', 'time_local', 'request', 'status', 'upstream_addr', 'upstream_status', 'upstream_response_time', 'request_id', 'connection']);
});

test('JSON: escape=json log_format, hand-written invalid JSON, and JSON by key names', () => {
  const fmt = `log_format js escape=json '{"time":"$time_iso8601","remote_addr":"$remote_addr","request":"$request","status":"$status","upstream_addr":"$upstream_addr","upstream_status":"$upstream_status","request_time":"$request_time","rid":"$request_id","agent":"$http_user_agent"}';`;
  const line = '{"time":"2024-05-01T10:00:05+02:00","remote_addr":"10.1.2.3","request":"GET /q?a=\\"b\\" HTTP/1.1","status":"504","upstream_addr":"10.0.0.5:80","upstream_status":"504","request_time":"60.001","rid":"abc","agent":"x \\"y\\""}';
  const ev = parse(line, { nginxFormat: fmt });
  assert.equal(ev.path, '/q?a="b"');
  assert.equal(ev.request_id, 'abc');
  assert.equal(ev.time, '2024-05-01T08:00:05Z');
  assert.equal(ev.cause, 'timeout');
  // ingress-nginx#6376: unquoted multi-value times make invalid JSON; the compiled regex still reads it
  const bad = `log_format j '{"status": $status, "upstream_status": "$upstream_status", "duration": $upstream_response_time, "request": "$request"}';`;
  const evBad = parse('{"status": 500, "upstream_status": "500 : 404", "duration": 0.518 : 0.009, "request": "GET / HTTP/1.1"}', { nginxFormat: bad });
  assert.deepEqual(evBad.upstream_status, [500, 404]);
  assert.deepEqual(evBad.upstream_response_time, [0.518, 0.009]);
  // no format given: keys people use
  const guess = parse('{"time_iso8601":"2024-05-01T08:00:05+00:00","remote_addr":"10.1.2.3","request":"GET / HTTP/1.1","status":"499","upstream_addr":"10.0.0.5:80","request_id":"r1"}');
  assert.equal(guess.format, 'json');
  assert.equal(guess.cause, 'client_abort');
  assert.equal(guess.request_id, 'r1');
});

test('failuresOnly: successes are counted, not emitted; successful retries are kept for the join', () => {
  const ctx = makeCtx({ failuresOnly: true });
  const p = openNginxAccess(ctx);
  assert.equal(p.parse(LAB('200', 'rt=0.010 uct="0.000" uht="0.010" urt="0.010" us="200"'), 1), null);
  assert.equal(ctx.stats.ok, 1);
  const retried = p.parse(LAB('200', 'rt=0.010 uct="-, 0.000" uht="-, 0.010" urt="0.001, 0.010" ua="10.0.0.5:80, 10.0.0.6:80" us="502, 200"'), 2) as Event;
  assert.equal(retried.retried, true);
  assert.equal((p.parse(corpusLine('kube-probe/1.9+'), 3) as Event).cause, 'client_abort');
  assert.equal(p.parse('not a log line', 4), undefined);
  // an error line in the same stream (docker logs mixes them) is parsed, not skipped
  assert.equal((p.parse(corpusLine('172.21.0.19:9000'), 5) as Event).kind, 'nginx.error');
});
