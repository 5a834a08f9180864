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

/**
 * The same decoder for the per-packet hot loop: it fills a caller-owned object of one fixed shape
 * and returns the offset after the header (>= 0), or a DECODE_* failure code (< 0) with the failure
 * position in FAIL.at. No allocation per packet. The pure `Decoded<T>` decoder is the one
 * implementation wrapped (fromInto), or, for a layer that only has a pure decoder, its result is
 * copied (intoFrom).
 */
export type IntoDecoder<T> = (buf: Buffer, off: number, end: number, out: T) => number;

export const DECODE_TRUNCATED = -1;
export const DECODE_MALFORMED = -2;
export const DECODE_UNSUPPORTED = -3;
/** `why` by -code. */
export const DECODE_WHY = ['', 'truncated', 'malformed', 'unsupported'] as const;
/** Where the last failing IntoDecoder stopped (one thread, read right after the call). */
export const FAIL = { at: 0 };

export function failAt(code: number, at: number): number {
  FAIL.at = at;
  return code;
}

/** The pure decoder over an IntoDecoder: a fresh value per call. */
export function fromInto<T>(into: IntoDecoder<T>, make: () => T): (buf: Buffer, off: number, end: number) => Decoded<T> {
  return (buf, off, end) => {
    const v = make();
    const r = into(buf, off, end, v);
    if (r >= 0) return { ok: true, value: v, next: r };
    return { ok: false, why: DECODE_WHY[-r] as 'truncated' | 'malformed' | 'unsupported', at: FAIL.at };
  };
}

/** An IntoDecoder over a pure decoder (rare layers): copies its value's fields into `out`. */
export function intoFrom<T extends object>(decode: (buf: Buffer, off: number, end: number) => Decoded<T>): IntoDecoder<T> {
  return (buf, off, end, out) => {
    const r = decode(buf, off, end);
    if (!r.ok) return failAt(r.why === 'truncated' ? DECODE_TRUNCATED : r.why === 'malformed' ? DECODE_MALFORMED : DECODE_UNSUPPORTED, r.at);
    Object.assign(out, r.value);
    return r.next;
  };
}

export interface LinkEntry { name: string; decode: LinkDecoder; into: IntoDecoder<LinkValue> }
export interface NetEntry { name: string; decode: NetDecoder; into: IntoDecoder<IpValue> }

/** LINKTYPE_* (https://www.tcpdump.org/linktypes.html) -> decoder. */
export const LINK_TYPES = new Map<number, LinkEntry>();
/** Ethertype -> a layer between link and IP (PPPoE, MPLS) that hands on another ethertype. */
export const ETHERTYPE_SHIMS = new Map<number, LinkEntry>();
/** Ethertype -> network-layer decoder. */
export const ETHERTYPES = new Map<number, NetEntry>();

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_IPV6 = 0x86dd;

export function registerLinkType(linktype: number, name: string, decode: LinkDecoder, into?: IntoDecoder<LinkValue>): void {
  LINK_TYPES.set(linktype, { name, decode, into: into ?? intoFrom(decode) });
}
export function registerShim(ethertype: number, name: string, decode: LinkDecoder, into?: IntoDecoder<LinkValue>): void {
  ETHERTYPE_SHIMS.set(ethertype, { name, decode, into: into ?? intoFrom(decode) });
}
export function registerEthertype(ethertype: number, name: string, decode: NetDecoder, into?: IntoDecoder<IpValue>): void {
  ETHERTYPES.set(ethertype, { name, decode, into: into ?? intoFrom(decode) });
}

/** One object shape for every link decoder's value. */
export function linkValue(ethertype: number, vlan = -1, vlanDepth = 0): LinkValue {
  return { ethertype, vlan, vlanDepth };
}

/** One object shape for every network decoder's value. */
export function ipValue(): IpValue {
  return { version: 0, proto: 0, ttl: 0, id: -1, src4: 0, dst4: 0, src6: '', dst6: '', addrOff: 0, fragOffset: 0, moreFragments: false, declaredEnd: 0, optionBytes: 0 };
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
