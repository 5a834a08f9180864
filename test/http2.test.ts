import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import {
  H2_PREFACE, decodeFrame, decodeGoAway, decodeRstStream, decodeSettings, headersFragment, pushPromiseFragment, errorName,
} from '../src/decode/http2.js';
import { HpackDecoder } from '../src/decode/hpack.js';
import { h2ErrorCause } from '../src/decode/http2-stream.js';
import { CORPUS } from './helpers.js';
import { runCapture, runScript } from './tls-walker.js';

const require_ = createRequire(import.meta.url);
const hpack = require_('hpack.js');

function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream, 5);
  return Buffer.concat([h, payload]);
}
const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; };
const goaway = (last: number, code: number, debug = '') => frame(7, 0, 0, Buffer.concat([u32(last), u32(code), Buffer.from(debug)]));
const settings = (pairs: Array<[number, number]>) => frame(4, 0, 0, Buffer.concat(pairs.map(([i, v]) => Buffer.concat([Buffer.from([i >> 8, i & 0xff]), u32(v)]))));

function encoder() {
  const c = hpack.compressor.create({ table: { size: 4096 } });
  return (headers: Array<[string, string]>) => {
    c.write(headers.map(([name, value]) => ({ name, value })));
    return c.read() as Buffer;
  };
}

test('frames: GOAWAY, RST_STREAM, SETTINGS decode', () => {
  const g = decodeFrame(goaway(3, 0xb, 'calm down'), 0);
  assert.ok(g.ok);
  const ga = decodeGoAway(g.value.payload);
  assert.ok(ga.ok);
  assert.deepEqual([ga.value.lastStreamId, ga.value.errorCode, ga.value.debugData.toString()], [3, 11, 'calm down']);
  assert.equal(errorName(11), 'ENHANCE_YOUR_CALM');
  const r = decodeRstStream(u32(7));
  assert.ok(r.ok && r.value.errorCode === 7);
  const s = decodeSettings(Buffer.concat([Buffer.from([0, 3]), u32(100)]));
  assert.ok(s.ok);
  assert.deepEqual(s.value, [[3, 100]]);
});

test('every prefix of a valid frame is truncated, never a throw', () => {
  for (const full of [goaway(1, 1, 'x'), settings([[3, 10]]), frame(3, 0, 5, u32(8))]) {
    for (let n = 0; n < full.length; n++) {
      const r = decodeFrame(full.subarray(0, n), 0);
      assert.ok(!r.ok && r.why === 'truncated', `prefix ${n}`);
    }
  }
  assert.ok(!decodeGoAway(Buffer.alloc(7)).ok);
});

test('fast-check: random bytes never make an HTTP/2 or HPACK decoder throw', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 0, max: 255 }), (a, flags) => {
    const b = Buffer.from(a);
    decodeFrame(b, 0); decodeGoAway(b); decodeRstStream(b); decodeSettings(b); headersFragment(flags, b); pushPromiseFragment(flags, b);
    const r = new HpackDecoder().decode(b);
    assert.equal(typeof r.ok, 'boolean');
  }), { numRuns: 3000 });
});

test('error code causes (DESIGN §3)', () => {
  assert.equal(h2ErrorCause(0, 'resp'), null);
  assert.equal(h2ErrorCause(1, 'resp'), 'protocol_mismatch');
  assert.equal(h2ErrorCause(7, 'resp'), 'pool_overflow');
  assert.equal(h2ErrorCause(8, 'orig'), 'client_abort');
  assert.equal(h2ErrorCause(0xb, 'resp'), 'pool_overflow');
});

