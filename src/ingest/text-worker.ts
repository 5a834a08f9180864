// Worker thread for readTextEvents' split mode (text-input.ts): frames the lines of one byte range
// of a regular file and runs the Envoy access parser's quick success test on them, exactly as
// readTextEvents' `block` does on the main thread, and sends back only the lines that need the full
// parse (as strings, with their line numbers and end offsets), too-long lines and the counts. The
// main thread parses those in order with its own (stateful) parser; see text-input.ts.
import fs from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { LIMITS } from '../limits.js';
import { BUILTIN_QUICK, findBytes, guessQuick, isJsonWrapperPrefix, isPodPrefix, noFffd, quickBytes, quickSuccessBytes, sameQuick, type QuickBytes } from './quick-bytes.js';
import { cutRanges, handOverGuess, READ_CHUNK_BYTES } from './split-ranges.js';
import type { CompiledFormat } from '../envoy/format-compiler.js';

export interface SplitJob {
  path: string;
  /** Where to start (a line start). */
  from: number;
  /** Where to stop (a line start, see lineBoundary), or null: to the end of the file, as the main thread would. */
  to: number | null;
  /** The main parser's quick anchor (CompiledFormat['quick']) at `from`. */
  quick: NonNullable<CompiledFormat['quick']>;
  /**
   * Int32Array over a SharedArrayBuffer: [0] batches and [1] KiB of line text the main thread has
   * taken (it adds each batch's `kib`); the worker waits while either is too far behind.
   */
  acks: SharedArrayBuffer;
}

/**
 * One batch. Items in file order, as parallel arrays: `kind` 0 = a line for the full parse
 * (`text`, `suspect`: its bytes are not valid UTF-8), 1 = too long (`text` is the example);
 * `line` the line number within the range (1-based), `end` the absolute offset past its newline,
 * `okBefore` the quick successes since the previous item. `lines`, `okTail`, `bytes`: totals of the
 * batch (lines framed, quick successes after its last item, bytes covered).
 */
export interface SplitBatch {
  kind: number[];
  line: number[];
  end: number[];
  okBefore: number[];
  text: string[];
  suspect: boolean[];
  lines: number;
  okTail: number;
  bytes: number;
  /** KiB of line text in the batch (rounded up): what the main thread acknowledges in acks[1]. */
  kib: number;
  done: boolean;
  /** Framed before the job came, on the worker's own guess of it (speculative start; counted for tests). */
  guessed: boolean;
}

/**
 * How far a worker may run ahead of the main thread: batches, and KiB of line text (what bounds memory
 * on a failure-heavy log). Generous, because with several workers the later ones run ahead while the
 * main thread still takes the first one's lines: on an ordinary log (1% failures) a 250 MB range is
 * ~125 batches and ~3 MB of text.
 */
export const SPLIT_MAX_AHEAD = 1024;
export const SPLIT_MAX_AHEAD_KIB = 16 << 10;
/** Reads small enough that the bytes are still in cache when framed (2 MiB reads measured ~15% slower). */
const READ_BYTES = 128 << 10;
/** Input bytes per batch sent to the main thread. */
const BATCH_BYTES = 2 << 20;
const BLOCK_BYTES = 64 * 1024;
const EXAMPLE_BYTES = 200 * 4;

/** What bin/ tells a worker it starts early for a file (text-worker-spawn.ts prespawnForArgs). */
export interface SplitGuessData {
  path: string;
  size: number;
  /** This worker's range among `ranges` (cutRanges with these arguments, from the guessed hand-over). */
  lane: number;
  ranges: number;
  minPerWorker: number;
}

/**
 * The main thread's job, thrown out of a speculative run that guessed it wrong (another file, another
 * offset or another format): the worker starts over with it.
 */
class WrongGuess {
  constructor(readonly job: SplitJob) {}
}

/**
 * Speculative start. The main thread can only send a job once the CLI has loaded, opened the input
 * and parsed its first lines (~0.1 s after bin/ started this worker), so a worker bin/ starts for a
 * file guesses that job (the hand-over offset after the first read, its range, a built-in format's
 * quick anchor) and frames from there at once, holding its batches. When the real job comes it sends
 * them if the guess was right, or starts over with the job if not: the lines sent are the same either
 * way. Undefined when nothing sensible can be guessed (no anchor passes the file's first lines).
 */
function guessJob(g: SplitGuessData): SplitJob | undefined {
  const fd = fs.openSync(g.path, 'r');
  const head = Buffer.allocUnsafe(READ_CHUNK_BYTES);
  let from: number;
  try {
    from = handOverGuess(fd, g.size, head);
  } finally {
    fs.closeSync(fd);
  }
  if (from < 0) return undefined;
  const quick = guessQuick(head.subarray(0, from), from, BUILTIN_QUICK);
  const range = quick && cutRanges(g.path, from, g.size, g.ranges, g.minPerWorker)[g.lane];
  if (!quick || !range) return undefined;
  return { path: g.path, from: range.from, to: range.to, quick, acks: new SharedArrayBuffer(8) };
}

