// Build the Report every renderer draws from.
import type { Report, SummaryRow } from '../report.js';
import type { SourceRun } from '../pipeline.js';
import { OTHER_UPSTREAMS, type Correlator } from './correlator.js';
import { LIMITS } from '../limits.js';
import type { Incident } from '../report.js';
import type { IngestOptions } from '../ingest/types.js';
import { isoTime, parseIso, zoneName } from '../time.js';
import { VERSION } from '../version.js';

export interface SkewInfo {
  us: number;
  source: 'given' | 'estimated' | 'none';
  confidence?: string;
  basis?: string;
  /** Whole quarter-hours on an input whose zone was assumed. */
  zone_like?: boolean;
  /** What the matched pairs allow: the offset lies in [lo_us, hi_us]. */
  lo_us?: number;
  hi_us?: number;
}

const byCount = (a: SummaryRow, b: SummaryRow) => b.count - a.count || a.key.localeCompare(b.key);

export function buildReport(
  runs: SourceRun[], corr: Correlator, incidents: Incident[], options: IngestOptions, skews: Map<string, SkewInfo> = new Map(), ignored: string[] = [],
  extraAssumptions: string[] = [],
): Report {
  const assumptions: string[] = [];
  if (ignored.length) assumptions.push(`Not read (found in a directory, not a log or capture): ${ignored.join(', ')}.`);
  const zoneless = runs.filter((r) => r.stats.tz !== undefined);
  if (zoneless.length) {
    const names = zoneless.map((r) => r.input.name).join(', ');
    assumptions.push(options.tzGiven
      ? `Times without a zone (${names}) read in ${zoneName(options.tz)} (--tz).`
      : `Times without a zone (${names}) assumed to be ${zoneName(options.tz)}: no --tz was given. If those hosts log in local time, pass --tz.`);
  }
  for (const r of runs) {
    const s = skews.get(r.input.name);
    if (s && s.us !== 0 && s.source === 'given') assumptions.push(`Clock of ${r.input.name} shifted by ${(s.us / 1e6).toFixed(6)} s (${s.source}${s.basis ? `: ${s.basis}` : ''}${s.confidence ? `, ${s.confidence} confidence` : ''}).`);
    if (r.format && r.confidence < 0.6 && r.confidence < 1) assumptions.push(`${r.input.name} read as ${r.format.name} (sniffed with ${Math.round(r.confidence * 100)}% confidence; --input-format overrides).`);
    if (!r.format) assumptions.push(`${r.input.name}: format not recognized; its lines were counted as skipped.`);
    if (r.input.transcoded) assumptions.push(`${r.input.name} is ${r.input.transcoded.toUpperCase()} text (it starts with a byte order mark): read as UTF-8, line numbers as in the file.`);
  }
  assumptions.push(...extraAssumptions);
  assumptions.push(...corr.limitNotes());
  type Row = SummaryRow & { firstUs: number | null; lastUs: number | null };
  const strip = ({ firstUs: _f, lastUs: _l, ...row }: Row): SummaryRow => row;
  const rows = (m: Map<string, Row>): SummaryRow[] => [...m.values()].sort(byCount).map(strip);
  /** by_upstream: the busiest LIMITS.MAX_REPORT_UPSTREAM_ROWS rows; the rest summed into the "other" row (said in the assumptions). */
  const upstreamRows = (m: Map<string, Row>): SummaryRow[] => {
    const all = [...m.values()].sort(byCount);
    const max = LIMITS.MAX_REPORT_UPSTREAM_ROWS;
    if (all.length <= max) return all.map(strip);
    const shown = all.slice(0, max).filter((r) => r.key !== OTHER_UPSTREAMS);
    const rest = all.filter((r) => !shown.includes(r));
    const other: Row = { key: OTHER_UPSTREAMS, count: 0, first: null, last: null, examples: [], firstUs: null, lastUs: null };
    for (const r of rest) {
      other.count += r.count;
      if (r.firstUs !== null && (other.firstUs === null || r.firstUs < other.firstUs)) { other.firstUs = r.firstUs; other.first = r.first; }
      if (r.lastUs !== null && (other.lastUs === null || r.lastUs > other.lastUs)) { other.lastUs = r.lastUs; other.last = r.last; }
      for (const x of r.examples) if (other.examples.length < 3) other.examples.push(x);
    }
    const past = m.has(OTHER_UPSTREAMS);
    assumptions.push(`Failures went to ${m.size - (past ? 1 : 0)}${past ? ' or more (past LIMITS.MAX_UPSTREAM_ROWS)' : ''} upstreams; by_upstream lists the ${shown.length} with the most failures and sums the rest in "${OTHER_UPSTREAMS}" (LIMITS.MAX_REPORT_UPSTREAM_ROWS).`);
    return [...shown, other].sort(byCount).map(strip);
  };
  linkNoHealthyUpstream(incidents);
  // The verdict: the incident that started it — the earliest; among equal starts (log lines to the second
  // make many incidents start at the same .000000), the one whose first packet came first; then the better-supported.
  const verdict = incidents.length ? [...incidents].sort(startOrder)[0] : null;
  return {
    tool: { name: 'resetscope', version: VERSION },
    verdict,
    incidents,
    inputs: runs.map((r) => {
      const s = skews.get(r.input.name);
      return {
        ...r.stats,
        ...(s
          ? {
            skew_us: s.us, skew_source: s.source,
            ...(s.confidence ? { skew_confidence: s.confidence } : {}),
            ...(s.basis ? { skew_basis: s.basis } : {}),
            ...(s.lo_us !== undefined && s.hi_us !== undefined ? { skew_bounds_us: [s.lo_us, s.hi_us] as [number, number] } : {}),
            ...(s.zone_like ? { skew_zone_like: true } : {}),
          }
          : { skew_us: 0, skew_source: 'none' as const }),
      };
    }),
    stats: {
      events: corr.events,
      failures: corr.failures,
      skipped: runs.reduce((a, r) => a + r.stats.skipped, 0),
      first: corr.firstUs === null ? null : isoTime(corr.firstUs, 6),
      last: corr.lastUs === null ? null : isoTime(corr.lastUs, 6),
      by_cause: rows(corr.byCause),
      by_upstream: upstreamRows(corr.byUpstream),
      by_kind: corr.byKind,
    },
    assumptions,
    anomalies: corr.anomalies,
    timeline: corr.timeline(verdict),
  };
}

