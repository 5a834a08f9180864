// The correlator: one merged timeline in, incidents out. An incident is a burst of failures
// toward one upstream; each gets a cause, an origin hop, the earliest and most precise first
// event, the evidence chain, a confidence, and the fix with next commands (DESIGN.md §3-§4).
import type { Cause, Event } from '../events.js';
import { LIMITS } from '../limits.js';
import type { Evidence, Incident, SummaryRow } from '../report.js';
import { isoTime } from '../time.js';
import { DEFAULT_ORIGIN, EXPLAIN, fixFor, nextCommands, splitHostPort, type Target } from './playbook.js';
import { describe, isCapture, refOf, resolutionUs, strength } from './evidence.js';

/** Causes that end a request on their own; resets after them on the same upstream are consequences. */
const TERMINAL_CAUSES: ReadonlySet<Cause> = new Set(['timeout', 'client_abort', 'tls', 'protocol_mismatch', 'connect_timeout']);
/** Causes that, once seen, explain the whole incident better than the generic ones around them. */
const DECISIVE_CAUSES: readonly Cause[] = ['middlebox_reset', 'resource_exhaustion', 'idle_race'];

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
}

function groupKey(ev: Event): string {
  return normalizeUpstream(ev.upstream) ?? normalizeUpstream(ev.dst) ?? 'unknown';
}

export function normalizeUpstream(u: unknown): string | null {
  if (typeof u !== 'string' || !u || u === '-') return null;
  return u.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/\/.*$/, '').toLowerCase();
}

export interface CorrelatorOptions {
  /** Called as soon as an incident's window closes (live pipes). */
  onIncident?: (inc: Incident) => void;
}

export class Correlator {
  private open = new Map<string, Building>();
  private closed: Incident[] = [];
  private latestUs = -Infinity;
  private seq = 0;
  /** SNI and ALPN seen toward each server address (for filling in commands). */
  private sniByDst = new Map<string, { sni: string | null; alpn: string[] | null }>();
  readonly byCause = new Map<string, SummaryRow & { firstUs: number | null; lastUs: number | null }>();
  readonly byUpstream = new Map<string, SummaryRow & { firstUs: number | null; lastUs: number | null }>();
  readonly byKind: Record<string, number> = {};
  readonly anomalies: Event[] = [];
  events = 0;
  failures = 0;
  firstUs: number | null = null;
  lastUs: number | null = null;

  constructor(private opts: CorrelatorOptions = {}) {}

  add(ev: Event): void {
    this.events++;
    this.byKind[ev.kind] = (this.byKind[ev.kind] ?? 0) + 1;
    if (ev.ts_us !== null) {
      if (this.firstUs === null || ev.ts_us < this.firstUs) this.firstUs = ev.ts_us;
      if (this.lastUs === null || ev.ts_us > this.lastUs) this.lastUs = ev.ts_us;
    }
    if (ev.kind.startsWith('anomaly.')) {
      if (this.anomalies.length < 200) this.anomalies.push(ev);
      return;
    }
    if (ev.kind === 'tls.client_hello' && ev.dst) {
      if (this.sniByDst.size > 10_000) this.sniByDst.clear();
      this.sniByDst.set(ev.dst.toLowerCase(), { sni: (ev.sni as string) ?? null, alpn: (ev.alpn as string[]) ?? null });
    }
    if (ev.ts_us !== null && ev.ts_us > this.latestUs) {
      this.latestUs = ev.ts_us;
      this.closeIdle(ev.ts_us);
    }
    if (ev.cause === null) return;
    this.failures++;
    const key = groupKey(ev);
    tally(this.byCause, ev.cause, ev);
    tally(this.byUpstream, key, ev);
    let b = this.open.get(key);
    if (b && ev.ts_us !== null && b.endUs !== null && ev.ts_us - b.endUs > LIMITS.INCIDENT_GAP_US) {
      this.close(b);
      b = undefined;
    }
    if (!b) {
      b = { key, upstream: key === 'unknown' ? null : key, events: [], count: 0, by_source: {}, startUs: null, endUs: null, timeless: 0 };
      this.open.set(key, b);
    }
    b.count++;
    b.by_source[ev.source] = (b.by_source[ev.source] ?? 0) + 1;
    if (ev.ts_us === null) b.timeless++;
    else {
      if (b.startUs === null || ev.ts_us < b.startUs) b.startUs = ev.ts_us;
      if (b.endUs === null || ev.ts_us > b.endUs) b.endUs = ev.ts_us;
    }
    // Keep the earliest evidence and a sample of the rest; the count says how many there were.
    if (b.events.length < LIMITS.MAX_EVIDENCE_PER_INCIDENT) b.events.push(ev);
    else if (strength(ev) > 1 && b.events.some((e) => strength(e) === 1)) {
      b.events[b.events.findIndex((e) => strength(e) === 1)] = ev;
    }
  }

  /** Close incidents whose window has passed (the live-pipe path reports them right away). */
  private closeIdle(nowUs: number) {
    for (const b of this.open.values()) {
      if (b.endUs !== null && nowUs - b.endUs > LIMITS.INCIDENT_GAP_US) this.close(b);
    }
  }

  private close(b: Building) {
    this.open.delete(b.key);
    const inc = this.judge(b);
    this.closed.push(inc);
    this.opts.onIncident?.(inc);
  }

  /** End of input: every incident, earliest first. */
  finish(): Incident[] {
    for (const b of [...this.open.values()]) this.close(b);
    return [...this.closed].sort((a, b) => (a.start_us ?? Infinity) - (b.start_us ?? Infinity));
  }

