// Envoy/Istio access logs: the real corpus, each built-in format, JSON, custom formats, cut lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACCESS_KINDS, corpus, openParser, parseRaw } from './envoy-access-shared.js';
import { envoyAccessFormat, quickSuccess, quickSuccessBytes, quickBytes, formatSet } from '../src/ingest/envoy-access.js';
import { BUILTIN_FORMATS } from '../src/envoy/istio-formats.js';
import { compileFormat } from '../src/envoy/format-compiler.js';
import { unwrapLine } from '../src/ingest/wrappers.js';

test('corpus: every access-log line gets one of its causes', () => {
  const { p } = openParser();
  let agree = 0, labelled = 0, parsed = 0, access = 0;
  corpus().forEach((r, i) => {
    if (!ACCESS_KINDS.has(r.kind)) return;
    access++;
    const ev = parseRaw(p, r.line, i + 1);
    assert.ok(ev, `line ${i + 1} not parsed: ${r.line}`);
    parsed++;
    assert.equal(ev.kind, 'envoy.access');
    if (!r.causes.length) return;
    labelled++;
    if (r.causes.includes(ev.cause as string)) agree++;
    else assert.fail(`line ${i + 1}: got ${ev.cause} (${String(ev.cause_basis)}), want one of ${r.causes.join(',')}`);
  });
  console.log(`envoy access corpus: parsed ${parsed}/${access}, cause agreement ${agree}/${labelled}`);
  assert.equal(agree, labelled);
  assert.ok(labelled >= 14);
});

test('corpus: fields of a real Istio 1.9+ line (istio/istio#51267)', () => {
  const { p } = openParser();
  const line = corpus()[9].line;
  const ev = parseRaw(p, line)!;
  assert.equal(ev.time, '2024-05-28T15:12:57.143Z');
  assert.equal(ev.ts_us, Date.parse('2024-05-28T15:12:57.143Z') * 1000);
  assert.equal(ev.cause, 'refused');
  assert.equal(ev.response_code, 503);
  assert.deepEqual(ev.response_flags, ['UF']);
  assert.equal(ev.details, 'upstream_reset_before_response_started{remote_connection_failure,delayed_connect_error:_111}');
  assert.equal(ev.transport_failure_reason, 'delayed_connect_error:_111');
  assert.equal(ev.reset_reason, 'remote_connection_failure');
  assert.equal(ev.errno, 111);
  assert.equal(ev.upstream, '100.72.2.83:8080');
  assert.equal(ev.upstream_cluster, 'inbound|8080||');
  assert.equal(ev.upstream_local_address, null);
  assert.equal(ev.src, '100.72.9.85:44759');
  assert.equal(ev.dst, '100.72.2.83:8080');
  assert.equal(ev.request_id, '87383523-4754-4ac6-9acd-5e63d4cebb65');
  assert.equal(ev.method, 'POST');
  assert.equal(ev.path, '/plugins/high-availability/event/ref-updated');
  assert.equal(ev.authority, 'redacted.svc.cluster.local:8080');
  assert.equal(ev.bytes_sent, 152);
  assert.equal(ev.bytes_received, 398);
  assert.equal(ev.duration_ms, 0);
  assert.equal(ev.format, 'istio-1.9');
  assert.equal(ev.raw, line);
  assert.match(String(ev.summary), /refused/);
});

test('corpus: the cut and headless lines (istio/istio#45802, Cray-HPE docs) parse as far as they go', () => {
  const { p } = openParser();
  const recs = corpus();
  const cut = parseRaw(p, recs[18].line)!; // `... 503 UF,URX "-" "TLS error: Secret is not supplied by SDS"`
  assert.equal(cut.cause, 'tls');
  assert.equal(cut.tls_reason, 'no_certificate_from_sds');
  assert.equal(cut.transport_failure_reason, 'TLS error: Secret is not supplied by SDS');
  assert.equal(cut.truncated, true);
  const headless = parseRaw(p, recs[38].line)!; // starts at `"GET /v1/status ...`
  assert.equal(headless.time, null);
  assert.equal(headless.cause, 'upstream_close');
  assert.equal(headless.upstream, '10.80.47.192:8181');
  assert.equal(headless.upstream_local_address, '10.80.45.233:37132');
});

