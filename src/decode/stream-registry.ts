// The table of stream protocols (Wireshark's `tcp.port` / heuristic / `tls.alpn` tables in one).
// Protocols register themselves here; parents (the TCP stream layer, TLS after decryption) look
// them up by content or by ALPN and never import them. Port numbers are not used at all.
import type { Cause, Event } from '../events.js';
import type { ByteQueue, SegMeta } from '../capture/reassembly.js';
import type { KeyStore } from '../tls-decrypt/index.js';

export type { SegMeta };

/** Which side of the connection: the originator (client) or the responder (server). */
export type Role = 'orig' | 'resp';

/** Sniff verdict on the first bytes a side sent: it is ours, it is not, or show me more bytes. */
export type Sniff = 'yes' | 'no' | 'more';

/** What a stream decoder may do to the connection it decodes. */
export interface StreamConn {
  readonly flowId: string;
  /** Events are attributed to this input. */
  readonly source: string;
  readonly keyStore: KeyStore;
  /** True for decoders fed plaintext from decrypted TLS: their events carry `decrypted: true`. */
  readonly decrypted: boolean;
  /** The ALPN protocol TLS negotiated for this connection, when the decoder runs inside TLS. */
  readonly alpn: string | null;
  /** Emit an event (frame, time, src, dst and flow are filled from `meta`). */
  emit(meta: SegMeta, kind: string, cause: Cause | null, extra: Record<string, unknown>, summary?: string): void;
  /** Count an anomaly (`anomaly.<kind>`), attributed to `meta`. */
  anomaly(meta: SegMeta, kind: string, summary: string, extra?: Record<string, unknown>): void;
  /**
   * Hand the rest of the connection to another protocol (HTTP/1.1 Upgrade: h2c, RFC 9113 §3.2;
   * a CONNECT tunnel: `name` null = recognise the tunnelled protocol from its bytes again).
   * `pending` holds bytes already received per side.
   * Returns false when no such protocol is registered.
   */
  switchTo(name: string | null, options: OpenOptions, pending: { orig: Buffer; resp: Buffer }, meta: SegMeta): boolean;
  /** TCP segments seen so far from one side (0: that side is not in the capture). */
  segments(role: Role): number;
  /** A view of this connection for a decoder running inside TLS (events marked `decrypted`). */
  derive(options: { decrypted: boolean; alpn: string | null }): StreamConn;
  /**
   * The decoder lent `q` bytes of the segment it was given (ByteQueue.lend): `q.settle()` is called
   * before those bytes can change (when the capture reader moves on to its next chunk), so a record
   * or head that the next segments of the same chunk complete is never copied.
   */
  settleLater(q: ByteQueue): void;
}

export interface OpenOptions {
  /** HTTP/2 after an HTTP/1.1 Upgrade: stream 1 is the upgraded request (RFC 9113 §3.2). */
  upgraded?: { path: string | null; requestId: string | null };
}

/** One connection's decoder for one protocol; gets each side's in-order bytes. */
export interface StreamDecoder {
  data(role: Role, chunk: Buffer, meta: SegMeta): void;
  /**
   * Optional fast path: the next `len` in-order bytes of `role` would make no event (a body or an
   * undecryptable record being skipped, a dead side). Then account for them as data() would and
   * return true; false = hand them to data(). Lets the stream layer skip the segment's view and meta.
   */
  passOver?(role: Role, len: number): boolean;
  /** Bytes were lost on this side: framing is no longer known. */
  gap(role: Role, meta: SegMeta): void;
  /** The connection ended; `meta` is its last segment (null when none was seen). */
  end(meta: SegMeta | null): void;
  /**
   * The responder answered in another protocol (`peer`, or null when no decoder recognised it):
   * report the mismatch if this protocol knows what it means.
   */
  mismatch?(peer: string | null, head: Buffer, meta: SegMeta): void;
}

export interface StreamProtocol {
  name: string;
  /** Content detection on the first bytes one side sent (RFC preface, record header, request line). */
  sniff(head: Buffer, role: Role): Sniff;
  /** ALPN protocol ids this decoder speaks (`tls.alpn` table, RFC 7301). */
  alpn?: readonly string[];
  open(conn: StreamConn, options: OpenOptions): StreamDecoder;
}

const PROTOCOLS: StreamProtocol[] = [];

export function registerStreamProtocol(p: StreamProtocol): void {
  const i = PROTOCOLS.findIndex((q) => q.name === p.name);
  if (i >= 0) PROTOCOLS[i] = p;
  else PROTOCOLS.push(p);
}

export function protocolByName(name: string): StreamProtocol | undefined {
  return PROTOCOLS.find((p) => p.name === name);
}

export function protocolByAlpn(alpn: string): StreamProtocol | undefined {
  return PROTOCOLS.find((p) => p.alpn?.includes(alpn));
}

/**
 * Which protocol these first bytes are. `prefer` is tried first (the protocol the other side speaks).
 * Returns 'more' while some protocol still needs bytes to decide, null when none matches.
 */
export function sniffProtocol(head: Buffer, role: Role, prefer?: string | null): StreamProtocol | null | 'more' {
  let more = false;
  // The preferred one, then the others in table order (no sorted copy per sniff: one per segment
  // of every undecided direction).
  const first = prefer ? PROTOCOLS.find((p) => p.name === prefer) : undefined;
  if (first !== undefined) {
    const s = first.sniff(head, role);
    if (s === 'yes') return first;
    if (s === 'more') more = true;
  }
  for (const p of PROTOCOLS) {
    if (p === first) continue;
    const s = p.sniff(head, role);
    if (s === 'yes') return p;
    if (s === 'more') more = true;
  }
  return more ? 'more' : null;
}

/** Printable ASCII (for names that come off the wire: ALPN, SNI, header values). */
export function printable(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] < 0x20 || b[i] > 0x7e) return false;
  return true;
}

export type { Event };
