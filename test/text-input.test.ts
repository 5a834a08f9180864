// The line framework (src/ingest/text-input.ts): every streaming edge case its byte-level fast
// path could break. Each case runs whole, split at every byte position, and in 1-byte chunks, with
// and without the parser's `quick` path, and must give the same lines, numbers and counts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readTextEvents, type QuickLineParser } from '../src/ingest/text-input.js';
import type { IngestContext, TextFormat } from '../src/ingest/types.js';
import { makeContext, newStats } from '../src/pipeline.js';
import { openInput } from '../src/input.js';
import { LIMITS } from '../src/limits.js';
import { UTC } from '../src/time.js';

interface Seen { line: number; text: string }
interface Result {
  seen: Seen[];
  quick: number[];
  lines: number;
  bytes: number;
  ok: number;
  skipped: Record<string, number>;
  /** `reason@line` of every skipped-line anomaly event, in order. */
  skips: string[];
  anomalies: Record<string, number>;
}

/**
 * A toy format: `[x] …` lines are understood (an event carrying the line), `[ok] …` lines are
 * successes (null; the quick path takes them in place), anything else is not understood.
 */
function toyFormat(withQuick: boolean | 'string', seen: Seen[], quickLines: number[]): TextFormat {
  return {
    name: 'toy', kind: 'text', sniff: () => 0,
    open(ctx: IngestContext) {
      let n = 0;
      const p: QuickLineParser = {
        parse(line, lineNo) {
          n = lineNo;
          if (line.startsWith('[ok]')) { ctx.stats.ok++; return null; }
          if (!line.startsWith('[')) return undefined;
          seen.push({ line: lineNo, text: line });
          return { kind: 'toy', line: lineNo, ts_us: null } as never;
        },
      };
      if (withQuick === true) {
        p.quickBytes = (buf, start, end) => {
          if (end - start < 4 || buf.toString('latin1', start, start + 4) !== '[ok]') return false;
          quickLines.push(++n);
          ctx.stats.ok++;
          return true;
        };
      } else if (withQuick === 'string') {
        p.quick = (text, start, end) => {
          if (!text.startsWith('[ok]', start) || end - start < 4) return false;
          quickLines.push(++n); // the framework counts lines; we only note that the fast path ran
          ctx.stats.ok++;
          return true;
        };
      }
      return p;
    },
  };
}

async function run(chunks: Buffer[], withQuick: boolean | 'string' = true): Promise<Result> {
  const seen: Seen[] = [];
  const quick: number[] = [];
  const stats = newStats('t');
  const ctx = makeContext('t', { tz: UTC, tzGiven: false, failuresOnly: true }, stats);
  const skips: string[] = [];
  async function* src() { for (const c of chunks) yield c; }
  for await (const batch of readTextEvents(src(), toyFormat(withQuick, seen, quick), ctx)) {
    for (const e of batch) {
      if (e.kind === 'anomaly.skipped_line') skips.push(`${(e as unknown as { reason: string }).reason}@${e.line}`);
    }
  }
  return { seen, quick, lines: stats.lines, bytes: stats.bytes, ok: stats.ok, skipped: stats.skipped_by_reason, skips, anomalies: stats.anomalies };
}

/** Same result whole, split at every byte, and byte by byte; quick and full paths agree on lines. */
async function check(input: Buffer, expect: (r: Result) => void) {
  const whole = await run([input]);
  expect(whole);
  const full = await run([input], false);
  expect(full);
  assert.deepEqual({ ...full, quick: [] }, { ...whole, quick: [] }, 'the quick path changes nothing but speed');
  const str = await run([input], 'string');
  assert.deepEqual({ ...str, quick: [] }, { ...whole, quick: [] }, 'the string form of quick agrees');
  const strip = (r: Result) => ({ ...r, quick: [] });
  for (let k = 1; k < input.length; k++) {
    const r = await run([input.subarray(0, k), input.subarray(k)]);
    assert.deepEqual(strip(r), strip(whole), `split at byte ${k}`);
  }
  const bytes = [...input].map((b) => Buffer.from([b]));
  assert.deepEqual(strip(await run(bytes)), strip(whole), '1-byte chunks');
}

