// Flow tracker scenarios on hand-built packets: Zeek's conn_state/history, and what we add.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Event } from '../src/events.js';
import { readAll } from './pcap-helpers.js';
import { connState, EP } from '../src/capture/flows.js';
import { renderFlows } from '../src/commands/flows.js';

const F = { FIN: 1, SYN: 2, RST: 4, PSH: 8, ACK: 16 } as const;
const C = '10.0.0.1', S = '10.0.0.2';

interface Pkt { t: number; src: string; sport: number; dst: string; dport: number; flags: number; seq: number; ack?: number; len?: number; ttl?: number; id?: number; win?: number; raw?: Buffer }

function ip4(a: string): number[] {
  return a.split('.').map(Number);
}

function tcpPacket(p: Pkt): Buffer {
  const len = p.len ?? 0;
  const tcp = Buffer.alloc(20 + len);
  tcp.writeUInt16BE(p.sport, 0);
  tcp.writeUInt16BE(p.dport, 2);
  tcp.writeUInt32BE(p.seq >>> 0, 4);
  tcp.writeUInt32BE((p.ack ?? 0) >>> 0, 8);
  tcp[12] = 5 << 4;
  tcp[13] = p.flags;
  tcp.writeUInt16BE(p.win ?? 65535, 14);
  return ipv4(p, 6, tcp);
}

function ipv4(p: { src: string; dst: string; ttl?: number; id?: number }, proto: number, body: Buffer): Buffer {
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip.writeUInt16BE(20 + body.length, 2);
  ip.writeUInt16BE(p.id ?? 0, 4);
  ip[8] = p.ttl ?? 64;
  ip[9] = proto;
  Buffer.from(ip4(p.src)).copy(ip, 12);
  Buffer.from(ip4(p.dst)).copy(ip, 16);
  return Buffer.concat([ip, body]);
}

function ether(payload: Buffer): Buffer {
  const e = Buffer.alloc(14);
  e.writeUInt16BE(0x0800, 12);
  return Buffer.concat([e, payload]);
}

/** A classic µs little-endian pcap of Ethernet frames. */
export function pcap(frames: Array<{ t: number; data: Buffer }>): Buffer {
  const h = Buffer.alloc(24);
  h.writeUInt32LE(0xa1b2c3d4, 0);
  h.writeUInt16LE(2, 4);
  h.writeUInt16LE(4, 6);
  h.writeUInt32LE(65535, 16);
  h.writeUInt32LE(1, 20);
  const parts = [h];
  for (const f of frames) {
    const r = Buffer.alloc(16);
    const us = 1_700_000_000_000_000 + Math.round(f.t * 1e6);
    r.writeUInt32LE(Math.floor(us / 1e6), 0);
    r.writeUInt32LE(us % 1e6, 4);
    r.writeUInt32LE(f.data.length, 8);
    r.writeUInt32LE(f.data.length, 12);
    parts.push(r, Buffer.from(f.data));
  }
  return Buffer.concat(parts);
}

async function run(pkts: Pkt[]): Promise<{ events: Event[]; flows: Event[]; rsts: Event[] }> {
  const buf = pcap(pkts.map((p) => ({ t: p.t, data: p.raw ?? ether(tcpPacket(p)) })));
  const { events } = await readAll(buf, 'synthetic.pcap');
  return { events, flows: events.filter((e) => e.kind === 'tcp.flow'), rsts: events.filter((e) => e.kind === 'tcp.rst') };
}

const c2s = (t: number, flags: number, seq: number, ack = 0, len = 0, extra: Partial<Pkt> = {}): Pkt => ({ t, src: C, sport: 40000, dst: S, dport: 9080, flags, seq, ack, len, ...extra });
const s2c = (t: number, flags: number, seq: number, ack = 0, len = 0, extra: Partial<Pkt> = {}): Pkt => ({ t, src: S, sport: 9080, dst: C, dport: 40000, flags, seq, ack, len, ...extra });
const handshake = [c2s(0, F.SYN, 100), s2c(0.001, F.SYN | F.ACK, 500, 101), c2s(0.002, F.ACK, 101, 501)];

