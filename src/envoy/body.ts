// The local-reply body Envoy sends the client, as people paste it from curl, a browser, a gRPC client's
// error or an application log: kind `envoy.body`.
// router.cc Filter::onUpstreamReset (reference/envoy.md §3.2):
//   upstream connect error or disconnect/reset before headers. [retried and the latest ]reset reason: <reason>[, transport failure reason: <tfr>]
// (<= Envoy 1.9: the first sentence alone; `reset reason` since PR #5897, the transport reason since PR #12321),
// plus the other local replies `no healthy upstream` (UH) and `upstream request timeout` (UT, 504).
// gRPC clients get the same text as grpc-message with status 14 UNAVAILABLE (envoy#7715).
//
// Bodies are their own format (`envoy-body`) because the inputs that carry them — a curl -v transcript,
// a client's log, a pasted error — are not Envoy logs, and the debug format must not claim them when
// sniffing. The envoy-debug parser still recognizes a body line (parseBody) in a mixed paste.
import { makeEvent, type Cause, type Event } from '../events.js';
import { LIMITS } from '../limits.js';
import { isoTime, zoneName } from '../time.js';
import type { IngestContext, IngestOptions, LineParser, TextFormat } from '../ingest/types.js';
import { resetCause, summarizeTransport } from './details.js';
import { leadingTime } from './debug-line.js';

export const BODY_PREFIX = 'upstream connect error or disconnect/reset before headers';

export interface BodyInfo {
  cause: Cause;
  body: string;
  reset_reason: string | null;
  transport_failure_reason: string | null;
  retried: boolean;
  errno: number | null;
  tls_reason: string | null;
  /** The flag Envoy logged with this reply (router.cc reason -> flag), inferred. */
  response_flag: string | null;
  /** gRPC status name when the text came through a gRPC client (`code = Unavailable`, `UNAVAILABLE:`). */
  grpc_code: string | null;
  summary: string;
  /** Where the body text starts in the line. */
  at: number;
}

// Where a body ends inside a longer line: quotes, JSON / exception punctuation, tabs. TLS reasons
// contain `:`, `|` and spaces, so those cannot end it.
const BODY_END_RE = /["'\\<>{}\[\]\t]/;
const RETRIED = 'retried and the latest ';
// `no healthy upstream` / `upstream request timeout` are too short to find anywhere: only as the whole
// line or after a gRPC / HTTP client's error framing.
const SHORT_BODY_RE = /(?:^|desc = |UNAVAILABLE: |DEADLINE_EXCEEDED: |details = "|[Mm]essage: |grpc-message: |body: |\d{3} [A-Z][\w ]*?: )(no healthy upstream|upstream request timeout)(?=$|["'.,)\s])/;

function grpcCode(line: string): string | null {
  const m = /code = (\w+)|StatusCode\.(\w+)|\b(UNAVAILABLE|DEADLINE_EXCEEDED|INTERNAL):|grpc-status: ?(\d+)|\b14 UNAVAILABLE\b/.exec(line);
  if (!m) return null;
  if (m[4]) return m[4] === '14' ? 'Unavailable' : m[4];
  if (!m[1] && !m[2] && !m[3]) return 'Unavailable';
  const name = (m[1] ?? m[2] ?? m[3]).toLowerCase();
  return name.split('_').map((p) => p[0].toUpperCase() + p.slice(1)).join('');
}

/** Find a local-reply body in a line; undefined when there is none. */
export function parseBody(input: string): BodyInfo | undefined {
  // grpc-message is percent-encoded on the wire (gRPC HTTP/2 protocol spec); curl -v shows it raw.
  let line = input;
  if (line.includes('upstream%20connect')) {
    try { line = decodeURIComponent(line); } catch { /* keep as is */ }
  }
  const at = line.indexOf(BODY_PREFIX);
  if (at < 0) {
    const s = SHORT_BODY_RE.exec(line);
    if (!s) return undefined;
    const uh = s[1] === 'no healthy upstream';
    return {
      cause: uh ? 'no_healthy_upstream' : 'timeout', body: s[1], reset_reason: null, transport_failure_reason: null,
      retried: false, errno: null, tls_reason: null, response_flag: uh ? 'UH' : 'UT', grpc_code: grpcCode(line),
      summary: uh ? 'client got "no healthy upstream" (503 UH)' : 'client got "upstream request timeout" (504 UT)',
      at: s.index + s[0].length - s[1].length,
    };
  }
  let rest = line.slice(at + BODY_PREFIX.length);
  const end = rest.search(BODY_END_RE);
  if (end >= 0) rest = rest.slice(0, end);
  const body = (BODY_PREFIX + rest).replace(/[\s.,;)]+$/, '');
  let reason: string | null = null;
  let tfr: string | null = null;
  let retried = false;
  const m = /^\.\s*(retried and the latest )?reset reason:\s*([^,]*?)\s*(?:,\s*transport failure reason:\s*(.*?))?[\s.;)]*$/.exec(rest);
  if (m) {
    retried = m[1] === RETRIED;
    reason = m[2] || null;
    tfr = (m[3] ?? '').trim() || null;
  }
  const v = resetCause(reason, tfr);
  // Pre-1.10 bodies name no reason at all (57 bytes, reference §3.6).
  const cause: Cause = reason === null && tfr === null ? 'unknown' : v.cause;
  const t = summarizeTransport(tfr);
  const why = reason === null ? 'no reset reason (Envoy <= 1.9 body)'
    : `${retried ? 'after retries, ' : ''}reset reason ${reason}${tfr ? `, ${tfr}` : ''}`;
  return {
    cause, body, reset_reason: reason, transport_failure_reason: tfr, retried,
    errno: t?.errno ?? null, tls_reason: t?.tls_reason ?? null, response_flag: v.flag,
    grpc_code: grpcCode(line.slice(0, at)),
    summary: `client got Envoy's 5xx body: ${why}${v.ambiguous && cause === 'unknown' ? ' (not enough to tell refused from timeout)' : ''}`,
    at,
  };
}