const B = (s: string | Buffer[]) => (typeof s === 'string' ? Buffer.from(s, 'utf8') : Buffer.concat(s));

test('plain lines: exact numbers; empty lines count; quick successes count as ok', async () => {
  await check(B('[x] one\n[ok] two\n\n[x] four\nnot ours\n[ok] six\n'), (r) => {
    assert.deepEqual(r.seen, [{ line: 1, text: '[x] one' }, { line: 4, text: '[x] four' }]);
    assert.equal(r.lines, 6);
    assert.equal(r.ok, 2);
    assert.deepEqual(r.skipped, { unparsed: 1 });
    assert.deepEqual(r.skips, ['unparsed@5']);
    assert.equal(r.bytes, 45);
  });
});

test('CRLF: CR stripped (and only the last one)', async () => {
  await check(B('[x] a\r\n[ok] b\r\n[x] c\r\r\n\r\n'), (r) => {
    assert.deepEqual(r.seen, [{ line: 1, text: '[x] a' }, { line: 3, text: '[x] c\r' }]);
    assert.equal(r.lines, 4);
    assert.equal(r.ok, 1);
  });
});

test('a multi-byte UTF-8 character split across chunks decodes whole', async () => {
  await check(B('[x] héllo € 𝄞\n[ok] ü\n'), (r) => {
    assert.deepEqual(r.seen, [{ line: 1, text: '[x] héllo € 𝄞' }]);
    assert.deepEqual(r.anomalies, {});
    assert.equal(r.ok, 1);
  });
});

test('no trailing newline: the last line is still read; empty input reads nothing', async () => {
  await check(B('[x] a\n[x] b'), (r) => {
    assert.deepEqual(r.seen.map((s) => s.line), [1, 2]);
    assert.equal(r.lines, 2);
  });
  await check(B('[ok] a\r'), (r) => { assert.equal(r.ok, 1); assert.equal(r.lines, 1); });
  const empty = await run([]);
  assert.deepEqual(empty, { seen: [], quick: [], lines: 0, bytes: 0, ok: 0, skipped: {}, skips: [], anomalies: {} });
  const zero = await run([Buffer.alloc(0), Buffer.alloc(0)]);
  assert.equal(zero.lines, 0);
});

test('NUL bytes: binary line skipped, even when it looks like a success', async () => {
  await check(B('[x] a\n[ok] b\0c\n\0\0\0\n[x] d\n'), (r) => {
    assert.deepEqual(r.seen.map((s) => s.line), [1, 4]);
    assert.deepEqual(r.skips, ['binary@2', 'binary@3']);
    assert.equal(r.ok, 0);
  });
});

test('NULs before text at a line start (a copytruncate hole) are passed over with one nul_padding, at every split', async () => {
  await check(B('\0\0\0\0[x] a\n[x] b\n\0\0\0\n\0\0[x] c\n'), (r) => {
    assert.deepEqual(r.seen, [{ line: 1, text: '[x] a' }, { line: 2, text: '[x] b' }, { line: 4, text: '[x] c' }]);
    assert.deepEqual(r.skips, ['binary@3'], 'NULs up to a newline stay a binary line');
    assert.equal(r.anomalies.nul_padding, 2, 'one per run that text follows');
    assert.equal(r.lines, 4);
  });
});

test('a line of mostly control characters is binary; a stray ESC or CR inside a line is not', async () => {
  const ctl = '\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c';
  await check(B(`[x] ${ctl}\n[x] a\x1b[0m b\r c\n`), (r) => {
    assert.deepEqual(r.skips, ['binary@1']);
    assert.deepEqual(r.seen, [{ line: 2, text: '[x] a\x1b[0m b\r c' }]);
  });
});

