// Client-visible local-reply bodies (reference/envoy.md §3.2, §3.6): every era's wording, the gRPC and
// curl framings, time handling, and the envoy-body format's sniff against the other formats.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { CORPUS, readJsonl } from './helpers.js';
import { envoyBodyFormat, parseBody } from '../src/envoy/body.js';
import { envoyDebugFormat, openEnvoyDebug } from '../src/ingest/envoy-debug.js';
import type { Event } from '../src/events.js';
import { UTC } from '../src/time.js';
import type { IngestContext } from '../src/ingest/types.js';

function fakeCtx(): IngestContext {
  return {
    source: 'body.txt',
    options: { tz: UTC, tzGiven: false, failuresOnly: false },
    stats: {
      name: 'body.txt', format: 'envoy-body', bytes: 0, lines: 0, frames: 0, events: 0, failures: 0, ok: 0, skipped: 0,
      skipped_by_reason: {}, skipped_examples: [], anomalies: {}, first_us: null, last_us: null, notes: [],
    },
    skip() {},
    anomaly() { return null; },
  };
}

const B = 'upstream connect error or disconnect/reset before headers';

const BODIES: Array<{ text: string; cause: string; reason?: string | null; tfr?: string | null; retried?: boolean; tls?: string; grpc?: string; flag?: string }> = [
  { text: B, cause: 'unknown', reason: null },
  { text: `${B}. reset reason: overflow`, cause: 'pool_overflow', reason: 'overflow', flag: 'UO' },
  { text: `${B}. reset reason: connection termination`, cause: 'upstream_close', flag: 'UC' },
  { text: `${B}. reset reason: connection failure`, cause: 'unknown', tfr: null, flag: 'UF' },
  { text: `${B}. reset reason: connection timeout`, cause: 'connect_timeout' },
  { text: `${B}. reset reason: local reset`, cause: 'local_reset' },
  { text: `${B}. reset reason: remote reset`, cause: 'upstream_reset' },
  { text: `${B}. reset reason: protocol error`, cause: 'protocol_mismatch', flag: 'UPE' },
  { text: `${B}. reset reason: connection failure, transport failure reason: delayed connect error: 111`, cause: 'refused', reason: 'connection failure', tfr: 'delayed connect error: 111', retried: false },
  { text: `${B}. retried and the latest reset reason: remote connection failure, transport failure reason: delayed connect error: Connection refused`, cause: 'refused', retried: true },
  { text: `${B}. reset reason: connection failure, transport failure reason: TLS error: 268436501:SSL routines:OPENSSL_internal:SSLV3_ALERT_CERTIFICATE_EXPIRED`, cause: 'tls', tls: 'SSLV3_ALERT_CERTIFICATE_EXPIRED' },
  { text: `${B}. reset reason: remote connection failure, transport failure reason: TLS_error:|268435581:SSL_routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED:TLS_error_end`, cause: 'tls', tls: 'CERTIFICATE_VERIFY_FAILED' },
  { text: `${B}. reset reason: remote connection failure, transport failure reason: TLS_error:|268435581:SSL_routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED:certificate has expired:TLS_error_end`, cause: 'tls', tls: 'CERTIFICATE_VERIFY_FAILED: certificate has expired' },
  { text: `rpc error: code = Unavailable desc = ${B}. reset reason: connection termination`, cause: 'upstream_close', grpc: 'Unavailable' },
  { text: `io.grpc.StatusRuntimeException: UNAVAILABLE: ${B}. reset reason: overflow`, cause: 'pool_overflow', grpc: 'Unavailable' },
  { text: `grpc._channel._InactiveRpcError: <_InactiveRpcError of RPC that terminated with: status = StatusCode.UNAVAILABLE details = "${B}. reset reason: connection failure, transport failure reason: delayed connect error: 113" debug_error_string = "..."`, cause: 'unreachable', tfr: 'delayed connect error: 113', grpc: 'Unavailable' },
  { text: `< grpc-message: upstream%20connect%20error%20or%20disconnect/reset%20before%20headers.%20reset%20reason:%20connection%20failure,%20transport%20failure%20reason:%20delayed%20connect%20error:%20111`, cause: 'refused' },
  { text: `{"code":14,"message":"${B}. reset reason: remote reset","details":[]}`, cause: 'upstream_reset', tfr: null },
  { text: 'no healthy upstream', cause: 'no_healthy_upstream', flag: 'UH' },
  { text: 'upstream request timeout', cause: 'timeout', flag: 'UT' },
  { text: 'rpc error: code = Unavailable desc = no healthy upstream', cause: 'no_healthy_upstream', grpc: 'Unavailable' },
];

