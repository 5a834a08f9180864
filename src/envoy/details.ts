// The one place that turns what Envoy writes about a failed upstream into a cause (DESIGN.md §3):
// %RESPONSE_CODE_DETAILS%, reset reasons, %UPSTREAM_TRANSPORT_FAILURE_REASON% and the local-reply body
// (envoy.md §3.1–§3.5). The access-log classifier (causes.ts), the debug-log messages (debug-messages.ts)
// and the body parser (body.ts) all read these tables. Never throw.
import type { Cause } from '../events.js';
import { lookupErrno, type ErrnoInfo } from '../errno.js';

export interface ResetReasonInfo {
  /** Canonical underscore form, as in details: `remote_connection_failure`. */
  key: string;
  /** Text form used in bodies and debug logs: `remote connection failure`. */
  text: string;
  /** Response flag Envoy sets for it (router.cc streamResetReasonToResponseFlag). */
  flag: string;
  /** What the reason alone proves; `unknown` when it needs more evidence (see `ambiguous`). */
  cause: Cause;
  /**
   * The reason alone cannot place the cause: until Envoy 1.26 a refused connect and a connect timeout
   * were both `connection failure` with an empty transport reason (envoy#15727); `connection termination`
   * may be an idle race. The debug parser settles it from the connect line; the access classifier from
   * duration and body length.
   */
  ambiguous?: true;
  /** The usual reading of an ambiguous reason (ECONNREFUSED is by far the common connect failure). */
  likely?: Cause;
}

// envoy.md §3.1 (Http::Utility::resetReasonToString, source/common/http/utility.cc); `connection failure`
// is the single pre-1.27 reason (split by envoy PR #26750).
export const RESET_REASONS: readonly ResetReasonInfo[] = [
  { key: 'connection_failure', text: 'connection failure', flag: 'UF', cause: 'unknown', ambiguous: true, likely: 'refused' },
  { key: 'local_connection_failure', text: 'local connection failure', flag: 'UF', cause: 'unknown', ambiguous: true },
  { key: 'remote_connection_failure', text: 'remote connection failure', flag: 'UF', cause: 'unknown', ambiguous: true, likely: 'refused' },
  { key: 'connection_timeout', text: 'connection timeout', flag: 'UF', cause: 'connect_timeout' },
  { key: 'connection_termination', text: 'connection termination', flag: 'UC', cause: 'upstream_close', ambiguous: true },
  { key: 'local_reset', text: 'local reset', flag: 'LR', cause: 'local_reset' },
  { key: 'local_refused_stream_reset', text: 'local refused stream reset', flag: 'LR', cause: 'local_reset' },
  { key: 'overflow', text: 'overflow', flag: 'UO', cause: 'pool_overflow' },
  { key: 'remote_reset', text: 'remote reset', flag: 'UR', cause: 'upstream_reset' },
  // REFUSED_STREAM: the upstream's max concurrent streams (DESIGN.md §3 pool_overflow).
  { key: 'remote_refused_stream_reset', text: 'remote refused stream reset', flag: 'UR', cause: 'pool_overflow' },
  { key: 'remote_error_with_connect_request', text: 'remote error with CONNECT request', flag: 'UR', cause: 'upstream_reset' },
  { key: 'protocol_error', text: 'protocol error', flag: 'UPE', cause: 'protocol_mismatch' },
  { key: 'overload_manager_reset', text: 'overload manager reset', flag: 'OM', cause: 'local_reset' },
  { key: 'http/1_premature_upstream_half_close', text: 'HTTP/1 premature upstream half close', flag: 'LR', cause: 'upstream_close' },
  { key: 'remote_reset_(no_error)', text: 'remote reset (no error)', flag: 'UR', cause: 'upstream_reset' },
];

const REASON_BY_KEY = new Map<string, ResetReasonInfo>();
for (const r of RESET_REASONS) REASON_BY_KEY.set(r.key, r);

/** The cause to report when nothing more specific is known: the usual reading of an ambiguous reason. */
export function likelyCause(r: ResetReasonInfo): Cause {
  return r.likely ?? r.cause;
}

