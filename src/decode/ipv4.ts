// IPv4, RFC 791 §3.1. Options are skipped by IHL; fragments are flagged (fragOffset/moreFragments):
// only a first fragment carries the transport header.
import type { Decoded } from '../capture/types.js';
import { DECODE_MALFORMED, DECODE_TRUNCATED, ETHERTYPE_IPV4, failAt, fromInto, ipValue, registerEthertype, type IpValue } from './tables.js';

export const IPV4_MIN_HEADER_LEN = 20;
export const IPV4_TOTAL_LEN_OFF = 2;
export const IPV4_ID_OFF = 4;
export const IPV4_FLAGS_FRAG_OFF = 6;
export const IPV4_TTL_OFF = 8;
export const IPV4_PROTO_OFF = 9;
export const IPV4_SRC_OFF = 12;
export const IPV4_DST_OFF = 16;
export const IPV4_FLAG_MF = 0x2000;
export const IPV4_FRAG_MASK = 0x1fff;

/** IPv4 into a reused IpValue (the hot loop); direct byte reads. */
export function ipv4Into(buf: Buffer, off: number, end: number, out: IpValue): number {
  if (end - off < IPV4_MIN_HEADER_LEN) return failAt(DECODE_TRUNCATED, off);
  const vihl = buf[off]!;
  if (vihl >> 4 !== 4) return failAt(DECODE_MALFORMED, off);
  const ihl = (vihl & 0x0f) * 4;
  if (ihl < IPV4_MIN_HEADER_LEN) return failAt(DECODE_MALFORMED, off);
  if (end - off < ihl) return failAt(DECODE_TRUNCATED, off);
  let total = (buf[off + IPV4_TOTAL_LEN_OFF]! << 8) | buf[off + IPV4_TOTAL_LEN_OFF + 1]!;
  // TSO/GSO captures write total length 0: trust the captured length instead.
  if (total === 0) total = end - off;
  if (total < ihl) return failAt(DECODE_MALFORMED, off + IPV4_TOTAL_LEN_OFF);
  const ff = (buf[off + IPV4_FLAGS_FRAG_OFF]! << 8) | buf[off + IPV4_FLAGS_FRAG_OFF + 1]!;
  const s = off + IPV4_SRC_OFF;
  const d = off + IPV4_DST_OFF;
  out.version = 4;
  out.proto = buf[off + IPV4_PROTO_OFF]!;
  out.ttl = buf[off + IPV4_TTL_OFF]!;
  out.id = (buf[off + IPV4_ID_OFF]! << 8) | buf[off + IPV4_ID_OFF + 1]!;
  out.src4 = ((buf[s]! << 24) | (buf[s + 1]! << 16) | (buf[s + 2]! << 8) | buf[s + 3]!) >>> 0;
  out.dst4 = ((buf[d]! << 24) | (buf[d + 1]! << 16) | (buf[d + 2]! << 8) | buf[d + 3]!) >>> 0;
  out.src6 = '';
  out.dst6 = '';
  out.addrOff = s;
  out.fragOffset = (ff & IPV4_FRAG_MASK) * 8;
  out.moreFragments = (ff & IPV4_FLAG_MF) !== 0;
  out.declaredEnd = off + total;
  out.optionBytes = ihl - IPV4_MIN_HEADER_LEN;
  return off + ihl;
}

export const decodeIpv4: (buf: Buffer, off: number, end: number) => Decoded<IpValue> = fromInto(ipv4Into, ipValue);

registerEthertype(ETHERTYPE_IPV4, 'ipv4', decodeIpv4, ipv4Into);
