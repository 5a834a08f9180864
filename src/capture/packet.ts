// Dissect one record through the tables: link type -> ethertype -> ip.proto. Fills a reused
// object of one fixed shape (hot loop); decoders stay pure (buf, offset) -> Decoded<T>.
import '../decode/index.js';
import {
  DECODE_WHY, ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_SHIMS, ETHERTYPES, LINK_TYPES, ipValue, linkValue,
  type IpValue, type LinkEntry, type LinkValue,
} from '../decode/tables.js';

/** Shim layers (PPPoE, MPLS) followed per packet before we call it malformed. */
export const MAX_SHIM_LAYERS = 8;
import { IP_PROTOS, l4Value, type L4Value } from '../decode/l4.js';
import type { RawPacket } from './raw-packet.js';
import { tunnelInner } from '../decode/tunnels.js';
import { LINKTYPE_ETHERNET } from '../decode/ethernet.js';

export interface Dissection {
  /** How far we got: 'link', 'ip', 'l4' (a transport header decoded), or a problem. */
  reached: 'none' | 'link' | 'ip' | 'l4';
  /** Why we stopped early: '' or '<layer>.<why>' (e.g. 'ipv4.truncated', 'linktype.unsupported'). */
  stop: string;
  /** True when the record was cut by snaplen (then a 'truncated' stop is not a malformed packet). */
  snapCut: boolean;
  /** The decoded layers: `ipScratch` / `l4Scratch` while reached, else null. Refilled per packet: copy what you keep. */
  ip: IpValue | null;
  l4: L4Value | null;
  l4Name: string;
  /** Transport payload: captured bytes at [payloadOff, payloadOff + captured); `declared` = length per the IP header. */
  payloadOff: number;
  captured: number;
  declared: number;
  /** The reused per-layer values (one fixed shape each: the hot loop allocates nothing per packet). */
  readonly linkScratch: LinkValue;
  readonly ipScratch: IpValue;
  readonly l4Scratch: L4Value;
}

export function newDissection(): Dissection {
  return {
    reached: 'none', stop: '', snapCut: false, ip: null, l4: null, l4Name: '', payloadOff: 0, captured: 0, declared: 0,
    linkScratch: linkValue(0), ipScratch: ipValue(), l4Scratch: l4Value(0),
  };
}

/** Ethernet, for the frames tunnels carry (VXLAN, Geneve, GRE bridging, ERSPAN). */
const ETHERNET = LINK_TYPES.get(LINKTYPE_ETHERNET)!;

let lastLinktype = -1;
let lastLink: LinkEntry | undefined;

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
  let end = pkt.off + pkt.caplen;
  if (pkt.linktype !== lastLinktype) {
    lastLinktype = pkt.linktype;
    lastLink = LINK_TYPES.get(pkt.linktype);
  }
  const link = lastLink;
  if (link === undefined) {
    d.stop = 'linktype.unsupported';
    return;
  }
  const lv = d.linkScratch;
  let next = link.into(buf, pkt.off, end, lv);
  if (next < 0) {
    d.stop = `${link.name}.${DECODE_WHY[-next]}`;
    return;
  }
  d.reached = 'link';
  let ethertype = lv.ethertype;
  const ip = d.ipScratch;
  let l4off = 0;
  let l4end = 0;
  // Once per IP layer: the outer one, then the packet inside each tunnel (tunnels.ts), at most MAX_SHIM_LAYERS deep.
  for (let depth = 0; ; depth++) {
    if (ethertype !== ETHERTYPE_IPV4 && ethertype !== ETHERTYPE_IPV6) {
      for (let i = 0; i < MAX_SHIM_LAYERS; i++) {
        const shim = ETHERTYPE_SHIMS.get(ethertype);
        if (shim === undefined) break;
        const sn = shim.into(buf, next, end, lv);
        if (sn < 0) {
          d.stop = `${shim.name}.${DECODE_WHY[-sn]}`;
          return;
        }
        ethertype = lv.ethertype;
        next = sn;
      }
    }
    const net = ETHERTYPES.get(ethertype);
    if (net === undefined) return; // not IP: nothing for us, not a problem
    l4off = net.into(buf, next, end, ip);
    if (l4off < 0) {
      d.stop = `${net.name}.${DECODE_WHY[-l4off]}`;
      return;
    }
    d.ip = ip;
    d.reached = 'ip';
    if (ip.fragOffset !== 0) return; // a later fragment: no transport header
    l4end = Math.min(end, ip.declaredEnd);
    const hop = depth < MAX_SHIM_LAYERS ? tunnelInner(buf, ip.proto, l4off, l4end) : null;
    if (hop === null) break;
    // The inner packet, bounded by the outer one's payload.
    end = l4end;
    if (hop.ether) {
      const en = ETHERNET.into(buf, hop.off, end, lv);
      if (en < 0) {
        d.stop = `${hop.name}.${DECODE_WHY[-en]}`;
        return;
      }
      ethertype = lv.ethertype;
      next = en;
    } else {
      ethertype = hop.ethertype;
      next = hop.off;
    }
  }
  const t = IP_PROTOS.get(ip.proto);
  if (t === undefined) return;
  const l4 = d.l4Scratch;
  const pay = t.into(buf, l4off, l4end, l4);
  if (pay < 0) {
    d.stop = `${t.name}.${DECODE_WHY[-pay]}`;
    return;
  }
  d.l4 = l4;
  d.l4Name = t.name;
  d.reached = 'l4';
  d.payloadOff = pay;
  d.captured = Math.max(0, l4end - pay);
  d.declared = Math.max(0, ip.declaredEnd - pay);
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
