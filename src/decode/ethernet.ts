// Ethernet II with stacked 802.1Q / 802.1ad (QinQ) tags. IEEE 802.3 §3.2.6; IEEE 802.1Q §9.
import type { Decoded } from '../capture/types.js';
import { linkValue, registerLinkType, truncated, type LinkValue } from './tables.js';

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

export function decodeEthernet(buf: Buffer, off: number, end: number): Decoded<LinkValue> {
  if (end - off < ETH_HEADER_LEN) return truncated(off);
  let p = off + ETH_TYPE_OFF;
  let type = buf.readUInt16BE(p);
  let vlan = -1;
  let depth = 0;
  while (isVlan(type) && depth < MAX_VLAN_TAGS) {
    if (p + 2 + VLAN_TAG_LEN > end) return truncated(p);
    if (vlan < 0) vlan = buf.readUInt16BE(p + 2) & 0x0fff;
    depth++;
    p += VLAN_TAG_LEN;
    type = buf.readUInt16BE(p);
  }
  return { ok: true, value: linkValue(type <= ETH_MAX_LENGTH_FIELD ? 0 : type, vlan, depth), next: p + 2 };
}

registerLinkType(LINKTYPE_ETHERNET, 'ether', decodeEthernet);
