// Envoy application-log messages that matter around an upstream failure, as data with real samples
// (reference/envoy.md §3.5 and §4 table; wording checked against envoy's connection_impl.cc,
// conn_pool_base.cc, codec_client.cc, router.cc). The message is the text after `[C12][S34] `/`[Tags: ...] `.
import type { Cause } from '../events.js';
import { lookupErrno } from '../errno.js';
import { detailsVerdict, opensslReason, resetCause, summarizeTransport } from './details.js';

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

/**
 * What the message needs from earlier lines to settle its cause:
 * `connect`     — a bare `connection failure` (refused? timeout? TLS?): the connect line on the same thread.
 * `termination` — `connection termination`: was the connection reused just before (idle race)?
 * `close`       — an established connection went away: was a request on it (failure) or was it idle (normal)?
 */
export type Settle = 'connect' | 'termination' | 'close';

export interface MsgMatch {
  msg_type: string;
  cause: Cause | null;
  /** false = chatter that only updates per-connection state (never an event). */
  emit: boolean;
  upstream: string | null;
  summary: string;
  settle: Settle | null;
  fields: Record<string, unknown>;
}

interface Rule {
  type: string;
  re: RegExp;
  build(m: RegExpExecArray): Omit<MsgMatch, 'msg_type'>;
  /** Real message texts (ids stripped) this rule must match; tested. */
  samples: string[];
}

const out = (cause: Cause | null, summary: string, fields: Record<string, unknown> = {}, extra: Partial<MsgMatch> = {}): Omit<MsgMatch, 'msg_type'> => ({
  cause, emit: true, upstream: null, summary, settle: null, fields, ...extra,
});
const quiet = (): Omit<MsgMatch, 'msg_type'> => ({ cause: null, emit: false, upstream: null, summary: '', settle: null, fields: {} });

function connectError(kind: string, errText: string): Omit<MsgMatch, 'msg_type'> {
  const t = errText.trim();
  const e = t === '' ? undefined : lookupErrno(t);
  const what = e ? `${t} (${e.name})` : t || 'no errno';
  const num = e?.errno ?? (/^\d+$/.test(t) ? Number(t) : null);
  return out(e?.cause ?? 'unknown', `${kind} connect error: ${what}`, { errno: num, errno_name: e?.name ?? null, errno_text: t || null });
}

function tlsError(text: string, upstream: string | null = null): Omit<MsgMatch, 'msg_type'> {
  const reason = opensslReason(text);
  // ALPN agreement failures are protocol mismatches, not TLS problems (DESIGN.md §3).
  const cause = summarizeTransport(text)?.cause === 'protocol_mismatch' ? 'protocol_mismatch' : 'tls';
  return out(cause, `TLS failure${reason ? `: ${reason}` : ''}`, { tls_reason: reason, transport_failure_reason: text.trim() }, { upstream });
}

