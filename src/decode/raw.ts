// Link types whose payload is IP with little or no framing: raw IP (101, 12, 14, 228, 229),
// BSD loopback NULL (0, host byte order) and LOOP (108, network order), PPP (9), and Linux
// netlink (253, not IP: accepted and ignored). https://www.tcpdump.org/linktypes.html
import type { Decoded } from '../capture/types.js';
import { ETHERTYPE_IPV4, ETHERTYPE_IPV6, linkValue, malformed, registerLinkType, truncated, type LinkValue } from './tables.js';

export const LINKTYPE_NULL = 0;
export const LINKTYPE_PPP = 9;
export const LINKTYPE_RAW = 101;
/** DLT_RAW's value on some BSDs (12, 14), written into pcap files as such. */
export const LINKTYPE_RAW_BSD12 = 12;
export const LINKTYPE_RAW_BSD14 = 14;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_NETLINK = 253;

/** NULL/LOOP: a 4-byte address family. */
export const NULL_HEADER_LEN = 4;
/** AF_INET everywhere; AF_INET6 is 24 (NetBSD/OpenBSD/BSD/OS), 28 (FreeBSD), 30 (macOS), 10 (Linux). */
export const AF_INET = 2;
export const AF_INET6_VALUES = new Set([10, 24, 28, 30]);
/** PPP in HDLC-like framing: address 0xff, control 0x03, protocol(2) (RFC 1662 §3.1). */
export const PPP_ADDRESS = 0xff;
export const PPP_IPV4 = 0x0021;
export const PPP_IPV6 = 0x0057;

function byVersion(buf: Buffer, off: number, end: number): Decoded<LinkValue> {
  if (off >= end) return truncated(off);
  const v = buf[off]! >> 4;
  if (v === 4) return { ok: true, value: linkValue(ETHERTYPE_IPV4), next: off };
  if (v === 6) return { ok: true, value: linkValue(ETHERTYPE_IPV6), next: off };
  return malformed(off);
}

function family(af: number): number {
  if (af === AF_INET) return ETHERTYPE_IPV4;
  if (AF_INET6_VALUES.has(af)) return ETHERTYPE_IPV6;
  return 0;
}

export function decodeNull(buf: Buffer, off: number, end: number): Decoded<LinkValue> {
  if (end - off < NULL_HEADER_LEN) return truncated(off);
  // Host byte order of the capturing machine: a value above 0xffff is the other order.
  let af = buf.readUInt32LE(off);
  if (af > 0xffff) af = buf.readUInt32BE(off);
  return { ok: true, value: linkValue(family(af)), next: off + NULL_HEADER_LEN };
}

export function decodeLoop(buf: Buffer, off: number, end: number): Decoded<LinkValue> {
  if (end - off < NULL_HEADER_LEN) return truncated(off);
  return { ok: true, value: linkValue(family(buf.readUInt32BE(off))), next: off + NULL_HEADER_LEN };
}

export function decodePpp(buf: Buffer, off: number, end: number): Decoded<LinkValue> {
  let p = off;
  if (end - p >= 2 && buf[p] === PPP_ADDRESS && buf[p + 1] === 0x03) p += 2;
  if (end - p < 1) return truncated(p);
  // Protocol field compression (RFC 1661 §6.5): an odd first byte is a 1-byte protocol.
  let proto: number;
  if (buf[p]! & 1) {
    proto = buf[p]!;
    p += 1;
  } else {
    if (end - p < 2) return truncated(p);
    proto = buf.readUInt16BE(p);
    p += 2;
  }
  const et = proto === PPP_IPV4 ? ETHERTYPE_IPV4 : proto === PPP_IPV6 ? ETHERTYPE_IPV6 : 0;
  return { ok: true, value: linkValue(et), next: p };
}

export function decodeNotIp(_buf: Buffer, off: number): Decoded<LinkValue> {
  return { ok: true, value: linkValue(0), next: off };
}

registerLinkType(LINKTYPE_NULL, 'null', decodeNull);
registerLinkType(LINKTYPE_LOOP, 'loop', decodeLoop);
registerLinkType(LINKTYPE_RAW, 'rawip', byVersion);
registerLinkType(LINKTYPE_RAW_BSD12, 'rawip', byVersion);
registerLinkType(LINKTYPE_RAW_BSD14, 'rawip', byVersion);
registerLinkType(LINKTYPE_IPV4, 'rawip4', (b, o, e) => (o < e ? { ok: true, value: linkValue(ETHERTYPE_IPV4), next: o } : truncated(o)));
registerLinkType(LINKTYPE_IPV6, 'rawip6', (b, o, e) => (o < e ? { ok: true, value: linkValue(ETHERTYPE_IPV6), next: o } : truncated(o)));
registerLinkType(LINKTYPE_PPP, 'ppp', decodePpp);
registerLinkType(LINKTYPE_NETLINK, 'netlink', decodeNotIp);
