// ICMP (RFC 792) and ICMPv6 (RFC 4443 §3.1) destination-unreachable messages. `next` points at
// the quoted IP header (RFC 792: "Internet Header + 64 bits of Original Data Datagram"); the
// caller decodes it through the ethertype table, so this file does not import the IP decoders.
import type { Decoded } from '../capture/types.js';
import { l4Value, registerIpProto, type L4Value } from './l4.js';
import { truncated } from './tables.js';

export const IPPROTO_ICMP = 1;
export const IPPROTO_ICMPV6 = 58;
/** type(1) code(1) checksum(2) unused/MTU(4). */
export const ICMP_HEADER_LEN = 8;
export const ICMP_DEST_UNREACHABLE = 3;
export const ICMP_PORT_UNREACHABLE = 3;
export const ICMPV6_DEST_UNREACHABLE = 1;
export const ICMPV6_PORT_UNREACHABLE = 4;

/** RFC 792 / RFC 1812 §5.2.7.1 code names. */
export const ICMP_UNREACH_NAMES: Record<number, string> = {
  0: 'net_unreachable', 1: 'host_unreachable', 2: 'protocol_unreachable', 3: 'port_unreachable',
  4: 'fragmentation_needed', 5: 'source_route_failed', 6: 'net_unknown', 7: 'host_unknown',
  9: 'net_prohibited', 10: 'host_prohibited', 11: 'net_tos_unreachable', 12: 'host_tos_unreachable',
  13: 'communication_prohibited', 14: 'host_precedence_violation', 15: 'precedence_cutoff',
};
/** RFC 4443 §3.1 code names. */
export const ICMPV6_UNREACH_NAMES: Record<number, string> = {
  0: 'no_route', 1: 'communication_prohibited', 2: 'beyond_scope', 3: 'address_unreachable',
  4: 'port_unreachable', 5: 'source_policy_failed', 6: 'reject_route', 7: 'source_routing_header_error',
};

function decode(proto: number) {
  return (buf: Buffer, off: number, end: number): Decoded<L4Value> => {
    if (end - off < ICMP_HEADER_LEN) return truncated(off);
    const v = l4Value(proto);
    v.icmpType = buf[off]!;
    v.icmpCode = buf[off + 1]!;
    return { ok: true, value: v, next: off + ICMP_HEADER_LEN };
  };
}
export const decodeIcmp = decode(IPPROTO_ICMP);
export const decodeIcmpv6 = decode(IPPROTO_ICMPV6);

/** True for destination unreachable (the only ICMP errors we tie to flows). */
export function isUnreachable(v: L4Value): boolean {
  return v.proto === IPPROTO_ICMP ? v.icmpType === ICMP_DEST_UNREACHABLE : v.icmpType === ICMPV6_DEST_UNREACHABLE;
}
export function isPortUnreachable(v: L4Value): boolean {
  return v.proto === IPPROTO_ICMP ? v.icmpCode === ICMP_PORT_UNREACHABLE : v.icmpCode === ICMPV6_PORT_UNREACHABLE;
}
export function unreachableName(v: L4Value): string {
  const names = v.proto === IPPROTO_ICMP ? ICMP_UNREACH_NAMES : ICMPV6_UNREACH_NAMES;
  return names[v.icmpCode] ?? `code_${v.icmpCode}`;
}

registerIpProto(IPPROTO_ICMP, 'icmp', decodeIcmp);
registerIpProto(IPPROTO_ICMPV6, 'icmpv6', decodeIcmpv6);
