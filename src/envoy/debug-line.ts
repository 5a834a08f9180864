// The layouts of Envoy's application ("debug") log, split into time / level / logger / message.
// reference/envoy.md §4:
//   Envoy default --log-format   [%Y-%m-%d %T.%e][%t][%l][%n] [%g:%#] %v      (PR #11972, Envoy 1.16)
//   before 1.16                  [%Y-%m-%d %T.%e][%t][%l][%n] %v  (source path inside %v: `[file.cc:559] msg`)
//   <= 1.9 (2018)                ... `file.cc:451] msg` (no opening bracket)
//   Istio <= 1.5                 [Envoy (Epoch N)] [%Y-%m-%d %T.%e][%t][%l][%n] %v
//   Istio 1.6-1.16               %Y-%m-%dT%T.%fZ\t%l\tenvoy %n\t%v
//   Istio 1.17+                  %Y-%m-%dT%T.%fZ\t%l\tenvoy %n %g:%#\t%v\tthread=%t
//   Istio JSON                   {"level":"%l","time":"...Z","scope":"envoy %n","msg":"%j"[,"caller":"%g:%#","thread":%t]}
// Pastes often turn TABs into runs of spaces: every separator below is \s+.
import { parseIso, type ParsedTime, type Zone } from '../time.js';

export type DebugLayout = 'bracket' | 'istio' | 'json' | 'custom';

export interface DebugLine {
  layout: DebugLayout;
  /** Null when the line has no time we can read. */
  time: ParsedTime | null;
  /** True when the time carried its own zone (Z / offset); false = read in the fallback zone. */
  zoned: boolean;
  level: string | null;
  logger: string | null;
  thread: string | null;
  /** `file.cc:123` when the line names its source location. */
  caller: string | null;
  /** The message (%v), source location removed; `[C12][S34]` / `[Tags: ...]` still in front. */
  msg: string;
  /** Ids given outside the message (JSON keys ConnectionId / StreamId). */
  connectionId: number | null;
  streamId: string | null;
}

const LEVELS = 'trace|debug|info|warning|warn|error|critical|off';
// spdlog's `[%Y-%m-%d %T.%e][%t][%l][%n]`; unanchored so `kubectl --prefix` / stern / `[Envoy (Epoch 0)] `
// prefixes that reach us still parse (the match must start within the first 256 characters).
const BRACKET_RE = new RegExp(
  String.raw`\[(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d{1,9})?)\]\[(\d+)\]\[(${LEVELS})\]\[([\w.:-]+)\] ?(.*)$`,
);
const ISTIO_RE = new RegExp(
  String.raw`(?:^|\s)(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})?)\s+(${LEVELS})\s+envoy ([\w.:-]+)(?:[ \t]+((?:[\w.-]+\/)*[\w.-]+\.(?:cc|h|cpp|hpp):\d+))?(?:[ \t]+(.*))?$`,
);
// `[source/common/network/connection_impl.cc:559] ` (1.10-1.15) or `source/...cc:451] ` (<= 1.9) inside %v.
const SOURCE_IN_MSG_RE = /^\[?((?:[\w.-]+\/)*[\w.-]+\.(?:cc|h|cpp|hpp):\d+)\] ?/;
const MAX_PREFIX = 256;
const THREAD_SUFFIX_RE = /\s+thread=(\d+)$/;

function readTime(text: string, tz: Zone): { time: ParsedTime | null; zoned: boolean } {
  const time = parseIso(text, tz) ?? null;
  return { time, zoned: /(?:Z|[+-]\d{2}:?\d{2})$/.test(text) };
}

function stripSource(msg: string): { caller: string | null; msg: string } {
  const m = SOURCE_IN_MSG_RE.exec(msg);
  return m ? { caller: m[1], msg: msg.slice(m[0].length) } : { caller: null, msg };
}

