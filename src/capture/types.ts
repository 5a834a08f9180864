// Contracts between the capture layers: the flow tracker (flows.ts) hands each TCP segment to a
// PayloadSink (streams.ts: reassembly + TLS / HTTP/2 / HTTP/1 decoders found by content).
import type { Event } from '../events.js';
import type { IngestContext } from '../ingest/types.js';

/** Decoder result (STYLE.md §1): a decoder never throws on data. */
export type Decoded<T> =
  | { ok: true; value: T; next: number }
  | { ok: false; why: 'truncated' | 'malformed' | 'unsupported'; at: number };

/**
 * One TCP segment handed to the sink. Valid only during the `segment()` call: the flow tracker
 * reuses one object. `payload` is a view into the packet buffer, intact until the producer calls
 * the sink's settle() (a producer that never calls it must never overwrite a payload).
 */
export interface TcpSegmentInfo {
  frame: number;
  ts_us: number;
  /** ISO time with the capture's precision (formatting it costs: read it only for an event). */
  time: string;
  /** The capture clock's fractional digits and sub-µs part, when known: lets a sink format `time` later. */
  digits?: number;
  nanos?: number;
  /** The flow's short uid (Zeek-style). */
  flowId: string;
  /** True when sent by the flow's originator (the side that sent the SYN, or our best guess). */
  fromOrig: boolean;
  /** "ip:port" (IPv6 as "[addr]:port"). */
  src: string;
  dst: string;
  seq: number;
  ack: number;
  /** TCP flag bits: FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, URG 0x20, ECE 0x40, CWR 0x80. */
  flags: number;
  /** A view into the packet buffer: copy what is still kept at settle(). May be shorter than the TCP length when snaplen cut it. */
  payload: Buffer;
  /** payload.length, when the producer can tell it without making the view. */
  len?: number;
  /** True when the capture cut this segment's payload short (snaplen). */
  truncated: boolean;
}

/** Consumes TCP payload per flow and direction; returns events (tls.*, http2.*, http.*, anomaly.*). */
export interface PayloadSink {
  segment(seg: TcpSegmentInfo): Event[] | null;
  /** The flow ended (FIN/RST seen both ways, idle eviction or end of input). */
  flowEnd(flowId: string, ts_us: number): Event[] | null;
  /** The payloads handed over so far are about to be overwritten: copy what is still kept of them. */
  settle?(): void;
}

export type PayloadSinkFactory = (ctx: IngestContext) => PayloadSink;
