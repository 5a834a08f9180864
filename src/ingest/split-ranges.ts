// Where split mode's byte ranges start and end (text-input.ts, text-worker.ts). Imports only node:fs:
// bin/ and the framing workers load it before (or without) the CLI.
import fs from 'node:fs';

/**
 * Bytes per read of a regular file (input.ts). The main thread frames its first read itself before it
 * hands the rest to a worker, so the hand-over offset follows from it (see handOverGuess).
 */
export const READ_CHUNK_BYTES = 1 << 20;

/**
 * Where the main thread hands a file over when it does so after its first read (the usual case: the
 * worker is up and the first lines told the parser its format): the start of the line cut by the read's
 * end, i.e. just past the last newline in the first READ_CHUNK_BYTES. -1 when that read holds no newline
 * (an over-long first line: the main thread would still be discarding it) or is the whole file.
 */
export function handOverGuess(fd: number, size: number, head: Buffer = Buffer.allocUnsafe(READ_CHUNK_BYTES)): number {
  if (size <= READ_CHUNK_BYTES) return -1;
  const n = fs.readSync(fd, head, 0, READ_CHUNK_BYTES, 0);
  if (n < READ_CHUNK_BYTES) return -1;
  const nl = head.lastIndexOf(10, n - 1);
  return nl < 0 ? -1 : nl + 1;
}

/**
 * `[from, size)` cut into at most `count` ranges of at least `minBytes`, each starting at a line start
 * (lineBoundary); the last one runs to the end of the file (to: null), as the main thread would read it.
 */
export function cutRanges(path: string, from: number, size: number, count: number, minBytes: number): { from: number; to: number | null }[] {
  const n = Math.max(1, Math.min(count, Math.floor((size - from) / Math.max(1, minBytes))));
  const starts = [from];
  if (n > 1) {
    const fd = fs.openSync(path, 'r');
    try {
      for (let i = 1; i < n; i++) {
        const b = lineBoundary(fd, from + Math.round(((size - from) * i) / n), size);
        if (b > starts[starts.length - 1] && b < size) starts.push(b);
      }
    } finally {
      fs.closeSync(fd);
    }
  }
  return starts.map((f, i) => ({ from: f, to: i + 1 < starts.length ? starts[i + 1] : null }));
}

/**
 * The start of the first line that starts at or after `x`: just past the first newline at or after
 * `x - 1`. Ranges cut here give every line to exactly one range (the one holding its first byte).
 * `size` when there is no newline before the end.
 */
export function lineBoundary(fd: number, x: number, size: number): number {
  if (x <= 0) return 0;
  const buf = Buffer.allocUnsafe(64 << 10);
  for (let pos = x - 1; pos < size; ) {
    const n = fs.readSync(fd, buf, 0, buf.length, pos);
    if (!n) break;
    const nl = buf.indexOf(10);
    if (nl >= 0 && nl < n) return pos + nl + 1;
    pos += n;
  }
  return size;
}

