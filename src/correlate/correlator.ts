// The correlator: one merged timeline in, incidents out. An incident is a burst of failures
// toward one upstream; each gets a cause, an origin hop, the earliest and most precise first
// event, the evidence chain, a confidence, and the fix with next commands (DESIGN.md §3-§4).
//
// Rules, in the order judge() applies them (each has a test in test/correlate*.test.ts):
//  1. Grouping: failures with an upstream group per upstream, closed by a LIMITS.INCIDENT_GAP_US
//     gap. Failures with none (an access line in a custom format, a pasted Envoy body) and failures
//     on client-side connections (client → proxy) join the incident they overlap in time; only
//     when none does they form an incident of their own.
//  2. Flows (tcp.flow) are context, never extra failures: the packet that failed (tcp.rst,
//     tcp.syn_timeout, icmp.unreachable) is the failure. A SYN nobody answered supports a connect
//     timeout a log reports.
//  3. Two captures of one flow: a RST seen on the proxy side and absent from the other capture
//     of the same flow (which was still recording) was not sent by the upstream: middlebox_reset,
//     origin network. Present in both: the upstream really sent it (high confidence).
//  4. Idle race: the upstream resets the proxy's data after its own FIN on a connection that had
//     already carried a response (a pooled keep-alive connection reused as it closed).
//  5. Secondary resets: a RST after a timeout, a client abort, a TLS or protocol failure (or a TLS
//     alert on the same connection) is its consequence and is not blamed.
//  6. Cause: a decisive cause (middlebox_reset, resource_exhaustion, idle_race) wins; otherwise
//     the strongest-weighted vote (wire > error/debug log > access status > pasted body).
//  7. First event: the earliest supporting or corroborating event and, among those that could be
//     the earliest given their time resolution, the most precise (a packet beats a log second).
//  8. Origin: from who sent the first wire evidence (upstream / proxy / client), the TLS reason
//     (a certificate the proxy rejected, TLS spoken to a plaintext port: proxy), else the cause.
import { eventRef, type Cause, type Event, type Origin } from '../events.js';
import { LIMITS } from '../limits.js';
import type { Evidence, Incident, SummaryRow, Timeline } from '../report.js';
import { isoTime, parseIso } from '../time.js';
import { COLLECTOR_MAX_MARKS, createTimelineCollector, type TimelineCollector } from '../render/timeline.js';
import { DEFAULT_ORIGIN, EXPLAIN, EXPLAIN_UNIX_REFUSED, errnoAdvice, fixFor, nextCommands, splitHostPort, unixSocket, type Target } from './playbook.js';
import { describe, isCapture, resolutionUs, strength } from './evidence.js';
import { flowStartUs } from './skew.js';
import { IncidentKeeper } from './keep.js';

/** Causes that end a request on their own; resets after them on the same upstream are consequences. */
const TERMINAL_CAUSES: ReadonlySet<Cause> = new Set(['timeout', 'client_abort', 'tls', 'protocol_mismatch', 'connect_timeout']);
/** Causes that, once seen, explain the whole incident better than the generic ones around them. */
const DECISIVE_CAUSES: readonly Cause[] = ['middlebox_reset', 'resource_exhaustion', 'idle_race'];
/** How close in time two captures' views of one flow must start to be the same connection. */
const SAME_FLOW_US = 1_000_000;

interface Building {
  key: string;
  upstream: string | null;
  events: Event[];
  count: number;
  by_source: Record<string, number>;
  startUs: number | null;
  endUs: number | null;
  /** Failure events with no time (pasted bodies): attached, not placed. */
  timeless: number;
  /** Wall clock (ms) of the last failure added: live pipes close incidents on it. */
  lastWallMs: number;
  /** How many of `events` weigh 1 (strength): addTo replaces one of them with stronger evidence. */
  weak: number;
}

/**
 * `s` made flat: template literals and `+` leave ropes (a ConsString per join), several times the
 * bytes of the string. Strings the correlator keeps for minutes or to the end (a held event's
 * summary, row examples, timeline marks) are flattened once; reading a character does it in V8.
 */
function flat<T>(s: T): T {
  if (typeof s === 'string' && s.length > 12) s.charCodeAt(0);
  return s;
}

/** The by_upstream row that counts failures toward upstreams beyond LIMITS.MAX_UPSTREAM_ROWS. */
export const OTHER_UPSTREAMS = '(other upstreams)';

type Row = SummaryRow & { firstUs: number | null; lastUs: number | null };

export function normalizeUpstream(u: unknown): string | null {
  if (typeof u !== 'string' || !u || u === '-') return null;
  // Few distinct upstreams, many events: remember the answers (bounded: cleared when full).
  let n = normalized.get(u);
  if (n === undefined) {
    if (normalized.size >= 4096) normalized.clear();
    normalized.set(u, (n = normalizeUncached(u)));
  }
  return n;
}
const normalized = new Map<string, string>();
function normalizeUncached(u: string): string {
  // A unix socket is its path (case kept): `unix:/run/php-fpm.sock`, without nginx's `:/uri` after it.
  const socket = unixSocket(u);
  if (socket !== null) return `unix:${socket}`;
  return u.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/\/.*$/, '').toLowerCase();
}

function ipOf(addr: unknown): string | null {
  if (typeof addr !== 'string' || !addr) return null;
  const v6 = /^\[([^\]]+)\]/.exec(addr);
  if (v6) return v6[1].toLowerCase();
  const m = /^([^:]+):\d+$/.exec(addr);
  return (m ? m[1] : addr).toLowerCase();
}

export interface CorrelatorOptions {
  /** Called as soon as an incident's window closes (live pipes). */
  onIncident?: (inc: Incident) => void;
  /** Keep a timeline for the HTML report (default true). */
  timeline?: boolean;
}

interface SniAlpn { sni: string | null; alpn: string[] | null }

/** An event as a candidate "first": the instant and frame that matter (a flow's first SYN, not its end). */
interface Cand { ev: Event; us: number; frame?: number; time: string | null; res: number }

/**
 * Kinds judge() can cite from context (corroborates() accepts them, or rule 5 looks for them): held
 * whole. Every other context kind (hellos, responses, resets with no cause: ~60% of a capture's
 * events) is only ever read for its time, source, addresses, flow and SNI, so it is held as a
 * ContextStub: the event itself dies young instead of living its minutes in the context lists.
 */
