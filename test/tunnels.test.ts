// Pod traffic captured on a node's own interface is inside the overlay's tunnel. Every RST tshark finds inside
// VXLAN (made with the kernel's vxlan device), Geneve, IP-in-IP, GRE with a key, GRE bridging and ERSPAN II
// (the same frames re-wrapped: lab/tunnels.sh, lab/re-encap.mjs) is found with its inner sender, and the verdict
// names the inner upstream. Truth: test/fixtures/tunnels/<kind>.truth.json (tshark's fields).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BIN, REPO } from './helpers.js';
import { tunnelInner } from '../src/decode/tunnels.js';

const DIR = path.join(REPO, 'test/fixtures/tunnels');
const KINDS = ['vxlan', 'geneve', 'ipip', 'gre', 'gretap', 'erspan'];

for (const kind of KINDS) {
  test(`${kind}: every inner RST tshark sees, with its sender, and the verdict on the inner upstream`, () => {
    const truth = JSON.parse(fs.readFileSync(path.join(DIR, `${kind}.truth.json`), 'utf8')) as { rst: { frame: number; src: string; dst: string }[] };
    assert.ok(truth.rst.length >= 2);
    const r = spawnSync(process.execPath, [BIN, 'events', path.join(DIR, `${kind}.pcap`)], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const rsts = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e.kind === 'tcp.rst');
    assert.deepEqual(rsts.map((e) => ({ frame: e.frame, src: e.src, dst: e.dst })), truth.rst);
    assert.ok(rsts.every((e) => e.cause === 'refused' && e.phase === 'syn'));
    const a = spawnSync(process.execPath, [BIN, 'analyze', '-f', 'json', path.join(DIR, `${kind}.pcap`)], { encoding: 'utf8' });
    const v = (JSON.parse(a.stdout) as { verdict: { cause: string; upstream: string } }).verdict;
    assert.deepEqual([v.cause, v.upstream], ['refused', truth.rst[0].src]);
  });
}

test('a UDP datagram to a tunnel port whose header is wrong is not taken for a tunnel', () => {
  const udp = (dport: number, first: number[]) => Buffer.from([0x9c, 0x40, dport >> 8, dport & 0xff, 0, 24, 0, 0, ...first, 0, 0, 0, 0, 0, 0, 0, 0]);
  assert.equal(tunnelInner(udp(4789, [0x08, 0, 0, 0, 0, 0, 0x2a, 0]), 17, 0, 24)?.name, 'vxlan');
  assert.equal(tunnelInner(udp(4789, [0x0c, 0, 0, 0, 0, 0, 0x2a, 0]), 17, 0, 24), null, 'VXLAN with a reserved flag set');
  assert.equal(tunnelInner(udp(4789, [0x08, 0, 0, 0, 0, 0, 0x2a, 1]), 17, 0, 24), null, 'VXLAN reserved last byte');
  assert.equal(tunnelInner(udp(6081, [0x80, 0, 0x65, 0x58, 0, 0, 0x2a, 0]), 17, 0, 24), null, 'Geneve version 2');
  assert.equal(tunnelInner(udp(53, [0x08, 0, 0, 0, 0, 0, 0x2a, 0]), 17, 0, 24), null, 'another port');
  assert.equal(tunnelInner(Buffer.from([0x30, 0x01, 0x88, 0x0b, 0, 0, 0, 0]), 47, 0, 8), null, 'GRE version 1 (PPTP)');
});
