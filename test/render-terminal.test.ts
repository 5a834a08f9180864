// The terminal side of rendering: sanitising hostile input text, colour decisions, widths,
// the progress line, atomic -o writes, and NDJSON streaming into a pipe that closes early.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { REPO } from './helpers.js';
import { sanitize, sanitizeMultiline, hasUnsafeChars } from '../src/terminal/sanitize.js';
import { shouldUseColor, palette, stripSgr } from '../src/terminal/color.js';
import { displayWidth, terminalWidth, truncate, wrap } from '../src/terminal/width.js';
import { createProgress, progressLine, formatBytes, formatEta } from '../src/terminal/progress.js';
import { writeOutputAtomic } from '../src/output.js';
import { UserError } from '../src/errors.js';
import { createTimelineCollector } from '../src/render/timeline.js';

test('sanitize: clear-screen, OSC 8 links, BEL, CR, bidi overrides become visible escapes', () => {
  assert.equal(sanitize('a\x1b[2Jb'), 'a\\x1b[2Jb');
  assert.equal(sanitize('\x1b]8;;http://evil.example/\x07click\x1b]8;;\x07'), '\\x1b]8;;http://evil.example/\\x07click\\x1b]8;;\\x07');
  assert.equal(sanitize('ring\x07'), 'ring\\x07');
  assert.equal(sanitize('200 OK\rHACKED'), '200 OK\\rHACKED');
  assert.equal(sanitize('file\u202egpj.exe'), 'file\\u202egpj.exe');
  assert.equal(sanitize('\u2066x\u2069\u200f'), '\\u2066x\\u2069\\u200f');
  assert.equal(sanitize('8-bit CSI \x9b2J'), '8-bit CSI \\x9b2J');
  assert.equal(sanitize('a\nb\tc\x00\x7f'), 'a\\nb\\tc\\x00\\x7f');
  assert.equal(sanitize('lone \ud800 surrogate'), 'lone \\ud800 surrogate');
  assert.equal(sanitize('ok: 日本語 emoji 🚀 C:\\path'), 'ok: 日本語 emoji 🚀 C:\\path', 'ordinary text untouched');
  assert.equal(sanitize(null), '');
  assert.equal(sanitize(42), '42');
  assert.equal(sanitizeMultiline('a\nb\r\x1b'), 'a\nb\\r\\x1b');
  assert.equal(hasUnsafeChars('fine'), false);
  assert.equal(hasUnsafeChars('\x1b'), true);
});

test('sanitize (fuzz): output never holds a control, bidi or separator character', () => {
  const bad = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/;
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
      const out = sanitize(s);
      assert.ok(!bad.test(out), JSON.stringify(out));
      // Safe text passes through unchanged.
      if (!hasUnsafeChars(s)) assert.equal(out, s);
    }),
    { numRuns: 2000 },
  );
});

test('shouldUseColor: flag, NO_COLOR, FORCE_COLOR, TERM=dumb, TTY', () => {
  const tty = { isTTY: true };
  const pipe = { isTTY: false };
  assert.equal(shouldUseColor(tty, {}), true);
  assert.equal(shouldUseColor(pipe, {}), false);
  assert.equal(shouldUseColor(tty, { NO_COLOR: '1' }), false);
  assert.equal(shouldUseColor(tty, { NO_COLOR: '' }), true, 'empty NO_COLOR is ignored (no-color.org)');
  assert.equal(shouldUseColor(pipe, { FORCE_COLOR: '1' }), true);
  assert.equal(shouldUseColor(pipe, { FORCE_COLOR: '0' }), false);
  assert.equal(shouldUseColor(tty, { TERM: 'dumb' }), false);
  assert.equal(shouldUseColor(tty, { NO_COLOR: '1' }, true), true, '--color wins');
  assert.equal(shouldUseColor(tty, {}, false), false, '--no-color wins');
  assert.equal(palette(false).red('x'), 'x');
  assert.equal(palette(true).red('x'), '\x1b[31mx\x1b[39m');
  assert.equal(stripSgr(palette(true).bold(palette(true).red('x'))), 'x');
});

