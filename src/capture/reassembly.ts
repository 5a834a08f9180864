// TCP reassembly for one direction of one flow, and the byte queue stream decoders read from.
// Sequence numbers are compared modulo 2^32 (RFC 9293 §3.4): `(a - b) | 0` is the signed distance.
import { LIMITS } from '../limits.js';

/** Where the bytes being delivered arrived: the frame that completed them (as tshark attributes it). */
export interface SegMeta {
  frame: number;
  ts_us: number;
  time: string;
  /** "ip:port" of the sender and receiver of these bytes. */
  src: string;
  dst: string;
}

export interface ReassemblyAnomaly {
  /** Anomaly kind (becomes `anomaly.<kind>`). */
  kind: 'tcp_content_gap' | 'tcp_ooo_limit' | 'tcp_reassembly_limit';
  summary: string;
  /** Bytes lost in the gap (0 when unknown). */
  bytes: number;
}

/** One push's outcome: in-order bytes (each with the meta to attribute them to), gaps, anomalies. */
export type ReassemblyOutput =
  | { kind: 'data'; data: Buffer; meta: SegMeta }
  | { kind: 'gap'; bytes: number; meta: SegMeta };

interface Held {
  seq: number;
  data: Buffer;
  meta: SegMeta;
  /** `data` is still the caller's view (lending reassembler): copied by settle() if still held then. */
  lent: boolean;
}

const SYN = 0x02;
/** The shared empty lists a reassembler starts with (never pushed to: each gets its own first). */
const NO_HELD: Held[] = [];
const NO_ANOMALIES: ReassemblyAnomaly[] = [];

/** Signed distance a - b in sequence space (RFC 9293 §3.4, modulo 2^32). */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/**
 * Puts one direction's segments back in order. Retransmitted bytes are dropped, segments that arrive
 * early are held (at most LIMITS.MAX_OOO_SEGMENTS and LIMITS.MAX_REASSEMBLY_BYTES), and a hole that
 * cannot be filled (capture loss, snaplen, limits) is skipped and reported as a gap, so decoders
 * resynchronize instead of stalling.
 */
export class DirectionReassembler {
  /**
   * The next expected sequence number, -1 before the first segment: always a number, so V8 keeps
   * it in place as a double (a `number | null` field boxed a new heap number per segment).
   */
  private next = -1;
  /** Both start as the shared empty list and get their own at the first push (most flows hold nothing): less per-flow state. */
  private held: Held[] = NO_HELD;
  private heldBytes = 0;
  /** The last segment was cut by snaplen: the bytes after it were never captured. */
  private cut = false;
  anomalies: ReassemblyAnomaly[] = NO_ANOMALIES;
  /** Held segments that are still the caller's views (see `lending`). */
  private lentHeld = 0;

  /**
   * `lending`: the caller's payloads stay intact until it calls settle(), so a segment held out of
   * order is kept as the caller's view and copied only if still held at settle(). Most holes fill
   * within a few packets: on the 500 MB capture 49 k of 67 k held segments are never copied.
   */
  constructor(private readonly lending = false) {}

  /** Held segments that settle() would copy. */
  get borrowing(): boolean {
    return this.lentHeld > 0;
  }

  /** The caller is about to reuse its buffers: copy the held segments that are still views into them. */
  settle(): void {
    if (this.lentHeld === 0) return;
    for (const h of this.held) {
      if (!h.lent) continue;
      h.data = copyOut(h.data);
      h.lent = false;
    }
    this.lentHeld = 0;
  }

  /** The next expected sequence number (null before the first segment). */
  get nextSeq(): number | null {
    return this.next < 0 ? null : this.next;
  }

  get heldSegments(): number {
    return this.held.length;
  }

