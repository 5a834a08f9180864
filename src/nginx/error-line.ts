// NGINX error-log line grammar (nginx.md §1): ngx_log_error_core() (src/core/ngx_log.c:96) writes
//   YYYY/MM/DD HH:MM:SS [level] PID#TID: [*CONN ]MESSAGE[ (ERRNO: TEXT)][ while ACTION][CONTEXT]
// The context comes from ngx_http_log_error_handler() (ngx_http_request.c:4165) or, for stream{},
// ngx_stream_proxy_log_error(). Values are printed raw (%V): no escaping, so quotes inside values are
// not delimiters, and the whole line is cut at NGX_MAX_ERROR_STR (2048 bytes, ngx_log.h:79).
// Pure and allocation-light: returns undefined for a line that is not an nginx error line.

export const LEVELS = ['emerg', 'alert', 'crit', 'error', 'warn', 'notice', 'info', 'debug'] as const;

/** NGX_MAX_ERROR_STR includes the line feed, so a cut line has 2047 bytes before it (ngx_log.c). */
export const NGX_MAX_ERROR_STR = 2048;

export interface ErrorLine {
  /** Civil (zone-less) time fields; undefined for fragments whose reporter cut the timestamp. */
  civil?: [year: number, month: number, day: number, hour: number, minute: number, second: number];
  level?: string;
  pid?: number;
  tid?: number;
  connection?: number;
  /** The message without errno, SSL detail, action and context. */
  message: string;
  errno?: number;
  errnoText?: string;
  /** The OpenSSL error queue text of "(SSL: ...)". */
  ssl?: string;
  action?: string;
  client?: string;
  /** `udp client:` in stream{} (since 1.9.13). */
  udp: boolean;
  server?: string;
  request?: string;
  subrequest?: string;
  upstream?: string;
  host?: string;
  referrer?: string;
  /** ngx_lua's `, context: ngx.timer` (nginx.md §1.4). */
  luaContext?: string;
  /** stream{}: "R/S" counters. */
  bytesClient?: string;
  bytesUpstream?: string;
  /** Cut at NGX_MAX_ERROR_STR, or a quoted value never closed. */
  truncated: boolean;
  /** No timestamp/level: a reporter's excerpt or a prefix we could not see. */
  fragment: boolean;
  /** Offset of nginx's own line inside the input line (>0 when a wrapper preceded it). */
  offset: number;
}

const LEVEL_RE = '(emerg|alert|crit|error|warn|notice|info|debug)';
const FULL_HEAD = new RegExp(`^(\\d{4})/(\\d{2})/(\\d{2}) (\\d{2}):(\\d{2}):(\\d{2}) \\[${LEVEL_RE}\\] (\\d+)#(\\d+): (?:\\*(\\d+) )?`);
// nginx's own line inside an unknown wrapper (nginx.md §1.1: "strip them by searching for ...").
const EMBED = new RegExp(`(\\d{4})/(\\d{2})/(\\d{2}) (\\d{2}):(\\d{2}):(\\d{2}) \\[${LEVEL_RE}\\] (\\d+)#(\\d+): (?:\\*(\\d+) )?`);
// Reporters cut the timestamp ("[error] 7#7: *1 ..."), the level too ("12#12: *7 ..."),
// or the master echoes to a terminal ("nginx: [emerg] ...").
const LEVEL_HEAD = new RegExp(`^(?:nginx: )?\\[${LEVEL_RE}\\] (?:(\\d+)#(\\d+): )?(?:\\*(\\d+) )?`);
const PID_HEAD = /^(\d+)#(\d+): (?:\*(\d+) )?/;
const CONN_HEAD = /^\*(\d+) /;

/** Reference grammar for the hand-written tails below (actionAt, errnoAt); tests compare both. */
export const ACTION_TAIL = / while ([A-Za-z0-9 /_-]+)$/;
export const ERRNO_TAIL = / \((\d+): ([^()]*)\)$/;
const SSL_TAIL = / \(SSL: ?(.*)\)$/;

type CtxKey = 'client' | 'udp client' | 'server' | 'request' | 'subrequest' | 'upstream' | 'host' | 'referrer' |
  'context' | 'bytes from/to client' | 'bytes from/to upstream';
const CTX_KEYS: readonly CtxKey[] = [
  'client', 'udp client', 'server', 'request', 'subrequest', 'upstream', 'host', 'referrer', 'context',
  'bytes from/to client', 'bytes from/to upstream',
];