const CITABLE_CONTEXT_KINDS: ReadonlySet<string> = new Set(['tcp.flow', 'tcp.fin', 'tcp.syn_timeout', 'http2.goaway', 'http.mismatch', 'tls.alert', 'tls.encrypted_alert', 'tls.mismatch']);

/**
 * What judge() reads of a context event that can never be cited (contextFor: time, flowStartUs,
 * client address; rule 4: an http.response on the same connection; the SNI; the capture sources).
 * One fixed shape; the strings are the event's own.
 */
class ContextStub implements Event {
  [field: string]: unknown;
  time: string | null;
  ts_us: number | null;
  source: string;
  frame: number | undefined;
  kind: string;
  cause: Cause | null;
  src: string | null;
  dst: string | null;
  upstream: string | null;
  orig: unknown;
  resp: unknown;
  uid: unknown;
  flow: unknown;
  sni: unknown;
  duration_us: unknown;
  constructor(e: Event) {
    this.time = e.time;
    this.ts_us = e.ts_us;
    this.source = e.source;
    this.frame = e.frame;
    this.kind = e.kind;
    this.cause = e.cause;
    this.src = e.src;
    this.dst = e.dst;
    this.upstream = e.upstream;
    this.orig = e.orig;
    this.resp = e.resp;
    this.uid = e.uid;
    this.flow = e.flow;
    this.sni = e.sni;
    this.duration_us = e.duration_us;
  }
}

/** Context events toward one upstream, oldest first; `droppedUs`: the latest one LIMITS.MAX_CONTEXT_PER_UPSTREAM pushed out. */
/** `minUs`: no timed event in `evs` is older (a lower bound: a sweep skips lists with nothing before its cut). */
interface CtxList { evs: Event[]; droppedUs: number; minUs: number }

/**
 * A claimed orphan can start an incident up to this much before its first failure (claimOrphans:
 * CONTEXT_BEFORE_US / 5 before, plus a log time's resolution of at most 1 s).
 */
const ORPHAN_CLAIM_US = LIMITS.CONTEXT_BEFORE_US / 5 + 1_000_000;

export class Correlator {
  private open = new Map<string, Building>();
  /** Closed incidents the report will list (bounded: LIMITS.MAX_REPORT_INCIDENTS). */
  private kept = new IncidentKeeper(LIMITS.MAX_REPORT_INCIDENTS);
  private finished: Incident[] | null = null;
  private latestUs = -Infinity;
  private seq = 0;
  /** SNI and ALPN seen toward each server address (for filling in commands). */
  private sniByDst = new Map<string, SniAlpn>();
  /**
   * The distinct (SNI, ALPN list) values sniByDst points to: a capture has thousands of servers but
   * few distinct hellos, and each ClientHello's own strings and array would otherwise be kept per
   * server (~2 MB at LIMITS.MAX_SNI_SERVERS). Bounded: cleared when full. Read-only once made.
   */
  private sniValues = new Map<string, SniAlpn>();
  /**
   * Capture events that are not failures themselves, per upstream. Bounded: events no incident can
   * look at any more are swept every LIMITS.CONTEXT_PRUNE_EVERY_US (pruneContext), and at most
   * LIMITS.MAX_CONTEXT_EVENTS are held (the oldest go first, said in the report).
   */
  private context = new Map<string, CtxList>();
  private contextCount = 0;
  private nextPruneUs = -Infinity;
  private lastHorizonUs = -Infinity;
  /** The latest time of a context event swept or dropped (not by the per-upstream cap): a window reaching it may miss some. */
  private contextGoneUs = -Infinity;
  /** Context events dropped by LIMITS.MAX_CONTEXT_EVENTS / MAX_CONTEXT_PER_UPSTREAM before every incident that could use them closed. */
  private contextCapDropped = 0;
  /** Incidents judged with a window reaching context already dropped. */
  private contextShort = 0;
  /** Incidents closed before their gap because LIMITS.MAX_OPEN_INCIDENTS were open. */
  private closedEarly = 0;
  /** Failures with no upstream (or on the client side), waiting for an incident to join. */
  private orphans: Event[] = [];
  /** Client addresses named by logs: connections from them are the client side. */
  private clientIps = new Set<string>();
  /** Time range of each input (a capture that stopped recording cannot tell a RST was absent). */
  private ranges = new Map<string, { first: number; last: number }>();
  private tl: TimelineCollector | null;
  /**
   * Marks offered to the timeline. Every mark add() offers is a failure (cause set, not `first`);
   * once COLLECTOR_MAX_MARKS are held the collector only swaps a failure in for a non-failure
   * mark, and there are none, so later offers are no-ops: skip them (and their strings).
   */
  private marks = 0;
  /** No open incident ends before this (a lower bound): closeIdle has nothing to do until now passes it + the gap. */
  private minEndUs = Infinity;
  /** No timed orphan is older than this (a lower bound). */
  private minOrphanUs = Infinity;
  /** The last client address string seen and its IP (lines of one client come in runs). */
  private lastClient: unknown = undefined;
  private lastClientIp: string | null = null;
  readonly byCause = new Map<string, Row>();
  readonly byUpstream = new Map<string, Row>();
  readonly byKind: Record<string, number> = {};
  readonly anomalies: Event[] = [];
  events = 0;
  failures = 0;
  firstUs: number | null = null;
  lastUs: number | null = null;

  constructor(private opts: CorrelatorOptions = {}) {
    this.tl = opts.timeline === false ? null : createTimelineCollector();
  }