const sameJob = (a: SplitJob, b: SplitJob) => a.path === b.path && a.from === b.from && a.to === b.to && sameQuick(a.quick, b.quick);

/**
 * The main thread's job, taken from the port without returning to the event loop (the framing loop is
 * synchronous). With `wait`, sleeps on `signal` (the main thread bumps it after posting) until it comes.
 */
function takeJob(signal: Int32Array, wait: boolean): SplitJob | undefined {
  for (;;) {
    const m = receiveMessageOnPort(parentPort!);
    if (m !== undefined) return m.message as SplitJob;
    if (!wait) return undefined;
    Atomics.wait(signal, 0, Atomics.load(signal, 0), 100);
  }
}

/**
 * Frame `job`'s range. `guessed`: the job is our own guess (see guessJob): batches are held until the
 * main thread's job confirms it (then sent) or differs (WrongGuess is thrown).
 */
function run(job: SplitJob, guessed = false, signal?: Int32Array): void {
  const q = quickBytes(job.quick);
  let acks = new Int32Array(job.acks);
  const fd = fs.openSync(job.path, 'r');
  const held: SplitBatch[] = [];
  let heldKib = 0;
  /** While guessing: whether the main thread's job has come and matches (then send what is held). */
  const confirm = (wait: boolean): boolean => {
    const real = takeJob(signal!, wait);
    if (real === undefined) return false;
    if (!sameJob(real, job)) {
      fs.closeSync(fd);
      throw new WrongGuess(real);
    }
    guessed = false;
    acks = new Int32Array(real.acks);
    for (const h of held.splice(0)) {
      h.guessed = true;
      post(h);
    }
    return true;
  };
  const MAX = LIMITS.MAX_LINE_BYTES;
  const buf = Buffer.allocUnsafe(READ_BYTES + MAX + 1); // a kept partial line (≤ MAX) + one read
  const to = job.to ?? Infinity;
  let sent = 0;
  let sentKib = 0;
  let textBytes = 0;
  let lineNo = 0;
  let ok = 0;
  let b = newBatch();
  let batchStart = job.from;
  /** Offset in the file of buf[0]. */
  let base = job.from;
  let len = 0; // bytes in buf
  let pos = job.from; // next file offset to read
  let discarding = false;
  let discardExample = '';

  const example = (from: number, to: number) => buf.toString('utf8', from, Math.min(to, from + EXAMPLE_BYTES)).slice(0, 200);
  const item = (kind: number, text: string, suspect: boolean, endAbs: number) => {
    b.kind.push(kind); b.line.push(lineNo); b.end.push(endAbs); b.okBefore.push(ok); b.text.push(text); b.suspect.push(suspect);
    textBytes += text.length;
    ok = 0;
  };
  const post = (batch: SplitBatch) => {
    // Wait while the main thread is too far behind (differences: the counters may wrap).
    for (;;) {
      const acked = Atomics.load(acks, 0);
      if (batch.done || (((sent - acked) | 0) < SPLIT_MAX_AHEAD && ((sentKib - Atomics.load(acks, 1)) | 0) < SPLIT_MAX_AHEAD_KIB)) break;
      Atomics.wait(acks, 0, acked, 50);
    }
    parentPort!.postMessage(batch);
    sent++;
    sentKib = (sentKib + batch.kib) | 0;
  };
  const flush = (done: boolean, upTo: number) => {
    b.lines = lineNo; b.okTail = ok; b.bytes = upTo - batchStart; b.done = done;
    b.kib = Math.ceil(textBytes / 1024);
    ok = 0;
    textBytes = 0;
    batchStart = upTo;
    if (guessed) {
      held.push(b);
      heldKib += b.kib;
      // Held within the same bounds as sent batches; at the end or the bound, wait for the job.
      confirm(done || held.length >= SPLIT_MAX_AHEAD || heldKib >= SPLIT_MAX_AHEAD_KIB);
    } else post(b);
    b = newBatch();
  };

  for (;;) {
    const n = pos < to ? fs.readSync(fd, buf, len, Math.min(READ_BYTES, to - pos), pos) : 0;
    pos += n;
    len += n;
    const eof = n === 0;
    let s = 0;
    if (discarding) {
      const nl = buf.indexOf(10, 0);
      if (nl < 0 || nl >= len) { base += len; len = 0; if (eof) break; continue; }
      discarding = false;
      lineNo++;
      item(1, discardExample, false, base + nl + 1);
      s = nl + 1;
    }
    const last = len > 0 ? buf.lastIndexOf(10, len - 1) : -1; // (a negative offset counts from the end)
    while (s <= last) {
      let to = last + 1;
      if (to - s > BLOCK_BYTES) {
        const nl = buf.indexOf(10, s + BLOCK_BYTES);
        if (nl >= 0 && nl < last) to = nl + 1;
      }
      // readTextEvents' `block`, line for line.
      const region = buf.subarray(s, to);
      const utf8 = isUtf8(region);
      const clean = utf8 && region.indexOf(0) < 0 && noFffd(region);
      while (s < to) {
        if (clean) {
          // The common case, in a small function V8 optimises on its own: a run of success lines.
          const next = skipSuccesses(buf, s, to, q, MAX);
          ok += next.lines;
          lineNo += next.lines;
          s = next.at;
          if (s >= to) break;
        }
        const nl = buf.indexOf(10, s);
        lineNo++;
        if (nl - s > MAX) { item(1, example(s, nl), false, base + nl + 1); s = nl + 1; continue; }
        let end = nl;
        if (end > s && buf[end - 1] === 13) end--;
        if (end === s) { s = nl + 1; continue; }
        item(0, buf.toString('utf8', s, end), !utf8 && !isUtf8(buf.subarray(s, end)), base + nl + 1);
        s = nl + 1;
      }
    }
    // Keep the partial last line at the front of the buffer.
    const rest = len - s;
    if (eof) {
      if (rest > 0) {
        lineNo++;
        let end = len;
        if (rest > MAX) item(1, example(s, len), false, base + len);
        else {
          if (buf[end - 1] === 13) end--;
          if (end > s) item(0, buf.toString('utf8', s, end), !isUtf8(buf.subarray(s, end)), base + len);
        }
      }
      break;
    }
    if (rest > MAX) {
      discarding = true;
      discardExample = example(s, len);
      base += len; len = 0;
    } else {
      buf.copy(buf, 0, s, len);
      base += s; len = rest;
    }
    if (b.kind.length >= 256 || base - batchStart >= BATCH_BYTES || textBytes >= 1 << 20) flush(false, base);
  }
  if (discarding) { lineNo++; item(1, discardExample, false, pos); }
  fs.closeSync(fd);
  flush(true, pos);
}

