// TLS DEFLATE compression (RFC 3749 §2): one zlib stream per direction, each record ending in a
// sync flush, so a record only inflates with the history before it. Node has no public
// synchronous streaming inflate, so the compressed history is kept and re-inflated; bounded by
// MAX_DEFLATE_HISTORY (compression is rare: disabled everywhere since CRIME, 2012).
import { constants, inflateSync } from 'node:zlib';

/** Compression method value for DEFLATE in ServerHello (RFC 3749 §2). */
export const COMPRESSION_DEFLATE = 1;

/** Compressed bytes kept per direction; past this, records come back null. */
export const MAX_DEFLATE_HISTORY = 1 << 20;

export interface RecordInflater {
  /** The next record's decompressed bytes, or null (corrupt stream, history limit). */
  push(compressed: Buffer): Buffer | null;
}

export function createRecordInflater(): RecordInflater {
  const history: Buffer[] = [];
  let historyLen = 0;
  let produced = 0;
  let broken = false;
  return {
    push(compressed) {
      if (broken || historyLen + compressed.length > MAX_DEFLATE_HISTORY) return null;
      history.push(compressed);
      historyLen += compressed.length;
      try {
        const all = inflateSync(Buffer.concat(history), { finishFlush: constants.Z_SYNC_FLUSH });
        const out = Buffer.from(all.subarray(produced));
        produced = all.length;
        return out;
      } catch {
        broken = true;
        return null;
      }
    },
  };
}
