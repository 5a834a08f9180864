// Recognising a capture from its first bytes, with no other import: every run sniffs every input
// (logs included), so this must not load the reader, the flow tracker or the decoders.

export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_MAGIC_NS = 0xa1b23c4d;
export const PCAP_MAGIC_MODIFIED = 0xa1b2cd34;
/** pcapng Section Header Block type and byte-order magic. */
export const PCAPNG_SHB = 0x0a0d0d0a;
export const PCAPNG_BOM = 0x1a2b3c4d;

/** Byte order and precision from the first 4 bytes, or undefined when this is not classic pcap. */
export function pcapMagic(head: Buffer): { le: boolean; ns: boolean; modified: boolean } | undefined {
  if (head.length < 4) return undefined;
  const le = head.readUInt32LE(0);
  const be = head.readUInt32BE(0);
  for (const [v, isLe] of [[le, true], [be, false]] as const) {
    if (v === PCAP_MAGIC_US) return { le: isLe, ns: false, modified: false };
    if (v === PCAP_MAGIC_NS) return { le: isLe, ns: true, modified: false };
    if (v === PCAP_MAGIC_MODIFIED) return { le: isLe, ns: false, modified: true };
  }
  return undefined;
}

/** 'pcap' | 'pcapng' | undefined from the first bytes. */
export function sniffCapture(head: Buffer): 'pcap' | 'pcapng' | undefined {
  if (pcapMagic(head)) return 'pcap';
  if (head.length >= 12 && head.readUInt32LE(0) === PCAPNG_SHB) {
    if (head.readUInt32LE(8) === PCAPNG_BOM || head.readUInt32BE(8) === PCAPNG_BOM) return 'pcapng';
  }
  return undefined;
}