  /**
   * One segment. `tcpLen` is the payload length on the wire when it is known to exceed the captured
   * bytes (snaplen); otherwise the captured length is the length.
   */
  push(seq: number, flags: number, payload: Buffer, meta: SegMeta, truncated = false, out: ReassemblyOutput[] = []): ReassemblyOutput[] {
    let dataSeq = seq >>> 0;
    if (flags & SYN) {
      // RFC 9293 §3.4: the SYN occupies one sequence number; data on a SYN (TFO) follows it.
      dataSeq = (dataSeq + 1) >>> 0;
      if (this.next < 0 || this.held.length === 0) this.next = dataSeq;
    }
    if (payload.length === 0) return out;
    if (this.next < 0) this.next = dataSeq; // capture started mid-connection
    let rel = seqDiff(dataSeq, this.next);
    if (rel > 0 && this.cut) {
      // The previous segment was cut short by snaplen: its tail will never come.
      this.skipTo(dataSeq, meta, out, 'capture cut the previous segment short (snaplen)');
      rel = 0;
    }
    if (rel + payload.length <= 0) return out; // retransmission of bytes already delivered
    if (rel > 0) {
      this.hold(dataSeq, payload, meta, out);
      return out;
    }
    const data = rel < 0 ? payload.subarray(-rel) : payload;
    this.deliver(data, meta, out);
    this.cut = truncated;
    this.drain(meta, out);
    return out;
  }

  /**
   * The common case without the output list: a segment that is exactly the next expected bytes, with
   * nothing held and no snaplen cut pending. Advances and returns true (the caller delivers the
   * payload itself, as push() would have); false means "use push()".
   */
  inOrder(seq: number, flags: number, len: number, truncated: boolean): boolean {
    if (len === 0 || flags & SYN || this.next < 0 || this.held.length !== 0 || this.cut) return false;
    if (seq >>> 0 !== this.next) return false;
    this.next = (this.next + len) >>> 0;
    this.cut = truncated;
    return true;
  }

  /**
   * A segment whose bytes were all delivered already (a retransmission or a duplicate): push() would
   * return nothing and change nothing. Lets the caller skip making its meta and payload view.
   */
  stale(seq: number, flags: number, len: number): boolean {
    return len > 0 && (flags & SYN) === 0 && this.next >= 0 && seqDiff(seq >>> 0, this.next) + len <= 0;
  }

  /**
   * The peer acknowledged up to `ack`: bytes before it were sent, so a hole below it will not be
   * filled by a retransmission we could still capture (Zeek's content gap).
   */
  acked(ack: number, meta: SegMeta, out: ReassemblyOutput[] = []): ReassemblyOutput[] {
    if (this.next < 0) return out;
    const ahead = seqDiff(ack >>> 0, this.next);
    if (ahead <= 0) return out;
    // Only a hole we can see (held segments beyond it) is declared here: an ACK may be captured
    // before the data it acknowledges (multi-interface captures), and a FIN takes a sequence number.
    if (this.held.length === 0) return out;
    const first = this.held[0];
    if (seqDiff(ack >>> 0, first.seq) >= 0) {
      this.skipTo(first.seq, meta, out, 'bytes acknowledged by the peer were never captured');
      this.drain(meta, out);
    }
    return out;
  }

  /** End of flow: deliver whatever is held, with gaps for the holes. */
  flush(meta: SegMeta | null, out: ReassemblyOutput[] = []): ReassemblyOutput[] {
    while (this.held.length > 0) {
      const first = this.held[0];
      this.skipTo(first.seq, meta ?? first.meta, out, 'hole never filled before the flow ended');
      this.drain(meta ?? first.meta, out);
    }
    return out;
  }

  private deliver(data: Buffer, meta: SegMeta, out: ReassemblyOutput[]): void {
    if (data.length === 0) return;
    out.push({ kind: 'data', data, meta });
    this.next = (this.next + data.length) >>> 0;
  }

