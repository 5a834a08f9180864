// Readers: classic pcap (µs/ns, both byte orders) cross-checked with pcap-parser; pcapng
// (byte orders, sections, interfaces, tsresol, SPB, DSB).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { CORPUS } from './helpers.js';
import { fileBytes, readAll, readerPackets } from './pcap-helpers.js';
import { ByteQueue } from '../src/capture/byte-queue.js';
import { PcapReader } from '../src/capture/pcap-reader.js';
import { PcapngReader, DSB_TLS_KEY_LOG, type DecryptionSecrets } from '../src/capture/pcapng-reader.js';
import { pcapFormat } from '../src/ingest/pcap.js';

const DIR = path.join(CORPUS, 'pcap');
const require = createRequire(import.meta.url);

function pcapParserPackets(file: string): Promise<Array<{ tsUs: number; caplen: number; origLen: number; first: string }>> {
  const { parse } = require('pcap-parser') as { parse(f: string): NodeJS.EventEmitter };
  return new Promise((resolve, reject) => {
    const out: Array<{ tsUs: number; caplen: number; origLen: number; first: string }> = [];
    const p = parse(file);
    p.on('packet', (pk: { header: { timestampSeconds: number; timestampMicroseconds: number; capturedLength: number; originalLength: number }; data: Buffer }) => {
      out.push({ tsUs: pk.header.timestampSeconds * 1e6 + pk.header.timestampMicroseconds, caplen: pk.header.capturedLength, origLen: pk.header.originalLength, first: pk.data.toString('hex', 0, Math.min(8, pk.data.length)) });
    });
    p.on('end', () => resolve(out));
    p.on('error', reject);
  });
}

test('pcap-parser cross-check: every classic µs capture (both byte orders) gives the same records', async () => {
  const files = fs.readdirSync(DIR).filter((f) => f.endsWith('.pcap')).sort();
  let checked = 0, packets = 0, be = 0;
  for (const f of files) {
    const buf = fs.readFileSync(path.join(DIR, f));
    const r = new PcapReader();
    const ours = readerPackets(r, buf);
    if (r.ns || r.problem) continue; // pcap-parser has no ns magic and no corrupt-file handling
    const theirs = await pcapParserPackets(path.join(DIR, f));
    assert.deepEqual(ours.map(({ tsUs, caplen, origLen, first }) => ({ tsUs, caplen, origLen, first })), theirs, f);
    checked++;
    packets += ours.length;
    if (!r.le) be++;
  }
  console.log(`pcap-parser cross-check: ${checked} files, ${packets} packets identical (${be} big-endian)`);
  assert.ok(checked >= 80 && be >= 2);
});

test('ns pcap, both byte orders: 9-digit times', async () => {
  for (const f of ['pcapplusplus__nanosecs.pcap', 'pcapplusplus__nanosecs_big_endian.pcap', 'tcpdump__tcp-handshake-nano.pcap']) {
    const r = new PcapReader();
    const pk = readerPackets(r, fs.readFileSync(path.join(DIR, f)));
    assert.ok(r.ns && pk.length > 0, f);
  }
  const { events } = await readAll(fileBytes(path.join(DIR, 'zeek__get-to-ssh-server.pcap')), 'x');
  const rst = events.find((e) => e.kind === 'tcp.rst')!;
  assert.match(String(rst.time), /\.\d{9}Z$/);
});

test('pcapng: big- and little-endian copies of the same capture read the same', () => {
  for (const n of ['test006', 'test202']) {
    const le = readerPackets(new PcapngReader(), fs.readFileSync(path.join(DIR, `gopacket__le-${n}.pcapng`)));
    const be = readerPackets(new PcapngReader(), fs.readFileSync(path.join(DIR, `gopacket__be-${n}.pcapng`)), 5);
    assert.deepEqual(be, le, n);
    assert.ok(le.length >= 5);
  }
});

