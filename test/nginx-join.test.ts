// Joining error lines with their access line (src/nginx/join.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openNginxError } from '../src/ingest/nginx-error.js';
import { openNginxAccess } from '../src/ingest/nginx-access.js';
import { NginxJoin, joinNginxEvents } from '../src/nginx/join.js';
import type { Event } from '../src/events.js';
import { corpusLine, makeCtx } from './nginx-fixtures.js';

const err = (line: string, n: number, ctx = makeCtx()) => openNginxError(ctx).parse(line, n) as Event;
const acc = (line: string, n: number) => openNginxAccess(makeCtx()).parse(line, n) as Event;

const E = (time: string, msg: string, peer: string, client = '10.0.0.1') =>
  `${time} [error] 7#7: *42 ${msg} while connecting to upstream, client: ${client}, server: a, request: "GET /api HTTP/1.1", upstream: "http://${peer}/api", host: "a"`;
const A = (time: string, status: string, tail: string, client = '10.0.0.1') =>
  `${client} - - [${time}] "GET /api HTTP/1.1" ${status} 157 "-" "curl/8" ${tail}`;

test('corpus pairs: the 502/504 access lines take the error line cause', () => {
  const e = err(corpusLine('172.21.0.19:9000'), 1);
  const a = acc(corpusLine('"GET / HTTP/1.1" 502 157'), 2);
  assert.equal(a.cause, 'unknown');
  const stats = joinNginxEvents([a, e]);
  assert.equal(stats.joinedAccess, 1);
  assert.equal(a.cause, 'refused');
  assert.equal(a.status_cause, 'unknown');
  assert.equal(a.evidence, 'joined');
  assert.equal(e.request_key, 'test.log:2');
  assert.equal(a.request_key, e.request_key);
  assert.deepEqual(a.joined_with, ['test.log:1']);
  assert.deepEqual(e.joined_with, ['test.log:2']);
  assert.equal(e.status, 502);

  const e2 = err(corpusLine('upstream timed out (110: Operation timed out) while connecting'), 3);
  const a2 = acc(corpusLine('[pc-dev-example-web-service-80]'), 4);
  joinNginxEvents([e2, a2]);
  assert.equal(a2.cause, 'connect_timeout', 'error at :40 inside [:45 - 14.998s, :45]');
  assert.equal(e2.request_id, 'a7c98d98ac870f64981a997cd2f373a1', 'request id flows to the error line');
});

test('retries: two error lines, one access line listing both peers', () => {
  const e1 = err(E('2024/05/01 10:00:00', 'connect() failed (111: Connection refused)', '10.0.0.5:80'), 1);
  const e2 = err(E('2024/05/01 10:00:00', 'connect() failed (113: No route to host)', '10.0.0.6:80'), 2);
  const a = acc(A('01/May/2024:10:00:01 +0000', '502', 'rt=0.700 ua="10.0.0.5:80, 10.0.0.6:80" us="502, 502"'), 3);
  const j = new NginxJoin();
  for (const ev of [e1, e2, a]) j.add(ev);
  assert.deepEqual(a.joined_with, ['test.log:1', 'test.log:2']);
  assert.equal(a.cause, 'unreachable', 'the last try decides');
  assert.equal(j.stats.joinedErrors, 2);
});

test('no join: other client, other upstream, or outside the request duration', () => {
  const e = err(E('2024/05/01 10:00:00', 'connect() failed (111: Connection refused)', '10.0.0.5:80'), 1);
  const other = acc(A('01/May/2024:10:00:00 +0000', '502', 'rt=0.001', '10.9.9.9'), 2);
  const peer = acc(A('01/May/2024:10:00:00 +0000', '502', 'rt=0.001 ua="10.0.0.7:80" us="502"'), 3);
  const late = acc(A('01/May/2024:10:00:30 +0000', '502', 'rt=0.500'), 4);
  const stats = joinNginxEvents([e, other, peer, late]);
  assert.equal(stats.joinedAccess, 0);
  assert.equal(e.request_key, undefined);
  assert.equal(late.cause, 'unknown');
});

test('arrival order does not matter: access first, error second', () => {
  const a = acc(A('01/May/2024:10:00:00 +0000', '502', 'rt=0.001'), 2);
  const e = err(E('2024/05/01 10:00:00', 'connect() failed (111: Connection refused)', '10.0.0.5:80'), 1);
  const j = new NginxJoin();
  j.add(a);
  j.add(e);
  assert.equal(a.cause, 'refused');
  assert.equal(e.request_key, 'test.log:2');
});

test('assumed zone: error log in Asia/Tokyo read as UTC still joins, and the shift is reported', () => {
  // nginx.md §8 LAB: TZ=Asia/Tokyo → error log 14:25:26 (no zone), access [.. 14:25:27 +0900]
  const e = err(E('2026/11/21 14:25:26', 'upstream timed out (110: Connection timed out)', '10.0.0.5:80'), 1);
  assert.equal(e.tz_assumed, true);
  const a = acc(A('21/Nov/2026:14:25:27 +0900', '504', 'rt=2.002 uct="-" urt="2.002" ua="10.0.0.5:80" us="504"'), 2);
  const stats = joinNginxEvents([e, a]);
  assert.equal(a.request_key, 'test.log:2');
  assert.equal(e.zone_shift_minutes, 540);
  assert.deepEqual(stats.zoneShiftsMinutes, { '540': 1 });
  // with --tz given the shift is not allowed
  const given = err(E('2026/11/21 14:25:26', 'upstream timed out (110: Connection timed out)', '10.0.0.5:80'), 1, makeCtx({ tzGiven: true }));
  const a2 = acc(A('21/Nov/2026:14:25:27 +0900', '504', 'rt=2.002 ua="10.0.0.5:80" us="504"'), 2);
  assert.equal(joinNginxEvents([given, a2]).joinedAccess, 0);
});

test('a successful retry joins but keeps its null cause', () => {
  const e = err(E('2024/05/01 10:00:00', 'connect() failed (111: Connection refused)', '10.0.0.5:80'), 1);
  const a = acc(A('01/May/2024:10:00:00 +0000', '200', 'rt=0.020 ua="10.0.0.5:80, 10.0.0.6:80" us="502, 200"'), 2);
  joinNginxEvents([e, a]);
  assert.equal(a.request_key, 'test.log:2');
  assert.equal(a.cause, null);
  assert.equal(a.retried, true);
  assert.equal(e.cause, 'refused');
});
