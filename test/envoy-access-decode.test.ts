// Decoders: response flags both ways, details of every era, transport failure reasons, bodies, the classifier.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RESPONSE_FLAGS, longToShort, parseResponseFlags, shortToLong } from '../src/envoy/response-flags.js';
import { decodeTransportFailure, parseDetails, parseLocalReplyBody } from '../src/envoy/details.js';
import { classifyEnvoy } from '../src/envoy/causes.js';
import { BODY_LENGTHS } from '../src/envoy/body-fingerprint.js';
import { corpus } from './envoy-access-shared.js';

test('response flags: the full table, short -> long -> short, and long-name lists', () => {
  assert.equal(RESPONSE_FLAGS.length, 30); // envoy.md §2: UH … UDO
  for (const f of RESPONSE_FLAGS) {
    assert.equal(longToShort(shortToLong(f.short)!), f.short);
    assert.deepEqual(parseResponseFlags(f.long), [f.short]);
  }
  assert.equal(shortToLong('UF'), 'UpstreamConnectionFailure');
  assert.equal(longToShort('UpstreamRetryLimitExceeded'), 'URX');
  assert.deepEqual(parseResponseFlags('URX,UF'), ['URX', 'UF']);
  assert.deepEqual(parseResponseFlags('UpstreamConnectionFailure,UpstreamRetryLimitExceeded'), ['UF', 'URX']);
  assert.deepEqual(parseResponseFlags('-'), []);
  assert.equal(parseResponseFlags('0'), undefined);
  assert.equal(parseResponseFlags('upstream_reset'), undefined);
});

test('details of every era (envoy.md §3.4)', () => {
  const cases: [string, string, string | undefined][] = [
    ['upstream_reset_before_response_started{connection failure}', 'connection_failure', undefined],
    ['upstream_reset_before_response_started{connection_failure,delayed_connect_error:_111}', 'connection_failure', 'delayed_connect_error:_111'],
    ['upstream_reset_before_response_started{remote_connection_failure,delayed_connect_error:_111}', 'remote_connection_failure', 'delayed_connect_error:_111'],
    ['upstream_reset_before_response_started{remote_connection_failure|delayed_connect_error:_Connection_refused}', 'remote_connection_failure', 'delayed_connect_error:_Connection_refused'],
    ['upstream_reset_before_response_started{remote_connection_failure|TLS_error:|268435703:SSL_routines:OPENSSL_internal:WRONG_VERSION_NUMBER:TLS_error_end}', 'remote_connection_failure', 'TLS_error:|268435703:SSL_routines:OPENSSL_internal:WRONG_VERSION_NUMBER:TLS_error_end'],
    ['upstream_reset_before_response_started{connection_timeout}', 'connection_timeout', undefined],
    ['upstream_reset_after_response_started{protocol_error}', 'protocol_error', undefined],
  ];
  for (const [text, reason, tfr] of cases) {
    const d = parseDetails(text)!;
    assert.equal(d.resetReason, reason, text);
    assert.equal(d.transportFailureReason, tfr, text);
  }
  assert.equal(parseDetails('via_upstream')!.basic, 'via_upstream');
  assert.equal(parseDetails('-'), undefined);
});

test('transport failure reasons: errno numbers and strerror text, TLS old and new formats', () => {
  const t = (s: string) => decodeTransportFailure(s)!;
  const c111 = t('delayed connect error: 111');
  assert.ok(c111.kind === 'connect' && c111.errno?.name === 'ECONNREFUSED');
  const txt = t('delayed_connect_error:_Connection_refused');
  assert.ok(txt.kind === 'connect' && txt.errno?.errno === 111);
  const tls = [
    ['TLS error: 268436501:SSL routines:OPENSSL_internal:SSLV3_ALERT_CERTIFICATE_EXPIRED', 'certificate_expired'],
    ['TLS_error:|268435703:SSL_routines:OPENSSL_internal:WRONG_VERSION_NUMBER:TLS_error_end', 'plaintext_peer'],
    ['TLS error: 268435581:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED', 'certificate_verify_failed'],
    ['TLS error: 33554536:system library:OPENSSL_internal:Connection reset by peer', 'reset_during_handshake'],
    ['TLS error: Secret is not supplied by SDS', 'no_certificate_from_sds'],
  ];
  for (const [s, reason] of tls) {
    const r = t(s);
    assert.ok(r.kind === 'tls' && r.tlsReason === reason, s);
  }
});

