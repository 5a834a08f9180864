// The transport table (ip.proto -> decoder) and the one value shape every transport decoder
// fills, so the hot loop sees one object shape.
import type { Decoded } from '../capture/types.js';
import { intoFrom, type IntoDecoder } from './tables.js';

export interface L4Value {
  proto: number;
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  /** TCP flags: FIN 0x01 SYN 0x02 RST 0x04 PSH 0x08 ACK 0x10 URG 0x20 ECE 0x40 CWR 0x80; NS 0x100; reserved 0xe00. */
  flags: number;
  window: number;
  /** TCP options (-1 when absent). */
  mss: number;
  wscale: number;
  tsval: number;
  tsecr: number;
  /** ICMP / ICMPv6 type and code (-1 for TCP). */
  icmpType: number;
  icmpCode: number;
}

export type L4Decoder = (buf: Buffer, off: number, end: number) => Decoded<L4Value>;

export interface L4Entry { name: string; decode: L4Decoder; into: IntoDecoder<L4Value> }

/** ip.proto -> transport decoder (`into`: the allocation-free form, see IntoDecoder). */
export const IP_PROTOS = new Map<number, L4Entry>();

export function registerIpProto(proto: number, name: string, decode: L4Decoder, into?: IntoDecoder<L4Value>): void {
  IP_PROTOS.set(proto, { name, decode, into: into ?? intoFrom(decode) });
}

export function l4Value(proto: number): L4Value {
  return { proto, sport: 0, dport: 0, seq: 0, ack: 0, flags: 0, window: 0, mss: -1, wscale: -1, tsval: -1, tsecr: -1, icmpType: -1, icmpCode: -1 };
}
