import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import fc from 'fast-check';
import {
  decodeRecord, decodeRecordHeader, decodeHandshake, decodeClientHello, decodeServerHello, decodeAlert,
  decodeCertificateList, decodeSslv2ClientHello, decodeEncryptedExtensions, ALERT_DESCRIPTIONS, alertName,
} from '../src/decode/tls.js';
import { alertCause } from '../src/decode/tls-stream.js';
import { CORPUS } from './helpers.js';
import { runCapture, runScript } from './tls-walker.js';

const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
const u24 = (n: number) => Buffer.from([n >> 16, (n >> 8) & 0xff, n & 0xff]);
const vec16 = (b: Buffer) => Buffer.concat([u16(b.length), b]);
const ext = (type: number, body: Buffer) => Buffer.concat([u16(type), vec16(body)]);

export function clientHello(sni: string, alpn: Buffer[]): Buffer {
  const alpnList = Buffer.concat(alpn.map((a) => Buffer.concat([Buffer.from([a.length]), a])));
  const exts = Buffer.concat([
    ext(0, vec16(Buffer.concat([Buffer.from([0]), vec16(Buffer.from(sni))]))),
    ext(16, vec16(alpnList)),
    ext(43, Buffer.from([4, 0x03, 0x04, 0x03, 0x03])),
  ]);
  const body = Buffer.concat([u16(0x0303), Buffer.alloc(32, 7), Buffer.from([0]), vec16(Buffer.from([0x13, 0x01, 0xc0, 0x2f])), Buffer.from([1, 0]), vec16(exts)]);
  const hs = Buffer.concat([Buffer.from([1]), u24(body.length), body]);
  return Buffer.concat([Buffer.from([22, 3, 1]), u16(hs.length), hs]);
}

export function serverHello(alpn: string | null, version = 0x0303): Buffer {
  const exts = alpn ? ext(16, vec16(Buffer.concat([Buffer.from([alpn.length]), Buffer.from(alpn)]))) : Buffer.alloc(0);
  const body = Buffer.concat([u16(version), Buffer.alloc(32, 9), Buffer.from([0]), u16(0xc02f), Buffer.from([0]), vec16(exts)]);
  const hs = Buffer.concat([Buffer.from([2]), u24(body.length), body]);
  return Buffer.concat([Buffer.from([22, 3, 3]), u16(hs.length), hs]);
}

const alertRecord = (level: number, desc: number) => Buffer.from([21, 3, 3, 0, 2, level, desc]);

test('ClientHello: SNI, ALPN, versions, cipher count; binary ALPN ids as hex', () => {
  const rec = decodeRecord(clientHello('svc.example', [Buffer.from('h2'), Buffer.from([0x8a, 0x8a])]), 0);
  assert.ok(rec.ok);
  const hs = decodeHandshake(rec.value.fragment, 0);
  assert.ok(hs.ok);
  assert.equal(hs.value.type, 1);
  const ch = decodeClientHello(hs.value.body);
  assert.ok(ch.ok);
  assert.equal(ch.value.sni, 'svc.example');
  assert.deepEqual(ch.value.alpn, ['h2', '0x8a8a']);
  assert.deepEqual(ch.value.versions, [0x0304, 0x0303]);
  assert.equal(ch.value.cipherSuites.length, 2);
});

test('ServerHello: cipher suite, ALPN, supported_versions', () => {
  const rec = decodeRecord(serverHello('h2'), 0);
  assert.ok(rec.ok);
  const hs = decodeHandshake(rec.value.fragment, 0);
  assert.ok(hs.ok);
  const sh = decodeServerHello(hs.value.body);
  assert.ok(sh.ok);
  assert.equal(sh.value.cipherSuite, 0xc02f);
  assert.equal(sh.value.alpn, 'h2');
  assert.equal(sh.value.version, 0x0303);
  assert.equal(sh.value.helloRetry, false);
});

test('every prefix of a valid record is truncated, never a throw', () => {
  const full = clientHello('a.example', [Buffer.from('h2')]);
  for (let n = 0; n < full.length; n++) {
    const r = decodeRecord(full.subarray(0, n), 0);
    assert.equal(r.ok, false, `prefix ${n}`);
    if (!r.ok) assert.equal(r.why, 'truncated', `prefix ${n}`);
  }
  const hsBody = (decodeRecord(full, 0) as { value: { fragment: Buffer } }).value.fragment;
  for (let n = 0; n < hsBody.length; n++) {
    const r = decodeHandshake(hsBody.subarray(0, n), 0);
    assert.ok(!r.ok && r.why === 'truncated', `handshake prefix ${n}`);
  }
  assert.ok(!decodeAlert(Buffer.from([2]), 0).ok);
});

test('fast-check: random bytes never make a TLS decoder throw', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (a) => {
    const b = Buffer.from(a);
    for (const f of [decodeRecord, decodeRecordHeader, decodeHandshake, decodeClientHello, decodeServerHello, decodeCertificateList, decodeSslv2ClientHello, decodeEncryptedExtensions]) {
      const r = (f as (b: Buffer, o: number) => { ok: boolean })(b, 0);
      assert.equal(typeof r.ok, 'boolean');
    }
  }), { numRuns: 2000 });
});

