// nginx error-log ingester: corpus agreement, grammar edge cases, errno variants, time zones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openNginxError, nginxErrorFormat } from '../src/ingest/nginx-error.js';
import { nginxAccessFormat } from '../src/ingest/nginx-access.js';
import { joinNginxEvents } from '../src/nginx/join.js';
import { parseErrorLine } from '../src/nginx/error-line.js';
import { parseZone } from '../src/time.js';
import type { Event } from '../src/events.js';
import { corpus, corpusLine, makeCtx, ENVOY_CORPUS } from './nginx-fixtures.js';
import { readJsonl } from './helpers.js';
import { unwrapLine } from '../src/ingest/wrappers.js';

const one = (r: ReturnType<ReturnType<typeof openNginxError>['parse']>): Event => {
  assert.ok(r && !Array.isArray(r), 'expected one event');
  return r as Event;
};

test('corpus: every failure line of nginx-real.jsonl gets one of its causes (after the join)', () => {
  const rows = corpus();
  const p = openNginxError(makeCtx());
  const events = rows.map((r, i) => {
    const u = unwrapLine(r.line);
    return p.parse(u.line, i + 1, u.collectorTimeUs) as Event | null | undefined;
  });
  joinNginxEvents(events.filter((e): e is Event => !!e));
  let failures = 0;
  let agree = 0;
  const wrong: string[] = [];
  const unknownLabelled: string[] = [];
  rows.forEach((r, i) => {
    const ev = events[i];
    const cause = ev ? ev.cause : null;
    if (r.causes.length === 0) {
      unknownLabelled.push(`${i + 1}: ${cause}`);
      return;
    }
    failures++;
    if (ev && cause !== null && r.causes.includes(cause)) agree++;
    else wrong.push(`line ${i + 1} (${r.label}): got ${cause} for ${r.line.slice(0, 100)}`);
  });
  console.log(`nginx corpus: ${agree}/${failures} failure lines agree (${((100 * agree) / failures).toFixed(1)}%); ` +
    `unknown-labelled lines got: ${unknownLabelled.join(', ')}`);
  assert.deepEqual(wrong, []);
  assert.equal(agree, failures);
  assert.ok(failures >= 55, `corpus shrank: ${failures}`);
});

test('corpus: noise lines are understood but are not failures', () => {
  const p = openNginxError(makeCtx());
  for (const frag of ['signal process started', 'closed keepalive connection', 'CreateFile()']) {
    const ev = one(p.parse(corpusLine(frag), 1));
    assert.equal(ev.cause, null, frag);
    assert.equal(ev.raw, undefined, 'raw only on failures');
  }
});

test('whole event for a real refused line (corpus line 1)', () => {
  const ev = one(openNginxError(makeCtx()).parse(corpusLine('172.21.0.19:9000'), 1));
  assert.deepEqual({ ...ev, summary: undefined }, {
    time: '2020-05-07T03:15:12Z', ts_us: Date.UTC(2020, 4, 7, 3, 15, 12) * 1000, source: 'test.log', line: 1,
    kind: 'nginx.error', cause: 'refused', src: null, dst: null, upstream: '172.21.0.19:9000', summary: undefined,
    level: 'error', pid: 6, tid: 6, connection_id: 1, message: 'connect() failed', errno: 111, errno_name: 'ECONNREFUSED',
    errno_text: 'Connection refused', action: 'connecting to upstream', phase: 'connecting', side: 'upstream',
    client: '172.21.0.1', server: '', request: 'GET / HTTP/1.1', method: 'GET', path: '/', host: '0.0.0.0:9000',
    referrer: null, upstream_url: 'http://172.21.0.19:9000/', stream: false, tls_reason: null, tls_detail: null,
    tls_alert: null, rule: 'connect_failed', truncated: false, fragment: false, tz_assumed: true,
    raw: corpusLine('172.21.0.19:9000'),
  });
  assert.match(ev.summary as string, /ECONNREFUSED.*172\.21\.0\.19:9000/);
});

