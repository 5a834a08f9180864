// readTextEvents' split mode (a worker thread frames and quick-tests a regular file's lines, the main
// thread parses the rest in order) gives exactly what the single-thread path gives: the same events,
// line numbers, skipped lines, anomalies and counts, on awkward content, and when the preferred
// format changes under the worker (it falls back to framing the rest itself).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readTextEvents, SPLIT } from '../src/ingest/text-input.js';
import { cutRanges, lineBoundary } from '../src/ingest/split-ranges.js';
import { prespawnForArgs, releaseTextWorkers, SPLIT_ENABLED, SPLIT_MIN_BYTES, SPLIT_MIN_PER_WORKER, SPLIT_WORKERS, takeTextWorker } from '../src/ingest/text-worker-spawn.js';
import { envoyAccessFormat } from '../src/ingest/envoy-access.js';
import { makeContext, newStats } from '../src/pipeline.js';
import { openInput } from '../src/input.js';
import { UTC } from '../src/time.js';
import type { Event } from '../src/events.js';

const OK = (i: number) => `[2026-11-20T10:00:${String(i % 60).padStart(2, '0')}.000Z] "GET /a/${i} HTTP/1.1" 200 - via_upstream 0 12 3 2 "-" "curl/8.4.0" "id-${i}" "shop.example.com" "10.1.0.${i % 9}:8080"`;
const FAIL = (i: number) => `[2026-11-20T10:00:${String(i % 60).padStart(2, '0')}.500Z] "GET /b/${i} HTTP/1.1" 503 UF upstream_reset_before_response_started{connection_failure} 0 91 ${i % 400} 0 "-" "curl/8.4.0" "req-${i}" "shop.example.com" "10.1.0.${i % 7}:8080"`;
const ISTIO = (i: number) => `[2026-11-20T10:00:10.000Z] "GET /c/${i} HTTP/1.1" 503 UF 0 91 7 - "-" "curl/8.4.0" "ist-${i}" "shop.example.com" "10.1.0.3:8080" outbound|8080||shop 10.2.0.1:40000 10.2.0.2:8080 10.2.0.3:50000`;

function build(file: string, formatChange: boolean, endNewline: boolean): void {
  const parts: Buffer[] = [];
  let n = 0;
  const add = (s: string | Buffer) => { parts.push(typeof s === 'string' ? Buffer.from(s) : s); };
  for (let r = 0; r < 3000; r++) {
    for (let k = 0; k < 40; k++) add(OK(n++) + '\n');
    switch (r % 11) {
      case 0: add(FAIL(n++) + '\n'); break;
      case 1: add(OK(n++) + '\r\n'); break;
      case 2: add('\n\n'); break;
      case 3: add(Buffer.concat([Buffer.from(OK(n++).slice(0, 30)), Buffer.from([0xff, 0xfe]), Buffer.from(OK(n).slice(30) + '\n')])); break;
      case 4: add(`[pod/istio-proxy-1/istio-proxy] ${FAIL(n++)}\n`); break;
      case 5: add('garbage line that is no access log\n'); break;
      case 6: add(OK(n++).replace(' 200 ', ' 503 ') + '\n'); break;
      case 7: if (r % 700 === 7) add('x'.repeat(1024 * 1024 + 10) + '\n'); break;
      case 8: add(`a\u0000b ${OK(n++)}\n`); break;
      case 9: add(FAIL(n++).replace('503 UF', '200 -').replace('shop', 'sh\uFFFDp') + '\n'); break;
      case 10: if (formatChange && r > 1500 && r < 1510) add(ISTIO(n++) + '\n'); break;
    }
  }
  add(FAIL(n++) + (endNewline ? '\n' : '')); // with or without a newline at the end
  fs.writeFileSync(file, Buffer.concat(parts));
}

async function run(file: string, split: boolean): Promise<{ events: Event[]; stats: ReturnType<typeof newStats> }> {
  const stats = newStats(file);
  const ctx = makeContext(file, { tz: UTC, tzGiven: false, failuresOnly: true }, stats);
  const input = await openInput(file);
  // Slow chunks: the worker is up before the file is read through, so the hand-over happens.
  const slow = async function* () { for await (const c of input.chunks) { await new Promise((r) => setTimeout(r, 5)); yield c; } };
  const events: Event[] = [];
  const src = split ? { path: file, size: fs.statSync(file).size, close: () => input.close() } : undefined;
  for await (const b of readTextEvents(slow(), envoyAccessFormat, ctx, [], src)) events.push(...b);
  return { events, stats };
}

