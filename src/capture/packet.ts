// Dissect one record through the tables: link type -> ethertype -> ip.proto. Fills a reused
// object of one fixed shape (hot loop); decoders stay pure (buf, offset) -> Decoded<T>.
import '../decode/index.js';
import { ETHERTYPE_SHIMS, ETHERTYPES, LINK_TYPES, type IpValue } from '../decode/tables.js';

/** Shim layers (PPPoE, MPLS) followed per packet before we call it malformed. */
export const MAX_SHIM_LAYERS = 8;
import { IP_PROTOS, type L4Value } from '../decode/l4.js';
import type { RawPacket } from './raw-packet.js';

export interface Dissection {
  /** How far we got: 'link', 'ip', 'l4' (a transport header decoded), or a problem. */
  reached: 'none' | 'link' | 'ip' | 'l4';
  /** Why we stopped early: '' or '<layer>.<why>' (e.g. 'ipv4.truncated', 'linktype.unsupported'). */
  stop: string;
  /** True when the record was cut by snaplen (then a 'truncated' stop is not a malformed packet). */
  snapCut: boolean;
  ip: IpValue | null;
  l4: L4Value | null;
  l4Name: string;
  /** Transport payload: captured bytes at [payloadOff, payloadOff + captured); `declared` = length per the IP header. */
  payloadOff: number;
  captured: number;
  declared: number;
}

export function newDissection(): Dissection {
  return { reached: 'none', stop: '', snapCut: false, ip: null, l4: null, l4Name: '', payloadOff: 0, captured: 0, declared: 0 };
}

let lastLinktype = -1;
let lastLink: ReturnType<typeof LINK_TYPES.get>;

/** Decode link, network and transport layers of `pkt` into `d`. Never throws on data. */
export function dissect(pkt: RawPacket, d: Dissection): void {
  d.reached = 'none';
  d.stop = '';
  d.ip = null;
  d.l4 = null;
  d.l4Name = '';
  d.payloadOff = 0;
  d.captured = 0;
  d.declared = 0;
  d.snapCut = pkt.caplen < pkt.origLen;
  const buf = pkt.buf;
  const end = pkt.off + pkt.caplen;
  if (pkt.linktype !== lastLinktype) {
    lastLinktype = pkt.linktype;
    lastLink = LINK_TYPES.get(pkt.linktype);
  }
  const link = lastLink;
  if (link === undefined) {
    d.stop = 'linktype.unsupported';
    return;
  }
  const l = link.decode(buf, pkt.off, end);
  if (!l.ok) {
    d.stop = `${link.name}.${l.why}`;
    return;
  }
  d.reached = 'link';
  let ethertype = l.value.ethertype;
  let next = l.next;
  for (let i = 0; i < MAX_SHIM_LAYERS; i++) {
    const shim = ETHERTYPE_SHIMS.get(ethertype);
    if (shim === undefined) break;
    const sd = shim.decode(buf, next, end);
    if (!sd.ok) {
      d.stop = `${shim.name}.${sd.why}`;
      return;
    }
    ethertype = sd.value.ethertype;
    next = sd.next;
  }
  const net = ETHERTYPES.get(ethertype);
  if (net === undefined) return; // not IP: nothing for us, not a problem
  const ipd = net.decode(buf, next, end);
  if (!ipd.ok) {
    d.stop = `${net.name}.${ipd.why}`;
    return;
  }
  const ip = ipd.value;
  d.ip = ip;
  d.reached = 'ip';
  if (ip.fragOffset !== 0) return; // a later fragment: no transport header
  const t = IP_PROTOS.get(ip.proto);
  if (t === undefined) return;
  const l4end = Math.min(end, ip.declaredEnd);
  const l4 = t.decode(buf, ipd.next, l4end);
  if (!l4.ok) {
    d.stop = `${t.name}.${l4.why}`;
    return;
  }
  d.l4 = l4.value;
  d.l4Name = t.name;
  d.reached = 'l4';
  d.payloadOff = l4.next;
  d.captured = Math.max(0, l4end - l4.next);
  d.declared = Math.max(0, ip.declaredEnd - l4.next);
}

/** Decode the IP header + first 8 bytes quoted inside an ICMP error (RFC 792, RFC 4443 §3.1). */
export function dissectQuoted(buf: Buffer, off: number, end: number, ethertype: number): { ip: IpValue; sport: number; dport: number; seq: number } | null {
  const net = ETHERTYPES.get(ethertype);
  if (net === undefined) return null;
  const q = net.decode(buf, off, end);
  if (!q.ok || q.value.proto !== 6 || q.value.fragOffset !== 0) return null;
  if (end - q.next < 8) return null;
  return { ip: q.value, sport: buf.readUInt16BE(q.next), dport: buf.readUInt16BE(q.next + 2), seq: buf.readUInt32BE(q.next + 4) };
}
