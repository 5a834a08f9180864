// Clock offsets estimated from matched pairs, on real lab data: copy an incident, shift one input's
// clock by a known amount in the copy, and the estimate must find it (within what the pairs allow).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, REPO } from './helpers.js';
import { modeInterval, estimateSkews } from '../src/correlate/skew.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'resetscope-skew-'));
const lab = (name: string) => path.join(REPO, 'samples/incidents', name);

function analyze(dir: string, extra: string[] = []) {
  const r = spawnSync(process.execPath, [BIN, 'analyze', '-q', '-f', 'json', dir, ...extra], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/** nginx error-log times (`2026/11/21 06:03:40`) moved by `sec` seconds. */
function shiftNginxError(text: string, sec: number): string {
  return text.replace(/^(\d{4})\/(\d\d)\/(\d\d) (\d\d):(\d\d):(\d\d)/gm, (_m, y, mo, d, h, mi, s) => {
    const t = new Date(Date.UTC(+y, +mo - 1, +d, +h, +mi, +s) + sec * 1000);
    const p = (n: number) => String(n).padStart(2, '0');
    return `${t.getUTCFullYear()}/${p(t.getUTCMonth() + 1)}/${p(t.getUTCDate())} ${p(t.getUTCHours())}:${p(t.getUTCMinutes())}:${p(t.getUTCSeconds())}`;
  });
}

/** A classic pcap (either byte order) with every record's seconds moved by `sec`. */
function shiftPcap(buf: Buffer, sec: number): Buffer {
  const out = Buffer.from(buf);
  const le = out.readUInt32LE(0) === 0xa1b2c3d4 || out.readUInt32LE(0) === 0xa1b23c4d;
  let off = 24;
  while (off + 16 <= out.length) {
    const ts = le ? out.readUInt32LE(off) : out.readUInt32BE(off);
    if (le) out.writeUInt32LE(ts + sec, off); else out.writeUInt32BE(ts + sec, off);
    const incl = le ? out.readUInt32LE(off + 8) : out.readUInt32BE(off + 8);
    off += 16 + incl;
  }
  return out;
}

function copyIncident(name: string, to: string, edit: Record<string, (b: Buffer) => Buffer> = {}): string {
  const dst = path.join(tmp, to);
  fs.mkdirSync(dst, { recursive: true });
  for (const f of fs.readdirSync(lab(name))) {
    if (f === 'truth.json' || f === 'README.md' || f.endsWith('.conf')) continue;
    const b = fs.readFileSync(path.join(lab(name), f));
    fs.writeFileSync(path.join(dst, f), edit[f] ? edit[f](b) : b);
  }
  return dst;
}

const input = (report: { inputs: { name: string }[] }, base: string) => report.inputs.find((i) => path.basename(i.name) === base) as Record<string, any>;

test('unshifted lab incident: the error log agrees with the capture and is not moved', () => {
  const rep = analyze(lab('refused'));
  const err = input(rep, 'error.log');
  assert.equal(err.skew_source, 'estimated');
  assert.equal(err.skew_us, 0);
  assert.ok(err.skew_bounds_us[0] <= 0 && err.skew_bounds_us[1] >= 0);
});

test('refused: an error log 7 s fast is found from connect() failed (111) ↔ RST-to-SYN pairs and corrected', () => {
  const dir = copyIncident('refused', 'refused-fast', { 'error.log': (b) => Buffer.from(shiftNginxError(b.toString(), +7)) });
  const rep = analyze(dir);
  const err = input(rep, 'error.log');
  assert.equal(err.skew_source, 'estimated');
  // Whole-second log: the pairs bound the offset to an interval about 1 s wide that holds -7 s.
  assert.ok(err.skew_bounds_us[0] <= -7e6 && err.skew_bounds_us[1] >= -7e6, JSON.stringify(err.skew_bounds_us));
  assert.ok(Math.abs(err.skew_us + 7e6) <= 600_000, String(err.skew_us));
  assert.match(err.skew_basis, /connect\(\) failed \(111\)/);
  assert.ok(rep.assumptions.some((a: string) => /error\.log estimated -[67]\.\d+ s off/.test(a)), rep.assumptions.join('\n'));
  // Judged after correction: still one incident, the RST first.
  assert.equal(rep.incidents.length, 1);
  assert.equal(rep.verdict.cause, 'refused');
  assert.equal(path.basename(rep.verdict.first.source), 'proxy.pcap');
  assert.equal(rep.verdict.first.frame, 2);
});

test('an error log 3 h off with an assumed zone: shifted, and called a time-zone difference', () => {
  const dir = copyIncident('refused', 'refused-zone', { 'error.log': (b) => Buffer.from(shiftNginxError(b.toString(), -3 * 3600)) });
  const rep = analyze(dir);
  const err = input(rep, 'error.log');
  assert.equal(err.skew_us, 3 * 3600 * 1e6);
  assert.equal(err.skew_zone_like, true);
  assert.ok(rep.assumptions.some((a: string) => /looks like a time-zone difference: pass --tz -03:00/.test(a)), rep.assumptions.join('\n'));
  assert.equal(rep.incidents.length, 1);
});

test('read-timeout (lab: nginx in America/New_York, error log without zone): -05:00 found via the access line', () => {
  const rep = analyze(lab('read-timeout'));
  const err = input(rep, 'error.log');
  assert.equal(err.skew_us, 5 * 3600 * 1e6);
  assert.ok(rep.assumptions.some((a: string) => /pass --tz -05:00/.test(a)));
  assert.equal(rep.incidents.length, 1);
  // With --tz given, nothing is left to estimate.
  const given = analyze(lab('read-timeout'), ['--tz', 'America/New_York']);
  assert.equal(input(given, 'error.log').skew_us, 0);
  assert.equal(given.incidents.length, 1);
});

test('two captures of the same flows: the upstream host 2 s behind is found from matching 5-tuples', () => {
  const dir = copyIncident('middlebox-reset', 'mb-skewed', { 'upstream.pcap': (b) => shiftPcap(b, -2) });
  const rep = analyze(dir);
  const up = input(rep, 'upstream.pcap');
  assert.equal(up.skew_source, 'estimated');
  assert.ok(Math.abs(up.skew_us - 2e6) < 20_000, String(up.skew_us));
  assert.match(up.skew_basis, /same TCP flow in two captures/);
  assert.equal(rep.verdict.cause, 'middlebox_reset');
  assert.equal(rep.verdict.origin, 'network');
});

test('a given --skew is used as given and not estimated', () => {
  const dir = copyIncident('refused', 'refused-given', { 'error.log': (b) => Buffer.from(shiftNginxError(b.toString(), +7)) });
  const name = path.join(dir, 'error.log');
  const rep = analyze(dir, ['--skew', `${name}=-7`]);
  const err = input(rep, 'error.log');
  assert.equal(err.skew_source, 'given');
  assert.equal(err.skew_us, -7e6);
});

test('modeInterval: the most-covered point wins over outliers; zero is kept when it fits', () => {
  const m = modeInterval([{ lo: 1, hi: 3 }, { lo: 2, hi: 4 }, { lo: 2.5, hi: 5 }, { lo: 100, hi: 101 }])!;
  assert.deepEqual(m, { lo: 2.5, hi: 3, depth: 3 });
  const z = estimateSkews({ sources: [{ name: 'cap', capture: true, zoneAssumed: false, given: false }, { name: 'log', capture: false, zoneAssumed: false, given: false }],
    pairs: [{ a: 'log', b: 'cap', lo: -900_000, hi: 100_000, basis: 'x' }, { a: 'log', b: 'cap', lo: -500_000, hi: 50_000, basis: 'x' }] });
  assert.equal(z.get('log')!.us, 0);
});
