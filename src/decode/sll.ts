// Linux "cooked" captures (tcpdump -i any): https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html
// and https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL2.html
import type { Decoded } from '../capture/types.js';
import { linkValue, registerLinkType, truncated, type LinkValue } from './tables.js';

export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_LINUX_SLL2 = 276;
/** SLL: packet type(2) ARPHRD type(2) addr len(2) addr(8) protocol(2). */
export const SLL_HEADER_LEN = 16;
export const SLL_PROTOCOL_OFF = 14;
export const SLL_HATYPE_OFF = 2;
/** SLL2: protocol(2) reserved(2) ifindex(4) ARPHRD type(2) packet type(1) addr len(1) addr(8). */
export const SLL2_HEADER_LEN = 20;
export const SLL2_PROTOCOL_OFF = 0;
export const SLL2_HATYPE_OFF = 8;
/** ARPHRD_NETLINK: the payload is a netlink message, not an ethertype-typed frame. */
export const ARPHRD_NETLINK = 824;
/** Protocol values below 0x0600 are Linux ETH_P_* pseudo types (802.2, CAN ...), not ethertypes. */
export const ETH_P_MIN_ETHERTYPE = 0x0600;

function cooked(buf: Buffer, off: number, end: number, len: number, protoOff: number, hatypeOff: number): Decoded<LinkValue> {
  if (end - off < len) return truncated(off);
  const proto = buf.readUInt16BE(off + protoOff);
  const hatype = buf.readUInt16BE(off + hatypeOff);
  const ethertype = hatype === ARPHRD_NETLINK || proto < ETH_P_MIN_ETHERTYPE ? 0 : proto;
  return { ok: true, value: linkValue(ethertype), next: off + len };
}

export function decodeSll(buf: Buffer, off: number, end: number): Decoded<LinkValue> {
  return cooked(buf, off, end, SLL_HEADER_LEN, SLL_PROTOCOL_OFF, SLL_HATYPE_OFF);
}
export function decodeSll2(buf: Buffer, off: number, end: number): Decoded<LinkValue> {
  return cooked(buf, off, end, SLL2_HEADER_LEN, SLL2_PROTOCOL_OFF, SLL2_HATYPE_OFF);
}

registerLinkType(LINKTYPE_LINUX_SLL, 'linux-sll', decodeSll);
registerLinkType(LINKTYPE_LINUX_SLL2, 'linux-sll2', decodeSll2);
