// One captured record as the readers hand it on. The reader reuses one object per input: a
// consumer copies what it keeps (`buf` is a view into the input chunk, valid until the next record).
export interface RawPacket {
  /** 1-based frame number as Wireshark shows it (packets, and the few non-packet records it numbers too: pcapng-reader.ts). */
  frame: number;
  /** Capture time: integer µs since the epoch, plus the sub-µs part for ns captures. */
  tsUs: number;
  nanos: number;
  /** Fractional digits the capture's clock has (6 or 9). */
  digits: number;
  /** LINKTYPE_* of the interface this record was captured on. */
  linktype: number;
  /** pcapng interface id (0 for classic pcap). */
  ifIndex: number;
  buf: Buffer;
  /** Packet bytes are buf[off, off + caplen). */
  off: number;
  caplen: number;
  /** Length on the wire (caplen < origLen when snaplen cut it). */
  origLen: number;
  /** Absolute input offset of the record (for anomalies). */
  offset: number;
}

export function newRawPacket(): RawPacket {
  return { frame: 0, tsUs: 0, nanos: 0, digits: 6, linktype: 0, ifIndex: 0, buf: Buffer.alloc(0), off: 0, caplen: 0, origLen: 0, offset: 0 };
}

/** What a reader reports besides packets: problems with the file (never thrown). */
export interface ReaderProblem {
  kind: 'truncated' | 'malformed' | 'unsupported';
  offset: number;
  message: string;
}

/** `next()` results. */
export const READ = {
  /** `pkt` holds a packet. */
  PACKET: 1,
  /** Need more bytes. */
  MORE: 0,
  /** A non-packet block was consumed; call again. */
  AGAIN: 2,
  /** The file cannot be read further; `problem` says why. */
  STOP: -1,
} as const;

export interface CaptureReader {
  readonly container: 'pcap' | 'pcapng';
  next(q: import('./byte-queue.js').ByteQueue, pkt: RawPacket): number;
  problem: ReaderProblem | null;
}
