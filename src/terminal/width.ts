// Column arithmetic for terminal output: how wide a string shows, how wide the terminal is,
// and how to fit text into a width without cutting an escape or a surrogate pair in half.
import { stripSgr } from './color.js';

export interface WidthStreamLike {
  isTTY?: boolean;
  columns?: number;
}

/** Width used when nothing tells us (a pipe, a file): wide enough for a ticket, narrow enough for a diff. */
export const DEFAULT_WIDTH = 100;
/** Below this the tables stop being tables; we render at this width and let the terminal wrap. */
export const MIN_WIDTH = 40;
/** Above this lines are hard to read even on a wide terminal. */
export const MAX_WIDTH = 200;

/** Terminal width: the TTY's columns, else $COLUMNS, else DEFAULT_WIDTH; clamped to [MIN_WIDTH, MAX_WIDTH]. */
export function terminalWidth(stream: WidthStreamLike, env: Record<string, string | undefined> = process.env): number {
  let w = stream.isTTY && stream.columns ? stream.columns : Number(env.COLUMNS);
  if (!Number.isFinite(w) || w <= 0) w = DEFAULT_WIDTH;
  return Math.max(MIN_WIDTH, Math.min(MAX_WIDTH, Math.floor(w)));
}

const ZERO_WIDTH_RE = /^[\p{Mn}\p{Me}\u200b-\u200d\u2060\ufe00-\ufe0f]$/u;

function isWide(cp: number): boolean {
  // East Asian Wide/Fullwidth and emoji blocks: the common ranges, enough for log text.
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf && cp !== 0x303f) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}

function charWidth(ch: string): number {
  const cp = ch.codePointAt(0) ?? 0;
  if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) return 0;
  if (cp < 0x300) return 1;
  if (ZERO_WIDTH_RE.test(ch)) return 0;
  return isWide(cp) ? 2 : 1;
}

/** Columns a (sanitized) string occupies; our own SGR colour codes count zero. */
export function displayWidth(s: string): number {
  const t = s.includes('\x1b') ? stripSgr(s) : s;
  let w = 0;
  for (const ch of t) w += charWidth(ch);
  return w;
}

/** Cut plain (uncoloured) text to `width` columns, ending with '…' when cut. */
export function truncate(s: string, width: number): string {
  if (width <= 0) return '';
  if (displayWidth(s) <= width) return s;
  let out = '';
  let w = 0;
  for (const ch of s) {
    const cw = charWidth(ch);
    if (w + cw > width - 1) break;
    out += ch;
    w += cw;
  }
  return out + '…';
}

/**
 * Wrap plain text to `width` columns: at spaces when it can, mid-word when a word is longer
 * than the line (URLs and log paths have no spaces). Keeps explicit newlines.
 */
export function wrap(s: string, width: number): string[] {
  const w = Math.max(1, width);
  const out: string[] = [];
  for (const para of s.split('\n')) {
    let line = '';
    let lineW = 0;
    for (const word of para.split(/(?<= )/)) {
      let rest = word;
      let restW = displayWidth(rest);
      if (lineW + restW <= w) {
        line += rest;
        lineW += restW;
        continue;
      }
      const trimmed = rest.trimEnd();
      if (lineW + displayWidth(trimmed) <= w) {
        out.push(line + trimmed);
        line = '';
        lineW = 0;
        continue;
      }
      if (line.trim() !== '') out.push(line.trimEnd());
      line = '';
      lineW = 0;
      while (restW > w) {
        let piece = '';
        let pw = 0;
        for (const ch of rest) {
          const cw = charWidth(ch);
          if (pw + cw > w) break;
          piece += ch;
          pw += cw;
        }
        if (piece === '') break;
        out.push(piece);
        rest = rest.slice(piece.length);
        restW = displayWidth(rest);
      }
      line = rest;
      lineW = restW;
    }
    out.push(line.trimEnd());
  }
  return out;
}
