// Starting the split-mode worker (text-worker.ts). A worker thread takes ~50 ms to be up; bin/ starts
// one before the CLI's own imports load when a run will want it (analyze on a large regular file), so
// it is ready by the time the input is sniffed instead of ~50 ms after. Imports only node: and the
// import-free capture sniff: bin/ loads this first.
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import fs from 'node:fs';
import { sniffCapture } from '../capture/sniff.js';
import { decodedBeforeReading } from '../input-bytes.js';
import type { SplitGuessData, SplitJob } from './text-worker.js';

/** A started worker; `ready` once it posted 'ready'; `onReady` is called then (set by the taker). */
export interface TextWorker {
  worker: Worker;
  ready: boolean;
  onReady?: () => void;
  /** Bumped after a job is posted: wakes a worker that started on its own guess (text-worker.ts). */
  signal: Int32Array;
  /** Started with a guess of its job: worth handing over to before it is even up (it frames from there). */
  guessing: boolean;
}

/** Files at least this big are framed on the worker (smaller ones are done before it would be up). */
export const SPLIT_MIN_BYTES = 16 << 20;

export const SPLIT_ENABLED = process.env.RESETSCOPE_TEXT_WORKER !== '0' && availableParallelism() >= 2;
/**
 * Framing workers for one large file (text-input.ts SPLIT.workers): one core is left to the main
 * thread (it parses the lines the workers send, correlates and reports), the others frame, up to 4.
 * On 2 cores that is one worker: forcing 2 or 3 there was slower (bench/README.md, 2026-11-21 08:40).
 * RESETSCOPE_TEXT_WORKERS=N sets another count (1-16).
 */
export const SPLIT_WORKERS = Math.max(1, Math.min(16, Number(process.env.RESETSCOPE_TEXT_WORKERS) || Math.min(4, availableParallelism() - 1)));
/** The least a worker's range may be (a smaller file gets fewer workers). */
export const SPLIT_MIN_PER_WORKER = 32 << 20;

/** Start a worker; with `guess`, it begins framing on its guess of the job it will get (text-worker.ts guessJob). */
export function spawnTextWorker(guess?: SplitGuessData): TextWorker {
  const signal = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(new URL('./text-worker.js', import.meta.url), { workerData: { resetscopeSplit: true, signal: signal.buffer, guess } });
  const w: TextWorker = { worker, ready: false, signal, guessing: guess !== undefined };
  const first = (m: unknown) => {
    if (m !== 'ready') return;
    worker.off('message', first);
    w.ready = true;
    w.onReady?.();
  };
  worker.on('message', first);
  return w;
}

const early: TextWorker[] = [];

/**
 * Start `count` workers now for later `takeTextWorker`s; they do not keep the process alive until taken.
 * With `file`, each guesses its range of that file and starts on it (see spawnTextWorker).
 */
export function prespawnTextWorkers(count: number, file?: { path: string; size: number }): void {
  if (early.length || !SPLIT_ENABLED) return;
  for (let i = 0; i < count; i++) {
    const guess = file && { path: file.path, size: file.size, lane: i, ranges: SPLIT_WORKERS, minPerWorker: SPLIT_MIN_PER_WORKER };
    const w = spawnTextWorker(guess);
    w.worker.unref();
    early.push(w);
  }
}

/** Stop the pre-started workers nobody took (an idle worker still holds ~10 MB of memory). */
export function releaseTextWorkers(): void {
  for (const w of early.splice(0)) void w.worker.terminate();
}

/** Give `w` its job (and wake it if it is waiting on a guess). */
export function postJob(w: TextWorker, job: SplitJob): void {
  w.worker.postMessage(job);
  Atomics.add(w.signal, 0, 1);
  Atomics.notify(w.signal, 0);
}

/** A pre-started worker (each once), else a new one. */
export function takeTextWorker(): TextWorker {
  const w = early.shift();
  if (w === undefined) return spawnTextWorker();
  w.worker.ref();
  return w;
}

/**
 * bin/: `analyze` with an input that is a regular file of at least SPLIT_MIN_BYTES, read as its bytes stand (input-bytes.ts), gets
 * its workers started now (as many as cutRanges will use). A guess from the arguments (an option's value may look like a path): a
 * worker that nobody takes costs ~30 ms of CPU and does not delay the exit. True when one was started.
 */
export function prespawnForArgs(args: string[]): boolean {
  if (args[0] !== 'analyze' || !SPLIT_ENABLED) return false;
  for (const a of args.slice(1)) {
    if (a.startsWith('-')) continue;
    try {
      const st = fs.statSync(a);
      if (!st.isFile() || st.size < SPLIT_MIN_BYTES) continue;
      const head = Buffer.alloc(12);
      const fd = fs.openSync(a, 'r');
      try { fs.readSync(fd, head, 0, head.length, 0); } finally { fs.closeSync(fd); }
      if (decodedBeforeReading(head)) continue; // gzip, UTF-16 (decoded on the main thread) or a compression we refuse
      if (sniffCapture(head) !== undefined) continue; // a capture: not framed as lines
      prespawnTextWorkers(Math.max(1, Math.min(SPLIT_WORKERS, Math.floor(st.size / SPLIT_MIN_PER_WORKER))), { path: a, size: st.size });
      return true;
    } catch {
      // not a readable file: the CLI reports it
    }
  }
  return false;
}
