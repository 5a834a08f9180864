// The CLI as a user meets it: spawn the real binary; assert stdout, stderr and the exit code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { BIN, CORPUS, REPO, readJsonl } from './helpers.js';

function run(args: string[], input?: string | Buffer) {
  const r = spawnSync(process.execPath, [BIN, ...args], { input: input ?? '', encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'resetscope-cli-'));
const envoyLines = readJsonl<{ line: string; kind: string; causes: string[] }>(path.join(CORPUS, 'logs/envoy-real.jsonl'))
  .filter((r) => r.kind === 'envoy-access-default');
const accessText = envoyLines.map((r) => r.line).join('\n') + '\n';
const accessFile = path.join(tmp, 'access.log');
fs.writeFileSync(accessFile, accessText);
const parse = (s: string) => s.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));

test('--help lists the commands and the exit codes', () => {
  const r = run(['--help']);
  assert.equal(r.code, 0);
  for (const word of ['analyze', 'events', 'flows', 'Exit codes']) assert.match(r.stdout, new RegExp(word));
});

test('a missing file is one clear line on stderr and exit 2', () => {
  const r = run(['analyze', path.join(tmp, 'nope.log')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /nope\.log: no such file or directory/);
  assert.equal(r.stderr.trim().split('\n').length, 1, 'one line, no stack');
});

test('a capture compressed with xz, bzip2, zstd or lz4 is one clear line naming it and how to pipe it in, exit 2', () => {
  for (const [ext, tool] of [['xz', 'xz'], ['bz2', 'bzip2'], ['zst', 'zstd'], ['lz4', 'lz4']]) {
    const file = path.join(REPO, 'test/fixtures/compressed', `refused.pcap.${ext}`);
    const r = run(['analyze', file]);
    assert.equal(r.code, 2, `${ext}: ${r.stderr}`);
    assert.equal(r.stderr.trim(), `resetscope: ${file}: compressed with ${tool}, which resetscope does not read (gzip only): ${tool} -dc ${file} | resetscope analyze -`);
    const piped = run(['events', '-'], fs.readFileSync(file) as unknown as string);
    assert.equal(piped.code, 2);
    assert.match(piped.stderr, new RegExp(`-: compressed with ${tool}.*… \\| ${tool} -dc \\| resetscope analyze -`));
  }
});

test('an unknown option is a usage error (exit 2)', () => {
  const r = run(['analyze', '--bogus-flag', accessFile]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /bogus-flag/);
});

test('a bad --tz is a usage error naming the value', () => {
  const r = run(['analyze', '--tz', 'Mars/Olympus', accessFile]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /Mars\/Olympus/);
});

test('events: stdin, a .gz and a plain file give the same events', () => {
  const gz = path.join(tmp, 'access.log.1.gz');
  fs.writeFileSync(gz, zlib.gzipSync(accessText));
  const a = parse(run(['events', accessFile]).stdout);
  const b = parse(run(['events', gz]).stdout);
  const c = parse(run(['events', '-'], accessText).stdout);
  const d = parse(run(['events'], accessText).stdout);
  assert.ok(a.length >= envoyLines.length, `one event per line at least (${a.length})`);
  const strip = (evs: Record<string, unknown>[]) => evs.map(({ source: _s, ...rest }) => rest);
  assert.deepEqual(strip(b), strip(a));
  assert.deepEqual(strip(c), strip(a));
  assert.deepEqual(strip(d), strip(a));
  assert.equal(c[0].source, '-');
  assert.equal(b[0].source, gz);
});

test('events: several files are merged by time', () => {
  const half = Math.floor(envoyLines.length / 2);
  const f1 = path.join(tmp, 'a.log');
  const f2 = path.join(tmp, 'b.log');
  fs.writeFileSync(f1, envoyLines.slice(0, half).map((r) => r.line).join('\n') + '\n');
  fs.writeFileSync(f2, envoyLines.slice(half).map((r) => r.line).join('\n') + '\n');
  const evs = parse(run(['events', f2, f1]).stdout).filter((e) => e.ts_us !== null);
  assert.ok(new Set(evs.map((e) => e.source)).size === 2);
  for (let i = 1; i < evs.length; i++) assert.ok(evs[i].ts_us >= evs[i - 1].ts_us || evs[i].late === true, 'ordered by time');
});

test('bad input is counted and shown, never a crash: empty, binary, 10 MB line, invalid UTF-8', () => {
  const empty = path.join(tmp, 'empty.log');
  fs.writeFileSync(empty, '');
  const r0 = run(['analyze', '-f', 'json', empty]);
  assert.equal(r0.code, 0, r0.stderr);
  assert.equal(JSON.parse(r0.stdout).verdict, null);

  const garbage = path.join(tmp, 'garbage.bin');
  fs.writeFileSync(garbage, Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 256)));
  const r1 = run(['analyze', '-f', 'json', garbage]);
  assert.equal(r1.code, 0, r1.stderr);
  const rep1 = JSON.parse(r1.stdout);
  assert.ok(rep1.inputs[0].skipped > 0, 'garbage lines counted as skipped');
  assert.match(r1.stderr, /garbage\.bin: skipped \d+/);

  const mixed = path.join(tmp, 'mixed.log');
  const big = 'x'.repeat(10 * 1024 * 1024);
  const bad = Buffer.concat([Buffer.from(envoyLines[0].line.slice(0, 40)), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from(' tail')]);
  fs.writeFileSync(mixed, Buffer.concat([Buffer.from(accessText), Buffer.from(big + '\n'), bad, Buffer.from('\n' + envoyLines[1].line + '\n')]));
  const r2 = run(['analyze', '-f', 'json', '--input-format', 'envoy-access', mixed]);
  assert.equal(r2.code, 0, r2.stderr);
  const inp = JSON.parse(r2.stdout).inputs[0];
  assert.equal(inp.skipped_by_reason.too_long, 1);
  const longEx = inp.skipped_examples.find((e: { reason: string }) => e.reason === 'too_long');
  assert.equal(longEx.line, envoyLines.length + 1, 'the over-long line is named by its number');
  assert.equal(inp.lines, envoyLines.length + 3, 'lines after the bad ones are still read');
  assert.ok(inp.skipped_by_reason.invalid_utf8 === 1 || inp.anomalies.invalid_utf8 === 1, 'invalid UTF-8 is counted');
});

