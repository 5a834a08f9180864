// Logs saved as UTF-16 (Windows PowerShell 5's `>` / Out-File: a byte order mark, then UTF-16LE) or as
// UTF-8 with a byte order mark read exactly as the plain UTF-8 file: the same events, line numbers and
// counts, plain or gzipped; the report says the file was UTF-16. Real lines: the Envoy corpus and a lab
// nginx error log. The UTF-16 bytes are made by Buffer's own encoder, not by the decoder under test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { BIN, CORPUS, REPO, readJsonl } from './helpers.js';

const envoyText = readJsonl<{ line: string; kind: string }>(path.join(CORPUS, 'logs/envoy-real.jsonl'))
  .filter((l) => l.kind.startsWith('envoy-access')).map((l) => l.line).join('\n') + '\n';
const nginxText = fs.readFileSync(path.join(REPO, 'samples/incidents/refused/error.log'), 'utf8');

const utf16le = (s: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(s, 'utf16le')]);
const utf16be = (s: string) => {
  const b = Buffer.from(s, 'utf16le');
  for (let i = 0; i + 1 < b.length; i += 2) { const t = b[i]; b[i] = b[i + 1]; b[i + 1] = t; }
  return Buffer.concat([Buffer.from([0xfe, 0xff]), b]);
};
const utf8bom = (s: string) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(s, 'utf8')]);

function run(args: string[]): { out: string; err: string; code: number | null } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return { out: r.stdout, err: r.stderr, code: r.status };
}

for (const [name, text] of [['envoy corpus', envoyText], ['nginx error (lab)', nginxText]] as const) {
  test(`${name}: UTF-16LE, UTF-16BE, UTF-8 with BOM and gzipped UTF-16 read as the UTF-8 file`, () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rs-enc-'));
    try {
      const plain = path.join(dir, 'plain.log');
      fs.writeFileSync(plain, text);
      const want = run(['events', plain]);
      assert.equal(want.code, 0, want.err);
      const events = want.out.trim().split('\n').filter((l) => !l.includes('"anomaly.'));
      assert.ok(events.length >= 3, `events from ${name}`);
      for (const [variant, bytes, gz] of [['le', utf16le(text), false], ['be', utf16be(text), false], ['bom', utf8bom(text), false], ['le.gz', utf16le(text), true]] as const) {
        const file = path.join(dir, `plain.${variant}.log`);
        fs.writeFileSync(file, gz ? zlib.gzipSync(bytes) : bytes);
        const got = run(['events', file]);
        assert.equal(got.code, 0, got.err);
        assert.equal(got.out.split(file).join(plain), want.out, `${variant}: the same events`);
        assert.equal(got.err.split(file).join(plain), want.err, `${variant}: the same summary`);
      }
      const rep = JSON.parse(run(['analyze', '-f', 'json', path.join(dir, 'plain.le.log')]).out) as { assumptions: string[] };
      assert.ok(rep.assumptions.some((a) => a.includes('UTF-16LE text')), 'the report says it was UTF-16');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}