/** Causes that a bare `connection failure` can turn out to be once the connect line is known. */
export const CONNECT_FAILURE_CAUSES: ReadonlySet<Cause> = new Set<Cause>(['refused', 'connect_timeout', 'unreachable', 'tls', 'protocol_mismatch', 'resource_exhaustion', 'upstream_reset']);
/** ... and a bare `connection termination`. */
export const TERMINATION_CAUSES: ReadonlySet<Cause> = new Set<Cause>(['upstream_close', 'idle_race', 'upstream_reset']);

/** `connection failure` / `connection_failure` / `Connection Failure` to the table entry. */
export function lookupResetReason(text: string): ResetReasonInfo | undefined {
  const hit = REASON_BY_TEXT.get(text);
  if (hit !== undefined || REASON_BY_TEXT.has(text)) return hit;
  const r = REASON_BY_KEY.get(text.trim().toLowerCase().replace(/[ _]+/g, '_'));
  if (text.length <= 80) {
    if (REASON_BY_TEXT.size >= 1024) REASON_BY_TEXT.clear();
    REASON_BY_TEXT.set(text, r);
  }
  return r;
}
/** lookupResetReason by the text as given (memo). */
const REASON_BY_TEXT = new Map<string, ResetReasonInfo | undefined>();

export interface ParsedDetails {
  /** The part before `{`: `upstream_reset_before_response_started`, `via_upstream`, `no_healthy_upstream`... */
  basic: string;
  /** Canonical reset reason from inside `{}` when there is one. */
  resetReason?: string;
  /** The transport failure reason inside `{}` (as written: underscores for spaces). */
  transportFailureReason?: string;
  /** Headers already sent downstream (`upstream_reset_after_response_started`). */
  afterResponseStarted: boolean;
}

/**
 * `upstream_reset_before_response_started{connection_failure,delayed_connect_error:_111}` (≤1.31, `,`),
 * `...{remote_connection_failure|TLS_error:|2684...:TLS_error_end}` (≈1.32+, `|`), `...{local reset}` (old debug).
 * envoy.md §3.4; format built in router.cc.
 */
export function parseDetails(text: string): ParsedDetails | undefined {
  if (!text || text === '-') return undefined;
  const open = text.indexOf('{');
  if (open < 0) return { basic: text, afterResponseStarted: false };
  const basic = text.slice(0, open);
  const close = text.lastIndexOf('}');
  const inner = text.slice(open + 1, close > open ? close : text.length);
  let sep = -1;
  for (let i = 0; i < inner.length; i++) {
    const c = inner.charCodeAt(i);
    if (c === 44 /* , */ || c === 124 /* | */) { sep = i; break; }
  }
  const reasonText = sep < 0 ? inner : inner.slice(0, sep);
  const tfr = sep < 0 ? undefined : inner.slice(sep + 1);
  const info = lookupResetReason(reasonText);
  const out: ParsedDetails = { basic, afterResponseStarted: basic === 'upstream_reset_after_response_started' };
  out.resetReason = info ? info.key : reasonText.trim().toLowerCase().replace(/[ _]+/g, '_');
  if (tfr) out.transportFailureReason = tfr;
  return out;
}

// Details values that carry a cause by themselves (envoy.md §3.4, stream_info.h ResponseCodeDetailValues).
const DETAIL_CAUSES: Record<string, Cause | null> = {
  via_upstream: null,
  no_healthy_upstream: 'no_healthy_upstream',
  response_timeout: 'timeout',
  upstream_response_timeout: 'timeout',
  upstream_per_try_timeout: 'timeout',
  upstream_per_try_idle_timeout: 'timeout',
  upstream_max_stream_duration_reached: 'timeout',
  request_overall_timeout: 'timeout',
  stream_idle_timeout: 'timeout',
  downstream_remote_disconnect: 'client_abort',
  'http2.remote_reset': 'client_abort',
  'http2.remote_refuse': 'client_abort',
  overload: 'local_reset',
  drop_overload: 'pool_overflow',
  // A 404/503 the route table answers: configuration, not an upstream failure (the NR/NC flags still say unknown).
  cluster_not_found: null,
  route_not_found: null,
  maintenance_mode: 'unknown',
};

