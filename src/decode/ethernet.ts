// Ethernet II with stacked 802.1Q / 802.1ad (QinQ) tags. IEEE 802.3 §3.2.6; IEEE 802.1Q §9.
import type { Decoded } from '../capture/types.js';
import { DECODE_TRUNCATED, failAt, fromInto, linkValue, registerLinkType, type LinkValue } from './tables.js';

export const LINKTYPE_ETHERNET = 1;
/** dst(6) src(6) ethertype(2). */
export const ETH_HEADER_LEN = 14;
export const ETH_TYPE_OFF = 12;
/** A VLAN tag: TCI(2) inner ethertype(2). */
export const VLAN_TAG_LEN = 4;
export const ETHERTYPE_8021Q = 0x8100;
export const ETHERTYPE_8021AD = 0x88a8;
/** Pre-standard QinQ outer tags. */
export const ETHERTYPE_QINQ_9100 = 0x9100;
export const ETHERTYPE_QINQ_9200 = 0x9200;
/** Type/length values up to 1500 are an 802.3 length (LLC follows), not an ethertype. */
export const ETH_MAX_LENGTH_FIELD = 1500;
/** Tags we follow before calling it malformed. */
export const MAX_VLAN_TAGS = 8;

function isVlan(t: number): boolean {
  return t === ETHERTYPE_8021Q || t === ETHERTYPE_8021AD || t === ETHERTYPE_QINQ_9100 || t === ETHERTYPE_QINQ_9200;
}

/** Ethernet into a reused LinkValue (the hot loop); direct byte reads. */
export function ethernetInto(buf: Buffer, off: number, end: number, out: LinkValue): number {
  if (end - off < ETH_HEADER_LEN) return failAt(DECODE_TRUNCATED, off);
  let p = off + ETH_TYPE_OFF;
  let type = (buf[p]! << 8) | buf[p + 1]!;
  let vlan = -1;
  let depth = 0;
  while (isVlan(type) && depth < MAX_VLAN_TAGS) {
    if (p + 2 + VLAN_TAG_LEN > end) return failAt(DECODE_TRUNCATED, p);
    if (vlan < 0) vlan = ((buf[p + 2]! << 8) | buf[p + 3]!) & 0x0fff;
    depth++;
    p += VLAN_TAG_LEN;
    type = (buf[p]! << 8) | buf[p + 1]!;
  }
  out.ethertype = type <= ETH_MAX_LENGTH_FIELD ? 0 : type;
  out.vlan = vlan;
  out.vlanDepth = depth;
  return p + 2;
}

export const decodeEthernet: (buf: Buffer, off: number, end: number) => Decoded<LinkValue> = fromInto(ethernetInto, () => linkValue(0));

registerLinkType(LINKTYPE_ETHERNET, 'ether', decodeEthernet, ethernetInto);
