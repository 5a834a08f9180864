// Dissector tables (Wireshark's model, STYLE.md §2): each protocol registers itself into its
// parent's table; a parent looks its child up by number and never imports it.
import type { Decoded } from '../capture/types.js';

/** What a link layer hands on: the ethertype of its payload (0 = not something we decode). */
export interface LinkValue {
  ethertype: number;
  /** Outermost 802.1Q VLAN id, or -1. */
  vlan: number;
  /** VLAN tags stacked (QinQ = 2). */
  vlanDepth: number;
}

/** An IPv4 or IPv6 header, in one shape for both. */
export interface IpValue {
  version: number;
  /** Upper-layer protocol after IPv6 extension headers. */
  proto: number;
  /** TTL / hop limit. */
  ttl: number;
  /** IPv4 identification; -1 for IPv6 without a fragment header. */
  id: number;
  /** IPv4 addresses as unsigned 32-bit numbers (0 for IPv6). */
  src4: number;
  dst4: number;
  /** IPv6 addresses as 16-char latin1 strings (flow keys; '' for IPv4). */
  src6: string;
  dst6: string;
  /** Offset of the source address in the buffer (the destination follows it). */
  addrOff: number;
  /** Fragment offset in bytes, and the more-fragments flag. */
  fragOffset: number;
  moreFragments: boolean;
  /** End of the IP payload as the header declares it (may lie beyond the captured bytes). */
  declaredEnd: number;
  /** Number of IPv4 option bytes / IPv6 extension-header bytes. */
  optionBytes: number;
}

export type LinkDecoder = (buf: Buffer, off: number, end: number) => Decoded<LinkValue>;
export type NetDecoder = (buf: Buffer, off: number, end: number) => Decoded<IpValue>;

/** LINKTYPE_* (https://www.tcpdump.org/linktypes.html) -> decoder. */
export const LINK_TYPES = new Map<number, { name: string; decode: LinkDecoder }>();
/** Ethertype -> a layer between link and IP (PPPoE, MPLS) that hands on another ethertype. */
export const ETHERTYPE_SHIMS = new Map<number, { name: string; decode: LinkDecoder }>();
/** Ethertype -> network-layer decoder. */
export const ETHERTYPES = new Map<number, { name: string; decode: NetDecoder }>();

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_IPV6 = 0x86dd;

export function registerLinkType(linktype: number, name: string, decode: LinkDecoder): void {
  LINK_TYPES.set(linktype, { name, decode });
}
export function registerShim(ethertype: number, name: string, decode: LinkDecoder): void {
  ETHERTYPE_SHIMS.set(ethertype, { name, decode });
}
export function registerEthertype(ethertype: number, name: string, decode: NetDecoder): void {
  ETHERTYPES.set(ethertype, { name, decode });
}

/** One object shape for every link decoder's value. */
export function linkValue(ethertype: number, vlan = -1, vlanDepth = 0): LinkValue {
  return { ethertype, vlan, vlanDepth };
}

export function truncated<T>(at: number): Decoded<T> {
  return { ok: false, why: 'truncated', at };
}
export function malformed<T>(at: number): Decoded<T> {
  return { ok: false, why: 'malformed', at };
}
export function unsupported<T>(at: number): Decoded<T> {
  return { ok: false, why: 'unsupported', at };
}