/** Split one line of a known Envoy application-log layout; undefined when it is none of them. */
export function splitDebugLine(line: string, tz: Zone): DebugLine | undefined {
  const first = line.charCodeAt(0);
  if (first === 0x7b /* { */) return splitJson(line, tz);
  const b = BRACKET_RE.exec(line);
  if (b && b.index <= MAX_PREFIX) {
    const { time, zoned } = readTime(b[1], tz);
    const s = stripSource(b[5]);
    return { layout: 'bracket', time, zoned, level: b[3], logger: b[4], thread: b[2], caller: s.caller, msg: s.msg, connectionId: null, streamId: null };
  }
  const i = ISTIO_RE.exec(line);
  if (i && i.index <= MAX_PREFIX) {
    const { time, zoned } = readTime(i[1], tz);
    // Istio 1.17+ ends the line with `\tthread=%t`; taken off here rather than in ISTIO_RE, where a lazy
    // message group would make long lines quadratic.
    let msg = i[5] ?? '';
    let thread: string | null = null;
    const th = THREAD_SUFFIX_RE.exec(msg);
    if (th) {
      thread = th[1];
      msg = msg.slice(0, th.index);
    }
    const s = stripSource(msg);
    return { layout: 'istio', time, zoned, level: i[2], logger: i[3], thread, caller: i[4] ?? s.caller, msg: s.msg, connectionId: null, streamId: null };
  }
  return undefined;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null);

// Keys that only an access log has: a JSON line with these is never an application log.
const ACCESS_KEYS = ['response_code', 'response_flags', 'start_time', 'upstream_host', 'bytes_sent'];

/**
 * Istio's JSON application log (`{"level","time","scope":"envoy x","msg"}`) and Envoy's own JSON
 * application log (`application_log_config.log_format.json_format`, keys chosen by the user, with
 * `ConnectionId`/`StreamId` keys since PR #28327). Accepted only when it looks like Envoy's.
 */
function splitJson(line: string, tz: Zone): DebugLine | undefined {
  if (line.charCodeAt(line.length - 1) !== 0x7d /* } */) return undefined;
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (o === null || typeof o !== 'object' || Array.isArray(o)) return undefined;
  const r = o as Record<string, unknown>;
  if (ACCESS_KEYS.some((k) => k in r)) return undefined;
  const msg = str(r.msg) ?? str(r.message) ?? str(r.Message) ?? str(r.log_message);
  if (msg === null) return undefined;
  const scope = str(r.scope) ?? str(r.logger) ?? str(r.name) ?? str(r.Name);
  const caller = str(r.caller) ?? str(r.SourceLine) ?? str(r.source_location);
  const connId = str(r.ConnectionId) ?? str(r.connection_id);
  const envoyish = (scope !== null && /^envoy\b/.test(scope)) || connId !== null || (caller !== null && /\.(?:cc|h):\d+$/.test(caller));
  if (!envoyish) return undefined;
  const t = str(r.time) ?? str(r.timestamp) ?? str(r['@timestamp']) ?? str(r.ts) ?? str(r.Timestamp);
  const { time, zoned } = t ? readTime(t.replace(/\s+$/, ''), tz) : { time: null, zoned: false };
  return {
    layout: 'json',
    time,
    zoned,
    level: str(r.level) ?? str(r.Level) ?? str(r.severity),
    logger: scope ? scope.replace(/^envoy\s+/, '') : null,
    thread: str(r.thread) ?? str(r.ThreadId) ?? str(r.Thread),
    caller,
    msg,
    connectionId: connId !== null && /^\d+$/.test(connId) ? Number(connId) : null,
    streamId: str(r.StreamId) ?? str(r.stream_id),
  };
}

// istio-agent (pilot-agent) lines share the istio-proxy container log with Envoy's: Istio's zap layout,
// `%Y-%m-%dT%T.%fZ\t%l\t[scope\t]msg`, microseconds and Z always (istio/pkg/log), any scope but `envoy x`.
const ISTIO_AGENT_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z\s+(?:debug|info|warn|error|fatal)\s+\S/;

/** An istio-agent line (not Envoy's own): understood, never a failure of a proxied request. */
export function isIstioAgentLine(line: string): boolean {
  return ISTIO_AGENT_RE.test(line) && splitDebugLine(line, { kind: 'utc' }) === undefined;
}

