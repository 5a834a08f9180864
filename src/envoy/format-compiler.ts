// Compile an Envoy access-log format string into a line matcher. The grammar is Envoy's substitution
// formatter (source/common/formatter/substitution_formatter.cc, usage.rst "Format Strings"):
// literal text, `%%` for `%`, and `%COMMAND%`, `%COMMAND(arg)%`, `%COMMAND(arg):N%` (value cut to N chars).
// The built-in Envoy/Istio formats go through this same compiler (istio-formats.ts).
import { parseResponseFlagsShared } from './response-flags.js';
import { compileStartTime, DEFAULT_TIME, type TimeParser } from './start-time.js';
import { operatorSpec, type FieldKey, type ValueKind } from './operators.js';

export interface OpSeg {
  name: string;
  arg?: string;
  maxLen?: number;
  field: FieldKey;
  kind: ValueKind;
  time?: TimeParser;
}
export type Segment = { lit: string; op?: undefined } | { lit?: undefined; op: OpSeg };

export interface CompiledFormat {
  name: string;
  source: string;
  segments: Segment[];
  /** Index of the segment holding each field (first occurrence). */
  fieldSeg: Partial<Record<FieldKey, number>>;
  /** Fast path (failuresOnly): the literal right before %RESPONSE_CODE% and the one between code and flags. */
  quick?: { before: string; between: string; after: string };
}

export interface MatchResult {
  /** Field values by segment index (undefined where not reached). */
  values: (string | undefined)[];
  /** Operator segments matched. */
  fields: number;
  /** The whole format matched and the line ended with it. */
  complete: boolean;
  /** The line ended inside the format (cut short): matched as far as it goes. */
  cut: boolean;
  /** The leading part of the format was missing (line pasted without `[START_TIME]`). */
  headless: boolean;
  /** Characters left over after the format ended. */
  trailing: number;
}

const OP_RE = /%([A-Z][A-Z0-9_]*)(?:\((.*?)\))?(?::(\d+))?%/y;

/** Compile; undefined when the string holds no command operator at all (not a format). */
export function compileFormat(source: string, name = 'custom'): CompiledFormat | undefined {
  // Formats pasted from YAML keep a literal `\n` at the end; a real trailing newline ends the line.
  const fmt = source.replace(/(\\n|\n)+$/, '');
  const segments: Segment[] = [];
  let lit = '';
  let ops = 0;
  for (let i = 0; i < fmt.length; ) {
    const c = fmt[i];
    if (c === '%') {
      if (fmt[i + 1] === '%') { lit += '%'; i += 2; continue; }
      OP_RE.lastIndex = i;
      const m = OP_RE.exec(fmt);
      if (m) {
        if (lit) { segments.push({ lit }); lit = ''; }
        const spec = operatorSpec(m[1], m[2]);
        const op: OpSeg = { name: m[1], field: spec.field, kind: spec.kind };
        if (m[2] !== undefined) op.arg = m[2];
        if (m[3] !== undefined) op.maxLen = Number(m[3]);
        if (spec.kind === 'time') op.time = m[2] ? compileStartTime(m[2]) : DEFAULT_TIME;
        segments.push({ op });
        ops++;
        i = OP_RE.lastIndex;
        continue;
      }
    }
    lit += c;
    i++;
  }
  if (lit) segments.push({ lit });
  if (!ops) return undefined;
  const fieldSeg: Partial<Record<FieldKey, number>> = {};
  segments.forEach((s, k) => { if (s.op && s.op.field !== 'extra' && fieldSeg[s.op.field] === undefined) fieldSeg[s.op.field] = k; });
  const out: CompiledFormat = { name, source, segments, fieldSeg };
  const c = fieldSeg.response_code, f = fieldSeg.response_flags;
  if (c !== undefined && f === c + 2 && segments[c - 1]?.lit && segments[c + 1]?.lit && segments[f + 1]?.lit) {
    const before = segments[c - 1].lit!;
    // The anchor must not occur earlier in the format's literals, or the first hit would be the wrong one.
    const earlier = segments.slice(0, c - 1).map((s) => s.lit ?? '').join('\u0000');
    if (!earlier.includes(before)) out.quick = { before, between: segments[c + 1].lit!, after: segments[f + 1].lit! };
  }
  return out;
}

