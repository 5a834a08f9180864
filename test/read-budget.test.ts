// Every input is open at once (events are merged by time) and holds its current read and the next: past 32
// inputs they share a read budget instead of 2 MiB each (a directory of 300 rotated logs: 1.17 GB -> 284 MB peak
// RSS, bench/README.md). The events do not depend on the read size: a directory of 40 real lab logs read with
// the shared budget gives what each gives alone, merged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readChunkBytesFor } from '../src/input.js';
import { BIN, REPO } from './helpers.js';

test('read size per input: 1 MiB up to 32 inputs, then halving to share 64 MiB, never under 64 KiB', () => {
  for (const n of [1, 2, 8, 32]) assert.equal(readChunkBytesFor(n), 1 << 20);
  let last = 1 << 20;
  for (const n of [33, 64, 100, 300, 1000, 10_000]) {
    const size = readChunkBytesFor(n);
    assert.ok(size <= last && size >= 64 << 10 && (size & (size - 1)) === 0, `${n}: ${size}`);
    if (size > 64 << 10) assert.ok(2 * n * size <= 64 << 20, `${n} inputs x 2 reads of ${size} within the budget`);
    last = size;
  }
  assert.equal(readChunkBytesFor(300), 64 << 10);
});

test('40 inputs (shared read budget) give the same events as the same logs read with full-size reads', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rs-many-'));
  try {
    // Real nginx error logs from the lab incidents, each repeated to ~600 KB (longer than the 512 KiB reads 40 inputs
    // get, so lines straddle reads), under 40 names.
    const logs = fs.readdirSync(path.join(REPO, 'samples/incidents')).map((d) => path.join(REPO, 'samples/incidents', d, 'error.log'))
      .filter((f) => fs.existsSync(f) && fs.statSync(f).size > 0);
    const names: string[] = [];
    for (let i = 0; i < 40; i++) {
      const text = fs.readFileSync(logs[i % logs.length], 'utf8');
      const name = path.join(dir, `${String(i).padStart(2, '0')}-error.log`);
      fs.writeFileSync(name, text.repeat(Math.ceil(600_000 / text.length)));
      names.push(name);
    }
    assert.ok(readChunkBytesFor(40) < fs.statSync(names[0]).size);
    const together = spawnSync(process.execPath, [BIN, 'events', dir], { encoding: 'utf8', maxBuffer: 1 << 30 });
    assert.equal(together.status, 0, together.stderr);
    // The same inputs in 4 runs of 10 (full 1 MiB reads), merged by time the same way: compare as sorted sets.
    const apart: string[] = [];
    for (let k = 0; k < 40; k += 10) {
      const r = spawnSync(process.execPath, [BIN, 'events', ...names.slice(k, k + 10)], { encoding: 'utf8', maxBuffer: 1 << 30 });
      apart.push(...r.stdout.trim().split('\n'));
    }
    const sortLines = (a: string[]) => a.filter(Boolean).sort();
    assert.deepEqual(sortLines(together.stdout.trim().split('\n')), sortLines(apart));
    assert.ok(apart.length > 40 * 1000, `${apart.length} events`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('more inputs than the descriptor limit: read with descriptors opened per read, the same report', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rs-fds-'));
  try {
    const text = fs.readFileSync(path.join(REPO, 'samples/incidents/refused/error.log'), 'utf8');
    // Longer than the sniff window, so no input is read to its end while the others are opened.
    const body = text.repeat(Math.ceil(70_000 / text.length));
    for (let i = 0; i < 300; i++) fs.writeFileSync(path.join(dir, `error-${String(i).padStart(3, '0')}.log`), body);
    const run = (limit: string) => spawnSync('bash', ['-c', `${limit} exec "${process.execPath}" "${BIN}" analyze -f json "${dir}"`], { encoding: 'utf8', maxBuffer: 1 << 30 });
    const limited = run('ulimit -n 200;');
    assert.equal(limited.status, 0, limited.stderr.slice(0, 500));
    const free = run('');
    const key = (s: string) => { const j = JSON.parse(s) as { stats: unknown; verdict: unknown }; return JSON.stringify([j.stats, j.verdict]); };
    assert.equal(key(limited.stdout), key(free.stdout));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