/** Cause implied by a details value alone (`http1.*`/`http2.*` codec errors are protocol errors). */
export function detailsCause(d: ParsedDetails): Cause | null | undefined {
  if (d.resetReason) {
    const r = lookupResetReason(d.resetReason);
    return r ? likelyCause(r) : 'unknown';
  }
  if (d.basic in DETAIL_CAUSES) return DETAIL_CAUSES[d.basic];
  if (/^http[123]\.(codec_error|.*protocol|invalid|too_many|headers_too_large)/.test(d.basic)) return 'protocol_mismatch';
  return undefined;
}

export type TransportFailure =
  | { kind: 'connect'; phase: 'delayed' | 'immediate'; errno?: ErrnoInfo; text: string }
  | { kind: 'tls'; tlsReason: string; reasons: string[]; cause: Cause; text: string }
  | { kind: 'other'; text: string };

const CONNECT_RE = /^(delayed|immediate)[ _]connect(?:ion)?[ _]error:[ _]*(.*)$/i;
const OPENSSL_ERR_RE = /\d+:[^:|]+:[^:|]+:([A-Z0-9_]+)/g;

/**
 * %UPSTREAM_TRANSPORT_FAILURE_REASON% (raw with spaces, or `_` for spaces as in details):
 * connection_impl.cc connect errors, ssl_socket.cc drainErrorQueue() TLS errors (old `TLS error: ...`
 * and new `TLS_error:|...:TLS_error_end`). envoy.md §3.5.
 */
export function decodeTransportFailure(text: string | undefined): TransportFailure | undefined {
  if (!text || text === '-') return undefined;
  // Logs repeat the same few reasons: decode each once (bounded memo; results are never mutated).
  let hit = TF_MEMO.get(text);
  if (hit === undefined) {
    if (TF_MEMO.size >= 1000) TF_MEMO.clear();
    hit = decodeTransportFailureUncached(text);
    TF_MEMO.set(text, hit);
  }
  return hit;
}

const TF_MEMO = new Map<string, TransportFailure>();

function decodeTransportFailureUncached(text: string): TransportFailure {
  const t = text.trim();
  const m = CONNECT_RE.exec(t);
  if (m) {
    const rest = m[2].replace(/_/g, ' ');
    return { kind: 'connect', phase: m[1].toLowerCase() as 'delayed' | 'immediate', errno: lookupErrno(rest.split(/,| remote address/)[0]), text: t };
  }
  if (/TLS[ _]error|SSL[ _]routines|OPENSSL[ _]internal|Secret[ _]is[ _]not[ _]supplied|CERTIFICATE|handshake/i.test(t)) {
    const reasons: string[] = [];
    OPENSSL_ERR_RE.lastIndex = 0;
    for (let r = OPENSSL_ERR_RE.exec(t); r; r = OPENSSL_ERR_RE.exec(t)) reasons.push(r[1]);
    const { tlsReason, cause } = tlsReasonOf(t, reasons);
    return { kind: 'tls', tlsReason, reasons, cause, text: t };
  }
  const errno = lookupErrno(t);
  if (errno) return { kind: 'connect', phase: 'delayed', errno, text: t };
  return { kind: 'other', text: t };
}

