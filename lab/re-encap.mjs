// Re-wraps the inner Ethernet frames of the real VXLAN capture (lab/tunnels.sh) in the other tunnels this
// kernel cannot make here (no geneve/ipip/gre modules): Geneve, IP-in-IP, GRE with a key, GRE bridging and
// ERSPAN II. Outer IPv4 192.168.100.1 <-> .2 as in the VXLAN capture, header checksums computed, times kept.
// tshark is the judge of the result (lab/tunnels.sh writes its view next to each file), not this script.
//   node lab/re-encap.mjs test/fixtures/tunnels/vxlan.pcap test/fixtures/tunnels
import fs from 'node:fs';
import path from 'node:path';

const [src, outDir] = process.argv.slice(2);
const b = fs.readFileSync(src);
if (b.readUInt32LE(0) !== 0xa1b2c3d4) throw new Error('expected a little-endian µs pcap');
const records = [];
for (let o = 24; o + 16 <= b.length; ) {
  const incl = b.readUInt32LE(o + 8);
  records.push({ sec: b.readUInt32LE(o), usec: b.readUInt32LE(o + 4), data: b.subarray(o + 16, o + 16 + incl) });
  o += 16 + incl;
}
// Outer Ethernet (14) + IPv4 (20) + UDP (8) + VXLAN (8) = 50 bytes before the inner frame.
const inner = records.map((r) => ({ ...r, frame: r.data.subarray(50), outer: r.data.subarray(0, 14), fromA: r.data.readUInt32BE(26) === 0xc0a86401 }));

function ipv4(proto, payload, fromA) {
  const h = Buffer.alloc(20);
  h[0] = 0x45; h.writeUInt16BE(20 + payload.length, 2); h.writeUInt16BE(0x4000, 6); h[8] = 64; h[9] = proto;
  h.writeUInt32BE(fromA ? 0xc0a86401 : 0xc0a86402, 12); h.writeUInt32BE(fromA ? 0xc0a86402 : 0xc0a86401, 16);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += h.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  h.writeUInt16BE(~sum & 0xffff, 10);
  return Buffer.concat([h, payload]);
}
const udp = (sport, dport, payload) => { const h = Buffer.alloc(8); h.writeUInt16BE(sport, 0); h.writeUInt16BE(dport, 2); h.writeUInt16BE(8 + payload.length, 4); return Buffer.concat([h, payload]); };
const innerIp = (f) => f.subarray(14); // the inner frame's IPv4 packet

const kinds = {
  geneve: (f) => [17, udp(40000, 6081, Buffer.concat([Buffer.from([0x00, 0x00, 0x65, 0x58, 0x00, 0x00, 0x2a, 0x00]), f]))],
  ipip: (f) => [4, innerIp(f)],
  gre: (f) => [47, Buffer.concat([Buffer.from([0x20, 0x00, 0x08, 0x00, 0, 0, 0, 7]), innerIp(f)])], // K flag, key 7
  gretap: (f) => [47, Buffer.concat([Buffer.from([0x00, 0x00, 0x65, 0x58]), f])],
  erspan: (f) => [47, Buffer.concat([Buffer.from([0x10, 0x00, 0x88, 0xbe, 0, 0, 0, 1]), Buffer.from([0x10, 0x00, 0x00, 0x2a, 0, 0, 0, 0]), f])], // S flag + seq, ERSPAN II header
};

for (const [kind, wrap] of Object.entries(kinds)) {
  const parts = [b.subarray(0, 24)];
  for (const r of inner) {
    const [proto, payload] = wrap(r.frame);
    const pkt = Buffer.concat([r.outer, ipv4(proto, payload, r.fromA)]);
    const h = Buffer.alloc(16);
    h.writeUInt32LE(r.sec, 0); h.writeUInt32LE(r.usec, 4); h.writeUInt32LE(pkt.length, 8); h.writeUInt32LE(pkt.length, 12);
    parts.push(h, pkt);
  }
  fs.writeFileSync(path.join(outDir, `${kind}.pcap`), Buffer.concat(parts));
}