  private judge(b: Building): Incident {
    const evs = [...b.events].sort((x, y) => (x.ts_us ?? Infinity) - (y.ts_us ?? Infinity));
    // Secondary resets: a RST after a terminal failure (timeout, client abort, TLS alert) is its consequence.
    const terminal = evs.find((e) => e.kind !== 'tcp.rst' && e.cause !== null && TERMINAL_CAUSES.has(e.cause));
    const secondary = new Set<Event>();
    if (terminal && terminal.ts_us !== null) {
      for (const e of evs) if (e.kind === 'tcp.rst' && e.ts_us !== null && e.ts_us >= terminal.ts_us && e.cause !== 'refused') secondary.add(e);
    }
    const primary = evs.filter((e) => !secondary.has(e));
    const cause = chooseCause(primary);
    const supporting = primary.filter((e) => e.cause === cause);
    const first = chooseFirst(supporting.length ? supporting : primary);
    const captureKinds = supporting.some(isCapture);
    const logKinds = supporting.some((e) => !isCapture(e) && strength(e) >= 2);
    let score = 0.3 + (captureKinds ? 0.35 : 0) + (logKinds ? 0.25 : 0) + (supporting.length > 1 ? 0.05 : 0);
    const disagreeing = primary.filter((e) => e.cause !== cause && strength(e) >= 2).length;
    if (disagreeing) score -= 0.1;
    score = Math.max(0.05, Math.min(0.99, score));
    const confidence = score >= 0.75 ? 'high' : score >= 0.5 ? 'medium' : 'low';

    const hp = splitHostPort(b.upstream);
    const tls = b.upstream ? this.sniByDst.get(b.upstream) : undefined;
    const target: Target = { host: hp.host, port: hp.port, sni: (first?.sni as string) ?? tls?.sni ?? null, alpn: tls?.alpn ?? null };
    const details: Record<string, unknown> = {};
    for (const e of supporting) {
      for (const f of ['tls_reason', 'errno', 'errno_text', 'phase', 'response_flags', 'details', 'transport_failure_reason', 'error_name', 'description_name', 'middlebox_reason']) {
        if (e[f] !== undefined && e[f] !== null && details[f] === undefined) details[f] = e[f];
      }
    }
    const to_confirm: string[] = [];
    if (!evs.some(isCapture)) to_confirm.push(`a capture on the proxy host toward the upstream (tcpdump -i any -w proxy.pcap 'host ${target.host ?? 'UPSTREAM'}${target.port ? ` and port ${target.port}` : ''}')`);
    if ((cause === 'upstream_reset' || cause === 'middlebox_reset') && new Set(evs.filter(isCapture).map((e) => e.source)).size < 2) to_confirm.push('a capture on the upstream host at the same time, to tell an upstream reset from a middlebox one');
    if (!logKinds && captureKinds) to_confirm.push("the proxy's error or debug log for the same minutes, to tie the packets to the failed requests");
    if (evs.every((e) => resolutionUs(e) >= 1_000_000)) to_confirm.push('log times with sub-second precision (or a capture) to order events within the second');

    const evidence: Evidence[] = evs.map((e) => ({
      time: e.time, source: e.source,
      ...(e.line !== undefined ? { line: e.line } : {}),
      ...(e.frame !== undefined ? { frame: e.frame } : {}),
      kind: e.kind, cause: e.cause, summary: describe(e),
      ...(typeof e.raw === 'string' ? { raw: e.raw } : {}),
      role: e === first ? 'first' : secondary.has(e) ? 'secondary' : e.cause === cause ? 'supports' : 'context',
    }));
    let explanation = EXPLAIN[cause];
    if (secondary.size) explanation += ` ${secondary.size} later reset${secondary.size > 1 ? 's' : ''} followed as a consequence and ${secondary.size > 1 ? 'are' : 'is'} not blamed.`;
    if (typeof details.tls_reason === 'string') explanation += ` TLS reason: ${details.tls_reason}.`;
    if (typeof details.middlebox_reason === 'string') explanation += ` ${details.middlebox_reason}`;
    return {
      id: `I${++this.seq}`,
      cause,
      origin: DEFAULT_ORIGIN[cause],
      upstream: b.upstream,
      start: b.startUs === null ? null : isoTime(b.startUs, 6),
      end: b.endUs === null ? null : isoTime(b.endUs, 6),
      start_us: b.startUs,
      end_us: b.endUs,
      count: b.count,
      by_source: b.by_source,
      first: { time: first.time, source: first.source, ...(first.line !== undefined ? { line: first.line } : {}), ...(first.frame !== undefined ? { frame: first.frame } : {}), kind: first.kind, summary: describe(first) },
      explanation,
      evidence,
      confidence,
      confidence_score: Math.round(score * 100) / 100,
      to_confirm,
      fix: fixFor(cause, target),
      next_commands: nextCommands(cause, target),
      details,
    };
  }
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
export function chooseFirst(evs: Event[]): Event {
  const timed = evs.filter((e) => e.ts_us !== null);
  if (!timed.length) return evs[0];
  let earliest = timed[0];
  for (const e of timed) if (e.ts_us! < earliest.ts_us!) earliest = e;
  const windowEnd = earliest.ts_us! + resolutionUs(earliest);
  const candidates = timed.filter((e) => e.ts_us! < windowEnd);
  candidates.sort((a, b) => resolutionUs(a) - resolutionUs(b) || strength(b) - strength(a) || a.ts_us! - b.ts_us!);
  return candidates[0];
}

function tally(map: Map<string, SummaryRow & { firstUs: number | null; lastUs: number | null }>, key: string, ev: Event) {
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
  if (row.examples.length < 3) row.examples.push(refOf(ev));
}