test('widths: display width, terminal width, truncate, wrap', () => {
  assert.equal(displayWidth('abc'), 3);
  assert.equal(displayWidth('日本'), 4);
  assert.equal(displayWidth('e\u0301'), 1);
  assert.equal(displayWidth(palette(true).red('abc')), 3);
  assert.equal(terminalWidth({ isTTY: true, columns: 132 }, {}), 132);
  assert.equal(terminalWidth({ isTTY: false }, { COLUMNS: '90' }), 90);
  assert.equal(terminalWidth({ isTTY: false }, {}), 100);
  assert.equal(terminalWidth({ isTTY: true, columns: 10 }, {}), 40);
  assert.equal(truncate('abcdef', 4), 'abc…');
  assert.equal(truncate('abc', 4), 'abc');
  assert.deepEqual(wrap('the quick brown fox', 9), ['the quick', 'brown fox']);
  assert.deepEqual(wrap('http://a.example/very/long/path', 10), ['http://a.e', 'xample/ver', 'y/long/pat', 'h']);
  assert.deepEqual(wrap('a\nb', 10), ['a', 'b']);
  fc.assert(
    fc.property(fc.string({ maxLength: 120 }), fc.integer({ min: 1, max: 30 }), (s, w) => {
      for (const line of wrap(sanitize(s), w)) assert.ok(displayWidth(line) <= Math.max(w, 2), `${JSON.stringify(line)} > ${w}`);
    }),
    { numRuns: 500 },
  );
});

function fakeStream(isTTY: boolean, columns = 80) {
  const chunks: string[] = [];
  return { isTTY, columns, chunks, write: (s: string) => chunks.push(s) };
}

test('progress: silent for the first second, then bytes, rate and time left; done() erases it', () => {
  let now = 0;
  const s = fakeStream(true);
  const p = createProgress({ total: 10 * 1024 * 1024, stream: s, env: {}, now: () => now });
  assert.equal(p.active, true);
  p.update(1024 * 1024, 'proxy.pcap');
  now = 900;
  p.update(2 * 1024 * 1024);
  assert.equal(s.chunks.length, 0, 'nothing before ~1 s');
  now = 2000;
  p.update(4 * 1024 * 1024);
  assert.equal(s.chunks.length, 1);
  const line = s.chunks[0];
  assert.ok(line.startsWith('\r') && line.endsWith('\x1b[K'));
  assert.match(line, /proxy\.pcap/);
  assert.match(line, / 40% 4\.0MB\/10MB 2\.0MB\/s 3s left/);
  assert.ok(displayWidth(line.slice(1, -3)) < 80);
  now = 2050;
  p.update(5 * 1024 * 1024);
  assert.equal(s.chunks.length, 1, 'redraws are throttled');
  p.done();
  assert.equal(s.chunks.at(-1), '\r\x1b[K');
  p.done();
  p.update(10);
  assert.equal(s.chunks.length, 2, 'done is final and idempotent');
});

test('progress: nothing at all on a pipe, with --quiet, or on a dumb terminal', () => {
  for (const [tty, quiet, env] of [[false, false, {}], [true, true, {}], [true, false, { TERM: 'dumb' }]] as const) {
    let now = 0;
    const s = fakeStream(tty);
    const p = createProgress({ total: 100, stream: s, quiet, env, now: () => now });
    now = 5000;
    p.update(50);
    p.done();
    assert.equal(p.active, false);
    assert.deepEqual(s.chunks, []);
  }
});

test('progress: unknown total shows bytes and rate; labels are sanitized', () => {
  assert.equal(progressLine(2048, 0, 1000, 60, 'stdin'), 'stdin  2.0KB 2.0KB/s');
  assert.ok(progressLine(1, 2, 1000, 60, 'evil\x1b[2J').includes('evil\\x1b[2J'));
  assert.equal(formatBytes(512), '512B');
  assert.equal(formatEta(3725), '1h02m');
  assert.equal(formatEta(NaN), '--');
});