test('RST+ACK in reply to a SYN: REJ "Sr", phase syn, refused, sent by the responder', async () => {
  const { flows, rsts } = await run([c2s(0, F.SYN, 100), s2c(0.0005, F.RST | F.ACK, 0, 101)]);
  assert.equal(rsts.length, 1);
  const r = rsts[0]!;
  assert.deepEqual([r.src, r.dst, r.phase, r.cause, r.rst_by, r.in_reply_to_syn, r.after_fin, r.upstream], ['10.0.0.2:9080', '10.0.0.1:40000', 'syn', 'refused', 'responder', true, false, '10.0.0.2:9080']);
  assert.equal(flows.length, 1);
  assert.deepEqual([flows[0]!.conn_state, flows[0]!.history, flows[0]!.cause, flows[0]!.orig, flows[0]!.resp], ['REJ', 'Sr', 'refused', '10.0.0.1:40000', '10.0.0.2:9080']);
});

test('SYN retransmitted, never answered: S0, tcp.syn_timeout with the retransmissions and their times', async () => {
  const { events, flows } = await run([c2s(0, F.SYN, 100), c2s(1, F.SYN, 100), c2s(3, F.SYN, 100)]);
  const st = events.filter((e) => e.kind === 'tcp.syn_timeout');
  assert.equal(st.length, 1);
  assert.equal(st[0]!.cause, 'connect_timeout');
  assert.equal(st[0]!.retransmissions, 2);
  assert.equal((st[0]!.syn_times as string[]).length, 3);
  assert.equal((st[0]!.syn_times as string[])[1], '2023-11-14T22:13:21.000000Z');
  assert.deepEqual([flows[0]!.conn_state, flows[0]!.history, flows[0]!.cause], ['S0', 'S', 'connect_timeout']);
});

test('handshake, request, upstream RST mid-stream: RSTR "ShADar", upstream_reset', async () => {
  const { flows, rsts } = await run([...handshake, c2s(0.01, F.PSH | F.ACK, 101, 501, 50), s2c(0.011, F.ACK, 501, 151), s2c(0.02, F.RST | F.ACK, 501, 151)]);
  assert.deepEqual([rsts[0]!.phase, rsts[0]!.cause, rsts[0]!.rst_by, rsts[0]!.in_reply_to_syn], ['established', 'upstream_reset', 'responder', false]);
  assert.deepEqual([flows[0]!.conn_state, flows[0]!.history, flows[0]!.cause, flows[0]!.orig_bytes, flows[0]!.first_rst_by], ['RSTR', 'ShADar', 'upstream_reset', 50, 'responder']);
});

test('normal close: SF "ShADdFf", not a failure', async () => {
  const { flows, rsts } = await run([...handshake, c2s(0.01, F.PSH | F.ACK, 101, 501, 10), s2c(0.011, F.PSH | F.ACK, 501, 111, 20),
    c2s(0.02, F.FIN | F.ACK, 111, 521), s2c(0.021, F.FIN | F.ACK, 521, 112), c2s(0.022, F.ACK, 112, 522)]);
  assert.equal(rsts.length, 0);
  assert.deepEqual([flows[0]!.conn_state, flows[0]!.history, flows[0]!.cause, flows[0]!.orig_bytes, flows[0]!.resp_bytes], ['SF', 'ShADdFf', null, 10, 20]);
});

