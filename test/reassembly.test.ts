import test from 'node:test';
import assert from 'node:assert/strict';
import { ByteQueue, DirectionReassembler, seqDiff, type ReassemblyOutput, type SegMeta } from '../src/capture/reassembly.js';
import { LIMITS } from '../src/limits.js';

const meta = (frame: number): SegMeta => ({ frame, ts_us: frame, time: 't', src: 'a:1', dst: 'b:2' });
const text = (outs: ReassemblyOutput[]) => outs.map((o) => (o.kind === 'data' ? o.data.toString() : `<gap ${o.bytes}>`)).join('');
const frames = (outs: ReassemblyOutput[]) => outs.map((o) => o.meta.frame);

test('in-order bytes pass through; SYN takes one sequence number', () => {
  const r = new DirectionReassembler();
  assert.deepEqual(r.push(99, 0x02, Buffer.alloc(0), meta(1)), []);
  assert.equal(text(r.push(100, 0x18, Buffer.from('abc'), meta(2))), 'abc');
  assert.equal(text(r.push(103, 0x18, Buffer.from('def'), meta(3))), 'def');
  assert.equal(r.nextSeq, 106);
});

test('retransmissions are dropped, overlaps trimmed', () => {
  const r = new DirectionReassembler();
  r.push(0, 0x18, Buffer.from('hello'), meta(1));
  assert.equal(text(r.push(0, 0x18, Buffer.from('hello'), meta(2))), '');
  assert.equal(text(r.push(3, 0x18, Buffer.from('lo world'), meta(3))), ' world');
  assert.equal(r.anomalies.length, 0);
});

test('out-of-order segments are held and released by the one that fills the hole (its frame)', () => {
  const r = new DirectionReassembler();
  r.push(0, 0x18, Buffer.from('ab'), meta(1));
  assert.deepEqual(r.push(4, 0x18, Buffer.from('ef'), meta(2)), []);
  assert.equal(r.heldSegments, 1);
  const outs = r.push(2, 0x18, Buffer.from('cd'), meta(3));
  assert.equal(text(outs), 'cdef');
  assert.deepEqual(frames(outs), [3, 3]);
});

test('sequence numbers wrap around 2^32', () => {
  const r = new DirectionReassembler();
  assert.equal(seqDiff(2, 0xfffffffe), 4);
  r.push(0xfffffffc, 0x18, Buffer.from('wxyz'), meta(1));
  assert.equal(r.nextSeq, 0);
  assert.equal(text(r.push(2, 0x18, Buffer.from('cd'), meta(2))), '');
  assert.equal(text(r.push(0, 0x18, Buffer.from('ab'), meta(3))), 'abcd');
});

test('a hole the peer acknowledged is a gap, reported as an anomaly', () => {
  const r = new DirectionReassembler();
  r.push(0, 0x18, Buffer.from('ab'), meta(1));
  r.push(10, 0x18, Buffer.from('kl'), meta(2));
  const outs = r.acked(12, meta(3));
  assert.equal(text(outs), '<gap 8>kl');
  assert.equal(r.anomalies[0].kind, 'tcp_content_gap');
  assert.equal(r.anomalies[0].bytes, 8);
});

test('the out-of-order limit skips the hole instead of holding forever', () => {
  const r = new DirectionReassembler();
  r.push(0, 0x18, Buffer.from('a'), meta(1));
  let all: ReassemblyOutput[] = [];
  for (let i = 0; i <= LIMITS.MAX_OOO_SEGMENTS; i++) all = all.concat(r.push(10 + i, 0x18, Buffer.from('x'), meta(2 + i)));
  assert.ok(r.anomalies.some((a) => a.kind === 'tcp_ooo_limit'));
  assert.equal(all[0].kind, 'gap');
  assert.equal(r.heldSegments, 0);
});

test('the byte limit skips the hole', () => {
  const r = new DirectionReassembler();
  r.push(0, 0x18, Buffer.from('a'), meta(1));
  r.push(100, 0x18, Buffer.alloc(LIMITS.MAX_REASSEMBLY_BYTES / 2), meta(2));
  const outs = r.push(100 + LIMITS.MAX_REASSEMBLY_BYTES / 2, 0x18, Buffer.alloc(LIMITS.MAX_REASSEMBLY_BYTES / 2 + 1), meta(3));
  assert.ok(r.anomalies.some((a) => a.kind === 'tcp_reassembly_limit'));
  assert.equal(outs[0].kind, 'gap');
});

test('a snaplen-cut segment makes the next one a gap at once', () => {
  const r = new DirectionReassembler();
  r.push(0, 0x18, Buffer.from('abc'), meta(1), true);
  const outs = r.push(1000, 0x18, Buffer.from('z'), meta(2));
  assert.equal(text(outs), '<gap 997>z');
});

test('flush delivers what is held, with gaps', () => {
  const r = new DirectionReassembler();
  r.push(0, 0x18, Buffer.from('a'), meta(1));
  r.push(5, 0x18, Buffer.from('f'), meta(2));
  assert.equal(text(r.flush(null)), '<gap 4>f');
});

test('ByteQueue: peek across chunks keeps the remaining offset', () => {
  const q = new ByteQueue();
  q.push(Buffer.from('abc'));
  q.push(Buffer.from('defgh'));
  assert.equal(q.consume(2).toString(), 'ab');
  assert.equal(q.peek(4).toString(), 'cdef');
  assert.equal(q.consume(5).toString(), 'cdefg');
  assert.equal(q.length, 1);
  q.discard(4); // 1 now, 3 of the future
  q.push(Buffer.from('xyzw'));
  assert.equal(q.peekAll().toString(), 'w');
});

test('a lending reassembler keeps held segments as views until settle(), then copies them', () => {
  const r = new DirectionReassembler(true);
  r.push(0, 0x18, Buffer.from('ab'), meta(1));
  const packet = Buffer.from('xxefxx');
  r.push(4, 0x18, packet.subarray(2, 4), meta(2));
  assert.equal(r.borrowing, true);
  r.settle();
  assert.equal(r.borrowing, false);
  packet.fill('z'); // the producer reuses its buffer after settle()
  assert.equal(text(r.push(2, 0x18, Buffer.from('cd'), meta(3))), 'cdef');
});

test('a lending reassembler delivers a hole filled before settle() without copying', () => {
  const r = new DirectionReassembler(true);
  r.push(0, 0x18, Buffer.from('ab'), meta(1));
  const packet = Buffer.from('ef');
  r.push(4, 0x18, packet, meta(2));
  const outs = r.push(2, 0x18, Buffer.from('cd'), meta(3));
  assert.equal(r.borrowing, false);
  assert.equal(outs[1].kind === 'data' && outs[1].data.buffer, packet.buffer);
});

test('a reassembler that does not lend copies a held segment at once', () => {
  const r = new DirectionReassembler();
  r.push(0, 0x18, Buffer.from('ab'), meta(1));
  const packet = Buffer.from('ef');
  r.push(4, 0x18, packet, meta(2));
  assert.equal(r.borrowing, false);
  packet.fill('z');
  assert.equal(text(r.push(2, 0x18, Buffer.from('cd'), meta(3))), 'cdef');
});
