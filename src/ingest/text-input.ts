// The line framework every text format shares: split chunks into lines without copying more
// than needed, strip CR, unwrap collector prefixes, hand each line to the format's parser, and
// count everything that is not understood (never silent: skipped lines get a reason and an example).
import { isUtf8 } from 'node:buffer';
import type { Event } from '../events.js';
import { LIMITS } from '../limits.js';
import type { IngestContext, LineParser, TextFormat } from './types.js';
import { unwrapLine } from './wrappers.js';

const NL = 0x0a;
const EXAMPLE_CHARS = 200;

/** Lines of `head` for sniffing: the first `max` non-empty lines, unwrapped; a last partial line is dropped unless complete. */
export function sniffLines(head: Buffer, complete: boolean, max = 50): string[] {
  let text = head.toString('utf8');
  if (!complete) {
    const cut = text.lastIndexOf('\n');
    text = cut >= 0 ? text.slice(0, cut) : text;
  }
  const out: string[] = [];
  for (const l of text.split('\n')) {
    const line = l.endsWith('\r') ? l.slice(0, -1) : l;
    if (!line.trim() || line.includes('\0')) continue;
    out.push(unwrapLine(line).line);
    if (out.length >= max) break;
  }
  return out;
}

/**
 * Stream a text input through `format`, yielding event batches (one per chunk). Lines the format
 * does not understand are offered to the `fallbacks` (other text formats, opened on first use):
 * real logs mix kinds (an istio-proxy container prints access lines between debug lines).
 */
export async function* readTextEvents(
  chunks: AsyncIterable<Buffer>, format: TextFormat, ctx: IngestContext, fallbacks: readonly TextFormat[] = [],
): AsyncGenerator<Event[]> {
  const parser = format.open(ctx);
  const others: { format: TextFormat; parser?: LineParser }[] = fallbacks.filter((f) => f !== format).map((f) => ({ format: f }));
  const parseAny = (line: string, n: number, collectorTimeUs: number | undefined): ReturnType<LineParser['parse']> => {
    const res = parser.parse(line, n, collectorTimeUs);
    if (res !== undefined) return res;
    for (const o of others) {
      o.parser ??= o.format.open(ctx);
      const r = o.parser.parse(line, n, collectorTimeUs);
      if (r !== undefined) {
        ctx.stats.mixed_formats ??= {};
        ctx.stats.mixed_formats[o.format.name] = (ctx.stats.mixed_formats[o.format.name] ?? 0) + 1;
        return r;
      }
    }
    return undefined;
  };
  const stats = ctx.stats;
  let lineNo = 0;
  let carry: Buffer | null = null;
  /** Inside a line longer than MAX_LINE_BYTES: drop bytes until its newline. */
  let discarding = false;
  let discardStart = '';

  const handleLine = (line: string, out: Event[], suspectUtf8: boolean) => {
    lineNo++;
    if (line.length && line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
    if (!line.length) return;
    if (hasControl(line) && (line.indexOf('\0') >= 0 || looksBinary(line))) {
      skipLine(ctx, out, 'binary', lineNo, line);
      return;
    }
    const badUtf8 = suspectUtf8 && line.indexOf('\uFFFD') >= 0;
    const u = unwrapLine(line);
    const res = parseAny(u.line, lineNo, u.collectorTimeUs);
    if (res === undefined) {
      skipLine(ctx, out, badUtf8 ? 'invalid_utf8' : 'unparsed', lineNo, line);
      return;
    }
    if (badUtf8) {
      const a = ctx.anomaly('invalid_utf8', { line: lineNo }, 'line has bytes that are not valid UTF-8 (shown as U+FFFD); parsed anyway');
      if (a) out.push(a);
    }
    if (res === null) return;
    if (Array.isArray(res)) { for (const e of res) out.push(e); } else out.push(res);
  };

  for await (const chunk of chunks) {
    stats.bytes += chunk.length;
    let buf: Buffer = carry ? Buffer.concat([carry, chunk]) : chunk;
    carry = null;
    let start = 0;
    const out: Event[] = [];
    if (discarding) {
      const nl = buf.indexOf(NL);
      if (nl < 0) continue; // still inside the over-long line
      discarding = false;
      lineNo++;
      tooLong(ctx, out, lineNo, discardStart);
      start = nl + 1;
    }
    const last = buf.lastIndexOf(NL);
    if (last < start) {
      // No newline in this chunk: keep it, unless the line is already too long.
      const rest = buf.subarray(start);
      if (rest.length > LIMITS.MAX_LINE_BYTES) {
        discarding = true;
        discardStart = rest.subarray(0, EXAMPLE_CHARS).toString('utf8');
      } else carry = Buffer.from(rest);
      if (out.length) yield out;
      continue;
    }
    const body = buf.subarray(start, last);
    const suspect = !isUtf8(body);
    const text = body.toString('utf8');
    let pos = 0;
    for (;;) {
      const nl = text.indexOf('\n', pos);
      const end = nl < 0 ? text.length : nl;
      if (end - pos > LIMITS.MAX_LINE_BYTES) {
        lineNo++;
        tooLong(ctx, out, lineNo, text.slice(pos, pos + EXAMPLE_CHARS));
      } else handleLine(text.slice(pos, end), out, suspect);
      if (nl < 0) break;
      pos = nl + 1;
    }
    if (last + 1 < buf.length) {
      const rest = buf.subarray(last + 1);
      if (rest.length > LIMITS.MAX_LINE_BYTES) {
        discarding = true;
        discardStart = rest.subarray(0, EXAMPLE_CHARS).toString('utf8');
      } else carry = Buffer.from(rest);
    }
    if (out.length) yield out;
  }
  const out: Event[] = [];
  if (discarding) {
    lineNo++;
    tooLong(ctx, out, lineNo, discardStart);
  } else if (carry && carry.length) {
    handleLine(carry.toString('utf8'), out, !isUtf8(carry));
  }
  for (const p of [parser, ...others.map((o) => o.parser)]) {
    const tail = p?.end?.();
    if (tail) for (const e of tail) out.push(e);
  }
  stats.lines = lineNo;
  if (out.length) yield out;
}

function tooLong(ctx: IngestContext, out: Event[], lineNo: number, start: string) {
  skipLine(ctx, out, 'too_long', lineNo, start, `longer than ${LIMITS.MAX_LINE_BYTES} bytes`);
}

function skipLine(ctx: IngestContext, out: Event[], reason: string, lineNo: number, line: string, why?: string) {
  const example = line.length > EXAMPLE_CHARS ? line.slice(0, EXAMPLE_CHARS) + '…' : line;
  ctx.skip(reason, { line: lineNo }, example);
  const a = ctx.anomaly('skipped_line', { line: lineNo }, `line skipped: ${why ?? reason}`, { reason, raw: example });
  if (a) out.push(a);
}

/** Any C0 control other than TAB, or U+FFFD: the cheap test before the counting one (most lines have none). */
const CONTROL_RE = /[\x00-\x08\x0a-\x1f\ufffd]/;
function hasControl(line: string): boolean {
  return CONTROL_RE.test(line);
}

/** Mostly control characters: a binary file read as text. */
function looksBinary(line: string): boolean {
  let ctl = 0;
  const n = Math.min(line.length, 256);
  for (let i = 0; i < n; i++) {
    const c = line.charCodeAt(i);
    if ((c < 32 && c !== 9) || c === 0xfffd) ctl++;
  }
  return ctl > 8 && ctl * 4 > n;
}
