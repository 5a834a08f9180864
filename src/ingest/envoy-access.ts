// Envoy / Istio access logs: the default format, every Istio text format, JSON (json_format and
// typed_json_format, any keys), and a user's own `--envoy-format`, all compiled by src/envoy/format-compiler.ts.
// Hot path (analyze = failuresOnly): a success line is recognised by its code and flags with indexOf and
// a few char reads, before anything is split or allocated (bench target ~400 MB/s on the default format).
import type { Event } from '../events.js';
import { UserError } from '../errors.js';
import type { IngestContext, IngestOptions, LineParser, TextFormat } from './types.js';
import { compileFormat, matchFormat, matchScore, type CompiledFormat, type MatchResult } from '../envoy/format-compiler.js';
import { BUILTIN_FORMATS } from '../envoy/istio-formats.js';
import { compileJsonTemplate, jsonToRecord, type AccessRecord, type JsonTemplate } from '../envoy/json-record.js';
import type { QuickLineParser } from './text-input.js';
import { newHopMemory, recordToEvent, type HopMemory } from '../envoy/access-event.js';
import { findBytes, quickBytes, quickSuccessBytes, quickSuccessText, type QuickBytes } from './quick-bytes.js';
import type { TimeParser } from '../envoy/start-time.js';

const BUILTINS: CompiledFormat[] = BUILTIN_FORMATS.map((b) => compileFormat(b.format, b.name)!);

export interface FormatSet {
  text: CompiledFormat[];
  /** The user's own format, when given (first in `text` too). */
  custom?: CompiledFormat;
  json?: JsonTemplate;
}

/** Compile `--envoy-format`: a text format string, or a `json_format` object as JSON. Bad config is a UserError. */
export function formatSet(envoyFormat?: string): FormatSet {
  if (!envoyFormat) return { text: BUILTINS };
  const t = envoyFormat.trim();
  if (t.startsWith('{')) {
    let obj: unknown;
    try {
      obj = JSON.parse(t);
    } catch (e) {
      throw new UserError('BAD_ENVOY_FORMAT', `--envoy-format: looks like a json_format but is not valid JSON (${(e as Error).message})`);
    }
    const json = compileJsonTemplate(obj);
    if (!json) throw new UserError('BAD_ENVOY_FORMAT', '--envoy-format: the JSON format has no %COMMAND% values');
    return { text: BUILTINS, json };
  }
  const custom = compileFormat(envoyFormat, 'custom');
  if (!custom) throw new UserError('BAD_ENVOY_FORMAT', '--envoy-format: no %COMMAND% operator in the format string');
  return { text: [custom, ...BUILTINS], custom };
}

export interface ParsedLine { rec: AccessRecord; format: string; time?: TimeParser; match?: MatchResult }

/** Best text-format match for a line; `prefer` is tried first and kept when it matches completely. */
export function matchLine(set: FormatSet, line: string, prefer?: CompiledFormat): { cf: CompiledFormat; m: MatchResult } | undefined {
  if (prefer) {
    const m = matchFormat(prefer, line);
    if (m && m.complete && !m.headless) return { cf: prefer, m };
  }
  let best: { cf: CompiledFormat; m: MatchResult; s: number } | undefined;
  for (const cf of set.text) {
    const m = matchFormat(cf, line);
    if (!m) continue;
    let s = matchScore(m);
    if (cf === set.custom) s += 1; // the user's word breaks ties
    if (!best || s > best.s) best = { cf, m, s };
  }
  return best;
}

function toRecord(cf: CompiledFormat, m: MatchResult): AccessRecord {
  const rec: AccessRecord = {};
  let extra: string[] | undefined;
  const segs = cf.segments, values = m.values;
  for (let k = 0; k < segs.length; k++) {
    const op = segs[k].op;
    const v = values[k];
    if (op === undefined || v === undefined) continue;
    if (op.field === 'extra') { if (v !== '-' && v !== '') (extra ??= []).push(v); }
    else if (rec[op.field] === undefined) rec[op.field] = v;
  }
  if (extra !== undefined) rec.extra = extra;
  return rec;
}

