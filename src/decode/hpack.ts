// HPACK header-block decoding (RFC 7541) with one dynamic table per direction. The integer,
// string and Huffman primitives and the table come from hpack.js; the instruction loop is ours,
// synchronous and exception-free (hpack.js's own Decompressor is a stream that reports errors
// asynchronously through 'error' events, which does not fit a pure decoder).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface HpackJsDecoder {
  push(b: Buffer): void;
  isEmpty(): boolean;
  decodeBit(): number;
  decodeInt(): number;
  decodeStr(): number[];
}
interface HpackJsTable {
  lookup(index: number): { name: string; value: string; nameSize: number } | undefined;
  add(name: string, value: string, nameSize: number, valueSize: number): void;
  updateSize(size: number): void;
}
interface HpackJs {
  decoder: { create(): HpackJsDecoder };
  table: { create(options: { maxSize: number }): HpackJsTable };
  utils: { stringify(arr: number[]): string };
}

const hpack = require('hpack.js') as HpackJs;

/** RFC 9113 §6.5.2: SETTINGS_HEADER_TABLE_SIZE initial value. */
export const DEFAULT_TABLE_SIZE = 4096;

export type HeaderList = Array<[name: string, value: string]>;

export type HpackResult = { ok: true; headers: HeaderList } | { ok: false; why: string };

/** One direction's decoding context: the dynamic table lives across header blocks (RFC 7541 §2.3.2). */
export class HpackDecoder {
  private table: HpackJsTable;
  /** Once a block fails the table is out of sync with the encoder; later blocks are unreliable. */
  broken = false;

  constructor(maxSize = DEFAULT_TABLE_SIZE) {
    this.table = hpack.table.create({ maxSize });
  }

  /** The peer's SETTINGS_HEADER_TABLE_SIZE (RFC 9113 §6.5.2): the most a size update may ask for. */
  setMaxSize(size: number): void {
    (this.table as unknown as { protocolMaxSize: number }).protocolMaxSize = size;
  }

  /** Decode one complete header block (HEADERS/PUSH_PROMISE + CONTINUATION fragments joined). */
  decode(block: Buffer): HpackResult {
    if (this.broken) return { ok: false, why: 'dynamic table lost after an earlier error' };
    const d = hpack.decoder.create();
    if (block.length > 0) d.push(block);
    const headers: HeaderList = [];
    try {
      while (!d.isEmpty()) {
        // RFC 7541 §6.1: indexed header field
        if (d.decodeBit()) {
          const e = this.table.lookup(d.decodeInt());
          if (!e) throw new Error('index out of range');
          headers.push([e.name, e.value]);
          continue;
        }
        const incremental = d.decodeBit(); // §6.2.1 literal with incremental indexing
        if (!incremental) {
          if (d.decodeBit()) {
            this.table.updateSize(d.decodeInt()); // §6.3 dynamic table size update
            continue;
          }
          d.decodeBit(); // §6.2.3 never-indexed flag
        }
        const index = d.decodeInt();
        let name: string;
        let nameSize: number;
        if (index === 0) {
          const raw = d.decodeStr();
          nameSize = raw.length;
          name = hpack.utils.stringify(raw);
        } else {
          const e = this.table.lookup(index);
          if (!e) throw new Error('index out of range');
          name = e.name;
          nameSize = e.nameSize;
        }
        const rawValue = d.decodeStr();
        const value = hpack.utils.stringify(rawValue);
        if (incremental) this.table.add(name, value, nameSize, rawValue.length);
        headers.push([name, value]);
      }
    } catch (err) {
      this.broken = true;
      return { ok: false, why: err instanceof Error ? err.message : String(err) };
    }
    return { ok: true, headers };
  }
}

export function headerValue(h: HeaderList, name: string): string | null {
  for (const [n, v] of h) if (n === name) return v;
  return null;
}
