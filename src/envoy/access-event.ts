// A parsed access-log record -> one `envoy.access` event (DESIGN.md §2). Pure, apart from the caller's
// request-id memory that lets a pass-through line inherit the cause another hop logged (envoy.md §3.3).
import type { Cause, Event } from '../events.js';
import { LIMITS } from '../limits.js';
import { isoTime, parseEpochSeconds, parseIso, type ParsedTime } from '../time.js';
import { classifyEnvoy, type EnvoyVerdict } from './causes.js';
import type { AccessRecord } from './json-record.js';
import { parseResponseFlagsShared } from './response-flags.js';
import { parseDefaultTime, type TimeParser } from './start-time.js';

export interface HopMemory {
  /** x-request-id -> the cause and line of the hop that failed. */
  byRequestId: Map<string, { cause: Cause; line: number }>;
}

const HOP_MEMORY_MAX = 50_000;

export function newHopMemory(): HopMemory {
  return { byRequestId: new Map() };
}

const dash = (v: string | undefined): string | null => (v === undefined || v === '-' || v === '' ? null : v);
const int = (v: string | undefined): number | null => {
  if (v === undefined || v === '-' || v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
};

export interface BuildArgs {
  source: string;
  lineNo: number;
  line: string;
  collectorTimeUs?: number;
  /** Time parser of the format's %START_TIME% (default ISO when absent). */
  time?: TimeParser;
  format: string;
  memory?: HopMemory;
}

export interface Built { event: Event; verdict: EnvoyVerdict }

export function recordToEvent(rec: AccessRecord, a: BuildArgs): Built {
  const shared = rec.response_flags !== undefined ? parseResponseFlagsShared(rec.response_flags) ?? NO_FLAGS : NO_FLAGS;
  const flags = shared.length ? shared.slice() : [];
  const code = int(rec.response_code);
  const bytesSent = int(rec.bytes_sent);
  const duration = int(rec.duration);
  const details = dash(rec.details);
  const tfr = dash(rec.transport_failure_reason);
  // classifyEnvoy is pure and a log has few distinct inputs: memoised on the fields it reads, as written.
  const verdict = memoVerdict(rec, () => classifyEnvoy({
    flags, details: details ?? undefined, transportFailureReason: tfr ?? undefined, code: code ?? undefined,
    bodyBytes: bytesSent ?? undefined, durationMs: duration ?? undefined, extraText: rec.extra,
  }));
  const requestId = dash(rec.request_id);
  let cause = verdict.cause;
  let joined: number | undefined;
  if (a.memory && requestId) {
    const m = a.memory.byRequestId;
    if (cause === 'unknown' && flags.every((f) => f === 'URX')) {
      // A pass-through 5xx / URX (flags only on the hop that failed, envoy.md §3.3): same request, other hop.
      const hit = m.get(requestId);
      if (hit) { cause = hit.cause; joined = hit.line; }
    } else if (cause && cause !== 'unknown') {
      if (m.size >= HOP_MEMORY_MAX) m.delete(m.keys().next().value as string);
      m.set(requestId, { cause, line: a.lineNo });
    }
  }

  let t: ParsedTime | undefined;
  let timeText: string | null = null;
  const st = dash(rec.start_time);
  if (st) {
    t = a.time ? a.time.parse(st) : parseDefaultTime(st) ?? parseIso(st) ?? parseEpochSeconds(st);
    // Envoy's default rendering already is ISO UTC with its own precision: keep the text as is.
    if (t) timeText = st.length === 24 && st.endsWith('Z') && st[10] === 'T' ? st : isoTime(t.us, t.digits, t.nanos);
  }
  let timeSource = 'start_time';
  if (!t && a.collectorTimeUs !== undefined) {
    t = { us: a.collectorTimeUs, digits: 6, nanos: 0 };
    timeText = isoTime(a.collectorTimeUs, 6);
    timeSource = 'collector';
  }
  const upstream = dash(rec.upstream_host);
  const failure = cause !== null;
  const basis = failure ? (joined !== undefined ? `same x-request-id as line ${joined}, where the failing hop logged it` : verdict.basis) : undefined;
  // One object literal in makeEvent's key order (contract fields, summary, the fields below in this
  // order, raw last): what makeEvent(base, extra) builds, without the extra object and its copy
  // (a failure line costs a few µs; this was ~1/4 of it). test/envoy-access*.test.ts compare outputs.
  const event: Event = {
    time: timeText,
    ts_us: t ? t.us : null,
    source: a.source,
    line: a.lineNo,
    kind: 'envoy.access',
    cause,
    src: dash(rec.downstream_remote_address),
    dst: dash(rec.downstream_local_address),
    upstream,
    summary: summarize(code, flags, rec, cause, basis, upstream, duration),
    response_code: code,
    response_flags: flags,
    details,
    transport_failure_reason: tfr,
    duration_ms: duration,
    request_id: requestId,
    upstream_local_address: dash(rec.upstream_local_address),
    upstream_cluster: dash(rec.upstream_cluster),
    method: dash(rec.method),
    path: dash(rec.path),
    authority: dash(rec.authority),
    bytes_sent: bytesSent,
    bytes_received: int(rec.bytes_received),
    upstream_service_time: int(rec.upstream_service_time),
    reset_reason: verdict.resetReason ?? null,
    format: a.format,
  };
  if (failure) {
    event.cause_confidence = verdict.confidence;
    event.cause_basis = basis;
    if (verdict.tlsReason) event.tls_reason = verdict.tlsReason;
    if (verdict.errno !== undefined) { event.errno = verdict.errno; event.errno_name = verdict.errnoName; }
    if (verdict.afterResponseStarted) event.after_response_started = true;
  }
  if (rec.requested_server_name !== undefined) event.sni = dash(rec.requested_server_name);
  if (rec.route_name !== undefined) event.route_name = dash(rec.route_name);
  if (rec.upstream_protocol !== undefined) event.upstream_protocol = dash(rec.upstream_protocol);
  if (rec.attempt_count !== undefined) event.attempt_count = int(rec.attempt_count);
  if (rec.termination_details !== undefined) event.termination_details = dash(rec.termination_details);
  if (timeSource !== 'start_time' && t) event.time_source = timeSource;
  if (failure) event.raw = a.line.length > LIMITS.RAW_LINE_CHARS ? a.line.slice(0, LIMITS.RAW_LINE_CHARS) : a.line;
  return { event, verdict };
}

const NO_FLAGS: readonly string[] = [];
/**
 * Verdicts by the record fields classifyEnvoy's input is made from, as written: one Map level per
 * field (a Map tells undefined from any text, so no key is ambiguous), the extra texts last.
 * Verdicts are shared: read, never modified.
 */
type Memo = Map<string | undefined, unknown>;
let verdictMemo: Memo = new Map();
let verdictCount = 0;

function memoVerdict(rec: AccessRecord, make: () => EnvoyVerdict): EnvoyVerdict {
  let extra: string | undefined;
  if (rec.extra !== undefined) {
    for (const x of rec.extra) if (x.indexOf('\u0000') >= 0) return make();
    extra = rec.extra.join('\u0000');
  }
  // Walked level by level (no key array per line: this runs for every failure line).
  let m = level(verdictMemo, rec.response_flags);
  m = level(m, rec.details);
  m = level(m, rec.transport_failure_reason);
  m = level(m, rec.response_code);
  m = level(m, rec.bytes_sent);
  m = level(m, rec.duration);
  let v = m.get(extra) as EnvoyVerdict | undefined;
  if (v === undefined) {
    v = make();
    if (++verdictCount > 4096) { verdictMemo = new Map(); verdictCount = 0; }
    else m.set(extra, v);
  }
  return v;
}

function level(m: Memo, key: string | undefined): Memo {
  let next = m.get(key) as Memo | undefined;
  if (next === undefined) { next = new Map(); m.set(key, next); }
  return next;
}

/** `connect_timeout` -> `connect timeout`, once per cause. */
const CAUSE_TEXT = new Map<string, string>();
function causeText(cause: string): string {
  let t = CAUSE_TEXT.get(cause);
  if (t === undefined) { t = cause.replace(/_/g, ' '); CAUSE_TEXT.set(cause, t); }
  return t;
}

function summarize(code: number | null, flags: string[], rec: AccessRecord, cause: Cause | null, basis: string | undefined,
  upstream: string | null, duration: number | null): string {
  const method = dash(rec.method), path = dash(rec.path);
  const req = method && path ? `${method} ${path}` : method || path || 'request';
  const to = upstream ?? dash(rec.upstream_cluster) ?? 'the upstream';
  const status = `${code ?? '-'} ${flags.length ? flags.join(',') : '-'}`;
  const took = duration !== null ? ` after ${duration} ms` : '';
  if (!cause) return `${req} -> ${to}: ${status}${took}.`;
  return `${req} -> ${to}: ${status}${took}, ${causeText(cause)} (${basis}).`;
}
