// What an input's first bytes say about how it must be decoded before any format reads it (gzip, another
// compression, UTF-16), and the scan for runs of zero bytes. Import-free: bin/ uses it (text-worker-spawn.ts,
// before the CLI loads) as well as input.ts and the text framework.

/** Gzip's magic: input.ts gunzips it on the main thread. */
export function isGzip(head: Buffer): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/**
 * Compression formats we do not decompress, told by their magic bytes, so that a `.xz` / `.zst` capture or log
 * gets a clear message and the command to feed it in, instead of being read as a text file of binary lines.
 */
const OTHER_COMPRESSION: { name: string; tool: string; magic: number[] }[] = [
  { name: 'xz', tool: 'xz', magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] },
  { name: 'zstd', tool: 'zstd', magic: [0x28, 0xb5, 0x2f, 0xfd] },
  // "BZh", the block size digit (any: -1), then the first block's magic (0x314159265359): text never looks like it.
  { name: 'bzip2', tool: 'bzip2', magic: [0x42, 0x5a, 0x68, -1, 0x31, 0x41, 0x59, 0x26, 0x53, 0x59] },
  { name: 'lz4', tool: 'lz4', magic: [0x04, 0x22, 0x4d, 0x18] },
];

export function otherCompression(head: Buffer): { name: string; tool: string } | undefined {
  return OTHER_COMPRESSION.find((c) => head.length >= c.magic.length && c.magic.every((b, i) => b < 0 || head[i] === b));
}

/** UTF-16 text with its byte order mark (FF FE little-endian, FE FF big-endian), else null. */
export function utf16Bom(head: Buffer): 'utf-16le' | 'utf-16be' | null {
  if (head.length < 2) return null;
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  return null;
}

/** Content that is not the file's bytes as they stand (so a framing worker reading file offsets cannot take it). */
export function decodedBeforeReading(head: Buffer): boolean {
  return isGzip(head) || utf16Bom(head) !== null || otherCompression(head) !== undefined;
}

const ZERO_PAGE = Buffer.alloc(4096);

/**
 * The first non-zero byte of buf[from, end), or `end`. Runs of zeros can be gigabytes (a copytruncate hole is
 * the old file's size): whole pages by memcmp, then byte by byte.
 */
export function zeroRunEnd(buf: Buffer, from: number, end: number): number {
  let p = from;
  while (end - p >= ZERO_PAGE.length && ZERO_PAGE.compare(buf, p, p + ZERO_PAGE.length) === 0) p += ZERO_PAGE.length;
  while (p < end && buf[p] === 0) p++;
  return p;
}