test('capture starts mid-stream; client data, then the server (8080) resets: history "Dr", RSTRH (anchors.md §4.3 example)', async () => {
  const d = (t: number, flags: number, seq: number, ack: number, len = 0) => ({ t, src: C, sport: 40000, dst: S, dport: 8080, flags, seq, ack, len });
  const { flows, rsts } = await run([d(0, F.PSH | F.ACK, 1000, 2000, 20), { t: 0.01, src: S, sport: 8080, dst: C, dport: 40000, flags: F.RST | F.ACK, seq: 2000, ack: 1020 }]);
  assert.deepEqual([flows[0]!.history, flows[0]!.conn_state, flows[0]!.direction], ['Dr', 'RSTRH', 'first_packet']);
  assert.equal(rsts[0]!.rst_by, 'responder');
});

test('capture starts with a packet from a likely server port: flipped at creation, history starts with "^"', async () => {
  const { flows } = await run([{ t: 0, src: S, sport: 8080, dst: C, dport: 40000, flags: F.PSH | F.ACK, seq: 2000, ack: 1000, len: 10 },
    { t: 0.01, src: C, sport: 40000, dst: S, dport: 8080, flags: F.ACK, seq: 1000, ack: 2010 }]);
  assert.deepEqual([flows[0]!.history, flows[0]!.orig, flows[0]!.resp, flows[0]!.direction], ['^dA', '10.0.0.1:40000', '10.0.0.2:8080', 'zeek_port']);
});

test('a port learned from a SYN-ACK elsewhere in the capture orients a later mid-stream flow (Zeek would not: 9080 is not in its list)', async () => {
  const other = (p: Pkt): Pkt => ({ ...p, sport: p.sport === 40000 ? 40001 : p.sport, dport: p.dport === 40000 ? 40001 : p.dport });
  const { flows } = await run([...handshake,
    other(s2c(0.1, F.PSH | F.ACK, 9000, 7000, 10)), other(c2s(0.11, F.ACK, 7000, 9010))]);
  const mid = flows.find((f) => f.orig === '10.0.0.1:40001')!;
  assert.ok(mid, 'the mid-stream flow is oriented client -> server');
  assert.deepEqual([mid.direction, mid.history], ['learned_listener', '^dA']);
});

test('both sides reset: Zeek says RSTR, we say the originator reset first', async () => {
  const { flows, rsts } = await run([...handshake, c2s(0.01, F.PSH | F.ACK, 101, 501, 10), c2s(0.02, F.RST | F.ACK, 111, 501), s2c(0.021, F.RST, 501, 0)]);
  assert.deepEqual(rsts.map((r) => [r.rst_by, r.first_rst]), [['originator', true], ['responder', false]]);
  assert.deepEqual([flows[0]!.conn_state, flows[0]!.first_rst_by, flows[0]!.both_reset, flows[0]!.history], ['RSTR', 'originator', true, 'ShADRr']);
});

test('RST after FIN: phase after_fin; the upstream closing then resetting is upstream_close', async () => {
  const { rsts } = await run([...handshake, c2s(0.01, F.PSH | F.ACK, 101, 501, 10), s2c(0.02, F.FIN | F.ACK, 501, 111), s2c(0.03, F.RST | F.ACK, 502, 111)]);
  assert.deepEqual([rsts[0]!.phase, rsts[0]!.after_fin, rsts[0]!.cause], ['after_fin', true, 'upstream_close']);
});

test('a RST whose TTL does not fit the server: middlebox_reset with the reason', async () => {
  const { flows, rsts } = await run([c2s(0, F.SYN, 100), s2c(0.001, F.SYN | F.ACK, 500, 101, 0, { ttl: 58 }), c2s(0.002, F.ACK, 101, 501),
    c2s(0.01, F.PSH | F.ACK, 101, 501, 10), s2c(0.011, F.ACK, 501, 111, 0, { ttl: 58 }), s2c(0.02, F.RST | F.ACK, 501, 111, 0, { ttl: 250 })]);
  assert.equal(rsts[0]!.cause, 'middlebox_reset');
  assert.match((rsts[0]!.middlebox_reasons as string[])[0]!, /TTL 250, but 10\.0\.0\.2:9080 sent its 2 earlier packet\(s\) with TTL 58/);
  assert.equal(flows[0]!.cause, 'middlebox_reset');
});

