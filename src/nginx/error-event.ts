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
  const req = l.request ? /^(\S+) (.*?)(?: (HTTP\/[\d.]+))?$/.exec(l.request) : null;
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
    time: tsUs === null ? null : isoTime(tsUs, 0),
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

/** Bounded memory of the last failure per upstream peer and per connection (for `temporarily disabled`). */
export class RecentFailures {
  private byPeer = new Map<string, Cause>();
  private byConn = new Map<number, Cause>();
  constructor(private readonly max = 10_000) {}
  note(peer: string | undefined, conn: number | undefined, cause: Cause): void {
    if (peer !== undefined) {
      if (this.byPeer.size >= this.max) this.byPeer.clear();
      this.byPeer.set(peer, cause);
    }
    if (conn !== undefined) {
      if (this.byConn.size >= this.max) this.byConn.clear();
      this.byConn.set(conn, cause);
    }
  }
  lookup = (peer: string | undefined, conn: number | undefined): Cause | undefined =>
    (peer !== undefined ? this.byPeer.get(peer) : undefined) ?? (conn !== undefined ? this.byConn.get(conn) : undefined);
}
