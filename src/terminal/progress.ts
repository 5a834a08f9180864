// A progress line on stderr for long reads: bytes of total, rate, time left. It must never get
// in the way: nothing on a pipe, in CI logs, under --quiet, or for work that ends within a second
// (a flash of a bar on every small run is noise). stdout stays clean for the report.
import { sanitize } from './sanitize.js';
import { displayWidth, truncate } from './width.js';

export interface ProgressStreamLike {
  isTTY?: boolean;
  columns?: number;
  write(chunk: string): unknown;
}

export interface ProgressOptions {
  /** Total bytes when known (sum of file sizes); 0 or undefined for stdin / unknown. */
  total?: number;
  stream?: ProgressStreamLike;
  quiet?: boolean;
  env?: Record<string, string | undefined>;
  /** Show nothing before this much time has passed (ms). */
  delayMs?: number;
  /** Redraw at most this often (ms). */
  intervalMs?: number;
  /** Clock (ms), for tests. */
  now?: () => number;
}

export interface Progress {
  /** Bytes read so far (absolute, across all inputs). */
  update(bytes: number, label?: string): void;
  /** Add to the bytes read so far. */
  add(delta: number, label?: string): void;
  /** Erase the line (if one was drawn). Idempotent. */
  done(): void;
  /** True when this progress can draw at all (TTY, not quiet). */
  readonly active: boolean;
}

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];
export function formatBytes(n: number): string {
  let v = n;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v}B` : `${v < 10 ? v.toFixed(1) : Math.round(v)}${UNITS[u]}`;
}

export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** The one line drawn, without control codes (exported for tests). */
export function progressLine(bytes: number, total: number, elapsedMs: number, width: number, label = ''): string {
  const rate = elapsedMs > 0 ? (bytes * 1000) / elapsedMs : 0;
  const rateText = `${formatBytes(Math.round(rate))}/s`;
  let tail: string;
  let bar = '';
  if (total > 0) {
    const frac = Math.max(0, Math.min(1, bytes / total));
    const eta = rate > 0 ? (total - bytes) / rate : NaN;
    tail = ` ${String(Math.floor(frac * 100)).padStart(3)}% ${formatBytes(bytes)}/${formatBytes(total)} ${rateText} ${formatEta(eta)} left`;
    // The label (which file) matters more than the bar: the bar takes what is left.
    const labelRoom = label ? Math.min(24, displayWidth(sanitize(label)) + 1) : 0;
    const barWidth = Math.max(0, Math.min(30, width - 1 - displayWidth(tail) - 2 - labelRoom));
    if (barWidth >= 5) {
      const filled = Math.round(frac * barWidth);
      bar = '[' + '#'.repeat(filled) + '-'.repeat(barWidth - filled) + ']';
    }
  } else {
    tail = ` ${formatBytes(bytes)} ${rateText}`;
  }
  const head = label ? sanitize(label) + ' ' : '';
  const room = width - 1 - displayWidth(bar) - displayWidth(tail);
  return (room > 3 ? truncate(head, room) : '') + bar + tail;
}

export function createProgress(opts: ProgressOptions = {}): Progress {
  const stream = opts.stream ?? process.stderr;
  const env = opts.env ?? process.env;
  const now = opts.now ?? Date.now;
  const delayMs = opts.delayMs ?? 1000;
  const intervalMs = opts.intervalMs ?? 100;
  const total = opts.total && opts.total > 0 ? opts.total : 0;
  const active = !opts.quiet && stream.isTTY === true && env.TERM !== 'dumb' && !env.CI;
  const start = now();
  let bytes = 0;
  let label = '';
  let lastDraw = -Infinity;
  let drawn = false;
  let finished = false;

  function draw(): void {
    const t = now();
    if (t - start < delayMs || t - lastDraw < intervalMs) return;
    lastDraw = t;
    const width = Math.max(20, (stream.columns ?? 80) - 1);
    // CR + erase-line: redraw in place; the bar never scrolls the terminal.
    stream.write('\r' + progressLine(bytes, total, t - start, width, label) + '\x1b[K');
    drawn = true;
  }

  return {
    get active() {
      return active;
    },
    update(b: number, l?: string) {
      if (!active || finished) return;
      bytes = b;
      if (l !== undefined) label = l;
      draw();
    },
    add(delta: number, l?: string) {
      if (!active || finished) return;
      bytes += delta;
      if (l !== undefined) label = l;
      draw();
    },
    done() {
      if (finished) return;
      finished = true;
      if (drawn) stream.write('\r\x1b[K');
    },
  };
}
