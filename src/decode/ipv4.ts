// IPv4, RFC 791 §3.1. Options are skipped by IHL; fragments are flagged (fragOffset/moreFragments):
// only a first fragment carries the transport header.
import type { Decoded } from '../capture/types.js';
import { ETHERTYPE_IPV4, malformed, registerEthertype, truncated, type IpValue } from './tables.js';

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

export function decodeIpv4(buf: Buffer, off: number, end: number): Decoded<IpValue> {
  if (end - off < IPV4_MIN_HEADER_LEN) return truncated(off);
  const vihl = buf[off]!;
  if (vihl >> 4 !== 4) return malformed(off);
  const ihl = (vihl & 0x0f) * 4;
  if (ihl < IPV4_MIN_HEADER_LEN) return malformed(off);
  if (end - off < ihl) return truncated(off);
  let total = buf.readUInt16BE(off + IPV4_TOTAL_LEN_OFF);
  // TSO/GSO captures write total length 0: trust the captured length instead.
  if (total === 0) total = end - off;
  if (total < ihl) return malformed(off + IPV4_TOTAL_LEN_OFF);
  const ff = buf.readUInt16BE(off + IPV4_FLAGS_FRAG_OFF);
  return {
    ok: true,
    value: {
      version: 4,
      proto: buf[off + IPV4_PROTO_OFF]!,
      ttl: buf[off + IPV4_TTL_OFF]!,
      id: buf.readUInt16BE(off + IPV4_ID_OFF),
      src4: buf.readUInt32BE(off + IPV4_SRC_OFF),
      dst4: buf.readUInt32BE(off + IPV4_DST_OFF),
      src6: '',
      dst6: '',
      addrOff: off + IPV4_SRC_OFF,
      fragOffset: (ff & IPV4_FRAG_MASK) * 8,
      moreFragments: (ff & IPV4_FLAG_MF) !== 0,
      declaredEnd: off + total,
      optionBytes: ihl - IPV4_MIN_HEADER_LEN,
    },
    next: off + ihl,
  };
}

registerEthertype(ETHERTYPE_IPV4, 'ipv4', decodeIpv4);