/** Parse one error-log line (wrappers may precede nginx's text). Undefined when it is not one. */
export function parseErrorLine(line: string, allowFragment = true): ErrorLine | undefined {
  let m: RegExpExecArray | null = null;
  let offset = 0;
  let fragment = false;
  let level: string | undefined;
  let pid: string | undefined;
  let tid: string | undefined;
  let conn: string | undefined;
  let civil: ErrorLine['civil'];
  let bodyStart: number;
  const c0 = line.charCodeAt(0);
  if (c0 >= 48 && c0 <= 57 && line.charCodeAt(4) === 47 /* / */) {
    const fast = parseHeadFast(line);
    if (fast !== undefined) return parseBody(line, fast.civil, fast.level, fast.pid, fast.tid, fast.conn, fast.bodyStart, false, 0);
    m = FULL_HEAD.exec(line);
  }
  if (!m && line.length > 30) {
    m = EMBED.exec(line);
    if (m) offset = m.index;
  }
  if (m) {
    civil = [+m[1], +m[2], +m[3], +m[4], +m[5], +m[6]];
    level = m[7];
    pid = m[8];
    tid = m[9];
    conn = m[10];
    bodyStart = offset + m[0].length;
  } else {
    if (!allowFragment) return undefined;
    fragment = true;
    let f = LEVEL_HEAD.exec(line);
    if (f) {
      level = f[1];
      pid = f[2];
      tid = f[3];
      conn = f[4];
      bodyStart = f[0].length;
    } else if ((f = PID_HEAD.exec(line))) {
      pid = f[1];
      tid = f[2];
      conn = f[3];
      bodyStart = f[0].length;
    } else if ((f = CONN_HEAD.exec(line))) {
      conn = f[1];
      bodyStart = f[0].length;
    } else {
      bodyStart = 0;
    }
  }
  return parseBody(line, civil, level, pid === undefined ? undefined : +pid, tid === undefined ? undefined : +tid,
    conn === undefined ? undefined : +conn, bodyStart, fragment, offset);
}

interface FastHead { civil: NonNullable<ErrorLine['civil']>; level: string; pid: number; tid: number; conn: number | undefined; bodyStart: number }

/** Digits at [from, to) as a number; -1 when any is not a digit. */
function digitsAt(line: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = line.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

/** A run of 1+ digits from `from`; [value, end] or undefined. */
function digitRun(line: string, from: number): [number, number] | undefined {
  let i = from;
  let n = 0;
  for (;;) {
    const c = line.charCodeAt(i) - 48;
    if (!(c >= 0 && c <= 9)) break;
    n = n * 10 + c;
    i++;
  }
  return i === from ? undefined : [n, i];
}

/**
 * FULL_HEAD without the regex (the error-log hot path, most lines start this way):
 * `YYYY/MM/DD HH:MM:SS [level] PID#TID: [*CONN ]`. Undefined = let the regex decide.
 */
function parseHeadFast(line: string): FastHead | undefined {
  if (line.charCodeAt(7) !== 47 || line.charCodeAt(10) !== 32 || line.charCodeAt(13) !== 58 || line.charCodeAt(16) !== 58 ||
    line.charCodeAt(19) !== 32 || line.charCodeAt(20) !== 91 /* [ */) return undefined;
  const y = digitsAt(line, 0, 4), mo = digitsAt(line, 5, 7), d = digitsAt(line, 8, 10);
  const h = digitsAt(line, 11, 13), mi = digitsAt(line, 14, 16), se = digitsAt(line, 17, 19);
  if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || se < 0) return undefined;
  const close = line.indexOf('] ', 21);
  if (close < 0 || close > 27) return undefined;
  const level = LEVEL_OF.get(line.slice(21, close));
  if (level === undefined) return undefined;
  const p = digitRun(line, close + 2);
  if (!p || line.charCodeAt(p[1]) !== 35 /* # */) return undefined;
  const t = digitRun(line, p[1] + 1);
  if (!t || line.charCodeAt(t[1]) !== 58 || line.charCodeAt(t[1] + 1) !== 32) return undefined;
  let bodyStart = t[1] + 2;
  let conn: number | undefined;
  if (line.charCodeAt(bodyStart) === 42 /* * */) {
    const c = digitRun(line, bodyStart + 1);
    if (c && line.charCodeAt(c[1]) === 32) {
      conn = c[0];
      bodyStart = c[1] + 1;
    }
  }
  return { civil: [y, mo, d, h, mi, se], level, pid: p[0], tid: t[0], conn, bodyStart };
}

const LEVEL_OF = new Map<string, string>(LEVELS.map((l) => [l, l]));

function isActionChar(c: number): boolean {
  // [A-Za-z0-9 /_-]
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 47 && c <= 57) || c === 32 || c === 95 || c === 45;
}

/** ACTION_TAIL without backtracking: the leftmost " while " inside the trailing run of action characters. */
function actionAt(head: string): number {
  let j = head.length;
  while (j > 0 && isActionChar(head.charCodeAt(j - 1))) j--;
  const k = head.indexOf(' while ', j);
  return k >= 0 && k + 7 < head.length ? k : -1;
}