test('stream{} variant: no scheme, byte counters, server is the listen address', () => {
  const ev = one(openNginxError(makeCtx()).parse(corpusLine('while proxying and reading from upstream'), 3));
  assert.equal(ev.cause, 'upstream_reset');
  assert.equal(ev.upstream, '11.99.138.240:8706');
  assert.equal(ev.server, '0.0.0.0:8805');
  assert.equal(ev.stream, true);
  assert.equal(ev.phase, 'reading_body');
  assert.equal(ev.connection_id, 934814);
});

test('unescaped quotes inside context values (webcompat#1009 referrer)', () => {
  const l = parseErrorLine(corpusLine('webcompat.com/?open=1'))!;
  assert.equal(l.referrer, 'https://webcompat.com"https://webcompat.com/?open=1&url=http://negotiations-toolkit.mit.edu/?utm_source=twitter&utm_medium=twitter_ad&utm_campaign=negotiations_toolkit');
  assert.equal(l.host, 'webcompat.com');
  assert.equal(l.upstream, 'uwsgi://unix:///tmp/uwsgi.sock:');
  const q = parseErrorLine('2024/05/01 10:00:00 [error] 7#7: *3 upstream prematurely closed connection while reading response header from upstream, client: 10.0.0.1, server: a, request: "GET /a", b"c HTTP/1.1", upstream: "http://10.0.0.5:80/a", b"c", host: "h"')!;
  assert.equal(q.request, 'GET /a", b"c HTTP/1.1');
  assert.equal(q.upstream, 'http://10.0.0.5:80/a", b"c');
  assert.equal(q.host, 'h');
});

test('lines cut at NGX_MAX_ERROR_STR (2048 bytes incl. LF) keep what they have', () => {
  const head = '2024/05/01 10:00:00 [error] 7#7: *1 connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.0.1, server: _, request: "GET /';
  for (const filler of ['a', 'é', '中']) {
    let line = head + filler.repeat(3000);
    while (Buffer.byteLength(line) > 2047) line = line.slice(0, -1);
    const ev = one(openNginxError(makeCtx()).parse(line, 1));
    assert.equal(ev.truncated, true, filler);
    assert.equal(ev.cause, 'refused');
    assert.ok((ev.request as string).startsWith('GET /' + filler));
    assert.equal(ev.upstream, null, 'upstream: was cut off');
  }
  // every prefix of a real line parses without throwing (cut anywhere)
  const full = corpusLine('webcompat.com/?open=1');
  const p = openNginxError(makeCtx());
  for (let i = 0; i <= full.length; i++) p.parse(full.slice(0, i), i + 1);
  assert.equal(one(p.parse(full.slice(0, full.length - 30), 1)).truncated, true, 'unterminated quote');
});

// errno by NUMBER across glibc, musl, BSD, Windows and "Unknown error" (nginx.md §4)
const ERRNO_CASES: [string, string, [number, string][], string][] = [
  ['connect() failed', 'connecting to upstream',
    [[111, 'Connection refused'], [111, 'Unknown error'], [61, 'Connection refused'], [10061, 'No connection could be made because the target machine actively refused it']], 'refused'],
  ['upstream timed out', 'connecting to upstream',
    [[110, 'Connection timed out'], [110, 'Operation timed out'], [110, 'Unknown error'], [60, 'Operation timed out'],
      [10060, 'A connection attempt failed because the connected party did not properly respond after a period of time, or established connection failed because connected host has failed to respond']], 'connect_timeout'],
  ['connect() failed', 'connecting to upstream',
    [[110, 'Connection timed out'], [60, 'Operation timed out'], [10060, 'Unknown error']], 'connect_timeout'],
  ['upstream timed out', 'reading response header from upstream', [[110, 'Connection timed out'], [10060, 'Unknown error']], 'timeout'],
  ['connect() failed', 'connecting to upstream',
    [[113, 'No route to host'], [113, 'Host is unreachable'], [113, 'Unknown error'], [65, 'No route to host'], [10065, 'A socket operation was attempted to an unreachable host']], 'unreachable'],
  ['recv() failed', 'reading response header from upstream',
    [[104, 'Connection reset by peer'], [104, 'Unknown error'], [54, 'Connection reset by peer'], [10054, 'An existing connection was forcibly closed by the remote host']], 'upstream_reset'],
  ['recv() failed', 'sending to client', [[104, 'Connection reset by peer'], [10054, 'An existing connection was forcibly closed by the remote host']], 'client_abort'],
  ['connect() to 10.0.0.5:8080 failed', 'connecting to upstream',
    [[99, 'Cannot assign requested address'], [99, 'Address not available'], [99, 'Unknown error'], [49, "Can't assign requested address"], [10049, 'The requested address is not valid in its context']], 'resource_exhaustion'],
  ['connect() to [::1]:8080 failed', 'connecting to upstream', [[99, 'Address not available']], 'unreachable'],
  ['socket() failed', 'connecting to upstream',
    [[24, 'Too many open files'], [24, 'No file descriptors available'], [24, 'Unknown error'], [10024, 'Too many open files']], 'resource_exhaustion'],
];