test('a genuine server RST (same TTL, sequential IP-ID, in-window seq) stays upstream_reset', async () => {
  const { rsts } = await run([c2s(0, F.SYN, 100), s2c(0.001, F.SYN | F.ACK, 500, 101, 0, { ttl: 58, id: 10 }), c2s(0.002, F.ACK, 101, 501),
    c2s(0.01, F.PSH | F.ACK, 101, 501, 10), s2c(0.011, F.ACK, 501, 111, 0, { ttl: 58, id: 11 }), s2c(0.02, F.RST | F.ACK, 501, 111, 0, { ttl: 58, id: 12 })]);
  assert.equal(rsts[0]!.cause, 'upstream_reset');
  assert.equal(rsts[0]!.middlebox_reasons, undefined);
});

test('ICMP port unreachable quoting our SYN: icmp.unreachable, cause refused, tied to the flow', async () => {
  const syn = tcpPacket(c2s(0, F.SYN, 100));
  const icmp = Buffer.concat([Buffer.from([3, 3, 0, 0, 0, 0, 0, 0]), syn.subarray(0, 28)]);
  const { events, flows } = await run([c2s(0, F.SYN, 100), { ...s2c(0.001, 0, 0), raw: ether(ipv4({ src: S, dst: C }, 1, icmp)) }]);
  const u = events.filter((e) => e.kind === 'icmp.unreachable');
  assert.equal(u.length, 1);
  assert.deepEqual([u[0]!.cause, u[0]!.code_name, u[0]!.quoted_dst, u[0]!.flow, u[0]!.upstream], ['refused', 'port_unreachable', '10.0.0.2:9080', flows[0]!.uid, '10.0.0.2:9080']);
  assert.equal(flows[0]!.cause, 'refused');
});

test('idle flows are finalized after LIMITS.FLOW_IDLE_US of capture time, before the end of input', async () => {
  const later = (p: Pkt): Pkt => (p.src === C ? { ...p, sport: 40002, t: p.t + 400 } : { ...p, dport: 40002, t: p.t + 400 });
  const { events } = await run([...handshake, ...handshake.map(later)]);
  const flows = events.filter((e) => e.kind === 'tcp.flow');
  assert.equal(flows.length, 2);
  assert.equal(flows[0]!.evicted, true);
  assert.equal(flows[0]!.orig, '10.0.0.1:40000');
  const idx = events.indexOf(flows[0]!);
  assert.ok(idx < events.length - 1, 'the first flow was emitted before end of input');
});

test('conn_state follows main.zeek for each endpoint-state pair', () => {
  const ep = (state: number, size = 0) => ({ state, size: () => size });
  const cs = (o: number, r: number, history = '', os = 0, rs = 0) => connState({ orig: ep(o, os), resp: ep(r, rs), history });
  assert.equal(cs(EP.SYN_SENT, EP.INACTIVE), 'S0');
  assert.equal(cs(EP.SYN_SENT, EP.RESET), 'REJ');
  assert.equal(cs(EP.RESET, EP.RESET), 'REJ');
  assert.equal(cs(EP.RESET, EP.RESET, '', 5), 'RSTR');
  assert.equal(cs(EP.PARTIAL, EP.RESET), 'RSTRH');
  assert.equal(cs(EP.RESET, EP.INACTIVE, 'SR'), 'RSTOS0');
  assert.equal(cs(EP.RESET, EP.INACTIVE, 'SaFR'), 'OTH');
  assert.equal(cs(EP.RESET, EP.ESTABLISHED), 'RSTO');
  assert.equal(cs(EP.CLOSED, EP.CLOSED), 'SF');
  assert.equal(cs(EP.CLOSED, EP.INACTIVE), 'SH');
  assert.equal(cs(EP.CLOSED, EP.ESTABLISHED), 'S2');
  assert.equal(cs(EP.INACTIVE, EP.CLOSED), 'SHR');
  assert.equal(cs(EP.ESTABLISHED, EP.CLOSED), 'S3');
  assert.equal(cs(EP.ESTABLISHED, EP.ESTABLISHED), 'S1');
  assert.equal(cs(EP.PARTIAL, EP.PARTIAL), 'OTH');
});