test('h2c prior knowledge: HPACK across blocks (dynamic table), CONTINUATION, response with path and request id', () => {
  const enc = encoder();
  const respEnc = encoder();
  const req1 = enc([[':method', 'GET'], [':path', '/api/a'], [':scheme', 'http'], [':authority', 'svc'], ['x-request-id', 'rid-1']]);
  const req3 = enc([[':method', 'GET'], [':path', '/api/b'], [':scheme', 'http'], [':authority', 'svc'], ['x-request-id', 'rid-3']]);
  const resp1 = respEnc([[':status', '503'], ['grpc-status', '14']]);
  const half = Math.floor(req3.length / 2);
  const ev = runScript([
    { from: 'c', data: Buffer.concat([H2_PREFACE, settings([[3, 100]])]) },
    { from: 's', data: settings([[3, 1]]) },
    { from: 'c', data: frame(1, 0x5, 1, req1) },
    { from: 'c', data: Buffer.concat([frame(1, 0x1, 3, req3.subarray(0, half)), frame(9, 0x4, 3, req3.subarray(half))]) },
    { from: 's', data: frame(1, 0x5, 1, resp1) },
    { from: 's', data: frame(3, 0, 3, u32(7)) },
    { from: 's', data: goaway(3, 0, 'bye') },
  ]);
  const settingsEv = ev.filter((e) => e.kind === 'http2.settings');
  assert.deepEqual(settingsEv.map((e) => e.max_concurrent_streams), [100, 1]);
  const resp = ev.find((e) => e.kind === 'http.response');
  assert.deepEqual([resp?.status, resp?.path, resp?.request_id, resp?.grpc_status, resp?.frame], [503, '/api/a', 'rid-1', 14, 5]);
  const rst = ev.find((e) => e.kind === 'http2.rst_stream');
  assert.deepEqual([rst?.stream_id, rst?.error_name, rst?.cause, rst?.path, rst?.request_id], [3, 'REFUSED_STREAM', 'pool_overflow', '/api/b', 'rid-3']);
  const g = ev.find((e) => e.kind === 'http2.goaway');
  assert.deepEqual([g?.last_stream_id, g?.error_name, g?.cause, g?.debug_data], [3, 'NO_ERROR', null, 'bye']);
  // one byte at a time gives the same events
  const again = runScript([
    { from: 'c', data: Buffer.concat([H2_PREFACE, settings([[3, 100]])]) },
  ], 1);
  assert.equal(again.filter((e) => e.kind === 'http2.settings').length, 1);
});

test('HTTP/1 sent to an h2-only server: GOAWAY PROTOCOL_ERROR and a mismatch', () => {
  const ev = runScript([
    { from: 'c', data: 'GET / HTTP/1.1\r\nHost: svc\r\n\r\n' },
    { from: 's', data: Buffer.concat([settings([]), goaway(0, 1, 'Unexpected HTTP/1.x request')]) },
  ]);
  const m = ev.find((e) => e.kind === 'http.mismatch');
  assert.equal(m?.reason, 'http1_to_h2');
  assert.equal(m?.cause, 'protocol_mismatch');
  const g = ev.find((e) => e.kind === 'http2.goaway');
  assert.equal(g?.cause, 'protocol_mismatch');
  assert.equal(g?.error_name, 'PROTOCOL_ERROR');
});

test('h2 preface sent to an HTTP/1 server: protocol_mismatch', () => {
  const ev = runScript([
    { from: 'c', data: H2_PREFACE },
    { from: 's', data: 'HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n' },
  ]);
  const m = ev.find((e) => e.kind === 'http.mismatch');
  assert.equal(m?.reason, 'h2_to_http1');
  assert.equal(m?.cause, 'protocol_mismatch');
});

test('corpus: h2c on unusual ports (6233, 8888 via CONNECT), found by content', () => {
  const ev = runCapture(path.join(CORPUS, 'pcap/suricata-verify__http2-errorcode.pcap'));
  const g = ev.filter((e) => e.kind === 'http2.goaway');
  assert.deepEqual(g.map((e) => [e.frame, String(e.dst).split(':')[1], e.error_name]), [
    [41, '8888', 'INTERNAL_ERROR'], [43, '6233', 'INTERNAL_ERROR'], [45, '63578', 'NO_ERROR'], [49, '63577', 'NO_ERROR'],
  ]);
});
