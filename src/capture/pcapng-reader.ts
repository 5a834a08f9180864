// pcapng: https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng-03.html
// Sections (SHB) with their own byte order and interfaces (IDB: link type, snaplen, if_tsresol,
// if_tsoffset); packets in EPB, SPB and the obsolete OPB; Decryption Secrets Blocks handed to a
// callback; every other block skipped by its length.
import type { ByteQueue } from './byte-queue.js';
import { CAPTURE_LIMITS } from './capture-limits.js';
import { READ, type CaptureReader, type RawPacket, type ReaderProblem } from './raw-packet.js';

// Block types (pcapng draft §11.1); the SHB type and its byte-order magic (§4.1) live in sniff.ts.
export { PCAPNG_SHB, PCAPNG_BOM } from './sniff.js';
import { PCAPNG_SHB, PCAPNG_BOM } from './sniff.js';
export const PCAPNG_IDB = 0x00000001;
export const PCAPNG_OPB = 0x00000002;
export const PCAPNG_SPB = 0x00000003;
export const PCAPNG_EPB = 0x00000006;
export const PCAPNG_DSB = 0x0000000a;
/** type(4) + total length(4) ... trailing total length(4). */
export const PCAPNG_BLOCK_OVERHEAD = 12;
/**
 * Non-packet blocks that Wireshark shows as frames, numbered in line with the packets (wiretap pcapng.c:
 * custom blocks, systemd journal entries, sysdig events; TShark 4.0 lists a capture's custom blocks as frames).
 * Frame numbers the report cites must be the ones Wireshark shows, so these take a number too.
 */
const FRAME_RECORD_BLOCKS: ReadonlySet<number> = new Set([
  0x00000bad, 0x40000bad, // custom block, copyable / not
  0x00000009, // systemd journal export
  0x00000204, 0x00000208, 0x00000216, 0x00000217, 0x00000221, 0x00000222, // sysdig events
]);
/** SHB: type, len, BOM, major(2), minor(2), section length(8) = 24 bytes before options, + trailing len. */
export const PCAPNG_SHB_MIN_LEN = 28;
/** Option codes (§4.2): if_tsresol, if_tsoffset. */
export const OPT_IF_TSRESOL = 9;
export const OPT_IF_TSOFFSET = 14;

/** A Decryption Secrets Block (pcapng §4.7): secrets_type 0x544c534b = TLS key log. */
export interface DecryptionSecrets {
  secretsType: number;
  /** A copy: safe to keep. */
  data: Buffer;
  offset: number;
}
export const DSB_TLS_KEY_LOG = 0x544c534b;

interface Iface {
  linktype: number;
  snaplen: number;
  /** 0 = µs units, 1 = ns units, 2 = other (BigInt path). */
  mode: number;
  /** Units per second when mode 2. */
  unitsPerSec: bigint;
  digits: number;
  offsetUs: number;
}

export class PcapngReader implements CaptureReader {
  readonly container = 'pcapng' as const;
  problem: ReaderProblem | null = null;
  le = true;
  sections = 0;
  readonly blockCounts: Record<string, number> = {};
  private ifaces: Iface[] = [];
  private frame = 0;
  private lastTsUs = 0;
  private lastNanos = 0;
  private lastDigits = 6;

  constructor(private readonly onSecrets?: (s: DecryptionSecrets) => void) {}

  private count(name: string): void {
    this.blockCounts[name] = (this.blockCounts[name] ?? 0) + 1;
  }

