// IPv6, RFC 8200 §3 and §4: the fixed header, then extension headers until an upper layer.
import type { Decoded } from '../capture/types.js';
import { ETHERTYPE_IPV6, malformed, registerEthertype, truncated, type IpValue } from './tables.js';

export const IPV6_HEADER_LEN = 40;
export const IPV6_PAYLOAD_LEN_OFF = 4;
export const IPV6_NEXT_HEADER_OFF = 6;
export const IPV6_HOP_LIMIT_OFF = 7;
export const IPV6_SRC_OFF = 8;
export const IPV6_DST_OFF = 24;
export const IPV6_ADDR_LEN = 16;
// Extension headers (RFC 8200 §4.1, RFC 4302 AH, RFC 6275 mobility, RFC 7401 HIP, RFC 5533 shim6).
export const IPPROTO_HOPOPTS = 0;
export const IPPROTO_ROUTING = 43;
export const IPPROTO_FRAGMENT = 44;
export const IPPROTO_AH = 51;
export const IPPROTO_DSTOPTS = 60;
export const IPPROTO_MOBILITY = 135;
export const IPPROTO_HIP = 139;
export const IPPROTO_SHIM6 = 140;
/** Fragment header: next(1) reserved(1) offset+flags(2) identification(4). */
export const IPV6_FRAG_HEADER_LEN = 8;
/** Extension headers followed before we call the packet malformed. */
export const MAX_EXT_HEADERS = 16;

function isExtension(nh: number): boolean {
  return nh === IPPROTO_HOPOPTS || nh === IPPROTO_ROUTING || nh === IPPROTO_FRAGMENT || nh === IPPROTO_AH ||
    nh === IPPROTO_DSTOPTS || nh === IPPROTO_MOBILITY || nh === IPPROTO_HIP || nh === IPPROTO_SHIM6;
}

export function decodeIpv6(buf: Buffer, off: number, end: number): Decoded<IpValue> {
  if (end - off < IPV6_HEADER_LEN) return truncated(off);
  if (buf[off]! >> 4 !== 6) return malformed(off);
  const payloadLen = buf.readUInt16BE(off + IPV6_PAYLOAD_LEN_OFF);
  // Payload length 0 = jumbogram (RFC 2675) or TSO capture: use what was captured.
  const declaredEnd = payloadLen === 0 ? end : off + IPV6_HEADER_LEN + payloadLen;
  let nh = buf[off + IPV6_NEXT_HEADER_OFF]!;
  let p = off + IPV6_HEADER_LEN;
  let fragOffset = 0;
  let more = false;
  let id = -1;
  let n = 0;
  while (isExtension(nh)) {
    if (++n > MAX_EXT_HEADERS) return malformed(p);
    if (end - p < 8) return truncated(p);
    const next = buf[p]!;
    let len: number;
    if (nh === IPPROTO_FRAGMENT) {
      len = IPV6_FRAG_HEADER_LEN;
      const fo = buf.readUInt16BE(p + 2);
      fragOffset = fo & 0xfff8;
      more = (fo & 1) !== 0;
      id = buf.readUInt32BE(p + 4);
    } else if (nh === IPPROTO_AH) {
      len = (buf[p + 1]! + 2) * 4; // RFC 4302 §2.2: in 4-byte units, minus 2
    } else {
      len = (buf[p + 1]! + 1) * 8;
    }
    nh = next;
    p += len;
    if (p > end) return truncated(p);
    if (fragOffset !== 0) break; // a later fragment: the rest is not headers
  }
  return {
    ok: true,
    value: {
      version: 6,
      proto: nh,
      ttl: buf[off + IPV6_HOP_LIMIT_OFF]!,
      id,
      src4: 0,
      dst4: 0,
      src6: buf.toString('latin1', off + IPV6_SRC_OFF, off + IPV6_SRC_OFF + IPV6_ADDR_LEN),
      dst6: buf.toString('latin1', off + IPV6_DST_OFF, off + IPV6_DST_OFF + IPV6_ADDR_LEN),
      addrOff: off + IPV6_SRC_OFF,
      fragOffset,
      moreFragments: more,
      declaredEnd,
      optionBytes: p - off - IPV6_HEADER_LEN,
    },
    next: p,
  };
}

registerEthertype(ETHERTYPE_IPV6, 'ipv6', decodeIpv6);