test('every prefix of a real line parses to the same code and flags, never throws', () => {
  const line = corpus()[9].line;
  const { p } = openParser();
  const codeAt = line.indexOf(' UF ') + 3;
  for (let n = 0; n <= line.length; n++) {
    const ev = p.parse(line.slice(0, n), 1);
    if (n > codeAt) {
      assert.ok(ev && !Array.isArray(ev), `prefix ${n}`);
      assert.equal(ev.response_code, 503, `prefix ${n}`);
      assert.deepEqual(ev.response_flags, ['UF'], `prefix ${n}`);
    }
  }
});

// Render a format with values (operator name -> text): sample lines for the Istio versions with no real line.
function render(format: string, values: Record<string, string>): string {
  return format.replace(/\n$/, '').replace(/%([A-Z_]+)(?:\((.*?)\))?%/g, (_m, name: string, arg?: string) => values[arg ? `${name}(${arg})` : name] ?? '-');
}
const SAMPLE_VALUES: Record<string, string> = {
  START_TIME: '2023-12-01T10:00:00.123Z', 'REQ(:METHOD)': 'GET', 'REQ(X-ENVOY-ORIGINAL-PATH?:PATH)': '/api/v1', PROTOCOL: 'HTTP/1.1',
  RESPONSE_CODE: '503', RESPONSE_FLAGS: 'UF,URX', RESPONSE_CODE_DETAILS: 'upstream_reset_before_response_started{remote_connection_failure|delayed_connect_error:_Connection_refused}',
  UPSTREAM_TRANSPORT_FAILURE_REASON: 'delayed_connect_error:_Connection_refused', BYTES_RECEIVED: '0', BYTES_SENT: '190', DURATION: '31',
  'REQ(X-REQUEST-ID)': 'b7a0c0de-0000-4000-8000-000000000001', 'REQ(:AUTHORITY)': 'web.default:80', UPSTREAM_HOST: '10.1.2.3:8080',
  UPSTREAM_CLUSTER: 'outbound|80||web.default.svc.cluster.local', UPSTREAM_CLUSTER_RAW: 'outbound|80||web.default.svc.cluster.local',
  DOWNSTREAM_LOCAL_ADDRESS: '10.96.0.10:80', DOWNSTREAM_REMOTE_ADDRESS: '10.1.9.9:51234', 'REQ(USER-AGENT)': 'curl/8.4.0',
};

test('every built-in format: a sample line matches its own format and classifies', () => {
  const set = formatSet();
  for (const b of BUILTIN_FORMATS) {
    const line = render(b.format, SAMPLE_VALUES);
    const { p } = openParser();
    const ev = parseRaw(p, line)!;
    assert.ok(ev, b.name);
    // Formats that differ only in the cluster operator render the same line: either name is right.
    const same = set.text.filter((cf) => render(cf.source, SAMPLE_VALUES) === line).map((cf) => cf.name);
    assert.ok(same.includes(String(ev.format)), `${b.name}: matched ${String(ev.format)}`);
    assert.equal(ev.time, '2023-12-01T10:00:00.123Z', b.name);
    assert.deepEqual(ev.response_flags, ['UF', 'URX'], b.name);
    assert.equal(ev.upstream, '10.1.2.3:8080', b.name);
    // Formats with details/tfr say refused; the default reads the 190-byte body (envoy.md §3.6).
    assert.equal(ev.cause, 'refused', `${b.name}: ${String(ev.cause_basis)}`);
  }
});

test('reference samples: Envoy docs default line and real Istio 1.6/1.7, 1.8 lines pick the right format', () => {
  const { p } = openParser();
  const doc = '[2016-04-15T20:17:00.310Z] "POST /api/v1/locations HTTP/2" 204 - 154 0 226 100 "10.0.35.28" "nsq2http" "cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2" "locations" "tcp://10.0.2.1:80"';
  const ev = parseRaw(p, doc)!;
  assert.equal(ev.format, 'envoy-default');
  assert.equal(ev.cause, null);
  assert.equal(ev.upstream, 'tcp://10.0.2.1:80');
  assert.equal(ev.duration_ms, 226);
  assert.equal(ev.raw, undefined);
  const recs = corpus();
  assert.equal(parseRaw(p, recs[37].line)!.format, 'istio-1.3'); // 1.6/1.7: mixer + tfr quoted columns
  assert.equal(parseRaw(p, recs[36].line)!.format, 'istio-1.8');
  const tcp = render(BUILTIN_FORMATS.find((b) => b.name === 'istio-1.0-tcp')!.format, { ...SAMPLE_VALUES, DURATION: '999', BYTES_SENT: '0' });
  const t = parseRaw(p, tcp)!;
  assert.equal(t.format, 'istio-1.0-tcp');
  assert.equal(t.cause, 'connect_timeout'); // UF, no reason, 999 ms: Istio 1.0's 1 s connect timeout
});

