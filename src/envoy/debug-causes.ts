// Strings Envoy writes into debug logs and local-reply bodies -> our cause vocabulary (DESIGN.md §3).
// Kept separate from the access-log classifier (src/envoy/*, another owner) on purpose for now;
// the tables are the same facts and can be merged with theirs later.
// Sources: reference/envoy.md §3.1 (reset reasons), §3.4 (details), §3.5 (transport failure reasons).
import type { Cause } from '../events.js';

export interface ErrnoInfo { errno: string; name: string; cause: Cause }

// Linux errno numbers as Envoy prints them (`delayed connect error: 111`) and their strerror text,
// which Envoy prints instead since PR #35154 (2024). Windows WSA codes for Envoy on Windows.
const ERRNOS: ReadonlyArray<readonly [number, string, string, Cause]> = [
  [111, 'ECONNREFUSED', 'connection refused', 'refused'],
  [10061, 'WSAECONNREFUSED', 'no connection could be made because the target machine actively refused it', 'refused'],
  [110, 'ETIMEDOUT', 'connection timed out', 'connect_timeout'],
  [10060, 'WSAETIMEDOUT', 'a connection attempt failed because the connected party did not properly respond', 'connect_timeout'],
  [113, 'EHOSTUNREACH', 'no route to host', 'unreachable'],
  [10065, 'WSAEHOSTUNREACH', 'a socket operation was attempted to an unreachable host', 'unreachable'],
  [101, 'ENETUNREACH', 'network is unreachable', 'unreachable'],
  [10051, 'WSAENETUNREACH', 'a socket operation was attempted to an unreachable network', 'unreachable'],
  [112, 'EHOSTDOWN', 'host is down', 'unreachable'],
  [99, 'EADDRNOTAVAIL', 'cannot assign requested address', 'resource_exhaustion'],
  [24, 'EMFILE', 'too many open files', 'resource_exhaustion'],
  [23, 'ENFILE', 'too many open files in system', 'resource_exhaustion'],
  [105, 'ENOBUFS', 'no buffer space available', 'resource_exhaustion'],
  [104, 'ECONNRESET', 'connection reset by peer', 'upstream_reset'],
  [10054, 'WSAECONNRESET', 'an existing connection was forcibly closed by the remote host', 'upstream_reset'],
];
const ERRNO_BY_KEY = new Map<string, ErrnoInfo>();
for (const [n, name, text, cause] of ERRNOS) {
  const info = { errno: String(n), name, cause };
  ERRNO_BY_KEY.set(String(n), info);
  ERRNO_BY_KEY.set(text, info);
}

/** `111`, `Connection refused`, `Connection_refused` -> errno facts; undefined when unknown. */
export function errnoInfo(text: string): ErrnoInfo | undefined {
  const key = text.trim().replace(/_/g, ' ').replace(/\.$/, '').toLowerCase();
  return ERRNO_BY_KEY.get(key);
}

export interface TransportFailure {
  cause: Cause;
  /** errno number as text when the reason was a connect error. */
  errno: string | null;
  errno_name: string | null;
  /** OpenSSL reason (CERTIFICATE_VERIFY_FAILED, WRONG_VERSION_NUMBER ...) for TLS failures. */
  tls_reason: string | null;
}

// connection_impl.cc: `delayed connect error: <errno>` (async SO_ERROR), `immediate connect error: <errno>`
// (connect() failed at once; PR #34286 appends `|remote address family: ...`). Envoy <= 1.17 wrote
// `delayed connection error`. Access logs replace spaces with `_`, hence [ _].
const CONNECT_ERROR_RE = /^(delayed|immediate)[ _]connect(?:ion)?[ _]error:[ _]?([^|,]*)/i;

/** What an `%UPSTREAM_TRANSPORT_FAILURE_REASON%`-style string says; undefined when empty. */
export function transportFailure(tfr: string | null | undefined): TransportFailure | undefined {
  const t = (tfr ?? '').trim();
  if (t === '' || t === '-') return undefined;
  const ce = CONNECT_ERROR_RE.exec(t);
  if (ce) {
    const info = errnoInfo(ce[2]);
    return { cause: info?.cause ?? 'unknown', errno: info?.errno ?? (ce[2].trim() || null), errno_name: info?.name ?? null, tls_reason: null };
  }
  if (/TLS[ _]error|OPENSSL_internal|SSL[ _]routines|handshake/i.test(t) || /Secret is not supplied by SDS/i.test(t)) {
    return { cause: 'tls', errno: null, errno_name: null, tls_reason: tlsReason(t) };
  }
  return { cause: 'unknown', errno: null, errno_name: null, tls_reason: null };
}

