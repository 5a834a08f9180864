// Envoy access parser's success test (see envoy-access.ts quickSuccess) on strings and on bytes: no imports beyond
// types, so the split-mode worker (text-worker.ts) starts without loading the parsers.
import type { CompiledFormat } from '../envoy/format-compiler.js';

/** A format's quick anchor as bytes (UTF-8, as the lines are when the quick path runs). */
export interface QuickBytes { before: Buffer; between: Buffer; after: Buffer; b0: number; b1: number; a0: number }

export function quickBytes(q: NonNullable<CompiledFormat['quick']>): QuickBytes {
  const before = Buffer.from(q.before, 'utf8');
  const between = Buffer.from(q.between, 'utf8');
  const after = Buffer.from(q.after, 'utf8');
  return { before, between, after, b0: between.length === 1 ? between[0] : -1, b1: -1, a0: after.length === 1 ? after[0] : -1 };
}

/**
 * `quickSuccessText` on bytes: `buf[start, end)` is the line, `i` the anchor's first position at or
 * after `start` (or past `end`). Digits, the literal between code and flags, `-`, the literal after.
 */
export function quickSuccessBytes(buf: Buffer, start: number, end: number, q: QuickBytes, i: number): boolean {
  const bl = q.before.length;
  if (i < start || i + bl > end) return false;
  let p = i + bl;
  let code = 0;
  const digits = p;
  for (; p < end && p - digits < 4; p++) {
    const c = buf[p];
    if (c < 48 || c > 57) break;
    code = code * 10 + (c - 48);
  }
  if (p === digits || p - digits > 3) return false;
  const between = q.between, after = q.after;
  if (p + between.length + 1 + after.length > end) return false;
  if (q.b0 >= 0) {
    if (buf[p] !== q.b0) return false;
    p++;
  } else {
    for (let k = 0; k < between.length; k++, p++) if (buf[p] !== between[k]) return false;
  }
  if (buf[p] !== 45 /* - */) return false;
  p++;
  if (q.a0 >= 0) {
    if (buf[p] !== q.a0) return false;
  } else {
    for (let k = 0; k < after.length; k++, p++) if (buf[p] !== after[k]) return false;
  }
  return code < 502 || code > 504;
}

/**
 * First position of `needle` in `buf` at or after `from`, or buf.length. Buffer#indexOf with a number
 * is a fast native call (~15 ns here); with a Buffer needle it costs ~5x that, so: find the first byte, check the rest.
 */
export function findBytes(buf: Buffer, needle: Buffer, from: number): number {
  const b0 = needle[0], n = needle.length;
  for (let i = buf.indexOf(b0, from); i >= 0; i = buf.indexOf(b0, i + 1)) {
    let k = 1;
    while (k < n && buf[i + k] === needle[k]) k++;
    if (k === n) return i;
  }
  return buf.length;
}

/**
 * The success test on a string: `text[start, end)` is the line, `i` the anchor's first position at or
 * after `start` (or -1 / past `end`): digits, the literal between code and flags, `-`, the literal after.
 */
export function quickSuccessText(text: string, start: number, end: number, q: NonNullable<CompiledFormat['quick']>, i: number): boolean {
  if (i < start || i + q.before.length > end) return false;
  let p = i + q.before.length;
  let code = 0;
  const digits = p;
  for (; p < end && p - digits < 4; p++) {
    const c = text.charCodeAt(p);
    if (c < 48 || c > 57) break;
    code = code * 10 + (c - 48);
  }
  if (p === digits || p - digits > 3) return false;
  if (p + q.between.length + 1 + q.after.length > end || !text.startsWith(q.between, p)) return false;
  p += q.between.length;
  if (text.charCodeAt(p) !== 45 /* - */ || !text.startsWith(q.after, p + 1)) return false;
  return code < 502 || code > 504;
}

const FFFD_BYTES = Buffer.from([0xef, 0xbf, 0xbd]);
/** No literal U+FFFD in `b`: memchr for its lead byte first (a Buffer needle search is ~5x slower). */
export function noFffd(b: Buffer): boolean {
  return b.indexOf(0xef) < 0 || b.indexOf(FFFD_BYTES) < 0;
}

/** `[pod/` at buf[pos] (kubectl logs --prefix): a wrapper, so not a quick candidate. */
export function isPodPrefix(buf: Buffer, pos: number): boolean {
  return buf[pos + 1] === 112 && buf[pos + 2] === 111 && buf[pos + 3] === 100 && buf[pos + 4] === 47;
}

/**
 * A JSON collector wrapper at buf[pos] (`{` there): Docker json-file `{"log":`, Loki's logcli jsonl `{"labels":` /
 * `{"line":` (wrappers.ts). Not a quick candidate: the line is inside.
 */
export function isJsonWrapperPrefix(buf: Buffer, pos: number): boolean {
  if (buf[pos + 1] !== 34 /* " */ || buf[pos + 2] !== 108 /* l */) return false;
  const c3 = buf[pos + 3];
  if (c3 === 111 /* o */) return buf[pos + 4] === 103 && buf[pos + 5] === 34 && buf[pos + 6] === 58; // log":
  if (c3 !== 97 /* a */ && c3 !== 105 /* i */) return false;
  return c3 === 105
    ? buf[pos + 4] === 110 && buf[pos + 5] === 101 && buf[pos + 6] === 34 && buf[pos + 7] === 58 // ine":
    : buf[pos + 4] === 98 && buf[pos + 5] === 101 && buf[pos + 6] === 108 && buf[pos + 7] === 115 && buf[pos + 8] === 34 && buf[pos + 9] === 58; // abels":
}

/** isJsonWrapperPrefix on a string line. */
export function isJsonWrapperLine(line: string): boolean {
  return line.startsWith('{"log":') || line.startsWith('{"line":') || line.startsWith('{"labels":');
}

type Quick = NonNullable<CompiledFormat['quick']>;

/**
 * The quick anchors of the built-in text formats (envoy/istio-formats.ts; test/quick-guess.test.ts
 * checks this list against them). A framing worker started before the CLI has loaded guesses among
 * these to begin before the main thread has told it anything (text-worker.ts, speculative start).
 */
export const BUILTIN_QUICK: readonly Quick[] = [
  { before: '" ', between: ' ', after: ' ' },
  { before: '" ', between: ' ', after: ' "' },
];

/**
 * The anchor among `candidates` under which most lines of buf[0, end) are quick successes; on a tie the
 * longer one (' ' also passes lines made for ' "'). Undefined when none passes a line.
 */
export function guessQuick(buf: Buffer, end: number, candidates: readonly Quick[]): Quick | undefined {
  let best: Quick | undefined;
  let bestCount = 0;
  for (const c of candidates) {
    const q = quickBytes(c);
    let count = 0;
    let hit = -1; // the anchor's next position (one search serves every line before it)
    for (let s = 0; s < end; ) {
      let nl = buf.indexOf(10, s);
      if (nl < 0 || nl >= end) nl = end;
      if (hit < s) hit = findBytes(buf, q.before, s);
      if (quickSuccessBytes(buf, s, nl, q, hit)) count++;
      s = nl + 1;
    }
    if (count > bestCount || (count === bestCount && count > 0 && best !== undefined && c.after.length > best.after.length)) {
      best = c;
      bestCount = count;
    }
  }
  return best;
}

/** Two anchors are the same test. */
export function sameQuick(a: Quick, b: Quick): boolean {
  return a.before === b.before && a.between === b.between && a.after === b.after;
}