test('classifier precedence (envoy.md §5)', () => {
  const c = (i: Parameters<typeof classifyEnvoy>[0]) => classifyEnvoy(i).cause;
  assert.equal(c({ flags: ['UF'], transportFailureReason: 'delayed_connect_error:_111' }), 'refused');
  assert.equal(c({ flags: ['UF', 'URX'], transportFailureReason: 'delayed connect error: 110' }), 'connect_timeout');
  assert.equal(c({ flags: ['UF'], transportFailureReason: 'delayed connect error: 113' }), 'unreachable');
  assert.equal(c({ flags: ['UF'], transportFailureReason: 'delayed connect error: 99' }), 'resource_exhaustion');
  assert.equal(c({ flags: ['UF'], details: 'upstream_reset_before_response_started{connection_failure,TLS_error:_268436501:SSL_routines:OPENSSL_internal:SSLV3_ALERT_CERTIFICATE_EXPIRED}' }), 'tls');
  assert.equal(c({ flags: ['UF'], details: 'upstream_reset_before_response_started{connection_timeout}' }), 'connect_timeout');
  assert.equal(c({ flags: ['UF', 'URX'], durationMs: 30004 }), 'connect_timeout');
  assert.equal(c({ flags: ['UC'], details: 'upstream_reset_before_response_started{connection_termination}' }), 'upstream_close');
  assert.equal(c({ flags: ['UR'] }), 'upstream_reset');
  assert.equal(c({ flags: ['UR'], details: 'upstream_reset_before_response_started{remote_refused_stream_reset}' }), 'pool_overflow');
  assert.equal(c({ flags: ['UO'] }), 'pool_overflow');
  assert.equal(c({ flags: ['UH'], code: 200 }), 'no_healthy_upstream');
  assert.equal(c({ flags: ['DC'], code: 0 }), 'client_abort');
  assert.equal(c({ flags: ['LR'] }), 'local_reset');
  assert.equal(c({ flags: ['UT'], code: 504 }), 'timeout');
  assert.equal(c({ flags: ['UPE'], code: 502 }), 'protocol_mismatch');
  assert.equal(c({ flags: ['URX'], details: 'via_upstream' }), 'unknown');
  assert.equal(c({ flags: [], code: 200, details: 'via_upstream' }), null);
  assert.equal(c({ flags: [], code: 500, bodyBytes: 95 }), null);
  // Default format: the body length is the only evidence (§3.6).
  const fp = classifyEnvoy({ flags: ['UF'], code: 503, bodyBytes: 201, durationMs: 77 });
  assert.equal(fp.cause, 'tls'); // every 201-byte UF body Envoy writes is a TLS error
  assert.equal(fp.confidence, 'medium');
  // 145 bytes fits any 3-digit errno: refused, but say it is a guess.
  const amb = classifyEnvoy({ flags: ['UF'], code: 503, bodyBytes: 145, durationMs: 0 });
  assert.equal(amb.cause, 'refused');
  assert.equal(amb.confidence, 'low');
  assert.match(amb.basis, /113/);
  assert.equal(classifyEnvoy({ flags: ['UC'], code: 503, bodyBytes: 95 }).resetReason, 'connection_termination');
  assert.equal(classifyEnvoy({ flags: ['UF'], code: 503, bodyBytes: 91, durationMs: 10003 }).cause, 'connect_timeout');
});

test('body-length fingerprint reproduces every length in envoy.md §3.6', () => {
  const want: [number, RegExp][] = [[19, /^no healthy upstream$/], [24, /^upstream request timeout$/], [57, /headers$/], [81, /overflow$/],
    [84, /local reset$/], [85, /remote reset$/], [87, /protocol error$/], [91, /connection failure$/], [95, /connection termination$/],
    [145, /connection failure, transport failure reason: delayed connect error: 111$/], [152, /remote connection failure, .*: 111$/],
    [167, /remote connection failure, .*Connection refused$/], [190, /retried and the latest .*Connection refused$/], [201, /CERTIFICATE_EXPIRED$/]];
  for (const [n, re] of want) assert.ok(BODY_LENGTHS.get(n)?.some((c) => re.test(c.body)), `${n} bytes`);
});

test('client-visible bodies from the corpus classify with the same function', () => {
  for (const r of corpus()) {
    const b = parseLocalReplyBody(r.line);
    if (!b || !r.line.startsWith('upstream connect error')) continue;
    const v = classifyEnvoy({ resetReason: b.resetReason, transportFailureReason: b.transportFailureReason });
    // istio/istio#46431 (errno 113 from a firewalld REJECT) is labelled connect_timeout in the corpus;
    // DESIGN.md §3 puts errno 113 under `unreachable`, and so do we.
    if (/delayed connect error: 113/.test(r.line)) { assert.equal(v.cause, 'unreachable'); continue; }
    assert.ok(r.causes.includes(v.cause as string), `${r.line} -> ${v.cause}`);
  }
  const grpc = parseLocalReplyBody('rpc error: code = Unavailable desc = upstream connect error or disconnect/reset before headers. reset reason: connection termination')!;
  assert.equal(grpc.resetReason, 'connection_termination');
  assert.equal(parseLocalReplyBody('no healthy upstream')!.kind, 'no_healthy_upstream');
});