for (const [formatChange, endNewline, workers] of [[false, false, 1], [false, true, 1], [true, false, 1], [false, false, 4], [false, true, 5], [true, false, 4]] as const) {
  test(`split mode equals the single-thread path${formatChange ? ' (preferred format changes: fallback)' : ''}${endNewline ? ' (file ends with a newline)' : ''}, ${workers} worker${workers > 1 ? 's' : ''}`, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rs-split-'));
    const file = path.join(dir, 'access.log');
    build(file, formatChange, endNewline);
    const saved = { ...SPLIT };
    try {
      SPLIT.minBytes = 0; SPLIT.minRest = 0; SPLIT.enabled = true;
      // Ranges of ~4 MB: the cuts fall on whatever the file holds there (CRLF, long lines, bad bytes).
      SPLIT.workers = workers; SPLIT.minPerWorker = 1 << 20;
      const before = SPLIT.handOffs, fellBack = SPLIT.fallbacks;
      const a = await run(file, true);
      assert.ok(SPLIT.handOffs > before, 'the worker took over');
      assert.equal(SPLIT.lastRanges, workers);
      assert.equal(SPLIT.fallbacks - fellBack, formatChange ? 1 : 0);
      SPLIT.enabled = false;
      const b = await run(file, false);
      assert.deepEqual(a.stats, b.stats);
      assert.deepEqual(a.events, b.events);
      assert.ok(b.events.length > 100 && b.stats.skipped > 10 && b.stats.ok > 100_000);
    } finally {
      Object.assign(SPLIT, saved);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('bin/ starts the worker early only for analyze on a large uncompressed file, and split mode takes that one', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rs-prespawn-'));
  try {
    const big = path.join(dir, 'big.log');
    fs.writeFileSync(big, '[2026-11-20T10:00:00.000Z] "GET / HTTP/1.1" 200 -\n');
    fs.truncateSync(big, SPLIT_MIN_BYTES); // sparse: only the size and the first bytes are read
    const gz = path.join(dir, 'big.log.gz');
    fs.writeFileSync(gz, Buffer.from([0x1f, 0x8b, 8, 0]));
    fs.truncateSync(gz, SPLIT_MIN_BYTES);
    const small = path.join(dir, 'small.log');
    fs.writeFileSync(small, 'x\n');
    const pcap = path.join(dir, 'big.pcap');
    fs.writeFileSync(pcap, Buffer.from('d4c3b2a1020004000000000000000000ffff000001000000', 'hex'));
    fs.truncateSync(pcap, SPLIT_MIN_BYTES);
    assert.equal(prespawnForArgs(['analyze', gz, pcap, small, '--tz', 'UTC']), false);
    assert.equal(prespawnForArgs(['events', big]), false);
    assert.equal(prespawnForArgs(['analyze', '-f', 'json', big]), SPLIT_ENABLED);
    if (!SPLIT_ENABLED) return;
    const early = takeTextWorker();
    await new Promise<void>((resolve) => { if (early.ready) resolve(); else early.onReady = resolve; });
    assert.equal(early.ready, true);
    const fresh = takeTextWorker(); // the early one is taken once; the next is a new worker
    assert.notEqual(fresh.worker, early.worker);
    await Promise.all([early.worker.terminate(), fresh.worker.terminate()]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('ranges are cut at line starts: every line in exactly one range, the last one open-ended', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rs-cut-'));
  try {
    const file = path.join(dir, 'f.log');
    fs.writeFileSync(file, 'aa\nbbbb\n\ncc\r\nlast-without-newline');
    const size = fs.statSync(file).size;
    const fd = fs.openSync(file, 'r');
    try {
      // x at a line start stays; x inside a line moves past its newline; no newline after x: the end.
      assert.deepEqual([0, 1, 2, 3, 4, 8, 9, 10, 13, 14, 20].map((x) => lineBoundary(fd, x, size)), [0, 3, 3, 3, 8, 8, 9, 13, 13, size, size]);
    } finally {
      fs.closeSync(fd);
    }
    assert.deepEqual(cutRanges(file, 0, size, 1, 1), [{ from: 0, to: null }]);
    assert.deepEqual(cutRanges(file, 3, size, 3, 8), [{ from: 3, to: 13 }, { from: 13, to: null }], 'a cut inside the last line is dropped');
    assert.deepEqual(cutRanges(file, 0, size, 3, 1), [{ from: 0, to: 13 }, { from: 13, to: null }]); // cuts at 11 -> 13, 22 -> the end
    assert.deepEqual(cutRanges(file, 0, size, 2, 1000), [{ from: 0, to: null }], 'too small to share');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// Speculative start: a worker bin/ starts for a file frames from its guess of the job before the main
// thread sends one. Right guess: its early batches are used; wrong guess (another file): it starts over.
// Either way the events equal the single-thread path's.
for (const wrongFile of [false, true]) {
  test(`a worker started early on a guessed job gives the same events (${wrongFile ? 'guessed for another file: starts over' : 'guess confirmed'})`, { skip: !SPLIT_ENABLED && 'one core' }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rs-guess-'));
    const file = path.join(dir, 'access.log');
    const other = path.join(dir, 'other.log');
    build(file, false, true);
    const saved = { ...SPLIT };
    try {
      assert.ok(fs.statSync(file).size >= SPLIT_MIN_BYTES, 'big enough for bin/ to start a worker');
      if (wrongFile) fs.copyFileSync(file, other);
      // As bin/ does, with the defaults the guess assumes.
      SPLIT.workers = SPLIT_WORKERS; SPLIT.minPerWorker = SPLIT_MIN_PER_WORKER;
      assert.equal(prespawnForArgs(['analyze', wrongFile ? other : file]), true);
      const before = SPLIT.guessedBatches, handOffs = SPLIT.handOffs;
      const a = await run(file, true);
      assert.ok(SPLIT.handOffs > handOffs, 'the worker took over');
      if (wrongFile) assert.equal(SPLIT.guessedBatches, before, 'nothing framed on the wrong guess is used');
      else assert.ok(SPLIT.guessedBatches > before, 'batches framed on the guess are used');
      SPLIT.enabled = false;
      const b = await run(file, false);
      assert.deepEqual(a.stats, b.stats);
      assert.deepEqual(a.events, b.events);
    } finally {
      releaseTextWorkers();
      Object.assign(SPLIT, saved);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}