test('errno variants for 111/110/113/104/99/24 map by number', () => {
  const p = openNginxError(makeCtx());
  let n = 0;
  for (const [msg, action, variants, cause] of ERRNO_CASES) {
    for (const [num, text] of variants) {
      const line = `2024/05/01 10:00:00 [crit] 7#7: *1 ${msg} (${num}: ${text}) while ${action}, client: 10.0.0.1, server: _, request: "GET / HTTP/1.1", upstream: "http://10.0.0.5:8080/", host: "x"`;
      const ev = one(p.parse(line, ++n));
      assert.equal(ev.cause, cause, `${num}: ${text} in ${msg} while ${action}`);
      assert.equal(ev.errno, num);
      assert.equal(ev.errno_text, text);
    }
  }
  // context-free process-level line (accept path, nginx.md §1.4)
  for (const text of ['Too many open files', 'No file descriptors available']) {
    const ev = one(p.parse(`2021/07/08 12:43:00 [crit] 15#15: accept4() failed (24: ${text})`, 1));
    assert.equal(ev.cause, 'resource_exhaustion');
    assert.equal(ev.errno_name, 'EMFILE');
    assert.equal(ev.connection_id, null);
  }
});

test('TLS reasons and phases', () => {
  const p = openNginxError(makeCtx());
  const sni = one(p.parse(unwrapLine(corpusLine('SSL alert number 112')).line, 1));
  assert.equal(sni.cause, 'tls');
  assert.equal(sni.tls_reason, 'sni');
  assert.equal(sni.tls_alert, 112);
  assert.equal(sni.phase, 'tls_handshake');
  const plain = one(p.parse('2024/05/01 10:00:00 [error] 7#7: *5 SSL_do_handshake() failed (SSL: error:0A00010B:SSL routines::wrong version number) while SSL handshaking to upstream, client: 10.0.0.1, server: a, request: "GET / HTTP/1.1", upstream: "https://10.0.0.5:80/", host: "a"', 2));
  assert.equal(plain.tls_reason, 'plaintext');
  assert.equal(plain.tls_detail, 'wrong version number');
  const verify = one(p.parse(corpusLine('upstream SSL certificate verify error'), 3));
  assert.equal(verify.cause, 'tls');
  assert.equal(verify.tls_reason, 'certificate');
  const abort = one(p.parse(corpusLine('epoll_wait() reported'), 4));
  assert.equal(abort.cause, 'client_abort');
  assert.equal(abort.level, 'info');
  assert.equal(abort.phase, 'sending_request');
});

test('upstream server temporarily disabled takes the cause of the failure before it', () => {
  const p = openNginxError(makeCtx());
  one(p.parse('2024/05/01 10:00:00 [error] 7#7: *9 connect() failed (113: No route to host) while connecting to upstream, client: 10.0.0.1, server: a, request: "GET / HTTP/1.1", upstream: "http://10.0.0.5:80/", host: "a"', 1));
  const warn = one(p.parse('2024/05/01 10:00:00 [warn] 7#7: *9 upstream server temporarily disabled while connecting to upstream, client: 10.0.0.1, server: a, request: "GET / HTTP/1.1", upstream: "http://10.0.0.5:80/", host: "a"', 2));
  assert.equal(warn.cause, 'unreachable');
  const nolive = one(p.parse(corpusLine('no live upstreams'), 3));
  assert.equal(nolive.cause, 'no_healthy_upstream');
  assert.equal(nolive.upstream, 'container.mydomain.de', 'group name, not a peer');
});