/** Build the `envoy.body` event; time from a timestamp the line starts with, else the collector's, else null. */
export function bodyEvent(ctx: IngestContext, line: string, lineNo: number, info: BodyInfo, collectorTimeUs?: number): Event {
  let time: string | null = null;
  let ts: number | null = null;
  const lt = leadingTime(line, ctx.options.tz);
  if (lt && lt.end <= info.at) {
    ts = lt.time.us;
    time = isoTime(lt.time.us, lt.time.digits, lt.time.nanos);
    if (!lt.zoned) noteZone(ctx, ctx.options);
  } else if (collectorTimeUs !== undefined) {
    ts = collectorTimeUs;
    time = isoTime(collectorTimeUs, 6);
  }
  return makeEvent(
    { time, ts_us: ts, source: ctx.source, line: lineNo, kind: 'envoy.body', cause: info.cause, summary: info.summary, raw: line.slice(0, LIMITS.RAW_LINE_CHARS) },
    {
      body: info.body, reset_reason: info.reset_reason, transport_failure_reason: info.transport_failure_reason,
      retried: info.retried, errno: info.errno, tls_reason: info.tls_reason, response_flag: info.response_flag, grpc_code: info.grpc_code,
    },
  );
}

/** Record once per input that times without a zone were read in --tz (or our default). */
export function noteZone(ctx: IngestContext, options: IngestOptions): void {
  if (ctx.stats.tz === undefined) {
    ctx.stats.tz = zoneName(options.tz);
    ctx.stats.tz_assumed = !options.tzGiven;
  }
}

// curl -v / -i chatter around a body: `* Trying ...`, `> GET / HTTP/1.1`, `< HTTP/1.1 503 ...`, `< header: v`.
const CLIENT_CHATTER_RE = /^(?:[*<>] |[*<>]$|\{ \[|HTTP\/[\d.]+ \d{3}|[\w-]+: |curl: \(|%\s+Total|\s*\d+\s+\d+\s+\d+)/;

export const envoyBodyFormat: TextFormat = {
  name: 'envoy-body',
  kind: 'text',
  sniff(lines: string[]): number {
    if (lines.length === 0) return 0;
    let bodies = 0;
    let chatter = 0;
    for (const l of lines) {
      if (parseBody(l)) bodies++;
      else if (CLIENT_CHATTER_RE.test(l)) chatter++;
    }
    if (bodies === 0) return 0;
    // A body among client chatter is a paste of a client's view; a body among many other lines may be a
    // log of some other format that quotes it (that format's sniff should win).
    return Math.min(0.9, 0.4 + 0.5 * ((bodies + chatter) / lines.length));
  },
  open(ctx: IngestContext): LineParser {
    return {
      parse(line, lineNo, collectorTimeUs) {
        const info = parseBody(line);
        if (info) return bodyEvent(ctx, line, lineNo, info, collectorTimeUs);
        if (CLIENT_CHATTER_RE.test(line)) {
          ctx.stats.ok++;
          return null;
        }
        return undefined;
      },
    };
  },
};
