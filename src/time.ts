// Time is an integer on the hot path: microseconds since the epoch in a `number`
// (2^53 µs reaches year 2255). Fast paths for the common shapes; @date-fns/tz for zone rules.
import { tzOffset } from '@date-fns/tz';
import { UserError } from './errors.js';

/** A zone for sources that carry none (NGINX error logs, Envoy's default %START_TIME% is UTC). */
export type Zone = { kind: 'utc' } | { kind: 'offset'; minutes: number; name: string } | { kind: 'iana'; name: string };

export const UTC: Zone = { kind: 'utc' };

/** Parse `--tz`: an IANA name (Europe/Berlin), `UTC`/`Z`, or ±HH:MM / ±HHMM / ±HH. */
export function parseZone(text: string): Zone {
  const t = text.trim();
  if (/^(utc|z|gmt)$/i.test(t)) return UTC;
  const m = /^(?:utc|gmt)?([+-])(\d{1,2})(?::?(\d{2}))?$/i.exec(t);
  if (m) {
    const minutes = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0));
    if (Math.abs(minutes) > 14 * 60) throw new UserError('BAD_TZ', `--tz ${text}: offset beyond ±14:00`);
    return { kind: 'offset', minutes, name: t };
  }
  if (Number.isNaN(tzOffset(t, new Date(0)))) throw new UserError('BAD_TZ', `--tz ${text}: not an IANA time zone or ±HH:MM offset`);
  try {
    new Intl.DateTimeFormat('en', { timeZone: t });
  } catch {
    throw new UserError('BAD_TZ', `--tz ${text}: not an IANA time zone or ±HH:MM offset`);
  }
  return { kind: 'iana', name: t };
}

export function zoneName(z: Zone): string {
  return z.kind === 'utc' ? 'UTC' : z.name;
}

const offsetCache = new Map<string, number>();
/** Offset in minutes of zone `z` at UTC instant `utcUs` (cached per zone and hour). */
export function zoneOffsetMinutes(z: Zone, utcUs: number): number {
  if (z.kind === 'utc') return 0;
  if (z.kind === 'offset') return z.minutes;
  const hour = Math.floor(utcUs / 3_600_000_000);
  const key = z.name + '@' + hour;
  let off = offsetCache.get(key);
  if (off === undefined) {
    off = tzOffset(z.name, new Date(hour * 3_600_000));
    if (offsetCache.size > 10_000) offsetCache.clear();
    offsetCache.set(key, off);
  }
  return off;
}

/** Civil time fields (as written in a log with no zone) to UTC µs, in zone `z`. */
export function civilToUs(
  year: number, month: number, day: number, hour: number, minute: number, second: number, micros: number, z: Zone,
): number {
  const asUtc = Date.UTC(year, month - 1, day, hour, minute, second) * 1000 + micros;
  if (z.kind === 'utc') return asUtc;
  // Two passes settle DST edges: guess with the offset at the civil instant, then re-check.
  let off = zoneOffsetMinutes(z, asUtc);
  off = zoneOffsetMinutes(z, asUtc - off * 60_000_000);
  return asUtc - off * 60_000_000;
}

const pad2 = (n: number) => (n < 10 ? '0' + n : '' + n);

/**
 * ISO-8601 UTC string with `digits` fractional digits (0, 3, 6 or 9): the source's own precision.
 * `nanos` (0..999) carries the sub-microsecond part of nanosecond sources.
 */
export function isoTime(us: number, digits: number, nanos = 0): string {
  const ms = Math.floor(us / 1000);
  const d = new Date(ms);
  let s =
    d.getUTCFullYear() + '-' + pad2(d.getUTCMonth() + 1) + '-' + pad2(d.getUTCDate()) + 'T' +
    pad2(d.getUTCHours()) + ':' + pad2(d.getUTCMinutes()) + ':' + pad2(d.getUTCSeconds());
  if (digits > 0) {
    const subUs = us - Math.floor(us / 1_000_000) * 1_000_000; // 0..999999
    const frac = (String(subUs).padStart(6, '0') + String(nanos).padStart(3, '0')).slice(0, digits);
    s += '.' + frac;
  }
  return s + 'Z';
}

const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/;

export interface ParsedTime { us: number; digits: number; nanos: number }

/** Parse an ISO-8601 / RFC 3339 timestamp; `fallback` zone when it carries none. Undefined if not one. */
export function parseIso(text: string, fallback: Zone = UTC): ParsedTime | undefined {
  const m = ISO_RE.exec(text);
  if (!m) return undefined;
  const frac = m[7] ?? '';
  const micros = frac ? Number((frac + '000000').slice(0, 6)) : 0;
  const nanos = frac.length > 6 ? Number((frac + '000').slice(6, 9)) : 0;
  const zone = m[8];
  let us: number;
  if (zone === undefined) {
    us = civilToUs(+m[1], +m[2], +m[3], +m[4], +m[5], +m[6], micros, fallback);
  } else {
    us = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) * 1000 + micros;
    if (zone !== 'Z') {
      const sign = zone[0] === '-' ? -1 : 1;
      const digitsOnly = zone.slice(1).replace(':', '');
      us -= sign * (Number(digitsOnly.slice(0, 2)) * 60 + Number(digitsOnly.slice(2, 4))) * 60_000_000;
    }
  }
  if (!Number.isFinite(us)) return undefined;
  return { us, digits: Math.min(frac.length, 9), nanos };
}

/** Seconds as a decimal string ("1715280754.463157000", "1563277473.182") to µs + digits. */
export function parseEpochSeconds(text: string): ParsedTime | undefined {
  const m = /^(\d{1,12})(?:\.(\d{1,9}))?$/.exec(text);
  if (!m) return undefined;
  const frac = m[2] ?? '';
  const us = Number(m[1]) * 1_000_000 + (frac ? Number((frac + '000000').slice(0, 6)) : 0);
  return { us, digits: frac.length, nanos: frac.length > 6 ? Number((frac + '000').slice(6, 9)) : 0 };
}

/** Human duration for reports: 850µs, 12.3ms, 4.20s, 3m07s. */
export function formatDuration(us: number): string {
  const a = Math.abs(us);
  if (a < 1000) return `${Math.round(us)}µs`;
  if (a < 1_000_000) return `${(us / 1000).toFixed(1)}ms`;
  if (a < 60_000_000) return `${(us / 1_000_000).toFixed(2)}s`;
  const m = Math.floor(a / 60_000_000);
  const s = Math.round((a - m * 60_000_000) / 1_000_000);
  return `${us < 0 ? '-' : ''}${m}m${pad2(s)}s`;
}
