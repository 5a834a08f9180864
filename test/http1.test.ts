import test from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeHttp1Head, decodeChunkSize, wantsClose } from '../src/decode/http1.js';
import { runScript } from './tls-walker.js';

test('request and status lines, headers lower-cased', () => {
  const r = decodeHttp1Head(Buffer.from('GET /a?b=1 HTTP/1.1\r\nHost: x\r\nX-Request-Id: abc\r\n\r\nrest'), 0);
  assert.ok(r.ok);
  assert.equal(r.value.kind, 'request');
  assert.deepEqual(r.value.headers, [['host', 'x'], ['x-request-id', 'abc']]);
  assert.equal(r.next, 'GET /a?b=1 HTTP/1.1\r\nHost: x\r\nX-Request-Id: abc\r\n\r\n'.length);
  const s = decodeHttp1Head(Buffer.from('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n'), 0);
  assert.ok(s.ok && s.value.kind === 'response' && s.value.status === 503);
  assert.equal(wantsClose('HTTP/1.1', s.value.headers), true);
  assert.equal(wantsClose('HTTP/1.0', []), true);
});

test('a head ends at the first empty line: CRLF CRLF or bare LF LF, wherever the LFs fall', () => {
  const bare = decodeHttp1Head(Buffer.from('xxHTTP/1.1 204 No Content\nServer: a\n\nbody\r\n\r\n'), 2);
  assert.ok(bare.ok && bare.value.kind === 'response');
  assert.deepEqual(bare.value.headers, [['server', 'a']]);
  assert.equal(bare.next, 'xxHTTP/1.1 204 No Content\nServer: a\n\n'.length);
  const mixed = decodeHttp1Head(Buffer.from('GET / HTTP/1.1\r\nA: 1\n\r\nrest\n\n'), 0);
  assert.ok(mixed.ok);
  assert.equal(mixed.next, 'GET / HTTP/1.1\r\nA: 1\n\r\n'.length);
  // A lone CR is not a line end.
  assert.ok(!decodeHttp1Head(Buffer.from('GET / HTTP/1.1\r\nA: 1\r\r\r'), 0).ok);
});

test('every prefix of a head is truncated; garbage is malformed', () => {
  const full = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
  for (let n = 0; n < full.length; n++) {
    const r = decodeHttp1Head(full.subarray(0, n), 0);
    assert.ok(!r.ok && r.why === 'truncated', `prefix ${n}`);
  }
  const g = decodeHttp1Head(Buffer.from('\x16\x03\x01 junk\r\n\r\n'), 0);
  assert.ok(!g.ok && g.why === 'malformed');
  assert.deepEqual(decodeChunkSize(Buffer.from('1a;x=y\r\n'), 0), { ok: true, value: 26, next: 8 });
});

test('fast-check: random bytes never make the HTTP/1 decoders throw', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (a) => {
    const b = Buffer.from(a);
    decodeHttp1Head(b, 0);
    decodeChunkSize(b, 0);
    runScript([{ from: 'c', data: Buffer.concat([Buffer.from('GET / HTTP/1.1\r\n'), b]) }, { from: 's', data: b }]);
  }), { numRuns: 1000 });
});

test('pipelined responses pair with requests; bodies by length and chunked; x-request-id; Connection: close', () => {
  const steps = [
    { from: 'c' as const, data: 'POST /a HTTP/1.1\r\nContent-Length: 5\r\nX-Request-Id: r1\r\n\r\nhelloGET /b HTTP/1.1\r\nx-request-id: r2\r\n\r\n' },
    { from: 's' as const, data: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n0\r\n\r\nHTTP/1.1 503 Service Unavailable\r\nContent-Length: 3\r\nConnection: close\r\n\r\nbye' },
  ];
  for (const chunk of [0, 1, 7]) {
    const ev = runScript(steps, chunk).filter((e) => e.kind === 'http.response');
    assert.deepEqual(ev.map((e) => [e.status, e.method, e.path, e.request_id, e.connection_close]), [
      [200, 'POST', '/a', 'r1', false], [503, 'GET', '/b', 'r2', true],
    ], `chunk ${chunk}`);
  }
});

test('HTTP/1.1 Upgrade to h2c hands the connection to HTTP/2 (stream 1 = the upgraded request)', () => {
  const goaway = Buffer.from('000008070000000000000000010000000b', 'hex');
  const settings = Buffer.from('000000040000000000', 'hex');
  const ev = runScript([
    { from: 'c', data: 'GET /up HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n' },
    { from: 's', data: Buffer.concat([Buffer.from('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n'), settings]) },
    { from: 'c', data: Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), settings]) },
    { from: 's', data: goaway },
  ]);
  const g = ev.find((e) => e.kind === 'http2.goaway');
  assert.equal(g?.error_name, 'ENHANCE_YOUR_CALM');
  assert.equal(g?.last_stream_id, 1);
  assert.equal(ev.filter((e) => e.kind === 'http2.settings').length, 2);
});

test('a non-HTTP answer to an HTTP/1 request is a protocol mismatch (SSH banner)', () => {
  const ev = runScript([{ from: 'c', data: 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' }, { from: 's', data: 'SSH-2.0-OpenSSH_9.6\r\n' }]);
  const m = ev.find((e) => e.kind === 'http.mismatch');
  assert.equal(m?.reason, 'http1_unrecognised_reply');
  assert.equal(m?.reply, 'SSH-2.0-OpenSSH_9.6');
});