  next(q: ByteQueue, pkt: RawPacket): number {
    let buf = q.peek(12);
    if (buf === undefined) return READ.MORE;
    let s = q.start;
    const typeLe = buf.readUInt32LE(s);
    if (typeLe === PCAPNG_SHB) return this.readShb(q, buf, s);
    if (this.sections === 0) {
      this.problem = { kind: 'malformed', offset: q.offset, message: 'pcapng file does not start with a Section Header Block' };
      return READ.STOP;
    }
    const le = this.le;
    const type = le ? typeLe : buf.readUInt32BE(s);
    const len = le ? buf.readUInt32LE(s + 4) : buf.readUInt32BE(s + 4);
    if (len < PCAPNG_BLOCK_OVERHEAD || len % 4 !== 0 || len > CAPTURE_LIMITS.MAX_BLOCK_BYTES) {
      this.problem = { kind: 'malformed', offset: q.offset, message: `pcapng block of type 0x${type.toString(16)} with bad length ${len} at offset ${q.offset}: the file is damaged or corrupt` };
      return READ.STOP;
    }
    if (buf.length - s < len) {
      buf = q.peek(len);
      if (buf === undefined) return READ.MORE;
      s = q.start;
    }
    const u32 = le ? (o: number) => buf!.readUInt32LE(s + o) : (o: number) => buf!.readUInt32BE(s + o);
    const u16 = le ? (o: number) => buf!.readUInt16LE(s + o) : (o: number) => buf!.readUInt16BE(s + o);
    const offset = q.offset;
    let result: number = READ.AGAIN;
    switch (type) {
      case PCAPNG_EPB: {
        this.count('EPB');
        if (len < 32) return this.bad(q, 'EPB shorter than its fixed fields');
        const ifId = u32(8);
        const caplen = u32(20);
        if (28 + caplen + 4 > len) return this.bad(q, `EPB captured length ${caplen} overruns its block`);
        if (caplen > CAPTURE_LIMITS.MAX_RECORD_BYTES) return this.bad(q, `EPB of ${caplen} bytes, bigger than the maximum of ${CAPTURE_LIMITS.MAX_RECORD_BYTES}`);
        const ifc = this.ifaces[ifId];
        if (ifc === undefined) return this.bad(q, `EPB names interface ${ifId}, which no IDB declared`);
        this.setTime(pkt, ifc, u32(12), u32(16));
        this.fill(pkt, ifc, ifId, buf, s + 28, caplen, u32(24), offset);
        result = READ.PACKET;
        break;
      }
      case PCAPNG_SPB: {
        this.count('SPB');
        if (len < 16) return this.bad(q, 'SPB shorter than its fixed fields');
        const ifc = this.ifaces[0];
        if (ifc === undefined) return this.bad(q, 'SPB before any IDB');
        const origLen = u32(8);
        let caplen = Math.min(origLen, len - 16);
        if (ifc.snaplen > 0) caplen = Math.min(caplen, ifc.snaplen);
        // An SPB carries no timestamp (§4.4): we reuse the previous packet's.
        pkt.tsUs = this.lastTsUs;
        pkt.nanos = this.lastNanos;
        pkt.digits = this.lastDigits;
        this.fill(pkt, ifc, 0, buf, s + 12, caplen, origLen, offset);
        result = READ.PACKET;
        break;
      }
      case PCAPNG_OPB: {
        this.count('OPB');
        if (len < 32) return this.bad(q, 'OPB shorter than its fixed fields');
        const ifId = u16(8);
        const caplen = u32(20);
        if (28 + caplen + 4 > len) return this.bad(q, `OPB captured length ${caplen} overruns its block`);
        const ifc = this.ifaces[ifId];
        if (ifc === undefined) return this.bad(q, `OPB names interface ${ifId}, which no IDB declared`);
        this.setTime(pkt, ifc, u32(12), u32(16));
        this.fill(pkt, ifc, ifId, buf, s + 28, caplen, u32(24), offset);
        result = READ.PACKET;
        break;
      }
      case PCAPNG_IDB: {
        this.count('IDB');
        if (len < 20) return this.bad(q, 'IDB shorter than its fixed fields');
        if (this.ifaces.length >= CAPTURE_LIMITS.MAX_INTERFACES) return this.bad(q, `more than ${CAPTURE_LIMITS.MAX_INTERFACES} interfaces in one section`);
        const ifc: Iface = { linktype: u16(8), snaplen: u32(12), mode: 0, unitsPerSec: 1_000_000n, digits: 6, offsetUs: 0 };
        this.readIdbOptions(buf, s + 16, s + len - 4, ifc);
        this.ifaces.push(ifc);
        break;
      }
      case PCAPNG_DSB: {
        this.count('DSB');
        if (len < 20) return this.bad(q, 'DSB shorter than its fixed fields');
        const secretsLen = u32(12);
        if (16 + secretsLen + 4 > len) return this.bad(q, `DSB secrets length ${secretsLen} overruns its block`);
        // Copy: the callback may keep the secrets after this chunk is gone.
        this.onSecrets?.({ secretsType: u32(8), data: Buffer.from(buf.subarray(s + 16, s + 16 + secretsLen)), offset });
        break;
      }
      default:
        this.count(`0x${type.toString(16)}`);
        // Records Wireshark lists among the frames (it numbers them like packets): keep our frame numbers its.
        if (FRAME_RECORD_BLOCKS.has(type >>> 0)) this.frame++;
    }
    q.consume(len);
    return result;
  }