test('custom --envoy-format: %START_TIME(%s.%3f)%, truncation, %%, and the corpus custom lines', () => {
  const f = '%START_TIME(%s.%3f)% %RESPONSE_CODE% %RESPONSE_FLAGS% 100%% "%UPSTREAM_TRANSPORT_FAILURE_REASON%" %UPSTREAM_HOST% %REQ(X-REQUEST-ID):8%';
  const { p } = openParser({ envoyFormat: f });
  const ev = parseRaw(p, '1527590590.528 503 UF 100% "delayed connect error: 113" 10.0.0.7:443 abcdef01')!;
  assert.equal(ev.time, new Date(1527590590528).toISOString());
  assert.equal(ev.cause, 'unreachable');
  assert.equal(ev.upstream, '10.0.0.7:443');
  assert.equal(ev.request_id, 'abcdef01');
  assert.equal(ev.format, 'custom');

  // envoyproxy/envoy#6190 (Envoy 1.8 custom format): UC with the 57-byte pre-2019 body; its baseline success.
  const f6190 = '%START_TIME% %REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL% %RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% %REQ(X-FORWARDED-FOR)% %DOWNSTREAM_REMOTE_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% %UPSTREAM_LOCAL_ADDRESS% %UPSTREAM_HOST%';
  const q = openParser({ envoyFormat: f6190 }).p;
  const recs = corpus();
  const uc = parseRaw(q, recs[27].line)!;
  assert.ok(recs[27].causes.includes(uc.cause as string));
  assert.equal(uc.upstream_local_address, '127.0.0.1:60382');
  assert.equal(uc.time, '2019-03-06T11:07:34.910Z');
  const ok = parseRaw(q, recs[41].line)!;
  assert.equal(ok.cause, null);
  assert.equal(ok.upstream, '127.0.0.1:7080');
  // envoyproxy/envoy#15968 fragment: code, details with a space inside {}, flags.
  const lr = parseRaw(openParser({ envoyFormat: '%RESPONSE_CODE% %RESPONSE_CODE_DETAILS% %RESPONSE_FLAGS%' }).p, recs[30].line)!;
  assert.equal(lr.cause, 'local_reset');
  assert.equal(lr.details, 'upstream_reset_before_response_started{local reset}');
});

test('a bad --envoy-format is a usage error, not a crash later', () => {
  assert.throws(() => formatSet('no operators here'), /BAD_ENVOY_FORMAT|no %COMMAND%/);
  assert.throws(() => formatSet('{"a": '), /not valid JSON/);
  assert.equal(compileFormat('plain'), undefined);
});

test('JSON: Istio json_format (strings), typed_json_format (numbers/null), custom and nested keys, user template', () => {
  const { p } = openParser();
  const istio = parseRaw(p, corpus()[24].line)!;
  assert.equal(istio.cause, 'no_healthy_upstream');
  assert.equal(istio.time, '2019-11-19T03:27:35.402Z');
  assert.equal(istio.src, '100.100.0.0:54652');
  const typed = parseRaw(p, JSON.stringify({ start_time: '2025-01-02T03:04:05.678Z', response_code: 503, response_flags: 'UF', response_code_details: 'upstream_reset_before_response_started{connection_timeout}', duration: 10001, bytes_sent: 91, upstream_host: '10.0.0.9:9000', upstream_local_address: null, request_id: 'r1' }))!;
  assert.equal(typed.cause, 'connect_timeout');
  assert.equal(typed.response_code, 503);
  assert.equal(typed.duration_ms, 10001);
  assert.equal(typed.upstream_local_address, null);
  // envoyproxy/envoy#17432 camelCase, #20311 nested upstream.host, and a key nobody maps (`rf`-like): by content.
  const nested = parseRaw(p, JSON.stringify({ ts: '2025-01-02T03:04:05.678Z', status: '503', meta: { envoy: 'UC' }, upstream: { host: '10.0.0.5:80' }, why: 'upstream_reset_before_response_started{connection_termination}', requestId: 'r2' }))!;
  assert.equal(nested.cause, 'upstream_close');
  assert.deepEqual(nested.response_flags, ['UC']);
  assert.equal(nested.upstream, '10.0.0.5:80');
  assert.equal(nested.request_id, 'r2');
  // The user's json_format: keys mean what the template says, even misleading ones.
  const tpl = JSON.stringify({ when: '%START_TIME%', a: '%RESPONSE_FLAGS%', b: '%RESPONSE_CODE%', c: { d: '%UPSTREAM_TRANSPORT_FAILURE_REASON%' } });
  const u = parseRaw(openParser({ envoyFormat: tpl }).p, JSON.stringify({ when: '2025-01-02T03:04:05.678Z', a: 'UF', b: 503, c: { d: 'delayed connect error: 99' } }))!;
  assert.equal(u.cause, 'resource_exhaustion');
  assert.equal(u.format, 'custom-json');
});