test('renderFlows: Zeek column names in the table; ndjson is one object per line', async () => {
  const { flows } = await run([c2s(0, F.SYN, 100), s2c(0.0005, F.RST | F.ACK, 0, 101)]);
  const table = renderFlows(flows, 'table', { width: 200 });
  for (const h of ['ts', 'uid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'conn_state', 'history', 'cause']) assert.ok(table.includes(h), h);
  assert.match(table, /10\.0\.0\.2 .*9080 .*REJ .*Sr .*refused/);
  const lines = renderFlows(flows, 'ndjson').trim().split('\n');
  assert.equal(lines.length, 1);
  assert.equal(JSON.parse(lines[0]!).conn_state, 'REJ');
  assert.ok(!renderFlows(flows, 'table', { width: 80 }).includes('orig_bytes'), 'narrow terminals drop byte columns');
});

test('tcp.flow carries the first FIN of each side: frame, µs and time', async () => {
  const { flows } = await run([...handshake, c2s(0.01, F.PSH | F.ACK, 101, 501, 10), s2c(0.011, F.PSH | F.ACK, 501, 111, 20),
    s2c(0.02, F.FIN | F.ACK, 521, 111), s2c(0.021, F.FIN | F.ACK, 521, 111), c2s(0.0225, F.FIN | F.ACK, 111, 522), s2c(0.023, F.ACK, 522, 112)]);
  const f = flows[0]!;
  const base = 1_700_000_000_000_000;
  assert.deepEqual([f.resp_fin_frame, f.resp_fin_us, f.resp_fin_time], [6, base + 20_000, '2023-11-14T22:13:20.020000Z'], 'the first of the two FINs');
  assert.deepEqual([f.orig_fin_frame, f.orig_fin_us, f.orig_fin_time], [8, base + 22_500, '2023-11-14T22:13:20.022500Z']);
  const { flows: open } = await run([...handshake, s2c(0.02, F.FIN | F.ACK, 501, 101)]);
  assert.deepEqual([open[0]!.orig_fin_frame, open[0]!.orig_fin_us, open[0]!.orig_fin_time, open[0]!.resp_fin_frame], [null, null, null, 4]);
});

test('FIN sides follow a role flip (capture starts with the SYN-ACK)', async () => {
  const { flows } = await run([s2c(0, F.SYN | F.ACK, 500, 101), c2s(0.001, F.ACK, 101, 501), c2s(0.01, F.FIN | F.ACK, 101, 501)]);
  assert.deepEqual([flows[0]!.orig, flows[0]!.orig_fin_frame, flows[0]!.resp_fin_frame], ['10.0.0.1:40000', 3, null]);
});

// The middlebox check across flows (the middlebox-reset lab incident): the upstream's packets in
// every flow arrive with one TTL; a RST in its name with another TTL was sent by something on the way.
const flowOn = (sport: number, t0: number, ttl: number) => {
  const c = (t: number, flags: number, seq: number, ack = 0, len = 0): Pkt => ({ ...c2s(t0 + t, flags, seq, ack, len), sport });
  const s = (t: number, flags: number, seq: number, ack = 0, len = 0, rttl = ttl): Pkt => ({ ...s2c(t0 + t, flags, seq, ack, len, { ttl: rttl }), dport: sport });
  return { c, s };
};
/** A healthy keep-alive-less exchange: the server sends 3 packets (SYN-ACK, ACK, data) with `ttl`. */
function healthyFlow(sport: number, t0: number, ttl: number): Pkt[] {
  const { c, s } = flowOn(sport, t0, ttl);
  return [c(0, F.SYN, 100), s(0.001, F.SYN | F.ACK, 500, 101), c(0.002, F.ACK, 101, 501), c(0.003, F.PSH | F.ACK, 101, 501, 50),
    s(0.004, F.ACK, 501, 151), s(0.005, F.PSH | F.ACK, 501, 151, 30)];
}
/** A SYN-ACK with `ttl`, the request, then a RST in the server's name with `rstTtl`. */
function resetFlow(sport: number, t0: number, ttl: number, rstTtl: number): Pkt[] {
  const { c, s } = flowOn(sport, t0, ttl);
  return [c(0, F.SYN, 100), s(0.001, F.SYN | F.ACK, 500, 101), c(0.002, F.ACK, 101, 501), c(0.003, F.PSH | F.ACK, 101, 501, 50),
    s(0.004, F.RST, 501, 0, 0, rstTtl)];
}

test('a RST one hop off the TTL the host showed in every flow: middlebox_reset (the per-flow check alone needs 2 hops)', async () => {
  const { rsts, flows } = await run([...healthyFlow(40000, 0, 63), ...resetFlow(40001, 0.1, 63, 64)]);
  assert.equal(rsts.length, 1);
  assert.equal(rsts[0]!.cause, 'middlebox_reset');
  assert.deepEqual(rsts[0]!.middlebox_reasons, ['TTL 64, but 10.0.0.2 sent its 4 earlier packet(s) in this capture (2 flow(s)) all with TTL 63, 1 of them in this connection']);
  assert.equal(flows.find((f) => f.orig === '10.0.0.1:40001')!.cause, 'middlebox_reset');
  // The same RST with the host's TTL is the upstream's own.
  const same = await run([...healthyFlow(40000, 0, 63), ...resetFlow(40001, 0.1, 63, 63)]);
  assert.equal(same.rsts[0]!.cause, 'upstream_reset');
  assert.equal(same.rsts[0]!.middlebox_reasons, undefined);
});

test('no established TTL, no host verdict: fewer than 3 packets, or a host seen with two TTLs (ECMP / load balancer)', async () => {
  // Only the SYN-ACK of one earlier flow (2 packets with the one in this flow).
  const { c, s } = flowOn(40000, 0, 63);
  const few = await run([c(0, F.SYN, 100), s(0.001, F.SYN | F.ACK, 500, 101), c(0.002, F.RST, 101), ...resetFlow(40001, 0.1, 63, 64)]);
  assert.deepEqual(few.rsts.map((r) => r.cause), ['client_abort', 'upstream_reset']);
  // Two paths: one flow with TTL 63, one with TTL 62; a one-hop-off RST is not judged by the host.
  const ecmp = await run([...healthyFlow(40000, 0, 63), ...healthyFlow(40002, 0.05, 62), ...resetFlow(40001, 0.1, 63, 64)]);
  assert.equal(ecmp.rsts[0]!.cause, 'upstream_reset');
  assert.equal(ecmp.rsts[0]!.middlebox_reasons, undefined);
});

test('a RST that is the sender\'s first packet in its flow (a new flow may take another path): an oddity, not a verdict', async () => {
  const { c, s } = flowOn(40001, 0.1, 63);
  const { rsts } = await run([...healthyFlow(40000, 0, 63), c(0, F.SYN, 100), s(0.1005, F.RST | F.ACK, 0, 101, 0, 64)]);
  assert.equal(rsts[0]!.cause, 'refused');
  assert.deepEqual(rsts[0]!.rst_oddities, ['TTL 64, but 10.0.0.2 sent its 3 earlier packet(s) in this capture (1 flow(s)) all with TTL 63, none of them in this connection']);
});