test('time zones: --tz Europe/Berlin (both sides of DST), +05:30, assumed UTC, inferred from a collector', () => {
  const line = (d: string) => `${d} [error] 7#7: *1 connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.0.1, server: a`;
  const berlin = makeCtx({ tz: parseZone('Europe/Berlin'), tzGiven: true });
  const pb = openNginxError(berlin);
  assert.equal(one(pb.parse(line('2024/01/15 12:00:00'), 1)).time, '2024-01-15T11:00:00Z');
  assert.equal(one(pb.parse(line('2024/07/01 12:00:00'), 2)).time, '2024-07-01T10:00:00Z');
  // spring forward 2024-03-31: 01:59:59 CET and 03:00:00 CEST are one second apart
  const a = one(pb.parse(line('2024/03/31 01:59:59'), 3)).ts_us as number;
  const b = one(pb.parse(line('2024/03/31 03:00:00'), 4)).ts_us as number;
  assert.equal(b - a, 1_000_000);
  assert.equal(berlin.stats.tz, 'Europe/Berlin');
  assert.equal(berlin.stats.tz_assumed, false);
  assert.equal(one(pb.parse(line('2024/07/01 12:00:00'), 5)).tz_assumed, false);

  const india = makeCtx({ tz: parseZone('+05:30'), tzGiven: true });
  assert.equal(one(openNginxError(india).parse(line('2024/01/15 12:00:00'), 1)).time, '2024-01-15T06:30:00Z');

  const assumed = makeCtx();
  assert.equal(one(openNginxError(assumed).parse(line('2024/01/15 12:00:00'), 1)).time, '2024-01-15T12:00:00Z');
  assert.equal(assumed.stats.tz, 'UTC');
  assert.equal(assumed.stats.tz_assumed, true);

  // Frigate #9671 (s6): the wrapper stamps UTC 12:43:42.368, nginx wrote local 13:43:42
  const s6 = corpusLine('2024-02-05 12:43:42.368690963');
  const inner = s6.slice(s6.indexOf('2024/02/05'));
  const inferred = makeCtx();
  const ev = one(openNginxError(inferred).parse(inner, 1, Date.UTC(2024, 1, 5, 12, 43, 42) * 1000 + 368690));
  assert.equal(ev.time, '2024-02-05T12:43:42Z');
  assert.equal(inferred.stats.tz, '+01:00');
  assert.match(inferred.stats.notes.join('\n'), /inferred from collector/);
});

test('failuresOnly: non-failures return null and count as ok; garbage is undefined', () => {
  const ctx = makeCtx({ failuresOnly: true });
  const p = openNginxError(ctx);
  assert.equal(p.parse(corpusLine('signal process started'), 1), null);
  assert.equal(ctx.stats.ok, 1);
  assert.equal(one(p.parse(corpusLine('172.21.0.19:9000'), 2)).cause, 'refused');
  assert.equal(p.parse('hello world, nothing nginx here', 3), undefined);
  assert.equal(p.parse('', 4), undefined);
});

test('sniff: error lines claimed, access and Envoy lines not', () => {
  const rows = corpus();
  const errs = rows.filter((r) => r.kind === 'nginx-error' && /^\d{4}\//.test(r.line)).map((r) => r.line);
  const access = rows.filter((r) => r.kind === 'nginx-access').map((r) => r.line);
  const envoy = readJsonl<{ line: string }>(ENVOY_CORPUS).map((r) => r.line);
  const opts = makeCtx().options;
  assert.equal(nginxErrorFormat.sniff(errs, opts), 1);
  assert.equal(nginxErrorFormat.sniff(access, opts), 0);
  assert.equal(nginxErrorFormat.sniff(envoy, opts), 0);
  assert.equal(nginxAccessFormat.sniff(errs, opts), 0);
  assert.equal(nginxAccessFormat.sniff(envoy, opts), 0);
  assert.equal(nginxAccessFormat.sniff(access, opts), 1);
});
