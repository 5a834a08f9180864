// `--format ndjson` / `resetscope events`: one event per line, written as events arrive (pino's
// model). `resetscope events big.pcap | head` must end quietly: when the reader goes away the
// write fails with EPIPE, and that is the user's "enough", not an error.
import type { Writable } from 'node:stream';
import { escapeJsonUnsafe, safeJsonStringify } from './json.js';

export interface NdjsonWriter {
  /** Write one object as a line. Returns false when the caller should `await ready()` (backpressure) or stop (`closed`). */
  write(obj: unknown): boolean;
  /** Write each object as a line, in one write (a line per write was a syscall and a Buffer per event). Same return as write(). */
  writeAll(objs: readonly unknown[]): boolean;
  /** Resolves when the stream can take more, or at once when it is closed. */
  ready(): Promise<void>;
  /** Flush and finish (does not close process.stdout). Resolves, never rejects, on a closed pipe. */
  end(): Promise<void>;
  /** True once the downstream reader has gone (EPIPE / destroyed): stop producing. */
  readonly closed: boolean;
  /** Lines written. */
  readonly lines: number;
}

export interface NdjsonWriterOptions {
  /** Called once when the downstream pipe closes (EPIPE): e.g. stop reading inputs and exit 0. */
  onClose?: () => void;
  /** Called with any other write error (the caller turns it into an I/O UserError). */
  onError?: (err: Error) => void;
}

/** True for errors that mean "the reader went away". */
export function isClosedPipe(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED' || code === 'ERR_STREAM_WRITE_AFTER_END';
}

export function ndjsonWriter(stream: Writable, opts: NdjsonWriterOptions = {}): NdjsonWriter {
  let closed = false;
  let lines = 0;
  let failed: Error | undefined;
  const waiters: (() => void)[] = [];

  const wake = () => {
    for (const w of waiters.splice(0)) w();
  };
  const close = () => {
    if (closed) return;
    closed = true;
    wake();
    opts.onClose?.();
  };
  const onError = (err: Error) => {
    if (isClosedPipe(err)) return close();
    if (failed) return;
    failed = err;
    closed = true;
    wake();
    if (opts.onError) opts.onError(err);
  };
  // Keep a listener for the stream's lifetime: an 'error' with no listener would crash the process.
  stream.on('error', onError);
  stream.on('drain', wake);
  stream.on('close', () => {
    if (!stream.writableFinished) close();
    wake();
  });

  return {
    get closed() {
      return closed;
    },
    get lines() {
      return lines;
    },
    write(obj: unknown): boolean {
      if (closed) return false;
      if (stream.destroyed) {
        close();
        return false;
      }
      lines++;
      // A callback catches EPIPE on stdout pipes, which Node reports asynchronously.
      return stream.write(safeJsonStringify(obj) + '\n', (err) => err && onError(err));
    },
    writeAll(objs: readonly unknown[]): boolean {
      if (closed) return false;
      if (stream.destroyed) {
        close();
        return false;
      }
      if (objs.length === 0) return true;
      let text = '';
      for (let i = 0; i < objs.length; i++) text += JSON.stringify(objs[i]) + '\n';
      lines += objs.length;
      // The escaping once over all the lines: it only rewrites characters that occur inside strings.
      return stream.write(escapeJsonUnsafe(text), (err) => err && onError(err));
    },
    ready(): Promise<void> {
      if (closed || !stream.writableNeedDrain) return Promise.resolve();
      return new Promise((resolve) => waiters.push(resolve));
    },
    end(): Promise<void> {
      return new Promise((resolve) => {
        if (closed || stream.destroyed) return resolve();
        // process.stdout must not be ended (later writes, exit code); flush by writing nothing.
        if (stream === (process.stdout as unknown as Writable)) {
          stream.write('', () => resolve());
          return;
        }
        stream.end(() => resolve());
        stream.once('error', () => resolve());
      });
    },
  };
}
