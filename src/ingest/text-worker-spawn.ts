// Starting the split-mode worker (text-worker.ts). A worker thread takes ~50 ms to be up; bin/ starts
// one before the CLI's own imports load when a run will want it (analyze on a large regular file), so
// it is ready by the time the input is sniffed instead of ~50 ms after. Import-free beyond node:
// bin/ loads this first.
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import fs from 'node:fs';

/** A started worker; `ready` once it posted 'ready'; `onReady` is called then (set by the taker). */
export interface TextWorker {
  worker: Worker;
  ready: boolean;
  onReady?: () => void;
}

/** Files at least this big are framed on the worker (smaller ones are done before it would be up). */
export const SPLIT_MIN_BYTES = 16 << 20;

export const SPLIT_ENABLED = process.env.RESETSCOPE_TEXT_WORKER !== '0' && availableParallelism() >= 2;

export function spawnTextWorker(): TextWorker {
  const worker = new Worker(new URL('./text-worker.js', import.meta.url), { workerData: { resetscopeSplit: true } });
  const w: TextWorker = { worker, ready: false };
  const first = (m: unknown) => {
    if (m !== 'ready') return;
    worker.off('message', first);
    w.ready = true;
    w.onReady?.();
  };
  worker.on('message', first);
  return w;
}

let early: TextWorker | undefined;

/** Start a worker now for a later `takeTextWorker`; it does not keep the process alive until taken. */
export function prespawnTextWorker(): void {
  if (early !== undefined || !SPLIT_ENABLED) return;
  early = spawnTextWorker();
  early.worker.unref();
}

/** The pre-started worker (once), else a new one. */
export function takeTextWorker(): TextWorker {
  const w = early;
  early = undefined;
  if (w === undefined) return spawnTextWorker();
  w.worker.ref();
  return w;
}

/**
 * bin/: `analyze` with an input that is a regular, uncompressed file of at least SPLIT_MIN_BYTES gets
 * its worker started now. A guess from the arguments (an option's value may look like a path): a
 * worker that nobody takes costs ~30 ms of CPU and does not delay the exit. True when one was started.
 */
export function prespawnForArgs(args: string[]): boolean {
  if (args[0] !== 'analyze' || !SPLIT_ENABLED) return false;
  for (const a of args.slice(1)) {
    if (a.startsWith('-')) continue;
    try {
      const st = fs.statSync(a);
      if (!st.isFile() || st.size < SPLIT_MIN_BYTES) continue;
      const head = Buffer.alloc(2);
      const fd = fs.openSync(a, 'r');
      try { fs.readSync(fd, head, 0, 2, 0); } finally { fs.closeSync(fd); }
      if (head[0] === 0x1f && head[1] === 0x8b) continue; // gzip: read on the main thread
      prespawnTextWorker();
      return true;
    } catch {
      // not a readable file: the CLI reports it
    }
  }
  return false;
}
