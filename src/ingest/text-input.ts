// The line framework every text format shares: split chunks into lines without copying more
// than needed, strip CR, unwrap collector prefixes, hand each line to the format's parser, and
// count everything that is not understood (never silent: skipped lines get a reason and an example).
import { isUtf8 } from 'node:buffer';
import fsp from 'node:fs/promises';
import type { CompiledFormat } from '../envoy/format-compiler.js';
import type { SplitBatch, SplitJob } from './text-worker.js';
import { postJob, releaseTextWorkers, SPLIT_ENABLED, SPLIT_MIN_BYTES, SPLIT_MIN_PER_WORKER, SPLIT_WORKERS, takeTextWorker, type TextWorker } from './text-worker-spawn.js';
import type { Event } from '../events.js';
import { LIMITS } from '../limits.js';
import { LEND_CHUNKS } from '../input.js';
import type { IngestContext, LineParser, TextFormat } from './types.js';
import { unwrapLine } from './wrappers.js';
import { isJsonWrapperLine, isJsonWrapperPrefix, isPodPrefix, noFffd } from './quick-bytes.js';
import { cutRanges } from './split-ranges.js';
import { zeroRunEnd } from '../input-bytes.js';

const EXAMPLE_CHARS = 200;

/** Lines of `head` for sniffing: the first `max` non-empty lines, unwrapped; a last partial line is dropped unless complete. */
export function sniffLines(head: Buffer, complete: boolean, max = 50): string[] {
  let text = head.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a byte order mark (see readTextEvents)
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
 * Optional fast path a line parser may offer: the line is `buf[start, end)` (newline and CR removed,
 * no collector wrapper, valid UTF-8, no NUL), read in place: no string is made. Return true when the
 * line is certainly understood and has nothing to report (the parser counts it in stats.ok); false
 * sends it down the full path (decoded to a string, unwrapped, parsed). Under `analyze` most lines are
 * successes: this is what keeps them from costing a string, a wrapper check and a parse each. `block`
 * changes whenever `buf`'s content may have (a counter: buffers are reused), so a parser may cache
 * search positions per block.
 *
 * `quick(text, start, end, block)` is the older string form (`text` a latin1 view, char index = byte
 * offset); a parser offering only that gets each candidate line as a latin1 string (slower, same result).
 */
export interface QuickLineParser extends LineParser {
  quickBytes?(buf: Buffer, start: number, end: number, block: number): boolean;
  quick?(text: string, start: number, end: number, block: number): boolean;
  /**
   * What `quickBytes` tests with right now (an Envoy format's quick anchor; undefined: no quick test).
   * Lets a worker thread run the same test (split mode, see readTextEvents): the object must stay the
   * same while the test does.
   */
  quickSpec?(): NonNullable<CompiledFormat['quick']> | undefined;
}

/**
 * Stream a text input through `format`, yielding event batches (one per chunk). Lines the format
 * does not understand are offered to the `fallbacks` (other text formats, opened on first use):
 * real logs mix kinds (an istio-proxy container prints access lines between debug lines).
 *
 * Work is on bytes: each chunk is checked once with native calls (`isUtf8`, a NUL search) and viewed
 * as a latin1 string (a memcpy; char index = byte offset) so newlines are found with the string
 * `indexOf` (faster per call than `Buffer#indexOf`) and the parser's `quick` test reads the few bytes
 * it needs in place. Only lines that need the full parse are decoded (UTF-8) from the chunk.
 * A chunk with invalid UTF-8 or a NUL byte falls back to the per-line checks (exact, just slower).
 */
export async function* readTextEvents(
  chunks: AsyncIterable<Buffer>, format: TextFormat, ctx: IngestContext, fallbacks: readonly TextFormat[] = [],
  split?: SplitSource,
): AsyncGenerator<Event[]> {
  // We keep no chunk past the next one (carries are copied): let the input reuse its buffers.
  (chunks as { [LEND_CHUNKS]?: () => void })[LEND_CHUNKS]?.();
  const parser = format.open(ctx) as QuickLineParser;
  const quick: ((buf: Buffer, start: number, end: number, block: number) => boolean) | undefined = parser.quickBytes
    ? parser.quickBytes.bind(parser)
    : parser.quick
      ? (buf, start, end, block) => parser.quick!(buf.toString('latin1', start, end), 0, end - start, block)
      : undefined;
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
  /** Start of a line whose newline has not come yet (pieces, copied). */
  let carry: Buffer[] = [];
  let carryLen = 0;
  /** Inside a line longer than MAX_LINE_BYTES: drop bytes until its newline. */
  let discarding = false;
  let discardStart = '';
  /**
   * NUL bytes where a line should start, followed by text: a log truncated while its writer kept its file
   * offset (logrotate's copytruncate leaves a hole of zeros, often megabytes, then the writer's next line).
   * They are passed over so that line is read, and reported (nul_padding) once the text after them is seen.
   * NULs up to a newline (or the end) stay what they were: a binary line. `nulRun` counts a run that a chunk's
   * end has cut before anything told which it is.
   */
  let nulRun = 0;
  const skipNuls = (buf: Buffer, pos: number, end: number, out: Event[]): number => {
    const p = zeroRunEnd(buf, pos, end);
    if (p === end) { nulRun += p - pos; return p; } // undecided: the next chunk tells
    if (buf[p] === NL) {
      // A line of NULs only: a binary line. Left to the binary check when it is all here; when a chunk's end
      // cut it, its first NULs are gone, so it is counted here as the carried line would have been.
      if (nulRun === 0) return pos;
      const n = nulRun + (p - pos);
      nulRun = 0;
      lineNo++;
      skipLine(ctx, out, 'binary', lineNo, '\0'.repeat(Math.min(n, EXAMPLE_CHARS + 1)));
      return p + 1;
    }
    const bytes = nulRun + (p - pos);
    nulRun = 0;
    const a = ctx.anomaly('nul_padding', { line: lineNo + 1 }, `${bytes} NUL byte(s) before line ${lineNo + 1} passed over (a log truncated while its writer kept writing at its old offset, e.g. logrotate copytruncate)`, { bytes });
    if (a) out.push(a);
    return p;
  };

  /** Full path for one line (lineNo already counted, newline and CR already removed, non-empty). */
  const handleLine = (line: string, out: Event[], suspectUtf8: boolean) => {
    // A UTF-8 byte order mark (Windows editors, PowerShell 7's utf8BOM) is not part of the first line.
    if (lineNo === 1 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    if (hasControl(line) && (line.indexOf('\0') >= 0 || looksBinary(line))) {
      skipLine(ctx, out, 'binary', lineNo, line);
      return;
    }
    const badUtf8 = suspectUtf8 && line.indexOf('\uFFFD') >= 0;
    const u = bareLine(line) ? { line, collectorTimeUs: undefined } : unwrapLine(line);
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

  /** One complete line held as bytes (a line that straddled chunks, or the last one without a newline). */
  const bytesLine = (b: Buffer, out: Event[]) => {
    lineNo++;
    let end = b.length;
    if (end > LIMITS.MAX_LINE_BYTES) { tooLong(ctx, out, lineNo, example(b, 0, end)); return; }
    if (end && b[end - 1] === CR) end--;
    if (!end) return;
    const sub = b.subarray(0, end);
    handleLine(sub.toString('utf8'), out, !isUtf8(sub));
  };

  /** Every line of buf[from, to): to is just past a newline, so each line there is complete. */
  let blocks = 0;
  const block = (buf: Buffer, from: number, to: number, out: Event[]) => {
    const id = blocks++;
    // The quick path skips the per-line checks, so it is only taken where they cannot fire:
    // valid UTF-8 (no U+FFFD from bad bytes), no NUL, no literal U+FFFD. Control characters
    // other than these do not change how a line starting with `[` or `{` is read (unwrapLine
    // returns it as is), except a line that is mostly control characters ("binary"), which the
    // quick test (a fixed byte shape: `" 200 - `) does not accept in practice; see bench/README.md.
    // All three are native scans of the block; lines are then found with Buffer#indexOf (memchr)
    // and a success line costs a few byte reads: no string, no allocation.
    let utf8 = -1; // unknown until a line needs it (-1), then 0 / 1
    let clean = false;
    if (quick !== undefined) {
      const region = buf.subarray(from, to);
      utf8 = isUtf8(region) ? 1 : 0;
      clean = utf8 === 1 && region.indexOf(0) < 0 && noFffd(region);
    }
    let pos = from;
    while (pos < to) {
      if (buf[pos] === 0) pos = skipNuls(buf, pos, to, out); // a run of NULs stops at the newline at the latest
      const nl = buf.indexOf(NL, pos);
      lineNo++;
      if (nl - pos > LIMITS.MAX_LINE_BYTES) {
        tooLong(ctx, out, lineNo, example(buf, pos, nl));
        pos = nl + 1;
        continue;
      }
      let end = nl;
      if (end > pos && buf[end - 1] === CR) end--;
      if (end === pos) { pos = nl + 1; continue; }
      if (clean) {
        const c0 = buf[pos];
        // unwrapLine's own fast exits: these lines carry no wrapper.
        if (((c0 === 91 /* [ */ && !isPodPrefix(buf, pos)) || (c0 === 123 /* { */ && !isJsonWrapperPrefix(buf, pos)))
          && quick!(buf, pos, end, id)) { pos = nl + 1; continue; }
      }
      if (utf8 < 0) utf8 = isUtf8(buf.subarray(from, to)) ? 1 : 0;
      handleLine(buf.toString('utf8', pos, end), out, utf8 === 0 && !isUtf8(buf.subarray(pos, end)));
      pos = nl + 1;
    }
  };

  const keepTail = (buf: Buffer, from: number, out: Event[]) => {
    if (carryLen === 0 && buf[from] === 0) from = skipNuls(buf, from, buf.length, out);
    if (from >= buf.length) return;
    const rest = buf.subarray(from);
    if (carryLen + rest.length > LIMITS.MAX_LINE_BYTES) {
      discarding = true;
      const startBytes = carry.length ? Buffer.concat([...carry, rest.subarray(0, EXAMPLE_BYTES)]) : rest;
      discardStart = example(startBytes, 0, Math.min(startBytes.length, EXAMPLE_BYTES));
      carry = []; carryLen = 0;
      return;
    }
    carry.push(Buffer.from(rest)); // a copy: the chunk's memory is not kept alive by a few bytes
    carryLen += rest.length;
  };

  /**
   * Frame `src` on this thread. With `handOff`, stop after a chunk once it says so and return the
   * offset where the next line starts (the carried partial line is dropped: the worker reads it again).
   */
  async function* frame(src: AsyncIterable<Buffer>, handOff?: () => boolean): AsyncGenerator<Event[], number | undefined> {
  for await (const chunk of src) {
    stats.bytes += chunk.length;
    let out: Event[] = [];
    let pos = 0;
    if (discarding || carryLen) {
      const nl = chunk.indexOf(NL);
      if (nl < 0) {
        if (!discarding) keepTail(chunk, 0, out); // still inside the over-long line otherwise
        if (out.length) yield out;
        continue;
      }
      if (discarding) {
        discarding = false;
        lineNo++;
        tooLong(ctx, out, lineNo, discardStart);
      } else {
        carry.push(chunk.subarray(0, nl));
        const line = Buffer.concat(carry, carryLen + nl);
        carry = []; carryLen = 0;
        bytesLine(line, out);
      }
      pos = nl + 1;
    }
    if (carryLen === 0 && !discarding && (chunk[pos] === 0 || nulRun !== 0)) pos = skipNuls(chunk, pos, chunk.length, out);
    const last = chunk.lastIndexOf(NL);
    // Blocks of ~BLOCK_BYTES cut at newlines: their latin1 strings stay in V8's young generation
    // (a 1 MiB string goes to old space, and 500 of them drive a mark-compact every few chunks).
    while (last >= pos) {
      let to = last + 1;
      if (to - pos > BLOCK_BYTES) {
        const nl = chunk.indexOf(NL, pos + BLOCK_BYTES);
        if (nl >= 0 && nl < last) to = nl + 1;
      }
      block(chunk, pos, to, out);
      pos = to;
      // Hand events on per block, not per 1 MiB chunk: a chunk's worth of events (thousands on an
      // NGINX error log) outlives a young-generation GC and gets promoted, which made GC ~40% of the run.
      if (out.length >= 256) {
        yield out;
        out = [];
      }
    }
    keepTail(chunk, pos, out);
    if (out.length) yield out;
    if (handOff !== undefined && !discarding && nulRun === 0 && handOff()) { // not inside a run of NULs: the worker does not pass over them
      const at = stats.bytes - carryLen;
      carry = []; carryLen = 0;
      return at;
    }
  }
  return undefined;
  }

  const splitter = split !== undefined && quick !== undefined && parser.quickSpec !== undefined ? startSplit(split) : undefined;
  if (splitter === undefined) {
    // This input is framed here: a worker bin/ started for it would only hold memory.
    releaseTextWorkers();
    yield* frame(chunks);
  }
  else {
    try {
      const at = yield* frame(chunks, () => splitter.ready && parser.quickSpec!() !== undefined && stats.bytes + SPLIT.minRest <= split!.size);
      if (at !== undefined) {
        await split!.close();
        stats.bytes = at;
        const spec = parser.quickSpec!()!;
        SPLIT.handOffs++;
        splitter.start(at, spec);
        // Lines from the workers, range after range, in order, through the same full path; `consumed` is
        // how far the file has been accounted for. If this parser's quick format changes (the workers'
        // successes were judged with `spec`) or a worker fails, the rest is framed here, from `consumed`.
        let base = lineNo;
        let consumed = at;
        let out: Event[] = [];
        let stop = false;
        for (;;) {
          const b = await splitter.next();
          if (b === undefined) { stop = true; break; }
          if (b.guessed) SPLIT.guessedBatches++;
          for (let k = 0; k < b.kind.length; k++) {
            stats.ok += b.okBefore[k];
            lineNo = base + b.line[k];
            if (b.kind[k] === 1) tooLong(ctx, out, lineNo, b.text[k]);
            else handleLine(b.text[k], out, b.suspect[k]);
            consumed = b.end[k];
            if (out.length >= 256) { yield out; out = []; }
            if (parser.quickSpec!() !== spec) { stop = true; break; }
          }
          if (stop) break;
          stats.ok += b.okTail;
          lineNo = base + b.lines;
          consumed = splitter.advance(b.bytes);
          splitter.ack(b);
          if (out.length) { yield out; out = []; }
          if (b.done) {
            // The next range's line numbers count on from this one's last line.
            if (!splitter.nextRange()) break;
            base = lineNo;
          }
        }
        if (out.length) yield out;
        stats.bytes = consumed;
        if (stop) {
          SPLIT.fallbacks++;
          splitter.stop();
          yield* frame(fileChunksFrom(split!.path, consumed));
        }
      }
    } finally {
      splitter.stop();
    }
  }
  const out: Event[] = [];
  if (nulRun !== 0) {
    // The input ended inside a run of NULs: its last line is NULs only, a binary line as it always was.
    lineNo++;
    skipLine(ctx, out, 'binary', lineNo, '\0'.repeat(Math.min(nulRun, EXAMPLE_CHARS + 1)));
  }
  if (discarding) {
    lineNo++;
    tooLong(ctx, out, lineNo, discardStart);
  } else if (carryLen) {
    bytesLine(Buffer.concat(carry, carryLen), out);
  }
  for (const p of [parser, ...others.map((o) => o.parser)]) {
    const tail = p?.end?.();
    if (tail) for (const e of tail) out.push(e);
  }
  stats.lines = lineNo;
  if (out.length) yield out;
}

/** A regular file readTextEvents may frame on a worker thread (not stdin, not gzip). */
export interface SplitSource {
  path: string;
  size: number;
  /** Release the input's own reader once the worker takes over. */
  close(): Promise<void>;
}

/**
 * Split mode: files of at least `minBytes` are framed on worker threads once the first is up (the main
 * thread frames the first chunks meanwhile) while this thread parses; `minRest`: not worth handing
 * over less. The rest of the file is cut at line starts into up to `workers` ranges of at least
 * `minPerWorker` bytes, one worker each; this thread takes their lines range after range.
 * RESETSCOPE_TEXT_WORKER=0 turns it off (to measure; the output is the same either way).
 */
export const SPLIT = {
  minBytes: SPLIT_MIN_BYTES,
  minRest: 4 << 20,
  enabled: SPLIT_ENABLED,
  workers: SPLIT_WORKERS,
  minPerWorker: SPLIT_MIN_PER_WORKER,
  /** Hand-overs and fallbacks (the main thread framing the rest itself) so far, for tests. */
  handOffs: 0,
  fallbacks: 0,
  /** Batches a worker framed on its own guess of the job, before the job came (text-worker.ts), for tests. */
  guessedBatches: 0,
  /** Ranges of the last hand-over, for tests. */
  lastRanges: 0,
};

interface Splitter {
  readonly ready: boolean;
  start(from: number, quick: NonNullable<CompiledFormat['quick']>): void;
  /** The current range's next batch, or undefined when its worker failed or exited before its last batch. */
  next(): Promise<SplitBatch | undefined>;
  /** Add a consumed batch's bytes; the absolute offset reached. */
  advance(bytes: number): number;
  /** Tell the batch's worker it was taken (it may run further ahead). */
  ack(b: SplitBatch): void;
  /** After a range's last batch: move to the next range; false when there is none. */
  nextRange(): boolean;
  stop(): void;
}

interface Lane {
  w: TextWorker;
  queue: SplitBatch[];
  acks: Int32Array;
  ended: boolean;
}

function startSplit(split: SplitSource): Splitter | undefined {
  if (!SPLIT.enabled || split.size < SPLIT.minBytes) return undefined;
  const lanes: Lane[] = [];
  let current = 0;
  let stopped = false;
  let wake: (() => void) | undefined;
  let at = 0;
  const addLane = (): Lane => {
    const w = takeTextWorker();
    const lane: Lane = { w, queue: [], acks: new Int32Array(new SharedArrayBuffer(8)), ended: false };
    w.onReady = () => wake?.();
    w.worker.on('message', (m: SplitBatch | 'ready') => {
      if (m === 'ready') return; // seen by spawnTextWorker
      lane.queue.push(m);
      wake?.();
    });
    const end = () => { lane.ended = true; wake?.(); };
    w.worker.on('error', end);
    w.worker.on('exit', end);
    lanes.push(lane);
    return lane;
  };
  // The first worker is started now: whether it is up decides when to hand over.
  addLane();
  return {
    // A worker framing on its guess of the job is handed over to at once: it is at the guessed offset already.
    get ready() { return (lanes[0].w.ready || lanes[0].w.guessing) && !lanes[0].ended; },
    start(from, quick) {
      at = from;
      const cuts = cutRanges(split.path, from, split.size, SPLIT.workers, SPLIT.minPerWorker);
      SPLIT.lastRanges = cuts.length;
      cuts.forEach((r, i) => {
        const lane = i === 0 ? lanes[0] : addLane();
        const job: SplitJob = { path: split.path, from: r.from, to: r.to, quick, acks: lane.acks.buffer as SharedArrayBuffer };
        postJob(lane.w, job);
      });
      releaseTextWorkers(); // started for ranges the rest of the file turned out too small for
    },
    async next() {
      const lane = lanes[current];
      while (!lane.queue.length && !lane.ended) await new Promise<void>((r) => { wake = r; });
      wake = undefined;
      return lane.queue.shift();
    },
    advance(bytes) { at += bytes; return at; },
    ack(b) {
      const acks = lanes[current].acks;
      Atomics.add(acks, 1, b.kib);
      Atomics.add(acks, 0, 1);
      Atomics.notify(acks, 0);
    },
    nextRange() {
      void lanes[current].w.worker.terminate();
      current++;
      return current < lanes.length;
    },
    stop() {
      if (stopped) return;
      stopped = true;
      for (const lane of lanes) void lane.w.worker.terminate();
    },
  };
}

/** The file from `from` on, in 1 MiB reads (split mode's fallback). */
async function* fileChunksFrom(path: string, from: number): AsyncGenerator<Buffer> {
  const h = await fsp.open(path, 'r');
  try {
    for (let pos = from; ;) {
      const buf = Buffer.allocUnsafe(1 << 20);
      const { bytesRead } = await h.read(buf, 0, buf.length, pos);
      if (!bytesRead) return;
      pos += bytesRead;
      yield bytesRead === buf.length ? buf : buf.subarray(0, bytesRead);
    }
  } finally {
    await h.close();
  }
}

const NL = 0x0a;
const CR = 0x0d;
/** Target size of the latin1 view made per block: under V8's large-object size (128 KiB). */
const BLOCK_BYTES = 64 * 1024;
/** U+FFFD as UTF-8: a chunk that has it literally takes the per-line path (it counts toward "binary"). */
/** Bytes decoded for a too-long line's example (EXAMPLE_CHARS characters of up to 4 bytes). */
const EXAMPLE_BYTES = EXAMPLE_CHARS * 4;

/** The first EXAMPLE_CHARS characters of buf[from, to), decoded. */
function example(buf: Buffer, from: number, to: number): string {
  return buf.toString('utf8', from, Math.min(to, from + EXAMPLE_BYTES)).slice(0, EXAMPLE_CHARS);
}

/**
 * Lines that `unwrapLine` would return unchanged, told from their first bytes: its own fast exits
 * (`[` but not `[pod/`, `{` but not a JSON wrapper's `{"log":` / `{"line":` / `{"labels":`) and NGINX's `YYYY/MM/DD ` head, which none of the
 * wrapper patterns can match (they need `YYYY-` or digits then `:`/`-`), when no ESC is there to strip.
 */
function bareLine(line: string): boolean {
  const c0 = line.charCodeAt(0);
  if (c0 === 91) return !line.startsWith('[pod/');
  if (c0 === 123) return !isJsonWrapperLine(line);
  return c0 >= 48 && c0 <= 57 && line.charCodeAt(4) === 47 /* / */ && isDigit4(line) && line.indexOf('\x1b') < 0;
}

function isDigit4(s: string): boolean {
  for (let i = 0; i < 4; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
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
