// A log truncated while its writer kept its file offset (logrotate copytruncate with a writer that did not open
// the file O_APPEND) starts with a hole of NUL bytes, then the writer's next lines. Made here as the kernel makes
// it: write lines through a descriptor opened without O_APPEND, ftruncate to 0, write on. The lines after the hole
// are read as if the file held only them, with one nul_padding anomaly; small and large holes (past the sniff
// window, several chunks, a file big enough for the framing worker).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, CORPUS, readJsonl } from './helpers.js';

const lines = readJsonl<{ line: string; kind: string }>(path.join(CORPUS, 'logs/envoy-real.jsonl'))
  .filter((l) => l.kind === 'envoy-access-default' || l.kind === 'istio-access').map((l) => l.line);

function run(args: string[]): Record<string, unknown>[] {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

for (const [name, before] of [['a 60 KB hole', 60_000], ['a 20 MB hole', 20 << 20]] as const) {
  test(`copytruncate: ${name}, then the writer's lines`, () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rs-nul-'));
    try {
      const file = path.join(dir, 'envoy.log');
      const after = lines.join('\n') + '\n';
      const fd = fs.openSync(file, 'w'); // no O_APPEND, like the writers this happens to
      // The writer's output before the rotation: one line written over and over up to the hole's size.
      const filler = Buffer.from(`${lines[0]}\n`);
      for (let n = 0; n < before; n += filler.length) fs.writeSync(fd, filler);
      const offset = fs.fstatSync(fd).size;
      fs.ftruncateSync(fd, 0); // what copytruncate does after copying
      fs.writeSync(fd, after); // written at the writer's own offset: a hole of zeros before it
      fs.closeSync(fd);
      assert.equal(fs.statSync(file).size, offset + Buffer.byteLength(after));
      const expectFile = path.join(dir, 'expected.log');
      fs.writeFileSync(expectFile, after);

      const got = run(['events', file]);
      const want = run(['events', expectFile]);
      const pad = got.filter((e) => e.kind === 'anomaly.nul_padding');
      assert.equal(pad.length, 1, 'one anomaly for the hole');
      assert.equal(pad[0].bytes, offset);
      assert.equal(pad[0].line, 1);
      const strip = (es: Record<string, unknown>[], f: string) => es.filter((e) => e.kind !== 'anomaly.nul_padding').map((e) => JSON.stringify(e).split(f).join('F'));
      assert.deepEqual(strip(got, file), strip(want, expectFile));
      assert.ok(want.length >= 5);

      const rep = spawnSync(process.execPath, [BIN, 'analyze', '-f', 'json', file], { encoding: 'utf8' });
      const j = JSON.parse(rep.stdout) as { verdict: { cause: string } | null; assumptions: string[] };
      const wantRep = JSON.parse(spawnSync(process.execPath, [BIN, 'analyze', '-f', 'json', expectFile], { encoding: 'utf8' }).stdout) as typeof j;
      assert.equal(j.verdict?.cause, wantRep.verdict?.cause);
      assert.ok(!j.assumptions.some((a) => a.includes('format not recognized')), 'the format is sniffed past the hole');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}
