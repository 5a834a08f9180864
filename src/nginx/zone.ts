// The error log's time is local with no zone (nginx.md §1.1). When the user gave no --tz and a
// collector wrapper (docker -t, CRI, kubectl --timestamps) stamped the line in UTC, the difference
// names the zone: nginx's whole second is a little before the collector's reading, never after.
import { civilToUs, type Zone } from '../time.js';

/** Whole quarter-hours: every real UTC offset is one (±14:00 at most). */
const QUARTER_US = 15 * 60_000_000;
/** Collector latency we tolerate between nginx's write and the wrapper's stamp. */
const MAX_COLLECTOR_LAG_US = 10_000_000;

export function inferOffsetMinutes(civil: readonly number[], collectorUs: number): number | undefined {
  const asUtc = Date.UTC(civil[0], civil[1] - 1, civil[2], civil[3], civil[4], civil[5]) * 1000;
  const diff = asUtc - collectorUs;
  const q = Math.round(diff / QUARTER_US);
  if (Math.abs(q) > 14 * 4 || Math.abs(diff - q * QUARTER_US) > MAX_COLLECTOR_LAG_US) return undefined;
  return q * 15;
}

export function offsetName(minutes: number): string {
  const a = Math.abs(minutes);
  return (minutes < 0 ? '-' : '+') + String(Math.floor(a / 60)).padStart(2, '0') + ':' + String(a % 60).padStart(2, '0');
}

export function civilUs(civil: readonly number[], zone: Zone): number {
  return civilToUs(civil[0], civil[1], civil[2], civil[3], civil[4], civil[5], 0, zone);
}