// Timestamps a custom --log-format (or a client's logger) may start with: ISO / `YYYY-MM-DD HH:MM:SS`
// (zone optional), Go's log package `YYYY/MM/DD HH:MM:SS[.ffffff]`.
const LEADING_TIME_RE = /^\[?(\d{4}[-/]\d{2}[-/]\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})?)\]?(?=\s|$|\[)/;

/** A timestamp at the very start of a line of some other layout; `end` = where the rest begins. */
export function leadingTime(line: string, tz: Zone): { time: ParsedTime; zoned: boolean; end: number } | undefined {
  const m = LEADING_TIME_RE.exec(line);
  if (!m) return undefined;
  const text = m[1].replace(/^(\d{4})\/(\d{2})\/(\d{2})/, '$1-$2-$3');
  const { time, zoned } = readTime(text, tz);
  return time ? { time, zoned, end: m[0].length } : undefined;
}

const LEADING_GROUP_RE = /^\[(?!C\d|S\d|Tags:)([^\]]{0,64})\]\s*/;
const LEVEL_ONLY_RE = new RegExp(`^(?:${LEVELS})$`, 'i');
const LEVEL_WORD_RE = new RegExp(`^(${LEVELS})\\b:?\\s*`, 'i');

/**
 * A custom application-log layout (`2023-12-19 18:10:10 [TID: 32][msg: [Tags: ...] text]`, envoy#31453):
 * a leading timestamp, then the message — inside `[msg: ...]` when present, else after any leading
 * `[...]` groups that are not ids. The caller decides whether the message is Envoy's.
 */
export function splitCustomLine(line: string, tz: Zone): DebugLine | undefined {
  const lt = leadingTime(line, tz);
  if (!lt) return undefined;
  let rest = line.slice(lt.end).trim();
  const inMsg = /\[msg: (.*)\]$/.exec(rest);
  let level: string | null = null;
  let thread: string | null = null;
  const tid = /\[TID: ?(\d+)\]/.exec(rest);
  if (tid) thread = tid[1];
  if (inMsg) {
    rest = inMsg[1];
  } else {
    // A handful of `[thread][level][logger]`-like groups at most; more is not a log prefix.
    for (let k = 0; k < 8; k++) {
      const g = LEADING_GROUP_RE.exec(rest);
      if (!g) break;
      if (LEVEL_ONLY_RE.test(g[1])) level = g[1].toLowerCase();
      rest = rest.slice(g[0].length);
    }
    const lv = LEVEL_WORD_RE.exec(rest);
    if (lv) {
      level = lv[1].toLowerCase();
      rest = rest.slice(lv[0].length);
    }
  }
  const s = stripSource(rest);
  return { layout: 'custom', time: lt.time, zoned: lt.zoned, level, logger: null, thread, caller: s.caller, msg: s.msg, connectionId: null, streamId: null };
}

export interface Ids { connectionId: number | null; streamId: string | null; text: string }

// `[C12]`, `[C8][S6409394093306031622]` (ENVOY_CONN_LOG / ENVOY_STREAM_LOG) and, since envoy PR #28327,
// `[Tags: "ConnectionId":"14","StreamId":"3268061275843749451"]` (quotes escaped in some custom layouts).
const CS_RE = /^\[C(\d+)\](?:\[S(\d+)\])?\s*/;
const TAGS_RE = /^\[Tags: ([^\]]*)\]\s*/;

/** Take the connection / stream ids off the front of a message. */
export function splitIds(msg: string): Ids {
  const cs = CS_RE.exec(msg);
  if (cs) return { connectionId: Number(cs[1]), streamId: cs[2] ?? null, text: msg.slice(cs[0].length) };
  const t = TAGS_RE.exec(msg);
  if (t) {
    const c = /ConnectionId\\?"\s*:\s*\\?"?(\d+)/.exec(t[1]);
    const s = /StreamId\\?"\s*:\s*\\?"?(\d+)/.exec(t[1]);
    return { connectionId: c ? Number(c[1]) : null, streamId: s ? s[1] : null, text: msg.slice(t[0].length) };
  }
  return { connectionId: null, streamId: null, text: msg };
}