/** Say which TLS problem it was (DESIGN.md §3 `tls`: certificate, version, SNI, plaintext-vs-TLS). */
function tlsReasonOf(t: string, reasons: string[]): { tlsReason: string; cause: Cause } {
  const all = reasons.join(' ') + ' ' + t;
  if (/NO_APPLICATION_PROTOCOL/i.test(all)) return { tlsReason: 'alpn_mismatch', cause: 'protocol_mismatch' };
  if (/Secret[ _]is[ _]not[ _]supplied[ _]by[ _]SDS/i.test(t)) return { tlsReason: 'no_certificate_from_sds', cause: 'tls' };
  if (/WRONG_VERSION_NUMBER|HTTP_REQUEST|HTTPS_PROXY_REQUEST|PACKET_LENGTH_TOO_LONG/.test(all)) return { tlsReason: 'plaintext_peer', cause: 'tls' };
  if (/CERTIFICATE_EXPIRED/.test(all)) return { tlsReason: 'certificate_expired', cause: 'tls' };
  if (/verify[ _]SAN|SAN[ _]list|subject[ _]alt/i.test(all)) return { tlsReason: 'san_mismatch', cause: 'tls' };
  if (/CERTIFICATE_VERIFY_FAILED/.test(all)) return { tlsReason: 'certificate_verify_failed', cause: 'tls' };
  if (/UNSUPPORTED_PROTOCOL|PROTOCOL_VERSION|VERSION_TOO_LOW|VERSION_TOO_HIGH/.test(all)) return { tlsReason: 'version_mismatch', cause: 'tls' };
  if (/UNRECOGNIZED_NAME|SNI/.test(all)) return { tlsReason: 'sni', cause: 'tls' };
  if (/Connection[ _]reset[ _]by[ _]peer/i.test(all)) return { tlsReason: 'reset_during_handshake', cause: 'tls' };
  if (/CERTIFICATE_REQUIRED|PEER_DID_NOT_RETURN_A_CERTIFICATE|BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_UNKNOWN/.test(all)) return { tlsReason: 'certificate_rejected', cause: 'tls' };
  if (/HANDSHAKE_FAILURE|NO_SHARED_CIPHER/.test(all)) return { tlsReason: 'handshake_failure', cause: 'tls' };
  const last = reasons[reasons.length - 1];
  return { tlsReason: last ? last.toLowerCase() : 'tls_error', cause: 'tls' };
}

export interface LocalReplyBody {
  resetReason?: string;
  transportFailureReason?: string;
  retried: boolean;
  /** Which local reply: `reset` (upstream connect error...), `no_healthy_upstream`, `timeout`. */
  kind: 'reset' | 'no_healthy_upstream' | 'timeout';
}

const BODY_RE = /upstream connect error or disconnect\/reset before headers(?:\. (retried and the latest )?reset reason: ([^,]*?)(?:, transport failure reason: (.*?))?)?(?:"|'|$)/;

/** Envoy's local reply text (envoy.md §3.2), also inside a gRPC `desc = ...` or a quoted client error. */
export function parseLocalReplyBody(text: string): LocalReplyBody | undefined {
  const m = BODY_RE.exec(text);
  if (m) {
    const out: LocalReplyBody = { retried: m[1] !== undefined, kind: 'reset' };
    if (m[2]) out.resetReason = lookupResetReason(m[2])?.key ?? m[2].trim().replace(/ /g, '_');
    if (m[3] !== undefined && m[3].trim()) out.transportFailureReason = m[3].trim();
    return out;
  }
  if (/^\s*no healthy upstream\s*$/.test(text)) return { retried: false, kind: 'no_healthy_upstream' };
  if (/^\s*upstream request timeout\s*$/.test(text)) return { retried: false, kind: 'timeout' };
  return undefined;
}

/**
 * The OpenSSL reason from ssl_socket.cc's drainErrorQueue() text, old (`TLS error: 268435581:SSL routines:
 * OPENSSL_internal:CERTIFICATE_VERIFY_FAILED`) and new (`TLS_error:|268435703:SSL_routines:OPENSSL_internal:
 * WRONG_VERSION_NUMBER:TLS_error_end`) formats, with Envoy 1.37's x509 detail when present. The debug log
 * reports this exact reason; `decodeTransportFailure` also names its class (`certificate_verify_failed`).
 */
export function opensslReason(text: string): string | null {
  if (/Secret is not supplied by SDS/i.test(text)) return 'SDS_SECRET_NOT_SUPPLIED';
  const m = /OPENSSL_internal:([^:|,"]+)(?::(?!TLS_error_end)([^|,"]+))?/.exec(text.replace(/:TLS_error_end.*$/, ''));
  if (!m) return null;
  // Upper-case names keep their underscores; strerror-like text (`Connection_reset_by_peer`) gets spaces back.
  const norm = (s: string) => (/[a-z]/.test(s) ? s.replace(/_/g, ' ') : s).trim();
  return m[2] ? `${norm(m[1])}: ${norm(m[2])}` : norm(m[1]);
}