/** Parse one (unwrapped) line to a record, or undefined when no format fits. */
export function parseAccessLine(set: FormatSet, line: string, prefer?: CompiledFormat): (ParsedLine & { cf?: CompiledFormat }) | undefined {
  if (line.charCodeAt(0) === 123 /* { */) {
    const rec = jsonToRecord(line, set.json);
    return rec ? { rec, format: set.json ? 'custom-json' : 'json' } : undefined;
  }
  const hit = matchLine(set, line, prefer);
  if (!hit) return undefined;
  const rec = toRecord(hit.cf, hit.m);
  // A match that never reached the code or the flags is not an access-log line.
  if (rec.response_code === undefined && rec.response_flags === undefined) return undefined;
  const ts = hit.cf.fieldSeg.start_time;
  return { rec, format: hit.cf.name, time: ts !== undefined ? hit.cf.segments[ts].op!.time : undefined, match: hit.m, cf: hit.cf };
}

/**
 * Success by code and flags alone, read in place: `" 200 - ` right after the request line.
 * True only when the shape is certain; anything else goes to the full parser.
 */
export function quickSuccess(line: string, q: NonNullable<CompiledFormat['quick']>): boolean {
  return quickSuccessText(line, 0, line.length, q, line.indexOf(q.before));
}

// The success test on bytes lives in quick-bytes.ts (import-free: the split-mode worker loads it alone).
export { findBytes, quickBytes, quickSuccessBytes, type QuickBytes } from './quick-bytes.js';

function createParser(ctx: IngestContext): LineParser {
  const set = formatSet(ctx.options.envoyFormat);
  const failuresOnly = ctx.options.failuresOnly;
  let current: CompiledFormat | undefined = set.custom;
  const memory: HopMemory = newHopMemory();
  /** Last anchor hit in the current block (see quickSuccessBytes). */
  let hitBlock = -1;
  let hitAt = -1;
  /** `current.quick` as bytes, remade when `current` changes. */
  let qFor: CompiledFormat | undefined;
  let qb: QuickBytes | undefined;
  const parser: QuickLineParser = {
    quickBytes(buf: Buffer, start: number, end: number, block: number): boolean {
      if (!failuresOnly || current === undefined) return false;
      if (current !== qFor) {
        qFor = current;
        qb = current.quick ? quickBytes(current.quick) : undefined;
        hitBlock = -1;
      }
      if (qb === undefined) return false;
      if (block !== hitBlock || hitAt < start) {
        hitBlock = block;
        hitAt = findBytes(buf, qb.before, start);
      }
      if (!quickSuccessBytes(buf, start, end, qb, hitAt)) return false;
      ctx.stats.ok++;
      return true;
    },
    quickSpec() {
      return failuresOnly ? current?.quick : undefined;
    },
    parse(line: string, lineNo: number, collectorTimeUs?: number): Event | null | undefined {
      if (failuresOnly && current?.quick && quickSuccess(line, current.quick)) {
        ctx.stats.ok++;
        return null;
      }
      const p = parseAccessLine(set, line, current);
      if (!p) return undefined;
      if (p.cf && p.match?.complete && !p.match.headless) current = p.cf;
      const { event } = recordToEvent(p.rec, {
        source: ctx.source, lineNo, line, collectorTimeUs, time: p.time, format: p.format, memory,
      });
      if (p.match?.cut) event.truncated = true;
      // Failures are counted once, by the pipeline, for every format alike.
      if (event.cause === null && failuresOnly) { ctx.stats.ok++; return null; }
      return event;
    },
  };
  return parser;
}

/** 0..1: how many of these lines an Envoy access format explains (the user's own format when given). */
export function sniffEnvoyAccess(lines: string[], options: Pick<IngestOptions, 'envoyFormat'>): number {
  let set: FormatSet;
  try {
    set = formatSet(options.envoyFormat);
  } catch {
    return 0;
  }
  const sample = lines.filter((l) => l.trim()).slice(0, 50);
  if (!sample.length) return 0;
  let any = 0, custom = 0;
  for (const l of sample) {
    if (l.charCodeAt(0) === 123) {
      const rec = jsonToRecord(l, set.json);
      if (rec && (rec.response_flags !== undefined || rec.details !== undefined) && rec.response_code !== undefined) { any++; if (set.json) custom++; }
      continue;
    }
    const hit = matchLine(set, l);
    if (!hit) continue;
    const ok = hit.m.complete || (hit.m.cut && hit.m.fields >= 6);
    if (!ok) continue;
    any++;
    if (hit.cf === set.custom) custom++;
  }
  const frac = (set.custom || set.json) && custom ? custom / sample.length : any / sample.length;
  return Math.min(0.99, frac * 0.99);
}

export const envoyAccessFormat: TextFormat = {
  name: 'envoy-access',
  kind: 'text',
  sniff: (lines, options) => sniffEnvoyAccess(lines, options),
  open: (ctx) => createParser(ctx),
};