test('fast-check: random conversations never make the sink throw', () => {
  fc.assert(fc.property(fc.array(fc.record({ from: fc.constantFrom('c' as const, 's' as const), data: fc.uint8Array({ minLength: 1, maxLength: 200 }) }), { maxLength: 8 }), (steps) => {
    const tlsStart = { from: 'c' as const, data: clientHello('x', [Buffer.from('h2')]) };
    runScript([tlsStart, ...steps.map((s) => ({ from: s.from, data: Buffer.from(s.data) }))]);
    runScript(steps.map((s) => ({ from: s.from, data: Buffer.from(s.data) })));
  }), { numRuns: 300 });
});

test('every alert description has its RFC name; causes', () => {
  assert.equal(Object.keys(ALERT_DESCRIPTIONS).length, 35);
  assert.equal(alertName(112), 'unrecognized_name');
  assert.equal(alertName(200), 'unknown_200');
  assert.equal(alertCause(0), null);
  assert.equal(alertCause(120), 'protocol_mismatch');
  assert.equal(alertCause(40), 'tls');
});

test('stream: hello, ALPN, fatal alert — same events fed whole and one byte at a time', () => {
  const script = [
    { from: 'c' as const, data: clientHello('svc.example', [Buffer.from('h2'), Buffer.from('http/1.1')]) },
    { from: 's' as const, data: serverHello('h2') },
    { from: 'c' as const, data: alertRecord(2, 120) },
  ];
  const strip = (e: ReturnType<typeof runScript>) => e.map((x) => ({ kind: x.kind, cause: x.cause, sni: x.sni, alpn: x.alpn, description_name: x.description_name, flow: x.flow }));
  const whole = runScript(script);
  assert.deepEqual(whole.map((e) => e.kind), ['tls.client_hello', 'tls.server_hello', 'tls.alert']);
  const alert = whole[2];
  assert.equal(alert.cause, 'protocol_mismatch');
  assert.equal(alert.description_name, 'no_application_protocol');
  assert.equal(alert.src, '10.0.0.1:40000');
  assert.equal(alert.flow, 'Ctest');
  assert.equal(whole[1].alpn, 'h2');
  const bytes = runScript(script, 1);
  assert.deepEqual(strip(bytes), strip(whole));
  // the ClientHello completes in its last byte's frame
  assert.equal(bytes[0].frame, script[0].data.length);
});

test('close_notify is not a failure', () => {
  const ev = runScript([{ from: 'c', data: clientHello('a', []) }, { from: 's', data: serverHello(null) }, { from: 's', data: alertRecord(1, 0) }]);
  const a = ev.find((e) => e.kind === 'tls.alert');
  assert.equal(a?.cause, null);
});

test('TLS spoken to a plaintext server: tls.mismatch tls_to_plaintext', () => {
  const ev = runScript([
    { from: 'c', data: clientHello('api.internal', [Buffer.from('h2')]) },
    { from: 's', data: 'HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n' },
  ]);
  const m = ev.find((e) => e.kind === 'tls.mismatch');
  assert.equal(m?.tls_reason, 'tls_to_plaintext');
  assert.equal(m?.cause, 'tls');
  assert.equal(m?.frame, 2);
  assert.equal(ev.find((e) => e.kind === 'http.response')?.status, 400);
});

test('plaintext spoken to a TLS port: tls.mismatch plaintext_to_tls and the alert', () => {
  const ev = runScript([
    { from: 'c', data: 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n' },
    { from: 's', data: Buffer.from([21, 3, 1, 0, 2, 2, 10]) },
  ]);
  const m = ev.find((e) => e.kind === 'tls.mismatch');
  assert.equal(m?.tls_reason, 'plaintext_to_tls');
  assert.equal(ev.find((e) => e.kind === 'tls.alert')?.description_name, 'unexpected_message');
});

test('a handshake that never completes', () => {
  const ev = runScript([{ from: 'c', data: clientHello('slow.example', []) }, { from: 's', data: serverHello(null) }]);
  const h = ev.find((e) => e.kind === 'tls.handshake_incomplete');
  assert.equal(h?.stage, 'no_finished');
  assert.equal(h?.sni, 'slow.example');
});

test('corpus: ClientHellos split across TCP segments complete in the last segment', () => {
  const cases: Array<[string, number]> = [['arkime__tls-split-client-hello.pcap', 0], ['zeek__chrome-1250-tls-x25519-kyber.pcap', 0], ['zeek__tls-fragmented-handshake.pcap.gz', 0]];
  for (const [file] of cases) {
    const truth = JSON.parse(require_('fs').readFileSync(path.join(CORPUS, 'pcap/truth', file + '.json'), 'utf8'));
    const ev = runCapture(path.join(CORPUS, 'pcap', file), file).filter((e) => e.kind === 'tls.client_hello');
    assert.deepEqual(ev.map((e) => [e.frame, e.sni]), truth.tls_client_hello.map((t: { frame: number; sni: string }) => [t.frame, t.sni]), file);
  }
});

test('corpus: non-UTF-8 ALPN is reported as hex', () => {
  const ev = runCapture(path.join(CORPUS, 'pcap/ja4__tls-non-ascii-alpn.pcapng')).filter((e) => e.kind === 'tls.client_hello');
  assert.equal(ev.length, 1);
  assert.match((ev[0].alpn as string[])[0], /^0x[0-9a-f]+$/);
  assert.equal((ev[0].alpn as string[])[1], 'http/1.1');
});

import { createRequire } from 'node:module';
const require_ = createRequire(import.meta.url);
