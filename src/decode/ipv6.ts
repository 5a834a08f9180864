// IPv6, RFC 8200 §3 and §4: the fixed header, then extension headers until an upper layer.
import type { Decoded } from '../capture/types.js';
import { DECODE_MALFORMED, DECODE_TRUNCATED, ETHERTYPE_IPV6, failAt, fromInto, ipValue, registerEthertype, type IpValue } from './tables.js';

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

/**
 * The address strings of the last header decoded, and its 32 address bytes: consecutive packets
 * mostly belong to one flow (either direction), and then no new string is made.
 */
const lastAddrs = Buffer.alloc(2 * IPV6_ADDR_LEN);
let lastA = '';
let lastB = '';

function sameBytes(buf: Buffer, off: number, at: number): boolean {
  for (let i = 0; i < IPV6_ADDR_LEN; i++) if (buf[off + i] !== lastAddrs[at + i]) return false;
  return true;
}

/** src6/dst6 of the addresses at buf[off, off + 32), sharing the previous packet's strings when they match. */
function addresses(buf: Buffer, off: number, out: IpValue): void {
  const d = off + IPV6_ADDR_LEN;
  if (lastA !== '') {
    if (sameBytes(buf, off, 0) && sameBytes(buf, d, IPV6_ADDR_LEN)) {
      out.src6 = lastA;
      out.dst6 = lastB;
      return;
    }
    if (sameBytes(buf, off, IPV6_ADDR_LEN) && sameBytes(buf, d, 0)) {
      out.src6 = lastB;
      out.dst6 = lastA;
      return;
    }
  }
  lastA = out.src6 = buf.toString('latin1', off, d);
  lastB = out.dst6 = buf.toString('latin1', d, d + IPV6_ADDR_LEN);
  buf.copy(lastAddrs, 0, off, d + IPV6_ADDR_LEN);
}

/** IPv6 into a reused IpValue (the hot loop). */
export function ipv6Into(buf: Buffer, off: number, end: number, out: IpValue): number {
  if (end - off < IPV6_HEADER_LEN) return failAt(DECODE_TRUNCATED, off);
  if (buf[off]! >> 4 !== 6) return failAt(DECODE_MALFORMED, off);
  const payloadLen = (buf[off + IPV6_PAYLOAD_LEN_OFF]! << 8) | buf[off + IPV6_PAYLOAD_LEN_OFF + 1]!;
  // Payload length 0 = jumbogram (RFC 2675) or TSO capture: use what was captured.
  const declaredEnd = payloadLen === 0 ? end : off + IPV6_HEADER_LEN + payloadLen;
  let nh = buf[off + IPV6_NEXT_HEADER_OFF]!;
  let p = off + IPV6_HEADER_LEN;
  let fragOffset = 0;
  let more = false;
  let id = -1;
  let n = 0;
  while (isExtension(nh)) {
    if (++n > MAX_EXT_HEADERS) return failAt(DECODE_MALFORMED, p);
    if (end - p < 8) return failAt(DECODE_TRUNCATED, p);
    const next = buf[p]!;
    let len: number;
    if (nh === IPPROTO_FRAGMENT) {
      len = IPV6_FRAG_HEADER_LEN;
      const fo = (buf[p + 2]! << 8) | buf[p + 3]!;
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
    if (p > end) return failAt(DECODE_TRUNCATED, p);
    if (fragOffset !== 0) break; // a later fragment: the rest is not headers
  }
  out.version = 6;
  out.proto = nh;
  out.ttl = buf[off + IPV6_HOP_LIMIT_OFF]!;
  out.id = id;
  out.src4 = 0;
  out.dst4 = 0;
  addresses(buf, off + IPV6_SRC_OFF, out);
  out.addrOff = off + IPV6_SRC_OFF;
  out.fragOffset = fragOffset;
  out.moreFragments = more;
  out.declaredEnd = declaredEnd;
  out.optionBytes = p - off - IPV6_HEADER_LEN;
  return p;
}

export const decodeIpv6: (buf: Buffer, off: number, end: number) => Decoded<IpValue> = fromInto(ipv6Into, ipValue);

registerEthertype(ETHERTYPE_IPV6, 'ipv6', decodeIpv6, ipv6Into);
