// tcpdump -i any on a host that forwards a connection captures each packet twice (in, and out with the TTL one
// lower). Real capture: lab/any-capture.sh; tshark's RSTs beside it. Every RST tshark lists is an event, but the
// copy is not a second reset: it has no cause and points at the first, so two refusals count as two, not four.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BIN, REPO } from './helpers.js';

const DIR = path.join(REPO, 'test/fixtures/any');

test('tcpdump -i any on a forwarding host: each RST is seen twice and counted once', () => {
  const truth = JSON.parse(fs.readFileSync(path.join(DIR, 'forwarding.truth.json'), 'utf8')) as { rst: { frame: number; src: string; ttl: number }[] };
  assert.equal(truth.rst.length, 4);
  const r = spawnSync(process.execPath, [BIN, 'events', path.join(DIR, 'forwarding.pcap')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const rsts = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e.kind === 'tcp.rst');
  assert.deepEqual(rsts.map((e) => [e.frame, e.src, e.ttl]), truth.rst.map((t) => [t.frame, t.src, t.ttl]), 'every RST tshark lists');
  // Pairs: the first of each (TTL 64, on the way in) is the refusal; the copy (TTL 63, on the way out) repeats it.
  for (let i = 0; i < rsts.length; i += 2) {
    assert.equal(rsts[i].cause, 'refused');
    assert.equal(rsts[i + 1].cause, null);
    assert.equal(rsts[i + 1].repeat_of, rsts[i].frame);
  }
  const a = spawnSync(process.execPath, [BIN, 'analyze', '-f', 'json', path.join(DIR, 'forwarding.pcap')], { encoding: 'utf8' });
  const rep = JSON.parse(a.stdout) as { verdict: { cause: string; upstream: string }; stats: { failures: number; by_cause: { key: string; count: number }[] } };
  assert.deepEqual([rep.verdict.cause, rep.verdict.upstream], ['refused', '10.9.2.2:8080']);
  // Before: the copies were 'upstream_reset ... mid-stream' (4 failures, two causes).
  assert.deepEqual(rep.stats.by_cause.map((c) => [c.key, c.count]), [['refused', 2]]);
});