/** Incidents in the order they started: by start; on equal starts by first packet; then the better-supported first. */
export function startOrder(a: Incident, b: Incident): number {
  return (a.start_us ?? Infinity) - (b.start_us ?? Infinity) || firstPacketUs(a) - firstPacketUs(b) || b.confidence_score - a.confidence_score;
}

/**
 * When a capture frame is an incident's first evidence, its time (µs): what tells apart incidents that a
 * second-resolution log line starts at the same instant. Infinity otherwise (a log line cannot say where
 * in its second it happened).
 */
function firstPacketUs(i: Incident): number {
  if (i.first.frame === undefined || i.first.time === null) return Infinity;
  return parseIso(i.first.time)?.us ?? Infinity;
}

/** How long before a "no healthy upstream" incident an earlier failure may have taken the servers out (nginx fail_timeout is 10 s, Envoy's outlier ejection 30 s). */
const EJECTION_WINDOW_US = 60_000_000;

/**
 * nginx's "no live upstreams" and Envoy's UH (no healthy upstream) are what a proxy says after it has taken
 * every server of a group out, and the failures that did it are the cause. Such an incident names the other
 * incidents that failed up to EJECTION_WINDOW_US before it started (details.after_incidents) and says so.
 */
export function linkNoHealthyUpstream(incidents: Incident[]): void {
  for (const i of incidents) {
    if (i.cause !== 'no_healthy_upstream' || i.start_us === null) continue;
    const start = i.start_us;
    const before = incidents.filter((o) => o !== i && o.cause !== 'no_healthy_upstream' && o.start_us !== null && o.start_us <= start
      && start - (o.end_us ?? o.start_us) <= EJECTION_WINDOW_US).sort(startOrder);
    if (!before.length) continue;
    const named = before.slice(0, 5).map((o) => `${o.id} (${o.cause}, ${o.upstream ?? 'unknown upstream'})`).join(', ');
    const more = before.length > 5 ? ` and ${before.length - 5} more` : '';
    i.explanation += ` It followed failures that take servers out of a group: ${named}${more}; look there for the cause.`;
    i.details.after_incidents = before.map((o) => o.id);
  }
}