  add(ev: Event): void {
    this.events++;
    this.byKind[ev.kind] = (this.byKind[ev.kind] ?? 0) + 1;
    if (ev.ts_us !== null) {
      if (this.firstUs === null || ev.ts_us < this.firstUs) this.firstUs = ev.ts_us;
      if (this.lastUs === null || ev.ts_us > this.lastUs) this.lastUs = ev.ts_us;
      const r = this.ranges.get(ev.source);
      if (!r) this.ranges.set(ev.source, { first: ev.ts_us, last: ev.ts_us });
      else { if (ev.ts_us < r.first) r.first = ev.ts_us; if (ev.ts_us > r.last) r.last = ev.ts_us; }
    }
    if (ev.kind.startsWith('anomaly.')) {
      if (this.anomalies.length < 200) this.anomalies.push(ev);
      return;
    }
    const failure = ev.cause !== null && ev.kind !== 'tcp.flow';
    if (this.tl && ev.ts_us !== null) {
      this.tl.add(ev.source, ev.ts_us, failure);
      if (failure && this.marks < COLLECTOR_MAX_MARKS) {
        this.marks++;
        this.tl.mark({ lane: ev.source, time_us: ev.ts_us, kind: ev.kind, cause: ev.cause, label: flat(describe(ev).slice(0, 160)), ref: flat(eventRef(ev)) });
      }
    }
    if (ev.kind === 'tls.client_hello' && ev.dst) {
      if (this.sniByDst.size > LIMITS.MAX_SNI_SERVERS) this.sniByDst.clear();
      this.sniByDst.set(ev.dst.toLowerCase(), this.sniValue((ev.sni as string) ?? null, (ev.alpn as string[]) ?? null));
    }
    // Clients named by logs: nginx `client:` / $remote_addr, Envoy's downstream address.
    if (this.clientIps.size < LIMITS.MAX_CLIENT_IPS) {
      const addr = ev.kind.startsWith('nginx.') ? ev.client : ev.kind === 'envoy.access' ? ev.src : undefined;
      if (addr !== undefined && addr !== null) {
        if (addr !== this.lastClient) { this.lastClient = addr; this.lastClientIp = ipOf(addr); }
        if (this.lastClientIp) this.clientIps.add(this.lastClientIp);
      }
    }
    if (ev.ts_us !== null && ev.ts_us > this.latestUs) {
      this.latestUs = ev.ts_us;
      this.closeIdle(ev.ts_us);
    }
    if (isCapture(ev) && !failure) {
      this.keepContext(ev);
      return;
    }
    if (ev.kind === 'tcp.flow') {
      // A failed flow: context for the failure its packets already reported.
      this.keepContext(ev);
      return;
    }
    if (!failure) return;
    this.failures++;
    tally(this.byCause, ev.cause!, ev);
    const key = normalizeUpstream(ev.upstream) ?? (isCapture(ev) ? normalizeUpstream(ev.dst) : null);
    if (key === null || this.isClientSide(ev)) {
      this.addOrphan(ev);
      return;
    }
    this.tallyUpstream(key, ev);
    this.place(key, ev);
  }

  private sniValue(sni: string | null, alpn: string[] | null): SniAlpn {
    if ((sni !== null && typeof sni !== 'string') || (alpn !== null && !(Array.isArray(alpn) && alpn.every((a) => typeof a === 'string')))) return { sni, alpn };
    const key = JSON.stringify([sni, alpn]);
    let v = this.sniValues.get(key);
    if (v === undefined) {
      if (this.sniValues.size >= 4096) this.sniValues.clear();
      this.sniValues.set(key, (v = { sni, alpn }));
    }
    return v;
  }

  /** by_upstream, bounded: a new upstream beyond LIMITS.MAX_UPSTREAM_ROWS is counted in OTHER_UPSTREAMS. */
  private tallyUpstream(key: string, ev: Event) {
    tally(this.byUpstream, this.byUpstream.size >= LIMITS.MAX_UPSTREAM_ROWS && !this.byUpstream.has(key) ? OTHER_UPSTREAMS : key, ev);
  }

  private isClientSide(ev: Event): boolean {
    if (!isCapture(ev)) return false;
    const orig = typeof ev.orig === 'string' ? ev.orig : ev.rst_by === 'originator' ? ev.src : ev.dst;
    const ip = ipOf(orig);
    return ip !== null && this.clientIps.has(ip);
  }

  private place(key: string, ev: Event) {
    let b = this.open.get(key);
    if (b && ev.ts_us !== null && b.endUs !== null && ev.ts_us - b.endUs > LIMITS.INCIDENT_GAP_US) {
      this.close(b);
      b = undefined;
    }
    if (!b) {
      if (this.open.size >= LIMITS.MAX_OPEN_INCIDENTS) this.closeOldestOpen();
      b = { key, upstream: key === 'unknown' ? null : key, events: [], count: 0, by_source: {}, startUs: null, endUs: null, timeless: 0, lastWallMs: Date.now(), weak: 0 };
      this.open.set(key, b);
    }
    addTo(b, ev);
    if (b.endUs !== null && b.endUs < this.minEndUs) this.minEndUs = b.endUs;
  }

  /** LIMITS.MAX_OPEN_INCIDENTS: close the incident idle longest (in capture time) before its gap. */
  private closeOldestOpen() {
    let oldest: Building | null = null;
    for (const b of this.open.values()) {
      if (b.key === 'unknown') continue;
      if (!oldest || (b.endUs ?? -Infinity) < (oldest.endUs ?? -Infinity)) oldest = b;
    }
    if (!oldest) return;
    this.closedEarly++;
    this.close(oldest);
  }

  private addOrphan(ev: Event) {
    if (this.orphans.length < LIMITS.MAX_ORPHANS) {
      this.orphans.push(ev);
      if (ev.ts_us !== null && ev.ts_us < this.minOrphanUs) this.minOrphanUs = ev.ts_us;
    } else {
      this.tallyUpstream('unknown', ev);
      this.place('unknown', ev);
    }
  }

  private keepContext(ev: Event) {
    const key = normalizeUpstream(ev.upstream) ?? normalizeUpstream(ev.dst);
    if (!key) return;
    if ((this.latestUs >= this.nextPruneUs && Number.isFinite(this.latestUs)) || this.contextCount >= LIMITS.MAX_CONTEXT_EVENTS || this.context.size > LIMITS.MAX_CONTEXT_UPSTREAMS) this.pruneContext();
    let l = this.context.get(key);
    if (!l) this.context.set(key, (l = { evs: [], droppedUs: -Infinity, minUs: Infinity }));
    if (ev.ts_us !== null && ev.ts_us < l.minUs) l.minUs = ev.ts_us;
    if (CITABLE_CONTEXT_KINDS.has(ev.kind)) {
      flat(ev.summary);
      l.evs.push(ev);
    } else l.evs.push(new ContextStub(ev));
    this.contextCount++;
    if (l.evs.length > LIMITS.MAX_CONTEXT_PER_UPSTREAM) {
      const gone = l.evs.splice(0, l.evs.length - LIMITS.MAX_CONTEXT_PER_UPSTREAM);
      this.contextCount -= gone.length;
      for (const e of gone) {
        if (e.ts_us === null) continue;
        if (e.ts_us > l.droppedUs) l.droppedUs = e.ts_us;
        // The last sweep's horizon (it only moves forward): an event past it might still have been looked at.
        if (e.ts_us >= this.lastHorizonUs) this.contextCapDropped++;
      }
    }
  }

