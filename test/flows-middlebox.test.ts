// The middlebox check (RSTs that do not fit their claimed sender) on real captures: the lab's
// middlebox-reset proxy.pcap on its own, and no false verdict anywhere in the corpus.
//
// test/fixtures/corpus-rst-ttl.json is tshark's view, not ours (its `generator` field gives the
// command): for every RST in the corpus truth, the RST's TTL and the TTLs of all the non-RST TCP
// packets its source IP sent in the capture. A RST may be called middlebox_reset only when its TTL
// is none of those.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { CORPUS, REPO } from './helpers.js';
import { fileBytes, readAll } from './pcap-helpers.js';

interface TtlRow { frame: number; src: string; ttl: number | null; host_ttls?: Record<string, number> }
const fixture = JSON.parse(fs.readFileSync(path.join(REPO, 'test/fixtures/corpus-rst-ttl.json'), 'utf8')) as { files: Record<string, TtlRow[]> };

/** tshark: the RST's TTL is none of the TTLs its sender's other packets had (and it sent some). */
const ttlDiffers = (r: TtlRow) => r.ttl !== null && !!r.host_ttls && Object.keys(r.host_ttls).length > 0 && !(String(r.ttl) in r.host_ttls);

test('middlebox-reset/proxy.pcap alone: the RST with TTL 64 among the upstream\'s TTL-63 packets (two flows) is middlebox_reset', async () => {
  const file = path.join(REPO, 'samples/incidents/middlebox-reset/proxy.pcap');
  const { events } = await readAll(fileBytes(file), 'proxy.pcap');
  const rsts = events.filter((e) => e.kind === 'tcp.rst');
  assert.deepEqual(rsts.map((r) => [r.frame, r.src, r.ttl, r.cause]), [[15, '10.200.3.2:8080', 64, 'middlebox_reset']]);
  assert.deepEqual(rsts[0]!.middlebox_reasons, ['TTL 64, but 10.200.3.2 sent its 6 earlier packet(s) in this capture (2 flow(s)) all with TTL 63, 1 of them in this connection']);
  const flows = events.filter((e) => e.kind === 'tcp.flow');
  assert.deepEqual(flows.map((f) => [f.first_frame, f.cause]), [[1, null], [11, 'middlebox_reset']]);
  // The healthy first flow: the upstream's FIN (frame 8) came before the proxy's (frame 9).
  assert.deepEqual([flows[0]!.resp_fin_frame, flows[0]!.orig_fin_frame], [8, 9]);
});

test('corpus: a RST is middlebox_reset only when tshark shows its TTL differs from all its sender\'s other packets', async () => {
  const flagged: string[] = [];
  const differs: string[] = [];
  const wrong: string[] = [];
  let total = 0;
  for (const [file, rows] of Object.entries(fixture.files)) {
    const full = path.join(CORPUS, 'pcap', file);
    const { events } = await readAll(fileBytes(full), file);
    for (const r of rows) {
      total++;
      if (ttlDiffers(r)) differs.push(`${file}#${r.frame}`);
    }
    for (const e of events) {
      if (e.kind !== 'tcp.rst' || e.cause !== 'middlebox_reset') continue;
      const id = `${file}#${e.frame}`;
      flagged.push(id);
      const row = rows.find((r) => r.frame === e.frame);
      if (!row || !ttlDiffers(row)) wrong.push(`${id} (TTL ${e.ttl}; tshark: ${JSON.stringify(row)}; ours: ${JSON.stringify(e.middlebox_reasons)})`);
    }
  }
  console.log(`middlebox_reset RSTs in the corpus: ${flagged.length} of ${total} (${flagged.join(', ')}); RSTs whose TTL differs from all their sender's other packets (tshark): ${differs.length}`);
  assert.deepEqual(wrong, [], 'middlebox_reset without a TTL that differs');
  // Today every such RST is caught (each checked by hand: tls-fin-close-data-01 #22/#23 TTL 59
  // among 123s; rst-inject-rae #2 TTL 46 among 49s). One missed later needs a reason.
  assert.deepEqual(flagged.sort(), differs.sort());
  assert.ok(total >= 150);
});