/**
 * The OpenSSL reason from ssl_socket.cc's drainErrorQueue() text, old (`TLS error: 268435581:SSL routines:
 * OPENSSL_internal:CERTIFICATE_VERIFY_FAILED`) and new (`TLS_error:|268435703:SSL_routines:OPENSSL_internal:
 * WRONG_VERSION_NUMBER:TLS_error_end`) formats, with Envoy 1.37's x509 detail when present.
 */
export function tlsReason(text: string): string | null {
  if (/Secret is not supplied by SDS/i.test(text)) return 'SDS_SECRET_NOT_SUPPLIED';
  const m = /OPENSSL_internal:([^:|,"]+)(?::(?!TLS_error_end)([^|,"]+))?/.exec(text.replace(/:TLS_error_end.*$/, ''));
  if (!m) return null;
  // Upper-case names keep their underscores; strerror-like text (`Connection_reset_by_peer`) gets spaces back.
  const norm = (s: string) => (/[a-z]/.test(s) ? s.replace(/_/g, ' ') : s).trim();
  return m[2] ? `${norm(m[1])}: ${norm(m[2])}` : norm(m[1]);
}

/** Canonical spelling of a reset reason: access logs write `remote_connection_failure`, debug logs spaces. */
export function normalizeResetReason(reason: string): string {
  return reason.trim().replace(/_/g, ' ').toLowerCase();
}

// Http::Utility::resetReasonToString (utility.cc) and streamResetReasonToResponseFlag (router.cc).
// `ambiguous` reasons need the transport failure reason (or the connect line) to name a cause:
// until Envoy 1.26 a refused connect and a connect timeout were both `connection failure`
// with an empty transport reason (envoy#15727).
const RESET_REASONS: Record<string, { cause: Cause; flag: string; ambiguous?: true }> = {
  'connection failure': { cause: 'unknown', flag: 'UF', ambiguous: true },
  'local connection failure': { cause: 'unknown', flag: 'UF', ambiguous: true },
  'remote connection failure': { cause: 'unknown', flag: 'UF', ambiguous: true },
  'connection timeout': { cause: 'connect_timeout', flag: 'UF' },
  'connection termination': { cause: 'upstream_close', flag: 'UC', ambiguous: true },
  'local reset': { cause: 'local_reset', flag: 'LR' },
  'local refused stream reset': { cause: 'local_reset', flag: 'LR' },
  'overflow': { cause: 'pool_overflow', flag: 'UO' },
  'remote reset': { cause: 'upstream_reset', flag: 'UR' },
  // REFUSED_STREAM: the upstream is at max concurrent streams (DESIGN.md §3 pool_overflow).
  'remote refused stream reset': { cause: 'pool_overflow', flag: 'UR' },
  'remote error with connect request': { cause: 'upstream_reset', flag: 'UR' },
  'protocol error': { cause: 'protocol_mismatch', flag: 'UPE' },
  'overload manager reset': { cause: 'local_reset', flag: 'OM' },
  'http/1 premature upstream half close': { cause: 'upstream_close', flag: 'LR' },
  'remote reset (no error)': { cause: 'upstream_reset', flag: 'UR' },
};

export interface ResetVerdict {
  cause: Cause;
  /** The response flag Envoy sets for this reason (router.cc). */
  flag: string | null;
  /** True when the reason alone cannot place the cause (see RESET_REASONS). */
  ambiguous: boolean;
  transport: TransportFailure | undefined;
}

/** Reset reason (+ transport failure reason) -> cause. A transport reason always wins: it is more specific. */
export function resetCause(reason: string | null | undefined, tfr?: string | null): ResetVerdict {
  const transport = transportFailure(tfr);
  const r = reason ? RESET_REASONS[normalizeResetReason(reason)] : undefined;
  if (transport) return { cause: transport.cause, flag: r?.flag ?? null, ambiguous: transport.cause === 'unknown', transport };
  if (!r) return { cause: 'unknown', flag: null, ambiguous: true, transport };
  return { cause: r.cause, flag: r.flag, ambiguous: r.ambiguous === true, transport };
}

