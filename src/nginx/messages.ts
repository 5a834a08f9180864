// Message → cause, as data (nginx.md §3, nginx-messages.tsv; causes from DESIGN.md §3).
// Rules are tried in order on the message with errno, "(SSL: ...)", action and context removed.
// A rule's cause is either fixed or resolved from the errno and the phase (`while ...`), because the
// same call site (`recv() failed`) means an upstream reset, a client abort or a websocket mystery
// depending on the phase (nginx.md §3.3–3.5).
import type { Cause } from '../events.js';
import type { ErrorLine } from './error-line.js';
import { errnoByNumber } from '../errno.js';
import { phaseOf, type Phase } from './phase.js';
import { tlsReasonFromSsl, type TlsReason } from './tls-reason.js';

/** How a rule decides: a fixed cause, null (not a failure), or a resolver by name. */
type CauseSpec = Cause | null | 'by_errno' | 'by_timeout' | 'by_h2_rst' | 'by_goaway' | 'previous' | 'by_ssl_io';

interface MessageRule {
  id: string;
  re: RegExp;
  cause: CauseSpec;
  /** TLS rules: how to name the reason when there is no "(SSL: ...)" text. */
  tls?: string;
}

// Sources: ngx_event_connect.c:254 (connect() to ADDR failed), ngx_http_upstream.c:3066 (connect() failed),
// :4632 (upstream timed out), :2548 (prematurely closed), :1632 (no live upstreams), round_robin.c:1068,
// ngx_connection.c:1228, ngx_event_openssl.c:2327/3796, ngx_http_upstream.c:1879/1886, grpc/proxy_v2 modules.
export const MESSAGE_RULES: readonly MessageRule[] = [
  { id: 'connect_failed', re: /^(?:kevent\(\) reported that )?connect\(\)(?: to .+)? failed$/, cause: 'by_errno' },
  { id: 'upstream_timed_out', re: /^upstream timed out$/, cause: 'by_timeout' },
  { id: 'io_failed', re: /^(?:recv|readv|writev|send|sendfile|sendmsg|recvmsg|shutdown|ioctl\(FIONREAD\)|getsockname)\(\) failed$/, cause: 'by_errno' },
  { id: 'ssl_io_failed', re: /^SSL_(?:read|write|sendfile|shutdown|read_early_data|write_early_data)\(\) failed$/, cause: 'by_ssl_io' },
  { id: 'premature_close', re: /^upstream prematurely closed (?:connection|FastCGI stdout|FastCGI request|stream)$/, cause: 'upstream_close' },
  { id: 'no_live_upstreams', re: /^no live upstreams$/, cause: 'no_healthy_upstream' },
  // warn; "same class as the failure that preceded it" (nginx.md §3.1)
  { id: 'peer_disabled', re: /^upstream server temporarily disabled$/, cause: 'previous' },
  { id: 'worker_connections', re: /^(?:\d+ )?worker_connections are not enough/, cause: 'resource_exhaustion' },
  { id: 'socket_failed', re: /^socket\(\)(?: .+)? failed$/, cause: 'by_errno' },
  { id: 'accept_failed', re: /^accept4?\(\) failed$/, cause: 'by_errno' },
  { id: 'fd_limit', re: /^the new socket has number \d+, but only \d+ files are available/, cause: 'resource_exhaustion' },
  { id: 'bind_failed', re: /^bind\(.*\) failed$/, cause: 'unknown' },
  { id: 'ssl_handshake', re: /^SSL_do_handshake\(\) failed$/, cause: 'tls', tls: 'other' },
  { id: 'ssl_peer_closed', re: /^peer closed connection in SSL handshake$/, cause: 'tls', tls: 'peer_closed' },
  { id: 'ssl_verify', re: /^upstream SSL certificate verify error: /, cause: 'tls', tls: 'certificate' },
  { id: 'ssl_name', re: /^upstream SSL certificate does not match /, cause: 'tls', tls: 'certificate' },
  { id: 'ssl_no_sni', re: /^SSL_set_tlsext_host_name\(/, cause: 'tls', tls: 'sni' },
  { id: 'client_abort', re: /^(?:(?:epoll_wait|kevent)\(\) reported that )?client prematurely closed (?:connection|stream)/, cause: 'client_abort' },
  { id: 'client_closed', re: /^client closed connection$/, cause: 'client_abort' },
  // warn-level and informational "upstream sent" lines are not failures (nginx.md §2)
  { id: 'upstream_sent_warn', re: /^upstream sent (?:more data than specified|data after (?:final chunk|trailers)|too big early hints|duplicate header line: .*, ignored$)/, cause: null },
  { id: 'h2_rst_stream', re: /^upstream rejected request with error \d+$/, cause: 'by_h2_rst' },
  { id: 'h2_goaway', re: /^upstream sent goaway with error \d+$/, cause: 'by_goaway' },
  { id: 'upstream_sent', re: /^upstream sent /, cause: 'protocol_mismatch' },
  { id: 'upstream_early_response', re: /^upstream prematurely sent response$/, cause: 'protocol_mismatch' },
  { id: 'upstream_flow_control', re: /^upstream violated (?:stream|connection) flow control/, cause: 'protocol_mismatch' },
  { id: 'memcached_invalid', re: /^memcached sent invalid /, cause: 'protocol_mismatch' },
  // "%V could not be resolved (%i: %s)": the number is a DNS RCODE, not an errno (ngx_resolver.c).
  { id: 'dns_failed', re: / could not be resolved$/, cause: 'unreachable' },
  { id: 'no_resolver', re: /^no resolver defined to resolve /, cause: 'unknown' },
  { id: 'proxy_connect_module', re: /^proxy_connect: /, cause: 'unknown' },
  // stream{} bookkeeping and idle timeouts at info (nginx.md §1.3, §3.6): not failures
  { id: 'stream_session', re: /^(?:upstream|client) disconnected, |^udp (?:done|timed out), |^(?:udp )?(?:client|proxy) \S+ connected to /, cause: null },
  { id: 'idle_timeout', re: /^(?:connection|client) timed out$/, cause: null },
  { id: 'keepalive_close', re: /^(?:kevent\(\) reported that )?client \S+ closed (?:keepalive|idle) connection$/, cause: null },
];

export interface Classified {
  cause: Cause | null;
  rule: string | null;
  phase?: Phase;
  errnoName?: string;
  tls?: TlsReason;
  /** One short reason the cause is what it is (for the summary). */
  why: string;
  /** Destination of `connect() to ADDR failed`. */
  connectTo?: string;
}

/** Remembered failure cause per upstream peer / connection (for `upstream server temporarily disabled`). */
export type PreviousLookup = (upstream: string | undefined, connection: number | undefined) => Cause | undefined;

const CONNECT_TO = /^(?:kevent\(\) reported that )?connect\(\) to (.+) failed$/;
const H2_CODE = /(\d+)$/;

/** Lines repeat a handful of shapes: classify each once (bounded; results are never mutated by callers). */
const MEMO = new Map<string, Classified>();
const MEMO_MAX = 4096;

/** `classify`, memoised on everything it reads (except the `previous` rule, which reads history). */
export function classifyCached(l: ErrorLine, upstreamPeer: string | undefined, previous?: PreviousLookup): Classified {
  const peerKind = upstreamPeer === undefined ? 0 : upstreamPeer.charCodeAt(0) === 91 ? 1 : upstreamPeer.startsWith('unix:') ? 2 : 3;
  const key = l.message + '\u0000' + (l.errno ?? '') + '\u0000' + (l.errnoText ?? '') + '\u0000' + (l.action ?? '') + '\u0000' +
    (l.ssl ?? '') + '\u0000' + (l.level ?? '') + (l.connection === undefined ? 'n' : 'c') + (l.client === undefined ? 'n' : 'c') +
    (l.upstream === undefined ? 'n' : 'u') + peerKind;
  const hit = MEMO.get(key);
  if (hit !== undefined) return hit;
  const c = classify(l, upstreamPeer, previous);
  if (c.rule !== 'previous') {
    if (MEMO.size >= MEMO_MAX) MEMO.clear();
    MEMO.set(key, c);
  }
  return c;
}

export function classify(l: ErrorLine, upstreamPeer: string | undefined, previous?: PreviousLookup): Classified {
  const phase = phaseOf(l.action);
  const en = l.errno === undefined ? undefined : errnoByNumber(l.errno, l.errnoText);
  const out: Classified = { cause: null, rule: null, phase, errnoName: en?.name, why: '' };
  const ct = CONNECT_TO.exec(l.message);
  if (ct) out.connectTo = ct[1];
  let rule: MessageRule | undefined;
  for (const r of MESSAGE_RULES) {
    if (r.re.test(l.message)) {
      rule = r;
      break;
    }
  }
  if (!rule) {
    // An upstream-side phase with a message we do not know is still a failure — of unknown kind.
    const upstreamSide = phase?.side === 'upstream' || (l.upstream !== undefined && /^(?:error|crit|alert|emerg)$/.test(l.level ?? 'error'));
    out.cause = upstreamSide ? 'unknown' : null;
    out.why = upstreamSide ? 'message not in the nginx message table' : 'not an upstream failure';
    return out;
  }
  out.rule = rule.id;
  const spec = rule.cause;
  switch (spec) {
    case 'by_errno':
      resolveErrno(l, out, phase, en?.name, upstreamPeer);
      break;
    case 'by_timeout':
      if (phase?.phase === 'connecting') {
        out.cause = 'connect_timeout';
        out.why = 'proxy_connect_timeout expired (SYN unanswered)';
      } else if (phase?.phase === 'tls_handshake') {
        // LAB: https:// to a plain-HTTP server that waits for a request line (nginx.md §3.2)
        out.cause = 'tls';
        out.tls = { reason: 'timeout', detail: 'handshake timed out (peer may not speak TLS)' };
        out.why = 'TLS handshake to upstream timed out';
      } else {
        out.cause = 'timeout';
        out.why = phase?.phase === 'sending_request' ? 'proxy_send_timeout expired' : 'proxy_read_timeout expired';
      }
      break;
    case 'by_ssl_io':
      if (en) resolveErrno(l, out, phase, en.name, upstreamPeer);
      else if (phase?.side === 'client') {
        out.cause = 'client_abort';
        out.why = 'client-side TLS connection ended';
      } else {
        out.cause = 'tls';
        out.why = 'TLS read/write with upstream failed';
      }
      if (l.ssl) out.tls = tlsReasonFromSsl(l.ssl);
      break;
    case 'by_h2_rst': {
      const code = Number(H2_CODE.exec(l.message)?.[1]);
      // RFC 9113 §7: 7 REFUSED_STREAM = not processed (concurrency limit), 8 CANCEL = peer gave up.
      out.cause = code === 7 ? 'pool_overflow' : code === 8 ? 'upstream_reset' : 'protocol_mismatch';
      out.why = `upstream RST_STREAM error ${code}`;
      break;
    }
    case 'by_goaway': {
      const code = Number(H2_CODE.exec(l.message)?.[1]);
      // GOAWAY NO_ERROR = graceful shutdown that nginx still counts as a failure (nginx/nginx#1431).
      out.cause = code === 0 ? 'upstream_close' : 'protocol_mismatch';
      out.why = `upstream GOAWAY error ${code}`;
      break;
    }
    case 'previous':
      out.cause = previous?.(upstreamPeer, l.connection) ?? 'unknown';
      out.why = 'peer reached max_fails after earlier failures';
      break;
    default:
      out.cause = spec;
      out.why = rule.id.replace(/_/g, ' ');
      if (spec === 'tls') {
        out.tls = l.ssl ? tlsReasonFromSsl(l.ssl) : { reason: rule.tls ?? 'other', detail: l.message };
        if (!l.ssl && rule.id === 'ssl_peer_closed' && en) out.tls.detail += ` (${en.name})`;
        // Client-side handshake (`while SSL handshaking`, no upstream): downstream noise, not upstream.
        if (phase?.side === 'client') out.why = 'downstream (client) TLS handshake failed';
      }
  }
  if (rule.id === 'dns_failed') out.errnoName = undefined;
  return out;
}

function resolveErrno(l: ErrorLine, out: Classified, phase: Phase | undefined, name: string | undefined, peer: string | undefined): void {
  const side = phase?.side;
  // Cycle-level lines (no *N, no context) are resolver/syslog sends, not proxied requests (corpus note).
  const cycleLevel = l.connection === undefined && l.client === undefined && phase === undefined;
  const dest = out.connectTo ?? peer ?? '';
  switch (name) {
    case 'ECONNREFUSED':
      out.cause = cycleLevel && !out.connectTo && !/^connect/.test(l.message) ? 'unknown' : 'refused';
      out.why = out.cause === 'refused' ? 'nothing listening (RST to SYN)' : 'refused outside a proxied request';
      return;
    case 'EAGAIN':
    case 'ENOENT':
      // AF_UNIX: backlog full (EAGAIN, nginx treats it like a refusal) or socket file missing (nginx.md §3.1)
      if (out.connectTo?.startsWith('unix:') || dest.startsWith('unix:')) {
        out.cause = 'refused';
        out.why = name === 'EAGAIN' ? 'unix socket backlog full' : 'unix socket file missing';
      } else {
        out.cause = phase?.side === 'upstream' ? 'unknown' : null;
        out.why = `${name}`;
      }
      return;
    case 'ETIMEDOUT':
      out.cause = phase?.phase === 'connecting' ? 'connect_timeout' : side === 'client' ? 'client_abort' : 'timeout';
      out.why = phase?.phase === 'connecting' ? 'kernel gave up SYN retries' : 'timed out';
      return;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EHOSTDOWN':
    case 'ENETDOWN':
      out.cause = 'unreachable';
      out.why = 'no route (ICMP unreachable, REJECT, or dead on-link address)';
      return;
    case 'EADDRNOTAVAIL':
      // Two meanings (nginx.md §3.1): ephemeral ports exhausted, or an IPv6 destination in a
      // container/host without IPv6 (`[::]`, `[::1]`, AAAA on IPv4-only) — tell them apart by family.
      if (dest.startsWith('[')) {
        out.cause = 'unreachable';
        out.why = 'IPv6 destination with no local IPv6 address';
      } else {
        out.cause = 'resource_exhaustion';
        out.why = 'ephemeral ports exhausted (TIME_WAIT)';
      }
      return;
    case 'EMFILE':
    case 'ENFILE':
      out.cause = 'resource_exhaustion';
      out.why = 'file descriptors exhausted';
      return;
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ECONNABORTED':
    case 'ENOTCONN':
      if (side === 'client') {
        out.cause = 'client_abort';
        out.why = 'client went away';
      } else if (side === 'both') {
        out.cause = 'unknown';
        out.why = 'tunnel reset; nginx does not say which side (nginx/nginx#773)';
      } else if (phase?.phase === 'tls_handshake') {
        out.cause = 'tls';
        out.tls = { reason: 'peer_closed', detail: `${name} during TLS handshake` };
        out.why = 'upstream reset during TLS handshake';
      } else if (cycleLevel) {
        out.cause = 'unknown';
        out.why = 'reset outside a proxied request';
      } else {
        out.cause = 'upstream_reset';
        out.why = name === 'EPIPE' ? 'upstream had closed (broken pipe)' : 'RST from upstream';
      }
      return;
    case 'EACCES':
      out.cause = 'unknown';
      out.why = 'permission denied (SELinux httpd_can_network_connect or socket permissions)';
      return;
    default:
      out.cause = phase?.side === 'client' ? null : 'unknown';
      out.why = name ? `${name} not mapped` : `errno ${l.errno ?? '-'} not known`;
  }
}