test('invalid UTF-8: unparsed lines skip as invalid_utf8, parsed and quick lines carry an anomaly', async () => {
  const bad = Buffer.from([0xff, 0xfe]);
  await check(B([B('[x] ok\n[x] a'), bad, B('\nzz'), bad, B('\n[ok] '), bad, B('\n[ok] fine\n')]), (r) => {
    assert.deepEqual(r.seen, [{ line: 1, text: '[x] ok' }, { line: 2, text: '[x] a\uFFFD\uFFFD' }]);
    assert.deepEqual(r.skips, ['invalid_utf8@3']);
    assert.equal(r.anomalies.invalid_utf8, 2, 'line 2 and the success on line 4');
    assert.equal(r.ok, 2);
    assert.equal(r.lines, 5);
  });
});

test('a line longer than MAX_LINE_BYTES in the middle: too_long at its number, the rest in step', async () => {
  const long = '[x] ' + 'y'.repeat(LIMITS.MAX_LINE_BYTES + 10);
  const input = B(`[x] first\n${long}\n[ok] third\n[x] fourth\n`);
  const expectIt = (r: Result) => {
    assert.deepEqual(r.seen.map((s) => s.line), [1, 4]);
    assert.deepEqual(r.skips, ['too_long@2']);
    assert.equal(r.ok, 1);
    assert.equal(r.lines, 4);
  };
  for (const size of [input.length, 64 * 1024, 1000, 7]) {
    const chunks: Buffer[] = [];
    for (let i = 0; i < input.length; i += size) chunks.push(input.subarray(i, i + size));
    expectIt(await run(chunks));
    expectIt(await run(chunks, false));
  }
  // The over-long line at the very end, with no newline.
  const r = await run([B('[x] a\n'), B(long.slice(0, 600_000)), B(long.slice(600_000))]);
  assert.deepEqual(r.skips, ['too_long@2']);
  assert.equal(r.lines, 2);
  // A line of exactly MAX_LINE_BYTES is read.
  const exact = '[x] ' + 'z'.repeat(LIMITS.MAX_LINE_BYTES - 4);
  const e = await run([B(`${exact}\n`)]);
  assert.equal(e.seen.length, 1);
  assert.equal(e.seen[0].text.length, LIMITS.MAX_LINE_BYTES);
});

test('big chunks cut into blocks: every line once, numbers exact, across block edges', async () => {
  const lines: string[] = [];
  for (let i = 1; i <= 20_000; i++) lines.push(i % 7 === 0 ? `[x] line ${i} ${'é'.repeat(i % 5)}` : `[ok] line ${i}`);
  const input = B(lines.join('\n') + '\n');
  const expectIt = (r: Result) => {
    assert.equal(r.lines, 20_000);
    assert.deepEqual(r.seen.map((s) => s.line), lines.map((_, i) => i + 1).filter((n) => n % 7 === 0));
    assert.equal(r.seen[1].text, '[x] line 14 éééé');
    assert.equal(r.ok, 20_000 - r.seen.length);
  };
  expectIt(await run([input]));
  expectIt(await run([input.subarray(0, 123_457), input.subarray(123_457)]));
  expectIt(await run([input], false));
});

test('a real file read through openInput (reused buffers) gives the same lines as the bytes', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'text-input-'));
  const file = path.join(dir, 'big.log');
  const lines: string[] = [];
  for (let i = 1; i <= 60_000; i++) lines.push(i % 11 === 0 ? `[x] ${i} ${'a'.repeat(i % 90)}` : `[ok] ${i} ${'b'.repeat(i % 70)}`);
  fs.writeFileSync(file, lines.join('\r\n'));
  try {
    const input = await openInput(file);
    const seen: Seen[] = [];
    const stats = newStats(file);
    const ctx = makeContext(file, { tz: UTC, tzGiven: false, failuresOnly: true }, stats);
    for await (const _ of readTextEvents(input.chunks, toyFormat(true, seen, []), ctx)) { /* drain */ }
    assert.equal(stats.lines, 60_000);
    assert.equal(stats.bytes, fs.statSync(file).size);
    assert.deepEqual(seen.map((s) => s.text), lines.filter((_, i) => (i + 1) % 11 === 0));
    assert.deepEqual(seen.map((s) => s.line), lines.map((_, i) => i + 1).filter((n) => n % 11 === 0));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