test('writeOutputAtomic: writes whole files, replaces atomically, keeps the mode, leaves no temp files', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rs-out-'));
  try {
    const file = path.join(dir, 'report.html');
    await writeOutputAtomic(file, 'first');
    assert.equal(fs.readFileSync(file, 'utf8'), 'first');
    fs.chmodSync(file, 0o640);
    await writeOutputAtomic(file, 'second');
    assert.equal(fs.readFileSync(file, 'utf8'), 'second');
    assert.equal(fs.statSync(file).mode & 0o777, 0o640);
    assert.deepEqual(fs.readdirSync(dir), ['report.html']);
    await assert.rejects(writeOutputAtomic(path.join(dir, 'missing/x.md'), 'x'), (e: unknown) => e instanceof UserError && e.code === 'OUTPUT_WRITE');
    await assert.rejects(writeOutputAtomic(dir, 'x'), (e: unknown) => e instanceof UserError && e.code === 'OUTPUT_IS_DIR');
    assert.deepEqual(fs.readdirSync(dir), ['report.html'], 'a failed write leaves nothing behind');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('ndjsonWriter: `| head -n 1` ends quietly (EPIPE is the reader saying enough)', () => {
  const script = path.join(REPO, 'dist/test/ndjson-epipe-child.js');
  fs.writeFileSync(
    script,
    `import { ndjsonWriter } from '../src/render/index.js';
const w = ndjsonWriter(process.stdout, { onClose: () => { process.stderr.write('closed\\n'); process.exit(0); } });
for (let i = 0; i < 1e6 && !w.closed; i++) {
  if (!w.write({ time: null, source: '-', line: i, kind: 'envoy.access', cause: null, raw: 'x'.repeat(200) })) await w.ready();
}
await w.end();
process.stderr.write('finished\\n');
`,
  );
  const r = spawnSync('bash', ['-c', `set -o pipefail; node ${JSON.stringify(script)} | head -n 1`], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).line, 0);
  assert.equal(r.stderr, 'closed\n', 'no stack trace, no EPIPE message');
});

test('ndjsonWriter: one line per object, C1 and bidi characters escaped, lines counted', async () => {
  const { ndjsonWriter } = await import('../src/render/index.js');
  const { PassThrough } = await import('node:stream');
  const s = new PassThrough();
  let out = '';
  s.on('data', (c) => (out += c));
  const w = ndjsonWriter(s);
  w.write({ a: 1, raw: 'x\u202ey\n' });
  w.write({ b: 2 });
  await w.end();
  assert.equal(out, '{"a":1,"raw":"x\\u202ey\\n"}\n{"b":2}\n');
  assert.equal(w.lines, 2);
  assert.deepEqual(JSON.parse(out.split('\n')[0]), { a: 1, raw: 'x\u202ey\n' });
});

test('timeline collector: bounded buckets whatever the range, counts preserved', () => {
  const c = createTimelineCollector(64, 10);
  let n = 0;
  for (let i = 0; i < 100_000; i++) {
    c.add(i % 3 === 0 ? 'a' : 'b', 1_700_000_000_000_000 + i * 37_000, i % 10 === 0);
    n++;
  }
  for (let i = 0; i < 50; i++) c.mark({ lane: 'a', time_us: 1_700_000_000_000_000 + i, kind: 'tcp.rst', cause: i === 0 ? 'refused' : null, label: 'x', first: i === 0 });
  const tl = c.finish();
  for (const l of tl.lanes) assert.ok(l.buckets.length <= 64, `${l.name}: ${l.buckets.length}`);
  const total = tl.lanes.reduce((a, l) => a + l.buckets.reduce((x, b) => x + b.count, 0), 0);
  const fails = tl.lanes.reduce((a, l) => a + l.buckets.reduce((x, b) => x + b.failures, 0), 0);
  assert.equal(total, n);
  assert.equal(fails, 10_000);
  assert.equal(tl.marks.length, 10);
  assert.equal(tl.marks.filter((m) => m.first).length, 1, 'the first reset survives a full mark budget');
});