  private hold(seq: number, payload: Buffer, meta: SegMeta, out: ReassemblyOutput[]): void {
    // The payload is a view into a packet buffer that will be reused: copy now, or at settle().
    const lent = this.lending;
    const h: Held = { seq, data: lent ? payload : copyOut(payload), meta, lent };
    if (this.held === NO_HELD) this.held = [];
    let i = this.held.length;
    while (i > 0 && seqDiff(this.held[i - 1].seq, seq) > 0) i--;
    if (i > 0 && this.held[i - 1].seq === seq && this.held[i - 1].data.length >= payload.length) return; // duplicate
    this.held.splice(i, 0, h);
    this.heldBytes += h.data.length;
    if (lent) this.lentHeld++;
    if (this.held.length > LIMITS.MAX_OOO_SEGMENTS) {
      this.note('tcp_ooo_limit', `more than ${LIMITS.MAX_OOO_SEGMENTS} out-of-order segments held; skipping the hole`, 0);
      this.skipTo(this.held[0].seq, meta, out, 'out-of-order limit');
      this.drain(meta, out);
    } else if (this.heldBytes > LIMITS.MAX_REASSEMBLY_BYTES) {
      this.note('tcp_reassembly_limit', `more than ${LIMITS.MAX_REASSEMBLY_BYTES} bytes held out of order; skipping the hole`, 0);
      this.skipTo(this.held[0].seq, meta, out, 'reassembly byte limit');
      this.drain(meta, out);
    }
  }

  /** Give up on the bytes before `seq`. */
  private skipTo(seq: number, meta: SegMeta, out: ReassemblyOutput[], why: string): void {
    const lost = this.next < 0 ? 0 : seqDiff(seq, this.next);
    if (lost <= 0) return;
    this.note('tcp_content_gap', `${lost} bytes missing in this direction: ${why}`, lost);
    out.push({ kind: 'gap', bytes: lost, meta });
    this.next = seq >>> 0;
    this.cut = false;
  }

  /** Deliver held segments that are now in order. */
  private drain(meta: SegMeta, out: ReassemblyOutput[]): void {
    while (this.held.length > 0) {
      const h = this.held[0];
      const rel = seqDiff(h.seq, this.next);
      if (rel > 0) break;
      this.held.shift();
      this.heldBytes -= h.data.length;
      if (h.lent) this.lentHeld--;
      if (rel + h.data.length > 0) this.deliver(h.data.subarray(-rel), meta, out);
    }
  }

  private note(kind: ReassemblyAnomaly['kind'], summary: string, bytes: number): void {
    if (this.anomalies === NO_ANOMALIES) this.anomalies = [];
    this.anomalies.push({ kind, summary, bytes });
  }
}

/**
 * A FIFO of byte chunks with `peek`/`consume` that copy only when a field straddles two chunks
 * (undici's approach). `discard(n)` skips bytes that have not arrived yet (oversized PDUs).
 */
export class ByteQueue {
  private chunks: Buffer[] = [];
  private head = 0;
  private len = 0;
  private skipping = 0;
  /** The memory of the chunk lend() queued without a copy, until settle(). */
  private lent: ArrayBufferLike | null = null;

  get length(): number {
    return this.len;
  }

  /** Bytes lent since the last settle() are still queued: settle() would copy them. */
  get borrowing(): boolean {
    return this.lent !== null && this.len > 0;
  }

  /**
   * Queue `data`. It is copied (callers hand us views into packet buffers that are reused) unless
   * `owned`: bytes nobody will write to again (another ByteQueue's output), kept as they are.
   */
  push(data: Buffer, owned = false): void {
    if (this.skipping > 0) {
      const s = Math.min(this.skipping, data.length);
      this.skipping -= s;
      data = data.subarray(s);
    }
    if (data.length === 0) return;
    this.chunks.push(owned ? data : copyOut(data));
    this.len += data.length;
  }

