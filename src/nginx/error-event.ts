// Parsed error line + classification → `nginx.error` event (DESIGN.md §2).
import { LIMITS } from '../limits.js';
import { isoTime } from '../time.js';
import type { Cause, Event } from '../events.js';
import type { ErrorLine } from './error-line.js';
import type { Classified } from './messages.js';

export function errorEvent(
  l: ErrorLine, c: Classified, peer: string | undefined, tsUs: number | null, source: string, lineNo: number, raw: string,
  tzAssumed: boolean,
): Event {
  const upstream = peer ?? c.connectTo ?? null;
  const req = l.request ? splitRequest(l.request) : null;
  const summary =
    `[${l.level ?? '?'}] ${l.message}` +
    (c.errnoName ? ` (${c.errnoName})` : l.errno !== undefined ? ` (errno ${l.errno})` : '') +
    (l.action ? ` while ${l.action}` : '') +
    (upstream ? ` → ${upstream}` : '') +
    (c.cause ? `: ${c.why}` : '');
  // One literal of one fixed shape (STYLE.md §13), in makeEvent()'s field order (events.ts):
  // the contract fields first, then the kind's fields, raw last.
  const ev: Event = {
    // Error-log time has whole seconds and no zone (nginx.md §1.1): 0 digits.
    time: tsUs === null ? null : secondsIso(tsUs),
    ts_us: tsUs,
    source,
    line: lineNo,
    kind: 'nginx.error',
    cause: c.cause,
    src: null,
    dst: null,
    upstream,
    summary,
    level: l.level ?? null,
    pid: l.pid ?? null,
    tid: l.tid ?? null,
    connection_id: l.connection ?? null,
    message: l.message,
    errno: c.rule === 'dns_failed' ? null : l.errno ?? null,
    errno_name: c.errnoName ?? null,
    errno_text: l.errnoText ?? null,
    action: l.action ?? null,
    phase: c.phase?.phase ?? null,
    side: c.phase?.side ?? null,
    client: l.client ?? null,
    server: l.server ?? null,
    request: l.request ?? null,
    method: req ? req[1] : null,
    path: req ? req[2] : null,
    host: l.host ?? null,
    referrer: l.referrer ?? null,
    upstream_url: l.upstream ?? null,
    stream: l.bytesClient !== undefined || l.udp,
    tls_reason: c.tls?.reason ?? null,
    tls_detail: c.tls?.detail ?? null,
    tls_alert: c.tls?.alert ?? null,
    rule: c.rule,
    truncated: l.truncated,
    fragment: l.fragment,
    tz_assumed: tzAssumed,
  };
  if (c.cause !== null) ev.raw = raw.length > LIMITS.RAW_LINE_CHARS ? raw.slice(0, LIMITS.RAW_LINE_CHARS) : raw;
  return ev;
}

let lastUs = NaN;
let lastIso = '';
/** isoTime(us, 0), remembered for the last second: error-log lines share their second. */
function secondsIso(us: number): string {
  if (us !== lastUs) {
    lastIso = isoTime(us, 0);
    lastUs = us;
  }
  return lastIso;
}

const REQUEST_RE = /^(\S+) (.*?)(?: (HTTP\/[\d.]+))?$/;
/** `GET /x HTTP/1.1` -> [_, method, path, protocol]; REQUEST_RE's result without running it on the common shape. */
function splitRequest(r: string): [string, string, string, string | undefined] | RegExpExecArray | null {
  const sp = r.indexOf(' ');
  const last = r.lastIndexOf(' ');
  // Fast path: one space-free method, a path, and ` HTTP/x.y` (digits and dots) at the end.
  if (sp > 0 && last > sp && r.startsWith('HTTP/', last + 1) && last + 6 < r.length && /^[\d.]+$/.test(r.slice(last + 6)) &&
    !/[\s]/.test(r.slice(0, sp))) {
    return [r, r.slice(0, sp), r.slice(sp + 1, last), r.slice(last + 1)];
  }
  return REQUEST_RE.exec(r);
}

/** Bounded memory of the last failure per upstream peer and per connection (for `temporarily disabled`). */
export class RecentFailures {
  private byPeer = new Map<string, Cause>();
  // Connection ids grow by one per connection: a direct-mapped table keeps the last `max` of them
  // without a Map insert per line (the hot path: nearly every line is a failure with its own *N).
  private connIds: Float64Array;
  private connCauses: (Cause | undefined)[];
  constructor(private readonly max = 16_384) {
    this.connIds = new Float64Array(max).fill(-1);
    this.connCauses = new Array<Cause | undefined>(max).fill(undefined);
  }
  note(peer: string | undefined, conn: number | undefined, cause: Cause): void {
    if (peer !== undefined && this.byPeer.get(peer) !== cause) {
      if (this.byPeer.size >= this.max) this.byPeer.clear();
      this.byPeer.set(peer, cause);
    }
    if (conn !== undefined) {
      const i = conn % this.max;
      this.connIds[i] = conn;
      this.connCauses[i] = cause;
    }
  }
  lookup = (peer: string | undefined, conn: number | undefined): Cause | undefined =>
    (peer !== undefined ? this.byPeer.get(peer) : undefined) ?? (conn !== undefined ? this.connAt(conn) : undefined);
  private connAt(conn: number): Cause | undefined {
    const i = conn % this.max;
    return this.connIds[i] === conn ? this.connCauses[i] : undefined;
  }
}