const run1 = { lines: 0, at: 0 };
/**
 * From the line start `s`, pass over the lines of buf[s, to) that the quick test calls successes,
 * exactly as readTextEvents' `block` tests them; stop at the first line that needs anything else (an
 * empty, CR-only or over-long line, one that may carry a wrapper, one that is not a quick success).
 * Returns the lines passed and the stopping line's start (a reused object: no allocation per run).
 */
function skipSuccesses(buf: Buffer, s: number, to: number, q: QuickBytes, max: number): { lines: number; at: number } {
  let lines = 0;
  let hit = -1;
  while (s < to) {
    const nl = buf.indexOf(10, s);
    if (nl - s > max) break;
    let end = nl;
    if (end > s && buf[end - 1] === 13) end--;
    if (end === s) break;
    const c0 = buf[s];
    // unwrapLine's own fast exits (`[` but not `[pod/`, `{` but not `{"log":`): these lines carry no wrapper.
    if (!((c0 === 91 && !isPodPrefix(buf, s)) || (c0 === 123 && !isJsonWrapperPrefix(buf, s)))) break;
    if (hit < s) hit = findBytes(buf, q.before, s);
    if (!quickSuccessBytes(buf, s, end, q, hit)) break;
    lines++;
    s = nl + 1;
  }
  run1.lines = lines;
  run1.at = s;
  return run1;
}

function newBatch(): SplitBatch {
  return { kind: [], line: [], end: [], okBefore: [], text: [], suspect: [], lines: 0, okTail: 0, bytes: 0, kib: 0, done: false, guessed: false };
}

// Started early (its imports load while the main thread frames the first chunks itself); the job
// comes once the main thread knows where to hand over. A worker bin/ started for a file begins on its
// guess of that job (guessJob) and checks it against the real one as it goes.
if (parentPort && workerData?.resetscopeSplit) {
  const signal = new Int32Array(workerData.signal as SharedArrayBuffer);
  parentPort.postMessage('ready');
  const guess = workerData.guess ? guessJob(workerData.guess as SplitGuessData) : undefined;
  if (guess === undefined) parentPort.once('message', (job: SplitJob) => run(job));
  else {
    try {
      run(guess, true, signal);
    } catch (err) {
      if (!(err instanceof WrongGuess)) throw err;
      run(err.job);
    }
  }
}
