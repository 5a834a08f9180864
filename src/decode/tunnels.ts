// Tunnels a capture on a node's own interface shows pod traffic in: the overlay wraps each packet, so the
// TCP that failed is inside. IP-in-IP (Calico's IPIP mode) and IPv6-in-IPv4 (ip.proto 4 / 41), GRE (RFC 2784 /
// 2890: IP or transparent Ethernet inside; ERSPAN II/III mirroring), VXLAN (RFC 7348: UDP 4789, and 8472, the
// Linux kernel's default that Flannel and Cilium use) and Geneve (RFC 8926: UDP 6081). A UDP port alone is
// never enough: the header must have its fixed bits right. The inner packet is dissected as if captured alone.
import { ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from './tables.js';

/** Where the inner packet starts and what it is: an IP packet of `ethertype`, or an Ethernet frame. */
export interface TunnelHop {
  name: string;
  /** The inner packet is an Ethernet frame (VXLAN, Geneve, GRE transparent bridging, ERSPAN). */
  ether: boolean;
  /** Ethertype of the inner IP packet when not `ether`. */
  ethertype: number;
  off: number;
}

const IPPROTO_IPIP = 4;
const IPPROTO_IPV6 = 41;
const IPPROTO_GRE = 47;
const IPPROTO_UDP = 17;
const VXLAN_PORTS = new Set([4789, 8472]);
const GENEVE_PORT = 6081;
const ETHERTYPE_TEB = 0x6558; // transparent Ethernet bridging
const ETHERTYPE_ERSPAN2 = 0x88be;
const ETHERTYPE_ERSPAN3 = 0x22eb;

/** The reused result (the packet loop allocates nothing per packet). */
const hop: TunnelHop = { name: '', ether: false, ethertype: 0, off: 0 };

function ipHop(name: string, ethertype: number, off: number): TunnelHop {
  hop.name = name; hop.ether = false; hop.ethertype = ethertype; hop.off = off;
  return hop;
}

function etherHop(name: string, off: number): TunnelHop {
  hop.name = name; hop.ether = true; hop.ethertype = 0; hop.off = off;
  return hop;
}

/**
 * The inner packet of an IP payload buf[off, end) with protocol `proto`, or null when it is not a tunnel we
 * know (or its header is cut short or wrong). The returned object is reused: read it before the next call.
 */
export function tunnelInner(buf: Buffer, proto: number, off: number, end: number): TunnelHop | null {
  if (proto === IPPROTO_IPIP) return ipHop('ipip', ETHERTYPE_IPV4, off);
  if (proto === IPPROTO_IPV6) return ipHop('6in4', ETHERTYPE_IPV6, off);
  if (proto === IPPROTO_GRE) return gre(buf, off, end);
  if (proto === IPPROTO_UDP && end - off >= 8 + 8) {
    const dport = (buf[off + 2] << 8) | buf[off + 3];
    const u = off + 8;
    if (VXLAN_PORTS.has(dport)) {
      // Flags: I (0x08) set, the other RFC 7348 §5 bits clear (G 0x80 allowed: the group-policy extension,
      // which also uses bytes 1-3); the byte after the VNI is reserved.
      const f = buf[u];
      if ((f & 0x08) === 0 || (f & 0x77) !== 0 || buf[u + 7] !== 0) return null;
      return etherHop('vxlan', u + 8);
    }
    if (dport === GENEVE_PORT) {
      const version = buf[u] >> 6;
      const optLen = (buf[u] & 0x3f) * 4;
      const type = (buf[u + 2] << 8) | buf[u + 3];
      if (version !== 0 || end - u < 8 + optLen) return null;
      if (type === ETHERTYPE_TEB) return etherHop('geneve', u + 8 + optLen);
      if (type === ETHERTYPE_IPV4 || type === ETHERTYPE_IPV6) return ipHop('geneve', type, u + 8 + optLen);
      return null;
    }
  }
  return null;
}

/** GRE version 0 (RFC 2784, with RFC 2890's key and sequence number), and ERSPAN inside it. */
function gre(buf: Buffer, off: number, end: number): TunnelHop | null {
  if (end - off < 4) return null;
  const flags = (buf[off] << 8) | buf[off + 1];
  if ((flags & 0x7) !== 0) return null; // version 1 is PPTP's enhanced GRE: not a tunnel of packets we read
  const type = (buf[off + 2] << 8) | buf[off + 3];
  let p = off + 4;
  if (flags & 0x8000) p += 4; // checksum + reserved
  if (flags & 0x2000) p += 4; // key
  if (flags & 0x1000) p += 4; // sequence number
  if (p > end) return null;
  if (type === ETHERTYPE_IPV4 || type === ETHERTYPE_IPV6) return ipHop('gre', type, p);
  if (type === ETHERTYPE_TEB) return etherHop('gre', p);
  if (type === ETHERTYPE_ERSPAN2 && end - p >= 8) return etherHop('erspan', p + 8);
  if (type === ETHERTYPE_ERSPAN3 && end - p >= 12) return etherHop('erspan', p + 12 + ((buf[p + 11] & 0x01) ? 8 : 0)); // O flag: platform subheader
  return null;
}