test('failuresOnly: success lines are counted, not emitted; the quick check agrees with the full parser', () => {
  const { p, ctx } = openParser({ failuresOnly: true });
  const set = formatSet();
  const def = set.text.find((f) => f.name === 'envoy-default')!;
  const ok = '[2016-04-15T20:17:00.310Z] "POST /api/v1/locations HTTP/2" 204 - 154 0 226 100 "10.0.35.28" "nsq2http" "cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2" "locations" "tcp://10.0.2.1:80"';
  assert.ok(def.quick);
  assert.equal(quickSuccess(ok, def.quick!), true);
  assert.equal(p.parse(ok, 1), null);
  assert.equal(p.parse(ok, 2), null); // second line goes through the quick path
  assert.equal(ctx.stats.ok, 2);
  for (const r of corpus()) {
    if (!ACCESS_KINDS.has(r.kind) || r.line.startsWith('{')) continue;
    const line = unwrapLine(r.line).line;
    const full = openParser().p.parse(line, 1);
    const isFailure = !!full && !Array.isArray(full) && full.cause !== null;
    if (isFailure) assert.equal(quickSuccess(line, def.quick!), false, line);
    // The byte form (what the framework calls) says exactly what the string form says.
    const qb = quickBytes(def.quick!);
    const buf = Buffer.from(`x\n${line}\ny`, 'utf8');
    const i = buf.indexOf(qb.before, 2);
    assert.equal(quickSuccessBytes(buf, 2, buf.length - 2, qb, i < 0 ? buf.length : i), quickSuccess(line, def.quick!), line);
  }
  for (const l of [ok, ok.replace('204 -', '503 -'), ok.replace('204 -', '200 UF'), ok.replace('204 -', '2000 -'), ok.slice(0, ok.indexOf('204') + 5)]) {
    const qb = quickBytes(def.quick!);
    const buf = Buffer.from(l);
    const i = buf.indexOf(qb.before);
    assert.equal(quickSuccessBytes(buf, 0, buf.length, qb, i < 0 ? buf.length : i), quickSuccess(l, def.quick!), l);
  }
  const fail = p.parse(unwrapLine(corpus()[0].line).line, 3);
  assert.ok(fail && !Array.isArray(fail) && fail.cause === 'refused');
  assert.equal(ctx.stats.failures, 0, 'the parser does not count failures: the pipeline does, once');
});

test('sniff: Envoy/Istio lines yes, NGINX and debug lines no, custom format when given', () => {
  const recs = corpus();
  const access = recs.filter((r) => ACCESS_KINDS.has(r.kind)).map((r) => unwrapLine(r.line).line);
  const opts = { tz: { kind: 'utc' as const }, tzGiven: false, failuresOnly: false };
  assert.ok(envoyAccessFormat.sniff(access, opts) > 0.8);
  const debug = recs.filter((r) => r.kind === 'envoy-debug').map((r) => unwrapLine(r.line).line);
  assert.ok(envoyAccessFormat.sniff(debug, opts) < 0.2);
  const nginx = ['10.0.0.1 - - [20/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 502 157 "-" "curl/8.4.0"', '2026/11/20 10:00:00 [error] 7#7: *1 connect() failed (111: Connection refused) while connecting to upstream'];
  assert.equal(envoyAccessFormat.sniff(nginx, opts), 0);
  const custom = [unwrapLine(recs[27].line).line, unwrapLine(recs[41].line).line];
  assert.equal(envoyAccessFormat.sniff(custom, opts), 0);
  const f6190 = '%START_TIME% %REQ(:METHOD)% %REQ(:PATH)% %PROTOCOL% %RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% %REQ(X-FORWARDED-FOR)% %DOWNSTREAM_REMOTE_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% %UPSTREAM_LOCAL_ADDRESS% %UPSTREAM_HOST%';
  assert.ok(envoyAccessFormat.sniff(custom, { ...opts, envoyFormat: f6190 }) > 0.9);
});