test('--fail-on exits 1 when such an incident is found, 0 otherwise', () => {
  assert.equal(run(['analyze', '-q', '--fail-on', 'any', accessFile]).code, 1);
  assert.equal(run(['analyze', '-q', '--fail-on', 'middlebox_reset', accessFile]).code, 0);
  const r = run(['analyze', '--fail-on', 'nonsense', accessFile]);
  assert.equal(r.code, 2);
});

test('analyze -f json has verdict, incidents, inputs and stats', () => {
  const r = run(['analyze', '-f', 'json', accessFile]);
  assert.equal(r.code, 0, r.stderr);
  const rep = JSON.parse(r.stdout);
  assert.ok(rep.verdict, 'a verdict');
  assert.ok(rep.verdict.first.source.endsWith('access.log'));
  assert.ok(typeof rep.verdict.first.line === 'number');
  assert.ok(rep.incidents.length >= 1);
  assert.equal(rep.inputs[0].format, 'envoy-access');
  assert.ok(rep.stats.failures > 0);
  const expected = envoyLines.filter((r) => !r.causes.every((c) => c === null)).length;
  assert.ok(rep.inputs[0].failures <= envoyLines.length, `failures counted once per line (${rep.inputs[0].failures} of ${envoyLines.length} lines, ${expected} labelled)`);
});

test('-o writes the report file and nothing to stdout', () => {
  const out = path.join(tmp, 'report.md');
  const r = run(['analyze', '-q', '-f', 'markdown', '-o', out, accessFile]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '');
  assert.ok(fs.readFileSync(out, 'utf8').length > 100);
});