  /**
   * Context before this time can be in no incident's window any more (contextFor looks from an
   * incident's start - CONTEXT_BEFORE_US): not an open incident's (whose start a claimed orphan can
   * still move ORPHAN_CLAIM_US earlier), nor a future one's (its first failure is at most
   * CONTEXT_LATE_US older than the latest time seen), nor (when logs named clients, so client-side
   * context counts) an incident of unclaimed orphans'.
   */
  private contextHorizon(): number {
    let h = this.latestUs - LIMITS.CONTEXT_LATE_US;
    for (const b of this.open.values()) if (b.startUs !== null && b.startUs < h) h = b.startUs;
    if (this.clientIps.size && this.minOrphanUs < h) h = this.minOrphanUs;
    return h - LIMITS.CONTEXT_BEFORE_US - ORPHAN_CLAIM_US;
  }

  /** Sweep context no incident can look at; beyond LIMITS.MAX_CONTEXT_EVENTS, drop the oldest (counted). */
  private pruneContext() {
    this.nextPruneUs = this.latestUs + LIMITS.CONTEXT_PRUNE_EVERY_US;
    const horizon = this.contextHorizon();
    this.lastHorizonUs = horizon;
    this.sweepContext(horizon);
    if (this.contextCount < LIMITS.MAX_CONTEXT_EVENTS && this.context.size <= LIMITS.MAX_CONTEXT_UPSTREAMS) return;
    // Still too many: keep the newest three quarters of the cap (events with no time count as newest).
    const ts: number[] = [];
    for (const l of this.context.values()) for (const e of l.evs) if (e.ts_us !== null) ts.push(e.ts_us);
    ts.sort((a, b) => a - b);
    const keep = Math.floor(LIMITS.MAX_CONTEXT_EVENTS * 3 / 4);
    const cut = ts.length > keep ? ts[ts.length - keep] : -Infinity;
    const before = this.contextCount;
    this.sweepContext(cut);
    // Timed events at one instant can outnumber the cap: then drop by upstream until under it.
    for (const [k, l] of this.context) {
      if (this.contextCount < LIMITS.MAX_CONTEXT_EVENTS && this.context.size <= LIMITS.MAX_CONTEXT_UPSTREAMS) break;
      for (const e of l.evs) if (e.ts_us !== null && e.ts_us > this.contextGoneUs) this.contextGoneUs = e.ts_us;
      this.contextCount -= l.evs.length;
      this.context.delete(k);
    }
    // Events over the cap that an incident could still have looked at (those before the horizon could not).
    this.contextCapDropped += before - this.contextCount;
  }

  /** Drop context events older than `cut`. */
  private sweepContext(cut: number) {
    if (!Number.isFinite(cut)) return;
    for (const [k, l] of this.context) {
      // Events come nearly in time order, but a late one (a flow told when it ended) can be anywhere.
      // Compacted in place (no new array per list per sweep).
      if (!(l.minUs < cut)) continue;
      const evs = l.evs;
      let w = 0;
      let min = Infinity;
      for (let i = 0; i < evs.length; i++) {
        const e = evs[i];
        if (e.ts_us !== null && e.ts_us < cut) { if (e.ts_us > this.contextGoneUs) this.contextGoneUs = e.ts_us; } else {
          evs[w++] = e;
          if (e.ts_us !== null && e.ts_us < min) min = e.ts_us;
        }
      }
      l.minUs = min;
      if (w === evs.length) continue;
      this.contextCount -= evs.length - w;
      evs.length = w;
      if (!w) this.context.delete(k);
    }
  }

  /** Close incidents whose window has passed (the live-pipe path reports them right away). */
  private closeIdle(nowUs: number) {
    // Called for every event that moves time forward: the scans run only when something may be due
    // (the bounds say when), and then behave exactly as a scan on every call would.
    if (nowUs - this.minEndUs > LIMITS.INCIDENT_GAP_US) {
      let min = Infinity;
      for (const b of [...this.open.values()]) {
        if (b.endUs !== null && nowUs - b.endUs > LIMITS.INCIDENT_GAP_US) this.close(b);
        else if (b.endUs !== null && b.endUs < min) min = b.endUs;
      }
      this.minEndUs = min;
    }
    // Orphans nobody claimed within the window: an incident of their own.
    if (!this.open.size && nowUs - this.minOrphanUs > 2 * LIMITS.INCIDENT_GAP_US) {
      const stale = this.orphans.filter((e) => e.ts_us !== null && nowUs - e.ts_us > 2 * LIMITS.INCIDENT_GAP_US);
      if (stale.length) this.flushOrphans(stale);
      else this.updateMinOrphan();
    }
  }

  private updateMinOrphan() {
    let min = Infinity;
    for (const e of this.orphans) if (e.ts_us !== null && e.ts_us < min) min = e.ts_us;
    this.minOrphanUs = min;
  }

  /**
   * Live pipes: close incidents with no new failure for LIVE_INCIDENT_QUIET_US of wall clock,
   * when the events' own times are near now (a live source, not a replayed file).
   */
  tick(nowMs: number = Date.now()): void {
    const nowUs = nowMs * 1000;
    if (!Number.isFinite(this.latestUs) || Math.abs(nowUs - this.latestUs) > LIMITS.LIVE_NEAR_NOW_US) return;
    const quietMs = LIMITS.LIVE_INCIDENT_QUIET_US / 1000;
    for (const b of [...this.open.values()]) if (nowMs - b.lastWallMs > quietMs) this.close(b);
    if (!this.open.size && this.orphans.length) this.flushOrphans([...this.orphans]);
  }