/** Match a line against a compiled format; undefined when it does not fit. Never throws. */
export function matchFormat(cf: CompiledFormat, line: string): MatchResult | undefined {
  const segs = cf.segments;
  const first = segs[0];
  if (first.lit !== undefined && !line.startsWith(first.lit)) {
    // Pasted without the leading `[START_TIME] ` (istio/istio#45802): resume at a later literal.
    for (let k = 0; k < Math.min(segs.length, 6); k++) {
      const l = segs[k].lit;
      if (l === undefined) continue;
      for (let cut = l.indexOf(' '); cut >= 0; cut = l.indexOf(' ', cut + 1)) {
        const suffix = l.slice(cut + 1);
        if (suffix && line.startsWith(suffix)) {
          const r = matchFrom(segs, line, k + 1, suffix.length);
          if (r) { r.headless = true; return r; }
        }
      }
    }
    return undefined;
  }
  return matchFrom(segs, line, 0, 0);
}

function matchFrom(segs: Segment[], line: string, startSeg: number, startPos: number): MatchResult | undefined {
  const values: (string | undefined)[] = new Array(segs.length);
  let pos = startPos;
  let fields = 0;
  const n = line.length;
  for (let k = startSeg; k < segs.length; k++) {
    const s = segs[k];
    if (s.lit !== undefined) {
      if (line.startsWith(s.lit, pos)) { pos += s.lit.length; continue; }
      // Line ended here or inside this literal: cut short.
      if (pos >= n || s.lit.startsWith(line.slice(pos))) return { values, fields, complete: false, cut: true, headless: false, trailing: 0 };
      return undefined;
    }
    const op = s.op;
    // The line ended right before this field: cut short here.
    if (pos >= n) return { values, fields, complete: false, cut: true, headless: false, trailing: 0 };
    const next = segs[k + 1];
    let end: number;
    let cut = false;
    if (op.time) {
      // test(), not exec(): a sticky regex leaves lastIndex at the match's end, and no match array is made.
      op.time.re.lastIndex = pos;
      if (op.time.re.test(line)) end = op.time.re.lastIndex;
      else if (line.startsWith('-', pos)) end = pos + 1;
      else if (pos >= n) { cut = true; end = n; }
      else return undefined;
    } else if (next === undefined) {
      end = n;
    } else if (next.lit === undefined) {
      // Two operators side by side: numbers end where the digits do, tokens at a space.
      end = pos;
      if (op.kind === 'int' || op.kind === 'code') while (end < n && line.charCodeAt(end) >= 48 && line.charCodeAt(end) <= 57) end++;
      else { end = line.indexOf(' ', pos); if (end < 0) end = n; }
    } else {
      let from = pos;
      if (op.kind === 'details') {
        // `{local reset}` and similar old details carry spaces: skip the braces first.
        const brace = line.indexOf('{', pos);
        const stop = line.indexOf(next.lit, pos);
        if (brace >= 0 && (stop < 0 || brace < stop)) {
          const close = line.indexOf('}', brace);
          from = close < 0 ? n : close;
        }
      }
      end = line.indexOf(next.lit, from);
      if (end < 0) {
        // Cut short: drop a partial copy of the next literal (`..."` when `" ` was next).
        end = n;
        cut = true;
        for (let j = Math.min(next.lit.length - 1, n - pos); j > 0; j--) {
          if (line.endsWith(next.lit.slice(0, j))) { end = n - j; break; }
        }
      }
    }
    const v = line.slice(pos, end);
    if (!valid(op, v, cut)) return undefined;
    values[k] = v;
    fields++;
    pos = end;
    if (cut) return { values, fields, complete: false, cut: true, headless: false, trailing: 0 };
  }
  return { values, fields, complete: pos === n, cut: false, headless: false, trailing: n - pos };
}

function valid(op: OpSeg, v: string, cut: boolean): boolean {
  switch (op.kind) {
    case 'int':
      return v === '-' || (v.length > 0 && allDigits(v)) || (cut && v.length === 0);
    case 'code':
      return v === '-' || (v.length > 0 && v.length <= 3 && allDigits(v)) || (cut && v.length === 0);
    case 'flags':
      return parseResponseFlagsShared(v) !== undefined || (cut && v.length === 0);
    case 'token':
      return (v.length > 0 || cut) && v.indexOf(' ') < 0;
    case 'details':
      return v.length > 0 || cut;
    default:
      return true;
  }
}

function allDigits(v: string): boolean {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** Rank matches of different formats on one line: complete > cut; more fields; no leftovers. */
export function matchScore(r: MatchResult): number {
  return (r.complete ? 10_000 : r.trailing > 0 ? 0 : 5_000) + r.fields * 10 - (r.headless ? 5 : 0) - Math.min(r.trailing, 9);
}
