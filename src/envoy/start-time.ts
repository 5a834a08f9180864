// %START_TIME% and %START_TIME(<strftime>)% as parsers: text -> µs since the epoch.
// Envoy's default rendering is UTC `YYYY-MM-DDTHH:MM:SS.mmmZ` (AccessLogDateTimeFormatter::fromTime,
// source/common/common/utility.cc); custom formats add `%s` (epoch seconds) and `%f`/`%1f`..`%9f`
// (fractional seconds; `%f` = 9 digits), envoy.md §1.1 and test/common/formatter/substitution_formatter_test.cc.
import { parseIso, type ParsedTime } from '../time.js';

export interface TimeParser {
  /** Sticky regex matching the rendered time at a position. */
  re: RegExp;
  parse(text: string): ParsedTime | undefined;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** The default: fast hand-written path for `2024-07-20T07:09:48.470Z`, parseIso for other ISO shapes. */
export const DEFAULT_TIME: TimeParser = {
  re: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})?/y,
  parse: parseDefaultTime,
};

let cachedDay = '';
let cachedDayMs = 0;

/** `YYYY-MM-DDTHH:MM:SS.mmmZ`: the day is cached (one Date.UTC per day, not per line). */
export function parseDefaultTime(t: string): ParsedTime | undefined {
  if (t.length === 24 && t.charCodeAt(23) === 90 /* Z */ && t.charCodeAt(19) === 46 /* . */ && t.charCodeAt(10) === 84 /* T */) {
    if (cachedDay === '' || !t.startsWith(cachedDay)) {
      const ms = Date.UTC(+t.slice(0, 4), +t.slice(5, 7) - 1, +t.slice(8, 10));
      if (!Number.isFinite(ms)) return undefined;
      cachedDay = t.slice(0, 10);
      cachedDayMs = ms;
    }
    const h = d2(t, 11), m = d2(t, 14), s = d2(t, 17);
    const frac = d2(t, 20) * 10 + (t.charCodeAt(22) - 48);
    if (h < 0 || m < 0 || s < 0 || frac < 0 || h > 23 || m > 59 || s > 60) return undefined;
    return { us: (cachedDayMs + ((h * 60 + m) * 60 + s) * 1000 + frac) * 1000, digits: 3, nanos: 0 };
  }
  return parseIso(t);
}

function d2(t: string, i: number): number {
  const a = t.charCodeAt(i) - 48, b = t.charCodeAt(i + 1) - 48;
  if (a < 0 || a > 9 || b < 0 || b > 9) return -1;
  return a * 10 + b;
}

type Part = 'Y' | 'm' | 'd' | 'H' | 'M' | 'S' | 's' | 'frac' | 'b' | 'z' | 'j' | 'skip';

/**
 * Compile a strftime-style START_TIME format (`%s.%3f`, `%Y/%m/%d %H:%M:%S`, `%FT%T%z`) into a parser.
 * Times without a zone are UTC: Envoy formats START_TIME in UTC (utility.cc uses gmtime).
 */
export function compileStartTime(fmt: string): TimeParser {
  const parts: Part[] = [];
  let src = '';
  const add = (re: string, p: Part) => { src += `(${re})`; parts.push(p); };
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i];
    if (c !== '%' || i + 1 >= fmt.length) { src += escapeRe(c); continue; }
    let n = fmt[++i];
    let width = 0;
    if (n >= '1' && n <= '9' && fmt[i + 1] === 'f') { width = +n; n = fmt[++i]; }
    switch (n) {
      case 'Y': add('\\d{4}', 'Y'); break;
      case 'm': add('\\d{1,2}', 'm'); break;
      case 'd': case 'e': add(' ?\\d{1,2}', 'd'); break;
      case 'H': add('\\d{1,2}', 'H'); break;
      case 'M': add('\\d{2}', 'M'); break;
      case 'S': add('\\d{2}', 'S'); break;
      case 's': add('\\d{1,12}', 's'); break;
      case 'f': add(`\\d{${width || 9}}`, 'frac'); break;
      case 'F': add('\\d{4}', 'Y'); src += '-'; add('\\d{2}', 'm'); src += '-'; add('\\d{2}', 'd'); break;
      case 'T': add('\\d{2}', 'H'); src += ':'; add('\\d{2}', 'M'); src += ':'; add('\\d{2}', 'S'); break;
      case 'b': case 'h': add('[A-Za-z]{3}', 'b'); break;
      case 'z': add('[+-]\\d{4}', 'z'); break;
      case 'Z': add('[A-Z]{1,5}', 'skip'); break;
      case 'j': add('\\d{3}', 'j'); break;
      case 'y': add('\\d{2}', 'skip'); break;
      case 'a': case 'A': case 'B': add('[A-Za-z]+', 'skip'); break;
      case 'p': add('[AP]M', 'skip'); break;
      case '%': src += '%'; break;
      default: src += escapeRe('%' + n);
    }
  }
  const re = new RegExp(src, 'y');
  const whole = new RegExp('^' + src + '$');
  return {
    re,
    parse(text: string): ParsedTime | undefined {
      const m = whole.exec(text);
      if (!m) return undefined;
      let Y = 1970, mo = 1, d = 1, H = 0, M = 0, S = 0, epoch: number | undefined, fracText = '', zoneMin = 0, doy = 0;
      for (let k = 0; k < parts.length; k++) {
        const v = m[k + 1];
        switch (parts[k]) {
          case 'Y': Y = +v; break;
          case 'm': mo = +v; break;
          case 'd': d = +v.trim(); break;
          case 'H': H = +v; break;
          case 'M': M = +v; break;
          case 'S': S = +v; break;
          case 's': epoch = +v; break;
          case 'frac': if (!fracText) fracText = v; break;
          case 'b': mo = MONTHS.indexOf(v.toLowerCase()) + 1 || 1; break;
          case 'z': zoneMin = (v[0] === '-' ? -1 : 1) * (+v.slice(1, 3) * 60 + +v.slice(3, 5)); break;
          case 'j': doy = +v; break;
        }
      }
      const micros = fracText ? Number((fracText + '000000').slice(0, 6)) : 0;
      const nanos = fracText.length > 6 ? Number((fracText + '000').slice(6, 9)) : 0;
      let us: number;
      if (epoch !== undefined) us = epoch * 1_000_000 + micros;
      else {
        const base = doy ? Date.UTC(Y, 0, doy) : Date.UTC(Y, mo - 1, d);
        us = (base + ((H * 60 + M) * 60 + S) * 1000) * 1000 + micros - zoneMin * 60_000_000;
      }
      if (!Number.isFinite(us)) return undefined;
      return { us, digits: Math.min(fracText.length, 9), nanos };
    },
  };
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