  private fill(pkt: RawPacket, ifc: Iface, ifId: number, buf: Buffer, off: number, caplen: number, origLen: number, offset: number): void {
    pkt.frame = ++this.frame;
    pkt.linktype = ifc.linktype;
    pkt.ifIndex = ifId;
    pkt.buf = buf;
    pkt.off = off;
    pkt.caplen = caplen;
    pkt.origLen = origLen;
    pkt.offset = offset;
  }

  private setTime(pkt: RawPacket, ifc: Iface, hi: number, lo: number): void {
    if (ifc.mode === 0) {
      pkt.tsUs = hi * 4294967296 + lo + ifc.offsetUs;
      pkt.nanos = 0;
    } else if (ifc.mode === 1) {
      // 2^32 = 1000 * 4294967 + 296: split so no intermediate passes 2^53.
      const low = hi * 296 + lo;
      pkt.tsUs = hi * 4294967 + Math.floor(low / 1000) + ifc.offsetUs;
      pkt.nanos = low % 1000;
    } else {
      const ns = (((BigInt(hi) << 32n) | BigInt(lo)) * 1_000_000_000n) / ifc.unitsPerSec;
      pkt.tsUs = Number(ns / 1000n) + ifc.offsetUs;
      pkt.nanos = Number(ns % 1000n);
    }
    pkt.digits = ifc.digits;
    this.lastTsUs = pkt.tsUs;
    this.lastNanos = pkt.nanos;
    this.lastDigits = pkt.digits;
  }

  private readIdbOptions(buf: Buffer, p: number, end: number, ifc: Iface): void {
    const le = this.le;
    while (p + 4 <= end) {
      const code = le ? buf.readUInt16LE(p) : buf.readUInt16BE(p);
      const olen = le ? buf.readUInt16LE(p + 2) : buf.readUInt16BE(p + 2);
      if (code === 0) break; // opt_endofopt
      const v = p + 4;
      if (v + olen > end) break;
      if (code === OPT_IF_TSRESOL && olen >= 1) {
        // §4.2: MSB clear = 10^-n, set = 2^-n seconds.
        const r = buf[v]!;
        const n = r & 0x7f;
        const ups = r & 0x80 ? 1n << BigInt(n) : 10n ** BigInt(n);
        ifc.unitsPerSec = ups;
        ifc.mode = ups === 1_000_000n ? 0 : ups === 1_000_000_000n ? 1 : 2;
        ifc.digits = ups > 1_000_000n ? 9 : 6;
      } else if (code === OPT_IF_TSOFFSET && olen >= 8) {
        const big = le ? buf.readBigInt64LE(v) : buf.readBigInt64BE(v);
        ifc.offsetUs = Number(big) * 1_000_000;
      }
      p = v + ((olen + 3) & ~3);
    }
  }

  private readShb(q: ByteQueue, head: Buffer, hs: number): number {
    const bom = head.readUInt32LE(hs + 8);
    let le: boolean;
    if (bom === PCAPNG_BOM) le = true;
    else if (head.readUInt32BE(hs + 8) === PCAPNG_BOM) le = false;
    else {
      this.problem = { kind: 'malformed', offset: q.offset, message: `Section Header Block with a bad byte-order magic at offset ${q.offset}` };
      return READ.STOP;
    }
    const len = le ? head.readUInt32LE(hs + 4) : head.readUInt32BE(hs + 4);
    if (len < PCAPNG_SHB_MIN_LEN || len % 4 !== 0 || len > CAPTURE_LIMITS.MAX_BLOCK_BYTES) {
      this.problem = { kind: 'malformed', offset: q.offset, message: `Section Header Block with bad length ${len} at offset ${q.offset}` };
      return READ.STOP;
    }
    const buf = q.peek(len);
    if (buf === undefined) return READ.MORE;
    const s = q.start;
    const major = le ? buf.readUInt16LE(s + 12) : buf.readUInt16BE(s + 12);
    const minor = le ? buf.readUInt16LE(s + 14) : buf.readUInt16BE(s + 14);
    this.count('SHB');
    if (major !== 1) {
      // Like wiretap: a section of an unknown major version cannot be read, and neither can what follows.
      this.problem = { kind: 'unsupported', offset: q.offset, message: `pcapng section of unknown version ${major}.${minor} at offset ${q.offset}` };
      return READ.STOP;
    }
    this.le = le;
    this.sections++;
    this.ifaces = [];
    q.consume(len);
    return READ.AGAIN;
  }

  private bad(q: ByteQueue, why: string): number {
    this.problem = { kind: 'malformed', offset: q.offset, message: `${why} (offset ${q.offset})` };
    return READ.STOP;
  }
}