/** Causes that a bare `connection failure` can turn out to be once the connect line is known. */
export const CONNECT_FAILURE_CAUSES: ReadonlySet<Cause> = new Set<Cause>(['refused', 'connect_timeout', 'unreachable', 'tls', 'resource_exhaustion', 'upstream_reset']);
/** ... and a bare `connection termination`. */
export const TERMINATION_CAUSES: ReadonlySet<Cause> = new Set<Cause>(['upstream_close', 'idle_race', 'upstream_reset']);

export interface DetailsVerdict {
  cause: Cause | null;
  reset_reason: string | null;
  transport_failure_reason: string | null;
  ambiguous: boolean;
  transport: TransportFailure | undefined;
}

// %RESPONSE_CODE_DETAILS% values that are not `upstream_reset_*{...}` (stream_info.h ResponseCodeDetailValues).
const OTHER_DETAILS: Record<string, Cause | null> = {
  no_healthy_upstream: 'no_healthy_upstream',
  response_timeout: 'timeout',
  upstream_response_timeout: 'timeout', // older name (istio#22802)
  upstream_per_try_timeout: 'timeout',
  upstream_per_try_idle_timeout: 'timeout',
  upstream_max_stream_duration_reached: 'timeout',
  request_overall_timeout: 'timeout',
  downstream_remote_disconnect: 'client_abort',
  overload: 'local_reset',
  via_upstream: null,
  cluster_not_found: null,
  route_not_found: null,
};

/**
 * `upstream_reset_before_response_started{remote_connection_failure|delayed_connect_error:_111}` and the
 * debug-log spelling with spaces (`{connection failure}`): the reason, then `,` (<= Envoy 1.31) or `|` and
 * the transport failure reason. Undefined for details we do not know.
 */
export function detailsCause(details: string): DetailsVerdict | undefined {
  const d = details.trim();
  const m = /^upstream_reset_(?:before|after)_response_started\{(.*)\}?$/.exec(d);
  if (m) {
    const inner = m[1].replace(/\}$/, '');
    const sep = inner.search(/[,|]/);
    const reason = (sep < 0 ? inner : inner.slice(0, sep)).trim();
    const tfr = sep < 0 ? null : inner.slice(sep + 1).trim() || null;
    const v = resetCause(reason, tfr);
    return { cause: v.cause, reset_reason: normalizeResetReason(reason), transport_failure_reason: tfr, ambiguous: v.ambiguous, transport: v.transport };
  }
  if (d in OTHER_DETAILS) {
    return { cause: OTHER_DETAILS[d], reset_reason: null, transport_failure_reason: null, ambiguous: false, transport: undefined };
  }
  return undefined;
}

// RFC 9113 §7 error codes, as Envoy's HTTP/2 codec prints them in `stream N closed: <code>`.
const H2_ERRORS = [
  'NO_ERROR', 'PROTOCOL_ERROR', 'INTERNAL_ERROR', 'FLOW_CONTROL_ERROR', 'SETTINGS_TIMEOUT', 'STREAM_CLOSED',
  'FRAME_SIZE_ERROR', 'REFUSED_STREAM', 'CANCEL', 'COMPRESSION_ERROR', 'CONNECT_ERROR', 'ENHANCE_YOUR_CALM',
  'INADEQUATE_SECURITY', 'HTTP_1_1_REQUIRED',
] as const;

export function h2ErrorName(code: number): string {
  return H2_ERRORS[code] ?? `UNKNOWN_${code}`;
}

/**
 * Cause of an HTTP/2 stream closed with `code`. The debug line does not say which side sent the
 * RST_STREAM, so only codes with one reading get a cause: NO_ERROR is a normal close, REFUSED_STREAM is
 * max-concurrent-streams (DESIGN.md §3), PROTOCOL_ERROR / HTTP_1_1_REQUIRED a protocol disagreement,
 * INTERNAL_ERROR the upstream dying mid-stream (reference §5); the rest stay `unknown`.
 */
export function h2CloseCause(code: number): Cause | null {
  switch (code) {
    case 0: return null;
    case 1: case 13: return 'protocol_mismatch';
    case 2: return 'upstream_reset';
    case 7: return 'pool_overflow';
    default: return 'unknown';
  }
}