  private flushOrphans(list: Event[]) {
    const set = new Set(list);
    this.orphans = this.orphans.filter((e) => !set.has(e));
    this.updateMinOrphan();
    for (const e of list) {
      this.tallyUpstream('unknown', e);
      this.place('unknown', e);
    }
    const b = this.open.get('unknown');
    if (b) this.close(b);
  }

  private close(b: Building) {
    this.open.delete(b.key);
    if (b.key !== 'unknown') this.claimOrphans(b);
    const inc = this.judge(b);
    this.kept.add(inc);
    this.opts.onIncident?.(inc);
  }

  /** Orphans whose time (with its resolution) overlaps this incident join it. */
  private claimOrphans(b: Building) {
    if (!this.orphans.length || b.startUs === null || b.endUs === null) return;
    const lo = b.startUs - LIMITS.CONTEXT_BEFORE_US / 5, hi = b.endUs + 1_000_000;
    const keep: Event[] = [];
    for (const e of this.orphans) {
      if (e.ts_us === null) { keep.push(e); continue; }
      const r = Number.isFinite(resolutionUs(e)) ? resolutionUs(e) : 1_000_000;
      if (e.ts_us + r >= lo && e.ts_us <= hi) {
        this.tallyUpstream(b.key, e);
        addTo(b, e);
      } else keep.push(e);
    }
    this.orphans = keep;
    this.updateMinOrphan();
  }

  /** End of input: every incident, earliest first. */
  finish(): Incident[] {
    for (const b of [...this.open.values()]) if (b.key !== 'unknown') this.close(b);
    if (this.orphans.length) this.flushOrphans([...this.orphans]);
    const u = this.open.get('unknown');
    if (u) this.close(u);
    this.finished = this.kept.list().sort((a, b) => (a.start_us ?? Infinity) - (b.start_us ?? Infinity));
    return [...this.finished];
  }

  /** Incidents closed so far (listed in the report or not). */
  get incidentsTotal(): number {
    return this.kept.total;
  }

