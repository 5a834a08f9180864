// Classic libpcap files: https://www.ietf.org/archive/id/draft-ietf-opsawg-pcap-04.html
// (µs and ns magic, either byte order, and Kuznetzov's "modified" pcap with a 24-byte record header).
//
// Why not the `pcap-parser` package (on the design card)? It reads classic µs pcap only (it
// rejects the ns magic and pcapng), allocates a new buffer and copies everything pending on every
// chunk (`new Buffer(a + b)`: O(n^2) when a record straddles many small chunks), then slices per
// record; it uses the deprecated `Buffer()` constructor (DEP0005) and has no record-size bound, so a
// corrupt length makes it buffer the rest of the file. We keep it as a cross-check in
// test/pcap-reader.test.ts on the corpus's classic µs files.
import type { ByteQueue } from './byte-queue.js';
import { CAPTURE_LIMITS } from './capture-limits.js';
import { READ, type CaptureReader, type RawPacket, type ReaderProblem } from './raw-packet.js';

/** File header: magic(4) version_major(2) version_minor(2) thiszone(4) sigfigs(4) snaplen(4) linktype(4). */
export const PCAP_FILE_HEADER_LEN = 24;
/** Record header: ts_sec(4) ts_frac(4) incl_len(4) orig_len(4). */
export const PCAP_RECORD_HEADER_LEN = 16;
/** Kuznetzov's patched libpcap adds ifindex(4) protocol(2) pkt_type(1) pad(1). */
export const PCAP_MODIFIED_RECORD_HEADER_LEN = 24;

export { PCAP_MAGIC_US, PCAP_MAGIC_NS, PCAP_MAGIC_MODIFIED, pcapMagic } from './sniff.js';
import { pcapMagic } from './sniff.js';

// Direct byte reads (the per-record header is on the hot path; no bounds-check call per field).
function u32le(b: Buffer, i: number): number {
  return (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
}
function u32be(b: Buffer, i: number): number {
  return ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
}

export class PcapReader implements CaptureReader {
  readonly container = 'pcap' as const;
  problem: ReaderProblem | null = null;
  le = true;
  ns = false;
  linktype = -1;
  snaplen = 0;
  versionMajor = 0;
  versionMinor = 0;
  private recordHeaderLen = PCAP_RECORD_HEADER_LEN;
  private frame = 0;

  next(q: ByteQueue, pkt: RawPacket): number {
    if (this.linktype < 0) return this.readHeader(q);
    const hl = this.recordHeaderLen;
    let buf = q.peek(hl);
    if (buf === undefined) return READ.MORE;
    let s = q.start;
    const le = this.le;
    const sec = le ? u32le(buf, s) : u32be(buf, s);
    const frac = le ? u32le(buf, s + 4) : u32be(buf, s + 4);
    const incl = le ? u32le(buf, s + 8) : u32be(buf, s + 8);
    const orig = le ? u32le(buf, s + 12) : u32be(buf, s + 12);
    if (incl > CAPTURE_LIMITS.MAX_RECORD_BYTES) {
      this.problem = {
        kind: 'malformed',
        offset: q.offset,
        message: `record of ${incl} bytes at offset ${q.offset}, bigger than the maximum of ${CAPTURE_LIMITS.MAX_RECORD_BYTES}: the file is damaged or corrupt`,
      };
      return READ.STOP;
    }
    if (buf.length - s < hl + incl) {
      buf = q.peek(hl + incl);
      if (buf === undefined) return READ.MORE;
      s = q.start;
    }
    pkt.frame = ++this.frame;
    if (this.ns) {
      pkt.tsUs = sec * 1_000_000 + Math.floor(frac / 1000);
      pkt.nanos = frac % 1000;
      pkt.digits = 9;
    } else {
      pkt.tsUs = sec * 1_000_000 + frac;
      pkt.nanos = 0;
      pkt.digits = 6;
    }
    pkt.linktype = this.linktype;
    pkt.ifIndex = 0;
    pkt.buf = buf;
    pkt.off = s + hl;
    pkt.caplen = incl;
    pkt.origLen = orig;
    pkt.offset = q.offset;
    q.consume(hl + incl);
    return READ.PACKET;
  }

  private readHeader(q: ByteQueue): number {
    const buf = q.peek(PCAP_FILE_HEADER_LEN);
    if (buf === undefined) return READ.MORE;
    const s = q.start;
    const m = pcapMagic(buf.subarray(s, s + 4));
    if (!m) {
      this.problem = { kind: 'malformed', offset: q.offset, message: 'not a pcap file (bad magic)' };
      return READ.STOP;
    }
    this.le = m.le;
    this.ns = m.ns;
    this.recordHeaderLen = m.modified ? PCAP_MODIFIED_RECORD_HEADER_LEN : PCAP_RECORD_HEADER_LEN;
    const u16 = (o: number) => (m.le ? buf.readUInt16LE(s + o) : buf.readUInt16BE(s + o));
    const u32 = (o: number) => (m.le ? buf.readUInt32LE(s + o) : buf.readUInt32BE(s + o));
    this.versionMajor = u16(4);
    this.versionMinor = u16(6);
    this.snaplen = u32(16);
    // The upper 16 bits of the link-type field carry FCS length flags (pcap draft §4).
    this.linktype = u32(20) & 0xffff;
    q.consume(PCAP_FILE_HEADER_LEN);
    return READ.AGAIN;
  }
}