for (const b of BODIES) {
  test(`body: ${b.text.slice(0, 110)}`, () => {
    const info = parseBody(b.text);
    assert.ok(info, 'recognized');
    assert.equal(info.cause, b.cause);
    if (b.reason !== undefined) assert.equal(info.reset_reason, b.reason);
    if (b.tfr !== undefined) assert.equal(info.transport_failure_reason, b.tfr);
    if (b.retried !== undefined) assert.equal(info.retried, b.retried);
    if (b.tls !== undefined) assert.equal(info.tls_reason, b.tls);
    if (b.grpc !== undefined) assert.equal(info.grpc_code, b.grpc);
    if (b.flag !== undefined) assert.equal(info.response_flag, b.flag);
    assert.ok(info.body.startsWith(B) || info.body === 'no healthy upstream' || info.body === 'upstream request timeout');
  });
}

test('body byte lengths match the reference fingerprint (§3.6)', () => {
  // %BYTES_SENT% of the local reply: the access-log side uses these numbers, so our body text must be exact.
  const len = (t: string) => Buffer.byteLength(parseBody(t)!.body);
  assert.equal(len(B), 57);
  assert.equal(len(`${B}. reset reason: overflow`), 81);
  assert.equal(len(`${B}. reset reason: connection termination`), 95);
  assert.equal(len(`${B}. reset reason: connection failure, transport failure reason: delayed connect error: 111`), 145);
  assert.equal(len(`"${B}. retried and the latest reset reason: remote connection failure, transport failure reason: delayed connect error: Connection refused"`), 190);
});

test('not bodies: prose that merely mentions the words', () => {
  assert.equal(parseBody('we saw no healthy upstream hosts yesterday'), undefined);
  assert.equal(parseBody('GET /upstream request timeout'), undefined);
  assert.equal(parseBody(''), undefined);
});

function ev(r: Event | Event[] | null | undefined): Event | null | undefined {
  return Array.isArray(r) ? r[0] : r;
}

test('body events: time null unless the line or the collector carries one', () => {
  const ctx = fakeCtx();
  const p = envoyBodyFormat.open(ctx);
  const a = ev(p.parse(`${B}. reset reason: overflow`, 1));
  assert.equal(a?.kind, 'envoy.body');
  assert.equal(a?.time, null);
  assert.equal(a?.ts_us, null);
  assert.ok(a?.raw);
  const b = ev(p.parse(`2024/01/02 15:04:05 rpc error: code = Unavailable desc = ${B}. reset reason: overflow`, 2));
  assert.equal(b?.time, '2024-01-02T15:04:05Z');
  assert.equal(ctx.stats.tz_assumed, true, 'a zoneless client timestamp is read in --tz, and said so');
  const c = ev(p.parse(`${B}. reset reason: overflow`, 3, Date.UTC(2024, 0, 2, 3, 4, 5) * 1000 + 123456));
  assert.equal(c?.time, '2024-01-02T03:04:05.123456Z');
  // curl -v chatter is understood, other text is not.
  assert.equal(p.parse('< HTTP/1.1 503 Service Unavailable', 4), null);
  assert.equal(p.parse('* Connected to 10.0.0.1 (10.0.0.1) port 80', 5), null);
  assert.equal(p.parse('lorem ipsum', 6), undefined);
});

test('the debug parser also reads a pasted body (mixed pastes)', () => {
  const e = ev(openEnvoyDebug(fakeCtx()).parse(`${B}. reset reason: connection timeout`, 9));
  assert.equal(e?.kind, 'envoy.body');
  assert.equal(e?.cause, 'connect_timeout');
});

test('sniff: body format claims client pastes, not Envoy or NGINX logs', () => {
  const opts = fakeCtx().options;
  const curl = [
    '*   Trying 10.0.0.1:80...',
    '* Connected to api.example.com (10.0.0.1) port 80',
    '> GET /v1 HTTP/1.1',
    '> Host: api.example.com',
    '>',
    '< HTTP/1.1 503 Service Unavailable',
    '< content-length: 145',
    '< content-type: text/plain',
    '<',
    `${B}. reset reason: connection failure, transport failure reason: delayed connect error: 111`,
  ];
  assert.ok(envoyBodyFormat.sniff(curl, opts) > 0.8);
  assert.equal(envoyDebugFormat.sniff(curl, opts), 0);
  const corpus = readJsonl<{ line: string; kind: string }>(path.join(CORPUS, 'logs/envoy-real.jsonl'));
  const debug = corpus.filter((r) => r.kind === 'envoy-debug').map((r) => r.line);
  assert.equal(envoyBodyFormat.sniff(debug, opts), 0);
  const access = corpus.filter((r) => /access|json/.test(r.kind)).map((r) => r.line);
  assert.equal(envoyBodyFormat.sniff(access, opts), 0);
  const nginx = readJsonl<{ line: string }>(path.join(CORPUS, 'logs/nginx-real.jsonl')).map((r) => r.line);
  assert.equal(envoyBodyFormat.sniff(nginx, opts), 0);
});