/** A transport failure reason flattened to event fields. */
export interface TransportSummary {
  cause: Cause;
  errno: number | null;
  errno_name: string | null;
  /** OpenSSL reason (CERTIFICATE_VERIFY_FAILED, WRONG_VERSION_NUMBER ...) for TLS failures. */
  tls_reason: string | null;
}

/** What an `%UPSTREAM_TRANSPORT_FAILURE_REASON%`-style string says; undefined when empty. */
export function summarizeTransport(tfr: string | null | undefined): TransportSummary | undefined {
  const t = (tfr ?? '').trim();
  const tf = decodeTransportFailure(t);
  if (!tf) return undefined;
  if (tf.kind === 'tls') return { cause: tf.cause, errno: null, errno_name: null, tls_reason: opensslReason(t) ?? tf.tlsReason };
  if (tf.kind === 'connect') return { cause: tf.errno?.cause ?? 'unknown', errno: tf.errno?.errno ?? null, errno_name: tf.errno?.name ?? null, tls_reason: null };
  return { cause: 'unknown', errno: null, errno_name: null, tls_reason: null };
}

/** Canonical spelling of a reset reason as the debug log prints it: lower case, spaces. */
export function normalizeResetReason(reason: string): string {
  return reason.trim().replace(/_/g, ' ').toLowerCase();
}

export interface ResetVerdict {
  cause: Cause;
  /** The response flag Envoy sets for this reason (router.cc). */
  flag: string | null;
  /** True when the reason alone cannot place the cause (see RESET_REASONS). */
  ambiguous: boolean;
  transport: TransportSummary | undefined;
}

/**
 * Reset reason (+ transport failure reason) -> what they prove, without guessing: an ambiguous reason
 * stays `unknown` (or its one certain cause) for the caller to settle. A transport reason always wins.
 */
export function resetCause(reason: string | null | undefined, tfr?: string | null): ResetVerdict {
  const transport = summarizeTransport(tfr);
  const r = reason ? lookupResetReason(reason) : undefined;
  if (transport) return { cause: transport.cause, flag: r?.flag ?? null, ambiguous: transport.cause === 'unknown', transport };
  if (!r) return { cause: 'unknown', flag: null, ambiguous: true, transport };
  return { cause: r.cause, flag: r.flag, ambiguous: r.ambiguous === true, transport };
}

export interface DetailsVerdict {
  cause: Cause | null;
  reset_reason: string | null;
  transport_failure_reason: string | null;
  ambiguous: boolean;
  transport: TransportSummary | undefined;
}

/**
 * `upstream_reset_before_response_started{remote_connection_failure|delayed_connect_error:_111}`, the
 * debug-log spelling with spaces (`{connection failure}`), or a details value with a cause of its own.
 * Undefined for details we do not know.
 */
export function detailsVerdict(details: string): DetailsVerdict | undefined {
  const d = parseDetails(details.trim());
  if (!d) return undefined;
  if (/^upstream_reset_(?:before|after)_response_started$/.test(d.basic) && d.resetReason !== undefined) {
    const tfr = d.transportFailureReason?.trim() || null;
    const v = resetCause(d.resetReason, tfr);
    return { cause: v.cause, reset_reason: normalizeResetReason(d.resetReason), transport_failure_reason: tfr, ambiguous: v.ambiguous, transport: v.transport };
  }
  const c = detailsCause(d);
  if (c === undefined) return undefined;
  return { cause: c, reset_reason: null, transport_failure_reason: null, ambiguous: false, transport: undefined };
}