  /** Sentences for the report's assumptions: every bound that was hit (after finish()). */
  limitNotes(): string[] {
    const out: string[] = [];
    const kept = this.finished ?? this.kept.list();
    const n = this.kept.note(kept);
    if (n) out.push(n);
    if (this.closedEarly) out.push(`${this.closedEarly} incident${this.closedEarly > 1 ? 's were' : ' was'} closed before ${LIMITS.INCIDENT_GAP_US / 1e6} s without failures had passed, because ${LIMITS.MAX_OPEN_INCIDENTS} incidents were open at once (LIMITS.MAX_OPEN_INCIDENTS): later failures toward the same upstream start a new incident.`);
    if (this.contextCapDropped || this.contextShort) {
      out.push(`${this.contextCapDropped} capture context event${this.contextCapDropped === 1 ? '' : 's'} (flows, hellos, responses) were dropped to hold at most ${LIMITS.MAX_CONTEXT_EVENTS} (LIMITS.MAX_CONTEXT_EVENTS) or ${LIMITS.MAX_CONTEXT_PER_UPSTREAM} per upstream (LIMITS.MAX_CONTEXT_PER_UPSTREAM)${this.contextShort ? `; ${this.contextShort} incident${this.contextShort === 1 ? ' was' : 's were'} judged without some of its context (a second capture's view of a flow, a FIN or SYN before the failure)` : ''}.`);
    }
    return out;
  }

  /** The timeline for the HTML report, the verdict's first evidence marked. */
  timeline(verdict: Incident | null): Timeline | undefined {
    if (!this.tl) return undefined;
    const f = verdict?.first;
    if (f && f.time) {
      const us = parseIso(f.time)?.us;
      if (us !== undefined) this.tl.mark({ lane: f.source, time_us: us, kind: f.kind, cause: verdict!.cause, first: true, label: f.summary.slice(0, 160), ref: eventRef(f) });
    }
    return this.tl.finish();
  }

  /** Capture context toward this upstream in the incident's window, plus the client side of the same minutes. */
  private contextFor(b: Building): Event[] {
    if (b.startUs === null || b.endUs === null) return [];
    const lo = b.startUs - LIMITS.CONTEXT_BEFORE_US, hi = b.endUs + 1_000_000;
    const inWin = (e: Event) => e.ts_us !== null && e.ts_us >= lo && (flowStartUs(e) ?? e.ts_us) <= hi;
    const out: Event[] = [];
    const own = b.upstream ? this.context.get(b.upstream) : undefined;
    // A window reaching context that is gone (swept or dropped by a cap): said in the report.
    if ((b.upstream !== null || this.clientIps.size > 0) && (lo <= this.contextGoneUs || (own !== undefined && lo <= own.droppedUs))) this.contextShort++;
    if (own) for (const e of own.evs) if (inWin(e)) out.push(e);
    if (this.clientIps.size) {
      for (const [k, l] of this.context) {
        if (k === b.upstream) continue;
        for (const e of l.evs) if (inWin(e) && this.clientIps.has(ipOf(e.orig ?? e.src) ?? '')) out.push(e);
      }
    }
    return out;
  }

  private judge(b: Building): Incident {
    const ctx = this.contextFor(b);
    const flows = ctx.filter((e) => e.kind === 'tcp.flow');
    const notes: string[] = [];
    let crossConfirmed = 0;
    // Rules 3 and 4 rewrite a RST's cause on a copy; the input events are left alone.
    const evs = [...b.events].sort((x, y) => (x.ts_us ?? Infinity) - (y.ts_us ?? Infinity)).map((e) => {
      if (e.kind !== 'tcp.rst' || e.rst_by !== 'responder' || e.cause === 'refused') return e;
      const cross = this.crossCapture(e, flows);
      if (e.cause === 'middlebox_reset') {
        // The capture layer already suspects this RST (TTL / IP-ID / sequence did not fit its sender).
        // Another capture of the same connection confirms it, or shows the sender really sent it.
        const flagged = Array.isArray(e.middlebox_reasons) ? (e.middlebox_reasons as string[]).join('; ') : undefined;
        if (cross.presentIn) return { ...e, cause: 'upstream_reset' as Cause, cause_was: e.cause, middlebox_reason: undefined };
        const reasons = [flagged];
        if (cross.absentFrom) {
          const why = absentWhy(cross.absentFrom, !!cross.lacksRequest, e.src);
          notes.push(why);
          reasons.push(why);
        }
        const joined = reasons.filter(Boolean).join('; ');
        return joined ? { ...e, middlebox_reason: joined } : e;
      }
      if (cross.absentFrom) {
        const why = absentWhy(cross.absentFrom, !!cross.lacksRequest, e.src);
        notes.push(why);
        return { ...e, cause: 'middlebox_reset' as Cause, cause_was: e.cause, middlebox_reason: why };
      }
      if (cross.presentIn) crossConfirmed++;
      if (this.isIdleRace(e, ctx, flows)) return { ...e, cause: 'idle_race' as Cause, cause_was: e.cause };
      return e;
    });
    // Rule 5: secondary resets.
    const terminal = evs.find((e) => e.kind !== 'tcp.rst' && e.cause !== null && TERMINAL_CAUSES.has(e.cause));
    const secondary = new Set<Event>();
    for (const e of evs) {
      if (e.kind !== 'tcp.rst' || e.ts_us === null || e.cause === 'refused' || e.cause === 'middlebox_reset' || e.cause === 'idle_race') continue;
      if (terminal && terminal.ts_us !== null && e.ts_us >= terminal.ts_us) secondary.add(e);
      // A TLS alert on the same connection before the RST.
      else if (ctx.some((c) => (c.kind === 'tls.alert' || c.kind === 'tls.encrypted_alert') && c.flow === e.flow && c.ts_us !== null && c.ts_us <= e.ts_us!)) secondary.add(e);
    }
    const primary = evs.filter((e) => !secondary.has(e));
    const cause = chooseCause(primary.length ? primary : evs);
    const supporting = primary.filter((e) => e.cause === cause);
    const fromClient = (e: Event) => this.clientIps.has(ipOf(e.orig ?? e.src) ?? '');
    const corroborating = ctx.filter((e) => corroborates(e, cause, b.upstream, fromClient));
    const cands = [...supporting, ...corroborating].map((e) => candOf(e, cause));
    const firstC = chooseFirstCand(cands.length ? cands : evs.map((e) => candOf(e, cause)));
    const first = firstC.ev;

    const captureKinds = supporting.some(isCapture) || corroborating.length > 0;
    const logKinds = supporting.some((e) => !isCapture(e) && strength(e) >= 2);
    let score = 0.3 + (captureKinds ? 0.35 : 0) + (logKinds ? 0.25 : 0) + (supporting.length > 1 ? 0.05 : 0);
    const disagreeing = primary.filter((e) => e.cause !== cause && e.cause !== 'unknown' && strength(e) >= 2).length;
    if (disagreeing) score -= 0.1;
    if (crossConfirmed && cause === 'upstream_reset') { score += 0.15; notes.push('the same RST is in both captures: the upstream really sent it'); }
    if (cause === 'middlebox_reset' && notes.length) score = Math.max(score, 0.8);
    score = Math.max(0.05, Math.min(0.99, score));
    const confidence = score >= 0.75 ? 'high' : score >= 0.5 ? 'medium' : 'low';

    const hp = splitHostPort(b.upstream);
    const tls = b.upstream ? this.sniByDst.get(b.upstream) : undefined;
    const sniEv = [...supporting, ...ctx].find((e) => typeof e.sni === 'string' && e.sni);
    const target: Target = { host: hp.host, port: hp.port, sni: (sniEv?.sni as string) ?? tls?.sni ?? null, alpn: tls?.alpn ?? null, socket: unixSocket(b.upstream) };
    const details: Record<string, unknown> = {};
    for (const e of [...supporting, ...corroborating]) {
      for (const f of ['tls_reason', 'errno', 'errno_text', 'phase', 'response_flags', 'details', 'transport_failure_reason', 'error_name', 'description_name', 'middlebox_reason']) {
        if (e[f] !== undefined && e[f] !== null && details[f] === undefined) details[f] = e[f];
      }
    }
    if (target.sni) details.sni = target.sni;
    const advice = errnoAdvice(cause, details.errno, target);
    const origin = advice?.origin ?? originOf(cause, first, b.upstream, details, this.clientIps);
    const captures = new Set([...evs, ...ctx].filter(isCapture).map((e) => e.source));
    const to_confirm: string[] = [];
    // A unix socket carries no packets to capture.
    if (!captures.size && target.socket === null) to_confirm.push(`a capture on the proxy host toward the upstream (tcpdump -i any -w proxy.pcap 'host ${target.host ?? 'UPSTREAM'}${target.port ? ` and port ${target.port}` : ''}')`);
    if ((cause === 'upstream_reset' || cause === 'middlebox_reset') && captures.size < 2) to_confirm.push('a capture on the upstream host at the same time, to tell an upstream reset from a middlebox one');
    if (!evs.some((e) => !isCapture(e) && strength(e) >= 2) && captureKinds) to_confirm.push("the proxy's error or debug log for the same minutes, to tie the packets to the failed requests");
    if (evs.every((e) => resolutionUs(e) >= 1_000_000) && !corroborating.length) to_confirm.push('log times with sub-second precision (or a capture) to order events within the second');

    const cited = new Set<Event>(evs);
    const evidence: Evidence[] = [];
    const cite = (e: Event, role: Evidence['role']) => {
      if (evidence.length >= LIMITS.MAX_EVIDENCE_PER_INCIDENT && role !== 'first') return;
      evidence.push({
        time: e.time, source: e.source,
        ...(e.line !== undefined ? { line: e.line } : {}),
        ...(e.frame !== undefined ? { frame: e.frame } : {}),
        kind: e.kind, cause: e.cause, summary: describe(e),
        ...(typeof e.raw === 'string' ? { raw: e.raw } : {}),
        role,
      });
    };
    for (const e of evs) cite(e, e === first ? 'first' : secondary.has(e) ? 'secondary' : e.cause === cause ? 'supports' : 'context');
    for (const e of corroborating) if (!cited.has(e)) { cited.add(e); cite(e, e === first ? 'first' : 'supports'); }
    evidence.sort((x, y) => (x.time ?? '').localeCompare(y.time ?? ''));

    let explanation = advice?.explanation ?? (target.socket !== null && cause === 'refused' ? EXPLAIN_UNIX_REFUSED : EXPLAIN[cause]);
    if (secondary.size) explanation += ` ${secondary.size} later reset${secondary.size > 1 ? 's' : ''} followed as a consequence and ${secondary.size > 1 ? 'are' : 'is'} not blamed.`;
    if (typeof details.tls_reason === 'string') explanation += ` TLS reason: ${details.tls_reason}.`;
    if (typeof details.middlebox_reason === 'string') explanation += ` ${capitalize(details.middlebox_reason)}.`;
    else if (notes.length) explanation += ` ${capitalize(notes[0])}.`;
    const firstFrame = firstC.frame;
    return {
      id: `I${++this.seq}`,
      cause,
      origin,
      upstream: b.upstream,
      start: b.startUs === null ? null : isoTime(b.startUs, 6),
      end: b.endUs === null ? null : isoTime(b.endUs, 6),
      start_us: b.startUs,
      end_us: b.endUs,
      count: b.count,
      by_source: b.by_source,
      first: {
        time: firstC.time, source: first.source,
        ...(first.line !== undefined ? { line: first.line } : {}),
        ...(firstFrame !== undefined ? { frame: firstFrame } : {}),
        kind: first.kind, summary: describe(first),
      },
      explanation,
      evidence,
      confidence,
      confidence_score: Math.round(score * 100) / 100,
      to_confirm,
      fix: advice?.fix ?? fixFor(cause, target),
      next_commands: advice?.next ?? nextCommands(cause, target),
      details,
    };
  }

  /** Rule 3: the RST's connection as seen by the other captures. */
  private crossCapture(rst: Event, flows: Event[]): { absentFrom?: string; presentIn?: string; lacksRequest?: boolean } {
    const own = flows.find((f) => f.source === rst.source && f.uid === rst.flow);
    const ownStart = own ? flowStartUs(own) : null;
    for (const f of flows) {
      if (f.source === rst.source || f.orig !== rst.dst || f.resp !== rst.src) continue;
      const start = flowStartUs(f);
      if (ownStart !== null && start !== null && Math.abs(start - ownStart) > SAME_FLOW_US) continue;
      if (ownStart === null && start !== null && rst.ts_us !== null && start > rst.ts_us) continue;
      if (f.first_rst_by === 'responder' || (typeof f.history === 'string' && f.history.includes('r'))) return { presentIn: f.source };
      // Absent only if that capture was still recording when the RST went by — or if it also
      // lacks the proxy's data the RST answered (the request never reached the upstream, yet a
      // reset "from the upstream" came back: something in between dropped it and answered).
      const range = this.ranges.get(f.source);
      if (range && rst.ts_us !== null && range.last >= rst.ts_us) return { absentFrom: f.source };
      const ownHist = typeof own?.history === 'string' ? own.history : '';
      const hist = typeof f.history === 'string' ? f.history : '';
      if (ownHist.includes('D') && !hist.includes('D')) return { absentFrom: f.source, lacksRequest: true };
    }
    return {};
  }

  /** Rule 4: upstream RST after its own FIN on a connection that had already carried a response. */
  private isIdleRace(rst: Event, ctx: Event[], flows: Event[]): boolean {
    const sameConn = (e: Event) => e.flow === rst.flow || e.uid === rst.flow || (e.orig === rst.dst && e.resp === rst.src) || (e.src === rst.src && e.dst === rst.dst);
    // The upstream closed first: this capture saw its FIN, or another capture of the connection did.
    const finFirst = (rst.phase === 'after_fin' && rst.cause === 'upstream_close')
      || flows.some((f) => f.orig === rst.dst && f.resp === rst.src && typeof f.history === 'string' && /f[^F]*r/.test(f.history) && !/F[^f]*f/.test(f.history));
    if (!finFirst) return false;
    const answered = ctx.some((e) => e.kind === 'http.response' && e.ts_us !== null && rst.ts_us !== null && e.ts_us < rst.ts_us && sameConn(e))
      || flows.some((f) => sameConn(f) && typeof f.history === 'string' && /d.*f/.test(f.history));
    return answered;
  }
}

function addTo(b: Building, ev: Event) {
  b.count++;
  b.lastWallMs = Date.now();
  b.by_source[ev.source] = (b.by_source[ev.source] ?? 0) + 1;
  if (ev.ts_us === null) b.timeless++;
  else {
    if (b.startUs === null || ev.ts_us < b.startUs) b.startUs = ev.ts_us;
    if (b.endUs === null || ev.ts_us > b.endUs) b.endUs = ev.ts_us;
  }
  // Keep the earliest evidence and a sample of the rest; the count says how many there were.
  // (b.weak counts the strength-1 events held, so a full incident costs no scan per event.)
  if (b.events.length < LIMITS.MAX_EVIDENCE_PER_INCIDENT) {
    flat(ev.summary);
    b.events.push(ev);
    if (strength(ev) === 1) b.weak++;
  } else if (b.weak > 0 && strength(ev) > 1) {
    flat(ev.summary);
    b.events[b.events.findIndex((e) => strength(e) === 1)] = ev;
    b.weak--;
  }
}

/** Rule 7 helper: wire events that show a cause a log reported, though they carry no cause themselves. */
export function corroborates(e: Event, cause: Cause, upstream: string | null, fromClient: (e: Event) => boolean = () => false): boolean {
  if (!isCapture(e)) return false;
  const fromUp = upstream !== null && normalizeUpstream(e.src) === upstream;
  switch (cause) {
    case 'connect_timeout':
      return (e.kind === 'tcp.flow' && e.conn_state === 'S0') || e.kind === 'tcp.syn_timeout';
    case 'upstream_close':
      return (e.kind === 'http2.goaway' && fromUp) || (e.kind === 'tcp.fin' && fromUp) || (e.kind === 'tcp.flow' && typeof e.resp_fin_frame === 'number');
    case 'protocol_mismatch':
      return e.kind === 'http.mismatch' || (e.kind === 'http2.goaway' && e.cause !== null) || (e.kind === 'tls.alert' && e.description_name === 'no_application_protocol');
    case 'tls':
      return e.kind === 'tls.alert' || e.kind === 'tls.encrypted_alert' || e.kind === 'tls.mismatch';
    case 'timeout':
      return (e.kind === 'tcp.fin' && !fromUp) || (e.kind === 'tcp.flow' && typeof e.orig_fin_frame === 'number' && (e.history as string ?? '').indexOf('F') < Math.max(0, (e.history as string ?? '').indexOf('f')));
    case 'client_abort':
      // The client's own connection to the proxy, closed by the client (FIN or RST from the originator).
      return (e.kind === 'tcp.fin' && !fromUp && fromClient(e)) || (e.kind === 'tcp.flow' && fromClient(e) && /[FR]/.test(String(e.history ?? '')));
    case 'idle_race':
      return (e.kind === 'tcp.fin' && fromUp) || (e.kind === 'tcp.flow' && typeof e.resp_fin_frame === 'number' && /d.*f/.test(String(e.history ?? '')));
    default:
      return false;
  }
}

/**
 * The instant and frame that matter for an event: a flow's first SYN, or the FIN of the side the
 * cause blames (`orig_fin_frame`/`orig_fin_us`, `resp_fin_frame`/`resp_fin_us` when the capture
 * layer provides them), not the flow's end.
 */
function candOf(e: Event, cause: Cause | null = null): Cand {
  const res = resolutionUs(e);
  if (e.kind === 'tcp.flow' && e.ts_us !== null) {
    if (e.conn_state === 'S0') return { ev: e, us: flowStartUs(e) ?? Infinity, frame: num(e.first_frame) ?? e.frame, time: typeof e.start === 'string' ? e.start : e.time, res };
    const side = cause === 'client_abort' || cause === 'timeout' ? 'orig' : 'resp';
    const ff = e[`${side}_fin_frame`], fu = e[`${side}_fin_us`];
    if (typeof ff === 'number' && typeof fu === 'number') return { ev: e, us: fu, frame: ff, time: isoTime(fu, 6), res };
  }
  if (e.kind === 'tcp.syn_timeout' && Array.isArray(e.syn_times) && typeof e.syn_times[0] === 'string') {
    const us = parseIso(e.syn_times[0])?.us;
    if (us !== undefined) return { ev: e, us, frame: num(e.first_frame) ?? e.frame, time: e.syn_times[0], res };
  }
  return { ev: e, us: e.ts_us ?? Infinity, frame: e.frame, time: e.time, res };
}

const num = (x: unknown): number | undefined => (typeof x === 'number' ? x : undefined);

function capitalize(s: string): string {
  return s ? s[0].toUpperCase() + s.slice(1) : s;
}

/** Rule 8: which hop started it. */
export function originOf(cause: Cause, first: Event, upstream: string | null, details: Record<string, unknown>, clientIps: ReadonlySet<string> = new Set()): Origin {
  switch (cause) {
    case 'middlebox_reset': case 'connect_timeout': case 'unreachable': return 'network';
    case 'resource_exhaustion': case 'local_reset': return 'proxy';
    case 'client_abort': return 'client';
    case 'refused': case 'no_healthy_upstream': case 'idle_race': case 'upstream_reset': case 'upstream_close': case 'timeout': return DEFAULT_ORIGIN[cause];
    default: break;
  }
  if (cause === 'tls') {
    const r = String(details.tls_reason ?? '');
    // The proxy rejected the upstream's certificate, or spoke TLS to a plaintext port: its config.
    if (/cert|verify|plaintext|wrong_version|wrong version|http_request/.test(r)) return 'proxy';
  }
  if (isCapture(first) && upstream) {
    const src = normalizeUpstream(first.src);
    if (src === upstream) return 'upstream';
    if (normalizeUpstream(first.dst) === upstream) return clientIps.has(ipOf(first.src) ?? '') ? 'client' : 'proxy';
  }
  return DEFAULT_ORIGIN[cause];
}

/** Why a RST missing from the other capture of the same connection was not sent by its claimed sender. */
function absentWhy(absentFrom: string, lacksRequest: boolean, src: string | null): string {
  return lacksRequest
    ? `the RST is absent from ${absentFrom}'s view of the same connection, which never received the proxy's request either: something between them dropped the request and answered with a reset in ${src}'s name`
    : `the RST is absent from ${absentFrom}'s view of the same connection (which kept recording): it was not sent by ${src}`;
}

/** The incident's cause: a decisive cause wins; otherwise the strongest-weighted vote. */
export function chooseCause(evs: Event[]): Cause {
  for (const c of DECISIVE_CAUSES) if (evs.some((e) => e.cause === c)) return c;
  const votes = new Map<Cause, number>();
  for (const e of evs) if (e.cause) votes.set(e.cause, (votes.get(e.cause) ?? 0) + strength(e));
  let best: Cause = 'unknown';
  let bestVotes = -1;
  for (const [c, v] of votes) {
    // 'unknown' only wins when nothing else was said.
    const w = c === 'unknown' ? v / 100 : v;
    if (w > bestVotes) { best = c; bestVotes = w; }
  }
  return best;
}

/**
 * The first event: the earliest, and among events that could be the earliest given their
 * time resolution (a log line with whole seconds covers that whole second), the most precise.
 */
function chooseFirstCand(cs: Cand[]): Cand {
  const timed = cs.filter((c) => Number.isFinite(c.us));
  if (!timed.length) return cs[0];
  let earliest = timed[0];
  for (const c of timed) if (c.us < earliest.us) earliest = c;
  const windowEnd = earliest.us + (Number.isFinite(earliest.res) ? earliest.res : 1);
  const candidates = timed.filter((c) => c.us < windowEnd);
  candidates.sort((a, b) => a.res - b.res || strength(b.ev) - strength(a.ev) || a.us - b.us);
  return candidates[0];
}

function tally(map: Map<string, Row>, key: string, ev: Event) {
  let row = map.get(key);
  if (!row) {
    row = { key, count: 0, first: null, last: null, examples: [], firstUs: null, lastUs: null };
    map.set(key, row);
  }
  row.count++;
  if (ev.ts_us !== null) {
    if (row.firstUs === null || ev.ts_us < row.firstUs) { row.firstUs = ev.ts_us; row.first = ev.time; }
    if (row.lastUs === null || ev.ts_us > row.lastUs) { row.lastUs = ev.ts_us; row.last = ev.time; }
  }
  if (row.examples.length < 3) row.examples.push(flat(eventRef(ev)));
}
