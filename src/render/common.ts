// Small pieces every renderer shares, so the table, the ticket and the page say the same thing.
import { eventRef } from '../events.js';
import type { Incident, Report } from '../report.js';
import { parseIso, formatDuration } from '../time.js';

export interface RenderOptions {
  /** Emit ANSI colour (table only). The caller decides: see `shouldUseColor`. */
  color: boolean;
  /** Columns to fit (table; markdown wraps nothing). */
  width: number;
  /** "Generated at" time (ISO); fixed in golden tests. Defaults to the current time. */
  now?: string;
}

export type Renderer = (report: Report, opts: RenderOptions) => string;

/** "frame 7", "line 12", or '' (the evidence tables' own column; the source is beside it). */
export function lineOrFrame(e: { line?: number; frame?: number }): string {
  return e.frame !== undefined ? `frame ${e.frame}` : e.line !== undefined ? `line ${e.line}` : '';
}

/** ISO string to µs, or null. */
export function isoToUs(iso: string | null | undefined): number | null {
  if (!iso) return null;
  const p = parseIso(iso);
  return p ? p.us : null;
}

/** "a – b (4.20s)"; either side may be missing. */
export function span(first: string | null, last: string | null): string {
  if (!first && !last) return 'no time';
  if (!first || !last || first === last) return (first ?? last) as string;
  const a = isoToUs(first);
  const b = isoToUs(last);
  const dur = a !== null && b !== null ? ` (${formatDuration(b - a)})` : '';
  return `${first} – ${shortTimeAfter(first, last)}${dur}`;
}

/** The later time without the date part when both fall on the same day. */
function shortTimeAfter(first: string, last: string): string {
  return first.slice(0, 10) === last.slice(0, 10) ? last.slice(11) : last;
}

export function confidenceText(i: Incident): string {
  return `${i.confidence} (${i.confidence_score.toFixed(2)})`;
}

/** One line for a ticket title / the top of a report. */
export function oneLineSummary(report: Report): string {
  const v = report.verdict;
  const n = report.incidents.length;
  if (!v) {
    return report.stats.failures > 0
      ? `${report.stats.failures} failures in ${report.stats.events} events, no incident placed`
      : `No connection failures found in ${report.stats.events} events`;
  }
  const up = v.upstream ? ` to ${v.upstream}` : '';
  const at = v.first.time ? ` at ${v.first.time}` : '';
  const more = n > 1 ? `; ${n} incidents` : '';
  return `${v.cause}${up}, first reset by ${v.origin}${at} (${eventRef(v.first)}), ${v.confidence} confidence${more}`;
}

/** Skew as people write it: +1.250s. */
export function skewText(us: number | undefined): string {
  if (us === undefined) return '';
  return (us >= 0 ? '+' : '-') + formatDuration(Math.abs(us));
}

/** The hop chain when known: client → proxy → upstream. */
export function hopsText(i: Incident): string {
  return i.hops && i.hops.length ? i.hops.join(' → ') : '';
}

/** Details worth showing (tls_reason, sni, alpn, errno ...) as "k=v" pairs, values stringified. */
export function detailPairs(i: Incident): [string, string][] {
  return Object.keys(i.details)
    .sort()
    .map((k) => {
      const v = i.details[k];
      return [k, typeof v === 'string' ? v : JSON.stringify(v) ?? String(v)] as [string, string];
    });
}

/** The report's day ("2026-11-20") when every time falls on it; tables then show clock times only. */
export function reportDay(report: Report): string | null {
  const a = report.stats.first;
  const b = report.stats.last;
  if (!a || !b || a.slice(0, 10) !== b.slice(0, 10)) return null;
  return a.slice(0, 10);
}

/** "10:00:01.248391" when `iso` is on `day` (UTC), else the full ISO string; "-" for no time. */
export function shortTime(iso: string | null | undefined, day: string | null): string {
  if (!iso) return '-';
  if (day && iso.startsWith(day + 'T') && iso.endsWith('Z')) return iso.slice(11, -1);
  return iso;
}

/** A skew worth printing: non-zero, or given / estimated (an estimated zero is still an assumption). */
export function hasSkew(i: { skew_us?: number; skew_source?: string }): boolean {
  return i.skew_us !== undefined && (i.skew_us !== 0 || (i.skew_source !== undefined && i.skew_source !== 'none'));
}
