// Decoders never throw on data: every prefix of a valid frame is `truncated`; random bytes fuzzed
// with fast-check through every link type, and through both file readers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeEthernet } from '../src/decode/ethernet.js';
import { decodeIpv4 } from '../src/decode/ipv4.js';
import { decodeIpv6 } from '../src/decode/ipv6.js';
import { decodeTcp } from '../src/decode/tcp.js';
import { decodeSll, decodeSll2 } from '../src/decode/sll.js';
import { decodeNull } from '../src/decode/raw.js';
import { ipv6Text } from '../src/decode/ip-text.js';
import { LINK_TYPES } from '../src/decode/index.js';
import { dissect, newDissection } from '../src/capture/packet.js';
import { newRawPacket } from '../src/capture/raw-packet.js';
import { readAll } from './pcap-helpers.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
// Ethernet / 802.1Q 100 / 802.1Q 200 (QinQ) / IPv4 with 4 option bytes / TCP SYN with MSS, wscale, timestamps.
const FRAME = hex(`
  001122334455 66778899aabb 8100 0064 8100 00c8 0800
  46000040 1234 4000 40 06 0000 0a000001 0a000002 01010000
  9c40 2378 00000064 00000000 b002 ffff 0000 0000
  020405b4 0103 0307 0101 080a 00000001 00000000 0000`);

test('a QinQ / IPv4 options / TCP options frame decodes fully', () => {
  const pkt = newRawPacket();
  Object.assign(pkt, { buf: FRAME, off: 0, caplen: FRAME.length, origLen: FRAME.length, linktype: 1 });
  const d = newDissection();
  dissect(pkt, d);
  assert.equal(d.reached, 'l4');
  const e = decodeEthernet(FRAME, 0, FRAME.length);
  assert.ok(e.ok && e.value.vlan === 100 && e.value.vlanDepth === 2 && e.next === 22);
  assert.deepEqual([d.ip!.ttl, d.ip!.id, d.ip!.optionBytes, d.l4!.sport, d.l4!.dport, d.l4!.flags, d.l4!.mss, d.l4!.wscale, d.l4!.tsval], [64, 0x1234, 4, 40000, 9080, 2, 1460, 7, 1]);
});

test('every prefix of the frame is truncated at its layer, never a throw', () => {
  const decoders = [
    (b: Buffer, n: number) => decodeEthernet(b, 0, n),
    (b: Buffer, n: number) => decodeIpv4(b, 22, n),
    (b: Buffer, n: number) => decodeTcp(b, 46, n),
  ];
  const starts = [0, 22, 46];
  const ends = [22, 46, 46 + 20];
  for (let i = 0; i < decoders.length; i++) {
    for (let n = starts[i]!; n < ends[i]!; n++) {
      const r = decoders[i]!(FRAME, n);
      assert.equal(r.ok, false, `layer ${i} prefix ${n}`);
      if (!r.ok) assert.equal(r.why, 'truncated');
    }
  }
  const pkt = newRawPacket();
  const d = newDissection();
  for (let n = 0; n < FRAME.length; n++) {
    Object.assign(pkt, { buf: FRAME, off: 0, caplen: n, origLen: FRAME.length, linktype: 1 });
    dissect(pkt, d);
    assert.ok(d.snapCut);
  }
});

test('IPv6 with hop-by-hop and fragment headers; RFC 5952 text', () => {
  const v6 = hex(`60000000 0020 00 40 20010db8000000000000000000000001 20010db8000000000000000000000002
    06 00 00000000 0000   2c 00 0000 00000000   ` + '00'.repeat(4));
  const r = decodeIpv6(v6, 0, v6.length);
  assert.ok(r.ok);
  // Hop-by-hop (8 bytes) whose next header is TCP.
  assert.ok(r.ok && r.value.proto === 6 && r.value.optionBytes === 8 && r.next === 48);
  const v6b = hex(`60000000 0018 00 40 20010db8000000000000000000000001 20010db8000000000000000000000002
    2c 00 000000000000   06 00 0000 0000abcd ` + '00'.repeat(8));
  const f = decodeIpv6(v6b, 0, v6b.length);
  assert.ok(f.ok && f.value.proto === 6 && f.value.id === 0xabcd && f.value.optionBytes === 16 && f.next === 56);
  assert.equal(ipv6Text(v6b.toString('latin1', 8, 24)), '2001:db8::1');
  assert.equal(ipv6Text(Buffer.alloc(16).toString('latin1')), '::');
});

test('cooked SLL / SLL2 and NULL in either byte order', () => {
  const sll = hex('0000 0001 0006 001122334455 0000 0800');
  assert.deepEqual(decodeSll(sll, 0, sll.length), { ok: true, value: { ethertype: 0x0800, vlan: -1, vlanDepth: 0 }, next: 16 });
  const sll2 = hex('86dd 0000 00000002 0001 00 06 001122334455 0000');
  assert.equal((decodeSll2(sll2, 0, sll2.length) as { value: { ethertype: number } }).value.ethertype, 0x86dd);
  for (const af of [hex('02000000'), hex('00000002'), hex('1e000000'), hex('00000018')]) {
    const r = decodeNull(af, 0, 4);
    assert.ok(r.ok && r.value.ethertype !== 0);
  }
});

test('fuzz: random bytes through every link type never throw', () => {
  const types = [...LINK_TYPES.keys()];
  const pkt = newRawPacket();
  const d = newDissection();
  fc.assert(fc.property(fc.constantFrom(...types), fc.uint8Array({ maxLength: 200 }), (lt, bytes) => {
    const b = Buffer.from(bytes);
    Object.assign(pkt, { buf: b, off: 0, caplen: b.length, origLen: b.length, linktype: lt });
    dissect(pkt, d);
  }), { numRuns: 3000 });
  // Valid headers with random tails reach deeper layers.
  fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), (tail) => {
    const b = Buffer.concat([FRAME.subarray(0, 46), Buffer.from(tail)]);
    Object.assign(pkt, { buf: b, off: 0, caplen: b.length, origLen: b.length, linktype: 1 });
    dissect(pkt, d);
  }), { numRuns: 2000 });
});

test('fuzz: random files after a pcap or pcapng header never throw, and end with at most one read problem', async () => {
  const pcapHdr = hex('d4c3b2a1 0200 0400 00000000 00000000 ffff0000 01000000');
  const ngHdr = hex('0a0d0d0a 1c000000 4d3c2b1a 0100 0000 ffffffffffffffff 1c000000');
  await fc.assert(fc.asyncProperty(fc.boolean(), fc.uint8Array({ maxLength: 400 }), fc.integer({ min: 1, max: 64 }), async (ng, body, chunk) => {
    const buf = Buffer.concat([ng ? ngHdr : pcapHdr, Buffer.from(body)]);
    const { events } = await readAll(buf, 'fuzz', chunk);
    assert.ok(events.filter((e) => String(e.kind).startsWith('anomaly.capture_')).length <= 1);
  }), { numRuns: 300 });
});