/**
 * A line cut short by whoever copied it, with the cutter's mark: nano and `less -S` end a line that
 * runs past the screen with `$` or `>`; chat tools and editors with `…` or `...`. nginx itself never
 * ends a message with these after a word character (its own cut at NGX_MAX_ERROR_STR has no mark).
 * Returns the marker's length (0: not cut).
 */
const CUT_BEFORE_MARK = /[\w,.:()"\]/-]/;

function cutMarkerLen(line: string): number {
  const n = line.length;
  if (n < 2) return 0;
  const last = line.charCodeAt(n - 1);
  // Common case first: a complete line ends with a quote, a digit, a letter or ')'.
  if (last !== 36 && last !== 62 && last !== 0x2026 && last !== 46) return 0;
  const prevWord = (i: number) => i >= 0 && CUT_BEFORE_MARK.test(line[i]);
  if ((last === 36 /* $ */ || last === 62 /* > */) && prevWord(n - 2) && line.charCodeAt(n - 2) !== 36) return 1;
  if (last === 0x2026 /* … */ && prevWord(n - 2)) return 1;
  if (line.endsWith('...') && n > 3 && line.charCodeAt(n - 4) !== 46 && prevWord(n - 4)) return 3;
  return 0;
}

/** ERRNO_TAIL by hand: ` (NNN: text)` at the end, the text without parentheses; `cut`: the `)` and part of the text may be gone. */
function errnoAt(head: string, cut = false): number {
  const n = head.length;
  if (cut && head.charCodeAt(n - 1) !== 41) {
    const open = head.lastIndexOf(' (');
    if (open < 0 || head.indexOf(')', open) >= 0) return -1;
    const r = digitRun(head, open + 2);
    if (!r || head.charCodeAt(r[1]) !== 58 || (r[1] + 1 < n && head.charCodeAt(r[1] + 1) !== 32)) return -1;
    return open;
  }
  if (head.charCodeAt(n - 1) !== 41 /* ) */) return -1;
  const open = head.lastIndexOf('(');
  if (open < 1 || head.charCodeAt(open - 1) !== 32 || head.indexOf(')', open) !== n - 1) return -1;
  const r = digitRun(head, open + 1);
  if (!r || head.charCodeAt(r[1]) !== 58 || head.charCodeAt(r[1] + 1) !== 32) return -1;
  return open - 1;
}

function parseBody(line: string, civil: ErrorLine['civil'], level: string | undefined, pid: number | undefined, tid: number | undefined,
  connection: number | undefined, bodyStart: number, fragment: boolean, offset: number): ErrorLine {
  // Every field present from the start: one hidden class for all lines (STYLE.md §13).
  const out: ErrorLine = {
    civil, level, pid, tid,
    connection, message: '', errno: undefined, errnoText: undefined,
    ssl: undefined, action: undefined, client: undefined, udp: false, server: undefined, request: undefined,
    subrequest: undefined, upstream: undefined, host: undefined, referrer: undefined, luaContext: undefined,
    bytesClient: undefined, bytesUpstream: undefined, truncated: false, fragment, offset,
  };
  // 2047 bytes is the most nginx writes; only measure bytes when the chars make it possible.
  const ownLen = line.length - offset;
  if (ownLen >= 682 && Buffer.byteLength(offset ? line.slice(offset) : line) >= NGX_MAX_ERROR_STR - 1) out.truncated = true;
  const cut = cutMarkerLen(line);
  if (cut) {
    line = line.slice(0, line.length - cut);
    out.truncated = true;
  }

  const ctxAt = findContext(line, bodyStart);
  let head = ctxAt < 0 ? line.slice(bodyStart) : line.slice(bodyStart, ctxAt);
  const a = actionAt(head);
  if (a >= 0) {
    out.action = head.slice(a + 7);
    head = head.slice(0, a);
  }
  const e = errnoAt(head, cut > 0 && ctxAt < 0);
  if (e >= 0) {
    const colon = head.indexOf(':', e + 2);
    out.errno = +head.slice(e + 2, colon);
    const closed = head.charCodeAt(head.length - 1) === 41;
    // A cut errno text ("Connection ref") says nothing the number does not: drop it.
    out.errnoText = closed ? head.slice(colon + 2, head.length - 1) : undefined;
    head = head.slice(0, e);
  }
  if (head.charCodeAt(head.length - 1) === 41) {
    const s = SSL_TAIL.exec(head);
    if (s) {
      out.ssl = s[1];
      head = head.slice(0, s.index);
    }
  }
  out.message = head;
  if (ctxAt >= 0) parseContext(line, ctxAt, out);
  return out;
}

/** Start of ", client: " / ", udp client: " / ", context: " (ngx_lua puts context first). */
function findContext(line: string, from: number): number {
  let i = line.indexOf(', client: ', from);
  const u = line.indexOf(', udp client: ', from);
  if (u >= 0 && (i < 0 || u < i)) i = u;
  const c = line.indexOf(', context: ', from);
  if (c >= 0 && (i < 0 || c < i)) i = c;
  return i;
}

// Keys by first character: the scan runs at every ", " of the context (hot path).
const KEYS_BY_CHAR = new Map<number, CtxKey[]>();
for (const k of CTX_KEYS) {
  const c = k.charCodeAt(0);
  KEYS_BY_CHAR.set(c, [...(KEYS_BY_CHAR.get(c) ?? []), k]);
}

/** Which known key starts at `at` (just after ", "), and where its value begins. */
function keyAt(line: string, at: number): [CtxKey, number] | undefined {
  const keys = KEYS_BY_CHAR.get(line.charCodeAt(at));
  if (keys === undefined) return undefined;
  for (const k of keys) {
    if (line.startsWith(k, at)) {
      const p = at + k.length;
      // http/stream keys use ": "; stream byte counters use ":" (ngx_stream_proxy_log_error).
      if (line.charCodeAt(p) === 58 /* : */) return [k, line.charCodeAt(p + 1) === 32 ? p + 2 : p + 1];
    }
  }
  return undefined;
}

/** Next ", <known key>:" at or after `from`; for quoted values the marker must follow a closing quote. */
function nextMarker(line: string, from: number, quoted: boolean): number {
  let i = line.indexOf(', ', from);
  while (i >= 0) {
    if ((!quoted || line.charCodeAt(i - 1) === 34) && keyAt(line, i + 2)) return i;
    i = line.indexOf(', ', i + 2);
  }
  return -1;
}

function parseContext(line: string, at: number, out: ErrorLine): void {
  let p = at;
  while (p >= 0 && p < line.length) {
    const k = keyAt(line, p + 2);
    if (!k) return;
    const [key, vStart] = k;
    const quoted = line.charCodeAt(vStart) === 34;
    const next = nextMarker(line, quoted ? vStart + 1 : vStart, quoted);
    let value: string;
    if (quoted) {
      const end = next >= 0 ? next - 1 : line.length - 1;
      if (next < 0 && line.charCodeAt(end) !== 34) {
        // Cut inside the value (NGX_MAX_ERROR_STR): keep what is there.
        out.truncated = true;
        value = line.slice(vStart + 1);
      } else {
        value = line.slice(vStart + 1, end);
      }
    } else {
      value = next >= 0 ? line.slice(vStart, next) : line.slice(vStart);
    }
    assign(out, key, value);
    p = next;
  }
}

function assign(out: ErrorLine, key: CtxKey, value: string): void {
  switch (key) {
    case 'client': out.client = value; break;
    case 'udp client': out.client = value; out.udp = true; break;
    case 'server': out.server = value; break;
    case 'request': out.request = value; break;
    case 'subrequest': out.subrequest = value; break;
    case 'upstream': out.upstream = value; break;
    case 'host': out.host = value; break;
    case 'referrer': out.referrer = value; break;
    case 'context': out.luaContext = value; break;
    case 'bytes from/to client': out.bytesClient = value; break;
    case 'bytes from/to upstream': out.bytesUpstream = value; break;
  }
}

/**
 * `upstream: "<schema><peer>[:]<uri>"` (nginx.md §1.2) → peer ("ip:port", "[v6]:port", "unix:/path",
 * or the upstream{} group name when no peer was selected). Stream upstreams have no schema.
 */
export function upstreamPeer(url: string): string {
  let rest = url;
  const s = url.indexOf('://');
  if (s >= 0 && s < 12) rest = url.slice(s + 3);
  if (rest.startsWith('unix:')) {
    // "unix:/run/php.sock:/uri" or "unix:/run/php.sock:" — the ':' after the path is nginx's separator;
    // timeout lines lose it (ngx_http_upstream_next clears the sockaddr first), so cut at ':' if any.
    const c = rest.indexOf(':', 5);
    return c >= 0 ? rest.slice(0, c) : rest;
  }
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) return rest;
    let end = close + 1;
    if (rest.charCodeAt(end) === 58) {
      end++;
      while (end < rest.length && rest.charCodeAt(end) >= 48 && rest.charCodeAt(end) <= 57) end++;
    }
    return rest.slice(0, end);
  }
  const slash = rest.indexOf('/');
  const hostPort = slash >= 0 ? rest.slice(0, slash) : rest;
  // "http://127.0.0.1:5001version" (real, Frigate #9671): proxy_pass without '/' glues port and URI.
  const pm = /^([^:]+:\d+)/.exec(hostPort);
  return pm ? pm[1] : hostPort;
}
