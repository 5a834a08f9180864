// Layers between the link and IP that name their payload: PPPoE sessions (RFC 2516 §4 + PPP,
// RFC 1661 §2) and MPLS label stacks (RFC 3032 §2.1; the payload after the bottom label is
// IPv4 or IPv6 by its version nibble).
import type { Decoded } from '../capture/types.js';
import { ETHERTYPE_IPV4, ETHERTYPE_IPV6, linkValue, registerShim, truncated, type LinkValue } from './tables.js';

export const ETHERTYPE_PPPOE_SESSION = 0x8864;
export const ETHERTYPE_MPLS_UNICAST = 0x8847;
export const ETHERTYPE_MPLS_MULTICAST = 0x8848;
/** ver/type(1) code(1) session id(2) length(2), then the PPP protocol(2). */
export const PPPOE_HEADER_LEN = 6;
export const PPP_PROTO_LEN = 2;
export const PPP_IPV4 = 0x0021;
export const PPP_IPV6 = 0x0057;
/** label(20) tc(3) bottom-of-stack(1) ttl(8). */
export const MPLS_LABEL_LEN = 4;
export const MPLS_MAX_LABELS = 16;

export function decodePppoe(buf: Buffer, off: number, end: number): Decoded<LinkValue> {
  if (end - off < PPPOE_HEADER_LEN + PPP_PROTO_LEN) return truncated(off);
  const proto = buf.readUInt16BE(off + PPPOE_HEADER_LEN);
  const et = proto === PPP_IPV4 ? ETHERTYPE_IPV4 : proto === PPP_IPV6 ? ETHERTYPE_IPV6 : 0;
  return { ok: true, value: linkValue(et), next: off + PPPOE_HEADER_LEN + PPP_PROTO_LEN };
}

export function decodeMpls(buf: Buffer, off: number, end: number): Decoded<LinkValue> {
  let p = off;
  for (let i = 0; i < MPLS_MAX_LABELS; i++) {
    if (end - p < MPLS_LABEL_LEN) return truncated(p);
    const bottom = (buf[p + 2]! & 1) === 1;
    p += MPLS_LABEL_LEN;
    if (bottom) {
      if (p >= end) return truncated(p);
      const v = buf[p]! >> 4;
      return { ok: true, value: linkValue(v === 4 ? ETHERTYPE_IPV4 : v === 6 ? ETHERTYPE_IPV6 : 0), next: p };
    }
  }
  return { ok: true, value: linkValue(0), next: p };
}

registerShim(ETHERTYPE_PPPOE_SESSION, 'pppoe', decodePppoe);
registerShim(ETHERTYPE_MPLS_UNICAST, 'mpls', decodeMpls);
registerShim(ETHERTYPE_MPLS_MULTICAST, 'mpls', decodeMpls);