export const MESSAGE_RULES: readonly Rule[] = [
  {
    type: 'connecting',
    re: /^connecting to (\S+)$/,
    build: (m) => out(null, `connecting to ${m[1]}`, {}, { upstream: m[1] }),
    samples: ['connecting to 10.28.1.4:8443', 'connecting to [fd00::1]:80'],
  },
  {
    // connection_impl.cc: `delayed connection error: 111` (<= 1.17), `delayed connect error: 111`,
    // `delayed connect error: Connection refused` (>= 1.32, PR #35154), `immediate connect error: ...`.
    type: 'connect_error',
    re: /^(delayed|immediate) connect(?:ion)? error: ?([^|]*)(?:\|.*)?$/,
    build: (m) => connectError(m[1], m[2]),
    samples: ['delayed connection error: 111', 'delayed connect error: 111', 'delayed connect error: Connection refused', 'immediate connect error: Network is unreachable|remote address family: IPv6'],
  },
  {
    // conn_pool_base.cc ActiveClient::onConnectTimeout.
    type: 'connect_timeout',
    re: /^connect timeout$/,
    build: () => out('connect_timeout', 'connect timeout (no SYN-ACK within connect_timeout)'),
    samples: ['connect timeout'],
  },
  {
    // conn_pool_base.cc onConnectionEvent: logged for every close; the reason is empty unless connecting failed.
    type: 'client_disconnected',
    re: /^client disconnected, failure reason: ?(.*)$/,
    build: (m) => {
      const tfr = m[1].trim();
      const t = summarizeTransport(tfr);
      if (!t) return out('upstream_close', 'upstream connection closed (no failure reason)', { transport_failure_reason: null }, { settle: 'close' });
      if (t.tls_reason !== null) return { ...tlsError(tfr), fields: { transport_failure_reason: tfr, tls_reason: t.tls_reason } };
      return out(t.cause, `connect failed: ${tfr}`, { transport_failure_reason: tfr, errno: t.errno, errno_name: t.errno_name });
    },
    samples: ['client disconnected, failure reason: delayed connect error: 111', 'client disconnected, failure reason: TLS error: 268435581:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED', 'client disconnected, failure reason: '],
  },
  {
    // codec_client.cc onEvent, for remote and local closes alike.
    type: 'disconnect',
    re: /^disconnect\. resetting (\d+) pending requests?$/,
    build: (m) => {
      const n = Number(m[1]);
      return n === 0
        ? { ...quiet(), fields: { pending_requests: 0 } }
        : out('upstream_close', `connection closed with ${n} request(s) in flight`, { pending_requests: n }, { settle: 'close' });
    },
    samples: ['disconnect. resetting 0 pending requests', 'disconnect. resetting 1 pending requests'],
  },
  {
    type: 'remote_close',
    re: /^remote close$/,
    build: () => out(null, 'peer closed the connection'),
    samples: ['remote close'],
  },
  {
    // `closing data_to_write=0 type=1` = Envoy closes; `closing socket: 1` = LocalClose (ConnectionEvent order:
    // RemoteClose 0, LocalClose 1). `closing socket: 0` follows `remote close` and adds nothing.
    type: 'local_close',
    re: /^(?:closing data_to_write=\d+ type=(\d+)|closing socket: (\d+))$/,
    build: (m) => (m[2] === '0' ? quiet() : out(null, 'Envoy closed the connection', { close_type: Number(m[1] ?? m[2]) })),
    samples: ['closing data_to_write=0 type=1', 'closing socket: 1'],
  },
  {
    // router.cc onUpstreamReset, by era: `upstream reset` (2018), `upstream reset: reset reason connection failure`
    // (~2019), `upstream reset: reset reason: <r>, transport failure reason: <tfr>` (>= 2020).
    type: 'upstream_reset',
    re: /^upstream reset(?::\s*reset reason:?\s*(.*?))?(?:,\s*transport failure reason:\s*(.*))?$/,
    build: (m) => {
      const reason = (m[1] ?? '').trim() || null;
      const tfr = (m[2] ?? '').trim() || null;
      const v = resetCause(reason, tfr);
      const settle: Settle | null = !v.ambiguous ? null : v.flag === 'UC' ? 'termination' : 'connect';
      return out(v.cause, `upstream reset: ${reason ?? 'no reason given'}${tfr ? `, ${tfr}` : ''}`, {
        reset_reason: reason, transport_failure_reason: tfr, response_flag: v.flag,
        errno: v.transport?.errno ?? null, tls_reason: v.transport?.tls_reason ?? null,
      }, { settle });
    },
    samples: ['upstream reset', 'upstream reset: reset reason connection failure', 'upstream reset: reset reason: protocol error, transport failure reason:', 'upstream reset: reset reason: remote connection failure, transport failure reason: delayed connect error: Connection refused'],
  },
  {
    // filter_manager.cc (older conn_manager_impl.cc): `Sending local reply with details <details>`.
    type: 'local_reply',
    re: /^Sending local reply with details (\S.*?)\s*$/,
    build: (m) => {
      const d = detailsVerdict(m[1]);
      if (!d) return out(null, `local reply: ${m[1]}`, { details: m[1] });
      const settle: Settle | null = d.cause === null || !d.ambiguous ? null : d.cause === 'upstream_close' ? 'termination' : 'connect';
      return out(d.cause, `local reply: ${m[1]}`, {
        details: m[1], reset_reason: d.reset_reason, transport_failure_reason: d.transport_failure_reason,
        errno: d.transport?.errno ?? null, tls_reason: d.transport?.tls_reason ?? null,
      }, { settle });
    },
    samples: ['Sending local reply with details upstream_reset_before_response_started{connection failure}', 'Sending local reply with details no_healthy_upstream'],
  },
  {
    // conn_pool_base.cc newStream: reuse of a pooled connection — the idle-race precondition.
    type: 'reused_connection',
    re: /^using existing (?:fully connected )?connection$/,
    build: () => out(null, 'reusing a pooled upstream connection'),
    samples: ['using existing connection', 'using existing fully connected connection'],
  },
  {
    type: 'goaway',
    re: /^(remote |sent |local )?goaway\b(.*)$/i,
    build: (m) => out(null, `${(m[1] ?? 'remote ').trim()} GOAWAY${m[2]}`, { goaway_side: /sent|local/i.test(m[1] ?? '') ? 'local' : 'remote' }),
    samples: ['remote goaway'],
  },
  {
    // ssl_socket.cc: `TLS error: <packed>:<lib>:<func>:<reason>`; newer `remote address:<ip:port>,<reason>`.
    type: 'tls_error',
    re: /^(?:remote address:(\S+?),\s*)?(TLS[ _]error:.*|Secret is not supplied by SDS.*)$/,
    build: (m) => tlsError(m[2], m[1] ?? null),
    samples: ['TLS error: 268435581:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED', 'remote address:10.0.0.5:443,TLS_error:|268435703:SSL_routines:OPENSSL_internal:WRONG_VERSION_NUMBER:TLS_error_end'],
  },
  {
    // SSL_get_error codes: 1 SSL_ERROR_SSL and 5 SSL_ERROR_SYSCALL are failures; 2/3 WANT_READ/WRITE are normal.
    type: 'tls_error',
    re: /^handshake error: (\d+)$/,
    build: (m) => (m[1] === '1' || m[1] === '5'
      ? out('tls', `TLS handshake failed (SSL_get_error ${m[1]})`, { ssl_error: Number(m[1]) })
      : quiet()),
    samples: ['handshake error: 1', 'handshake error: 2'],
  },
  {
    // conn_pool_base.cc: circuit breakers (max_pending_requests / max_requests).
    type: 'pool_overflow',
    re: /^max (?:pending )?(?:streams|requests|connections) overflow$/,
    build: (m) => out('pool_overflow', `circuit breaker: ${m[0]}`),
    samples: ['max pending streams overflow', 'max streams overflow', 'max requests overflow'],
  },
  {
    type: 'retry',
    re: /^performing retry$/,
    build: () => out(null, 'router retries the request'),
    samples: ['performing retry'],
  },
  {
    // cluster_manager_impl.cc httpConnPoolForCluster: the load balancer returned no host.
    type: 'no_healthy_upstream',
    re: /^no healthy host for (?:HTTP|TCP) connection pool$/,
    build: () => out('no_healthy_upstream', 'no healthy host in the cluster'),
    samples: ['no healthy host for HTTP connection pool'],
  },
  {
    // outlier_detection_impl.cc event log (context: the host is out of rotation from now on).
    type: 'outlier_ejection',
    re: /^host (\S+) in cluster (\S+) was ejected by the outlier detector/,
    build: (m) => out(null, `outlier detection ejected ${m[1]} from ${m[2]}`, { cluster: m[2] }, { upstream: m[1] }),
    samples: ['host 10.5.0.3:8500 in cluster example_cluster was ejected by the outlier detector'],
  },
  {
    // codec_client.cc: the upstream codec could not parse what the upstream sent (HTTP/1 parser fed h2, ...).
    type: 'protocol_error',
    re: /^(?:protocol error: (.*)|Error dispatching received data: (.*))$/,
    build: (m) => out('protocol_mismatch', `upstream codec error: ${(m[1] ?? m[2]).trim()}`, { codec_error: (m[1] ?? m[2]).trim() }),
    samples: ['protocol error: http/1.1 protocol error: HPE_INVALID_CONSTANT', 'Error dispatching received data: headers count exceeds limit'],
  },
  {
    // http2 codec_impl.cc onStreamClose: `stream <id> closed: <RFC 9113 error code>`.
    type: 'stream_reset',
    re: /^stream (\d+) closed: (\d+)$/,
    build: (m) => {
      const code = Number(m[2]);
      const cause = h2CloseCause(code);
      return cause === null ? quiet() : out(cause, `HTTP/2 stream ${m[1]} closed with ${h2ErrorName(code)}`, { h2_stream_id: Number(m[1]), error_code: code, error_name: h2ErrorName(code) });
    },
    samples: ['stream 45323 closed: 2', 'stream 1 closed: 0'],
  },
  {
    type: 'timeout',
    re: /^upstream (?:per try )?timeout$/,
    build: (m) => out('timeout', m[0]),
    samples: ['upstream timeout'],
  },
  // State-only chatter: who is busy, who is connected.
  { type: 'stream_attached', re: /^(?:creating stream|attaching to next stream)$/, build: quiet, samples: ['creating stream', 'attaching to next stream'] },
  { type: 'stream_done', re: /^(?:destroying stream: (\d+) remaining|response complete)$/, build: quiet, samples: ['destroying stream: 0 remaining', 'response complete'] },
  { type: 'connected', re: /^connected$/, build: quiet, samples: ['connected'] },
];

/** Classify a message (ids stripped). Undefined = not a message we know (chatter or not Envoy's). */
export function classifyMessage(text: string): MsgMatch | undefined {
  const t = text.replace(/\s+$/, '');
  for (const rule of MESSAGE_RULES) {
    const m = rule.re.exec(rule.type === 'client_disconnected' ? text : t);
    if (m) return { msg_type: rule.type, ...rule.build(m) };
  }
  return undefined;
}