test('pcapng: several sections and interfaces with their own link types; SPB; tsresol 10^-9 and 2^-8', () => {
  const r = new PcapngReader();
  const p = readerPackets(r, fs.readFileSync(path.join(DIR, 'gopacket__le-test202.pcapng')));
  assert.equal(p.length, 8);
  assert.equal(r.sections, 3);
  assert.deepEqual([...new Set(p.map((x) => x.linktype))].sort(), [0, 1]);
  assert.equal(r.blockCounts.SPB, 2);
  const spb = readerPackets(new PcapngReader(), fs.readFileSync(path.join(DIR, 'gopacket__le-test010.pcapng')));
  assert.equal(spb.length, 4);
  const mixed = readerPackets(new PcapngReader(), fs.readFileSync(path.join(DIR, 'zeek__pcapng-multi-interface.pcapng')));
  assert.equal(mixed.length, 6);
  // 2^-8 s resolution: times are multiples of 1/256 s.
  const b = readerPackets(new PcapngReader(), fs.readFileSync(path.join(DIR, 'gopacket__le-test902.pcapng')));
  assert.equal(b.length, 1);
  assert.equal((b[0]!.tsUs % 1_000_000) % 3906.25 < 1 || (b[0]!.tsUs % 1_000_000) % 3906.25 > 3905, true);
});

test('pcapng: Decryption Secrets Blocks reach the callback, copied, before the packets after them', async () => {
  const got: DecryptionSecrets[] = [];
  const buf = fs.readFileSync(path.join(DIR, 'ja4__http2-with-cookies.pcapng'));
  const { stats } = await readAll(buf, 'x', 4096, { onSecrets: (s) => got.push(s) });
  assert.equal(got.length, 1);
  assert.equal(got[0]!.secretsType, DSB_TLS_KEY_LOG);
  assert.match(got[0]!.data.toString('latin1'), /^(CLIENT|SERVER)_[A-Z_]+ [0-9a-f]{64} /m);
  assert.equal(stats.packets, 1607);
});

test('pcapng of unknown major version: the packets before it, then capture_unsupported', async () => {
  const { stats, events } = await readAll(fs.readFileSync(path.join(DIR, 'gopacket__le-test901.pcapng')), 'x');
  assert.equal(stats.packets, 1);
  assert.ok(events.some((e) => e.kind === 'anomaly.capture_unsupported'));
});

test('pcapFormat: sniff and open through the BinaryFormat interface; not-a-capture is an anomaly, not a throw', async () => {
  assert.equal(pcapFormat.sniff(fs.readFileSync(path.join(DIR, 'zeek__single-rst.pcap')).subarray(0, 64)), 1);
  assert.equal(pcapFormat.sniff(fs.readFileSync(path.join(DIR, 'tcpdump__empty.pcapng'))), 1);
  assert.equal(pcapFormat.sniff(Buffer.from('[2024-01-01 00:00:00.000] hello\n')), 0);
  const { events } = await readAll(Buffer.from('this is not a capture at all, just text\n'), 'x');
  assert.deepEqual(events.map((e) => e.kind), ['anomaly.capture_unreadable']);
});

test('ByteQueue copies only when a record straddles chunks', () => {
  const q = new ByteQueue();
  const a = Buffer.from([1, 2, 3, 4]), b = Buffer.from([5, 6, 7, 8]);
  q.push(a);
  q.push(b);
  assert.equal(q.peek(3), a, 'inside the first chunk: a view of it');
  q.consume(2);
  const m = q.peek(4)!;
  assert.notEqual(m, a);
  assert.deepEqual([...m.subarray(q.start, q.start + 4)], [3, 4, 5, 6]);
  q.consume(4);
  assert.deepEqual([...q.peek(2)!.subarray(q.start, q.start + 2)], [7, 8]);
  assert.equal(q.offset, 6);
  assert.equal(q.peek(3), undefined);
});