  /**
   * Queue `data` without copying it, until settle(): the caller frames what it can straight from
   * the segment, and settle() (called before `data`'s memory can change) copies only the bytes still
   * queued (a record or head the segments so far cut short). Most records and heads fit one segment,
   * or are completed by segments lent from the same memory, and are never copied. Lending from other
   * memory settles first. Nothing taken from the queue between lend() and settle() may be kept past settle().
   */
  lend(data: Buffer): void {
    if (this.lent !== null && this.lent !== data.buffer) this.settle();
    const before = this.chunks.length;
    this.push(data, true);
    if (this.chunks.length !== before) this.lent = data.buffer;
  }

  /** Copy what is still queued of the lent chunk into memory of our own (see lend). */
  settle(): void {
    const lent = this.lent;
    if (lent === null) return;
    this.lent = null;
    for (let i = 0; i < this.chunks.length; i++) {
      const c = this.chunks[i];
      if (c.buffer !== lent) continue;
      if (i === 0 && this.head > 0) {
        this.chunks[0] = copyOut(c.subarray(this.head));
        this.head = 0;
      } else this.chunks[i] = copyOut(c);
    }
  }

  /** The first `n` bytes (n <= length) as one buffer; copies only when they straddle chunks. */
  peek(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    const first = this.chunks[0];
    if (first.length - this.head >= n) return first.subarray(this.head, this.head + n);
    const out = Buffer.allocUnsafeSlow(n); // kept as the first chunk: not from the shared pool (copyOut)
    let got = 0;
    for (let i = 0; got < n; i++) {
      const c = i === 0 ? first.subarray(this.head) : this.chunks[i];
      const take = Math.min(c.length, n - got);
      c.copy(out, got, 0, take);
      got += take;
    }
    // Keep the merged bytes as the first chunk, so a slow PDU is not copied again and again.
    this.consumeRaw(n);
    if (this.head > 0) this.chunks[0] = this.chunks[0].subarray(this.head);
    this.chunks.unshift(out);
    this.head = 0;
    this.len += n;
    return out;
  }

  /** Copy the first `n` bytes (n <= length) into `dst` (a framing loop's scratch header: no allocation). */
  copyHead(dst: Buffer, n: number): void {
    let got = 0;
    for (let i = 0; got < n; i++) {
      const c = this.chunks[i];
      const from = i === 0 ? this.head : 0;
      const take = Math.min(c.length - from, n - got);
      for (let k = 0; k < take; k++) dst[got + k] = c[from + k];
      got += take;
    }
  }

  /** Everything queued, as one buffer. */
  peekAll(): Buffer {
    return this.peek(this.len);
  }

  consume(n: number): Buffer {
    const b = this.peek(n);
    this.consumeRaw(n);
    return b;
  }

  /** Drop `n` bytes, including ones that have not arrived yet. */
  discard(n: number): void {
    const now = Math.min(n, this.len);
    this.consumeRaw(now);
    this.skipping += n - now;
  }

  clear(): void {
    this.chunks = [];
    this.head = 0;
    this.len = 0;
    this.skipping = 0;
    this.lent = null;
  }

  private consumeRaw(n: number): void {
    this.len -= n;
    while (n > 0) {
      const c = this.chunks[0];
      const avail = c.length - this.head;
      if (avail > n) {
        this.head += n;
        return;
      }
      n -= avail;
      this.chunks.shift();
      this.head = 0;
    }
  }
}

/**
 * A copy of `b` in a buffer of its own. Not Buffer.from: copies under 4 KiB are cut from Node's
 * shared 8 KiB pool, and one held out-of-order segment or partial TLS record then keeps a whole
 * slab alive (and out of reach until a full GC once it has outlived a scavenge): on the 500 MB
 * capture that was 10-20 MB of external memory waiting for each mark-compact.
 */
export function copyOut(b: Buffer): Buffer {
  const o = Buffer.allocUnsafeSlow(b.length);
  b.copy(o);
  return o;
}
