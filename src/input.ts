// Opening inputs: files, directories (their files), `-` (stdin), gzip by magic bytes (never by
// name), and a peek at the first bytes so the format can be sniffed from content.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { Readable } from 'node:stream';
import { UserError } from './errors.js';
import { LIMITS } from './limits.js';
import { READ_CHUNK_BYTES } from './ingest/split-ranges.js';
import { isGzip, otherCompression, utf16Bom, zeroRunEnd } from './input-bytes.js';

export interface OpenedInput {
  /** As named on the command line ('-' for stdin; a directory's files as dir/file). */
  name: string;
  /** Bytes on disk (compressed size for .gz); null for stdin and pipes. */
  size: number | null;
  compressed: boolean;
  /** Text that was UTF-16 (it began with a byte order mark) and is handed on as UTF-8: byte offsets are not the file's. */
  transcoded: 'utf-16le' | 'utf-16be' | null;
  /** The first bytes of the (decompressed) content, for sniffing. */
  head: Buffer;
  /** Whether the whole content fits in `head` (end of input reached while peeking). */
  complete: boolean;
  /** The whole (decompressed) content, head included. */
  chunks: AsyncIterable<Buffer>;
  /** Release the input without reading it (its file handle), e.g. when it is not a format we read. */
  close(): Promise<void>;
  /** Raw bytes read from the file so far (for progress). */
  rawBytesRead(): number;
}

/**
 * `chunks[LEND_CHUNKS]()`: the consumer promises not to use a chunk after asking for the next one
 * (the text framework copies what it keeps). Later chunks of a plain file then come from two reused
 * buffers instead of a fresh 1 MiB each (allocation, page faults and GC were ~15% of a 500 MB run).
 * A no-op for stdin and gzip (zlib may still hold the input it was given).
 */
export const LEND_CHUNKS = Symbol('resetscope.lendChunks');

/**
 * Silence on a live input (stdin, a pipe) that ends the sniffing peek once a complete line is in:
 * long enough for a burst of `kubectl logs -f` output to arrive together, short enough to feel live.
 */
export const LIVE_SNIFF_IDLE_MS = 300;
/** Files in a directory input that are documentation, not data (an incident folder's README / truth). */
const DIRECTORY_SKIP = /^(readme(\..*)?|truth\.json|.*\.(md|conf|key|pem|crt|sh)|\..*)$/i;

export interface InputName { name: string; /** Found inside a directory argument (not named by the user). */ fromDirectory: boolean }

/** Expand directory arguments to their regular files (sorted), keep others as given. */
export function expandInputs(names: string[]): InputName[] {
  const out: InputName[] = [];
  for (const name of names.length ? names : ['-']) {
    if (name === '-') { out.push({ name, fromDirectory: false }); continue; }
    let st: fs.Stats;
    try {
      st = fs.statSync(name);
    } catch (err) {
      throw new UserError('INPUT_NOT_FOUND', `${name}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`);
    }
    if (st.isDirectory()) {
      const files = fs.readdirSync(name).filter((f) => !DIRECTORY_SKIP.test(f)).sort();
      for (const f of files) {
        const p = path.join(name, f);
        if (fs.statSync(p).isFile()) out.push({ name: p, fromDirectory: true });
      }
      if (!files.length) throw new UserError('EMPTY_DIRECTORY', `${name}: directory has no input files`);
    } else out.push({ name, fromDirectory: false });
  }
  return out;
}

/**
 * All inputs are open at once (their events are merged by time), and each holds its current read and the one
 * read ahead: a directory of 300 rotated logs held 600 MB in read buffers alone. Past 32 inputs, they share this
 * budget instead of taking READ_CHUNK_BYTES each.
 */
const READ_BUDGET_BYTES = 64 << 20;
const MIN_READ_BYTES = 64 << 10;

/** Bytes per read for each of `inputs` inputs open at once (a power of two, 64 KiB to READ_CHUNK_BYTES). */
export function readChunkBytesFor(inputs: number): number {
  const share = READ_BUDGET_BYTES / (2 * Math.max(1, inputs));
  let size = READ_CHUNK_BYTES;
  while (size > share && size > MIN_READ_BYTES) size >>= 1;
  return size;
}

/**
 * Past this many inputs open at once, a file's descriptor is not kept between reads (each read opens, reads at
 * its position and closes, at most MAX_OPEN_READS at a time): a directory of 1,200 rotated logs failed with
 * EMFILE under the usual limit of 1,024 descriptors.
 */
export const TRANSIENT_INPUTS = 128;
const MAX_OPEN_READS = 64;
let openReads = 0;
const readWaiters: (() => void)[] = [];

/** Run `fn` on `name` opened for reading, with at most MAX_OPEN_READS such descriptors open at once. */
async function withFile<T>(name: string, fn: (h: fs.promises.FileHandle) => Promise<T>): Promise<T> {
  while (openReads >= MAX_OPEN_READS) await new Promise<void>((resolve) => readWaiters.push(resolve));
  openReads++;
  try {
    const h = await fs.promises.open(name, 'r');
    try {
      return await fn(h);
    } finally {
      await h.close();
    }
  } finally {
    openReads--;
    readWaiters.shift()?.();
  }
}

export async function openInput(name: string, chunkBytes: number = READ_CHUNK_BYTES, transient = false): Promise<OpenedInput> {
  let rawIt: AsyncIterator<Buffer>;
  let size: number | null = null;
  let rawBytes = 0;
  let lend = () => {};
  if (name === '-') {
    const it = process.stdin[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    rawIt = {
      next: async () => {
        const r = await it.next();
        if (!r.done) rawBytes += r.value.length;
        return r;
      },
      return: async () => (it.return ? it.return() : { done: true, value: undefined }),
    };
  } else {
    try {
      const st = fs.statSync(name);
      size = st.isFile() ? st.size : null;
    } catch (err) {
      throw new UserError('INPUT_NOT_FOUND', `${name}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`);
    }
    const fc = fileChunks(name, (n) => { rawBytes += n; }, chunkBytes, transient);
    rawIt = fc;
    lend = fc.lend;
  }

  // Peek the first two bytes to spot gzip, then (if so) switch to the gunzipped stream.
  const first: Buffer[] = [];
  let firstLen = 0;
  let rawDone = false;
  try {
    while (firstLen < 2) {
      const r = await rawIt.next();
      if (r.done) { rawDone = true; break; }
      first.push(r.value); firstLen += r.value.length;
    }
  } catch (err) {
    throw ioError(name, err);
  }
  const firstBuf = Buffer.concat(first);
  const compressed = isGzip(firstBuf);
  const other = otherCompression(firstBuf);
  if (other) {
    await rawIt.return?.();
    const feed = name === '-' ? `… | ${other.tool} -dc | resetscope analyze -` : `${other.tool} -dc ${name} | resetscope analyze -`;
    throw new UserError('UNSUPPORTED_COMPRESSION', `${name}: compressed with ${other.name}, which resetscope does not read (gzip only): ${feed}`);
  }

  async function* rawChunks(): AsyncGenerator<Buffer> {
    if (firstBuf.length) yield firstBuf;
    if (rawDone) return;
    for (;;) {
      const r = await rawIt.next();
      if (r.done) return;
      yield r.value;
    }
  }
  let content: AsyncIterator<Buffer>;
  if (compressed) {
    // A cut-off .gz still yields what decompressed; the error becomes a clear message at the end.
    const gunzip = zlib.createGunzip({ finishFlush: zlib.constants.Z_SYNC_FLUSH });
    const src = Readable.from(rawChunks(), { objectMode: false });
    src.on('error', (e) => gunzip.destroy(e));
    src.pipe(gunzip);
    content = gunzip[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  } else {
    content = rawChunks();
  }
  let transcoded: OpenedInput['transcoded'] = null;
  try {
    const t = await utf16AsUtf8(content);
    content = t.content;
    transcoded = t.encoding;
  } catch (err) {
    throw ioError(name, err);
  }

  const head: Buffer[] = [];
  let headLen = 0;
  /** Sizes of the all-zero chunks read before the head (see allZero). */
  const zeroLead: number[] = [];
  let complete = false;
  // stdin and pipes (`kubectl logs -f | resetscope analyze -`) may trickle for hours: once a whole line
  // is there, a short silence ends the peek and the format is sniffed on what arrived.
  const live = size === null;
  let sawLine = false;
  /** A read started while peeking and not finished when the silence ended: the next chunk, kept. */
  let pending: Promise<IteratorResult<Buffer>> | undefined;
  try {
    while (headLen < LIMITS.SNIFF_BYTES) {
      const p = content.next();
      let r: IteratorResult<Buffer>;
      if (live && sawLine) {
        let timer: NodeJS.Timeout | undefined;
        const idle = new Promise<null>((res) => { timer = setTimeout(() => res(null), LIVE_SNIFF_IDLE_MS); });
        const won = await Promise.race([p, idle]);
        clearTimeout(timer);
        if (won === null) {
          pending = p;
          pending.catch(() => undefined); // surfaced when all() awaits it
          break;
        }
        r = won;
      } else {
        r = await p;
      }
      if (r.done) { complete = true; break; }
      if (headLen === 0 && allZero(r.value)) {
        // A hole of zeros at the start (a log truncated under its writer: text-input.ts nul_padding) is not
        // sniffed: the lines after it are. Its chunks are given back as zeros of the same sizes.
        zeroLead.push(r.value.length);
        continue;
      }
      head.push(r.value); headLen += r.value.length;
      if (!sawLine && r.value.includes(10)) sawLine = true;
    }
  } catch (err) {
    throw ioError(name, err);
  }
  async function* all(): AsyncGenerator<Buffer> {
    for (const n of zeroLead) yield Buffer.alloc(n);
    for (const h of head) yield h;
    if (complete) return;
    for (;;) {
      let r: IteratorResult<Buffer>;
      try {
        const p = pending;
        pending = undefined;
        r = await (p ?? content.next());
      } catch (err) {
        throw ioError(name, err);
      }
      if (r.done) return;
      yield r.value;
    }
  }
  const chunks = Object.assign(all(), { [LEND_CHUNKS]: () => { if (!compressed) lend(); } });
  return {
    name, size, compressed, transcoded, complete,
    head: head.length === 1 ? head[0] : Buffer.concat(head),
    chunks,
    rawBytesRead: () => rawBytes,
    // An input we peeked at but will not read (a keylog found in a directory): release its file now.
    close: async () => {
      await content.return?.();
      await rawIt.return?.();
    },
  };
}

/**
 * Text saved as UTF-16 with a byte order mark (FF FE or FE FF: what Windows PowerShell 5's `>` and
 * Out-File write, e.g. `kubectl logs ... > envoy.log`) is decoded and handed on as UTF-8, so every
 * ingester reads it as it would the UTF-8 file. Anything else (no such mark: UTF-8 text, a capture,
 * which never begins with these bytes) is passed through untouched. Reads the first chunk to tell.
 */
async function utf16AsUtf8(src: AsyncIterator<Buffer>): Promise<{ content: AsyncIterator<Buffer>; encoding: OpenedInput['transcoded'] }> {
  const first = await src.next();
  const b = first.done ? undefined : first.value;
  const encoding = b ? utf16Bom(b) : null;
  if (encoding === null) {
    let pendingFirst: IteratorResult<Buffer> | undefined = first;
    return {
      encoding,
      content: {
        next: () => {
          const r = pendingFirst;
          pendingFirst = undefined;
          return r ? Promise.resolve(r) : src.next();
        },
        return: async () => (src.return ? src.return() : { done: true, value: undefined }),
      },
    };
  }
  // The decoder drops the mark and keeps a code unit or surrogate cut by a chunk's end for the next one.
  const decoder = new TextDecoder(encoding);
  let pending: Buffer | undefined = b;
  let ended = false;
  return {
    encoding,
    content: {
      async next(): Promise<IteratorResult<Buffer>> {
        for (;;) {
          if (ended) return { done: true, value: undefined };
          let text: string;
          if (pending !== undefined) {
            text = decoder.decode(pending, { stream: true });
            pending = undefined;
          } else {
            const r = await src.next();
            if (r.done) {
              ended = true;
              text = decoder.decode();
            } else text = decoder.decode(r.value, { stream: true });
          }
          if (text.length) return { done: false, value: Buffer.from(text, 'utf8') };
        }
      },
      return: async () => (src.return ? src.return() : { done: true, value: undefined }),
    },
  };
}

/** Every byte of `b` is 0. */
function allZero(b: Buffer): boolean {
  return b.length > 0 && zeroRunEnd(b, 0, b.length) === b.length;
}

// Bytes per read: READ_CHUNK_BYTES (split-ranges.ts, where split mode's workers read it too): large enough
// that per-call costs vanish, small enough to stay far from the RSS budget.

/**
 * A file's bytes in fresh 1 MiB buffers, read with FileHandle.read, one read ahead: the next chunk is
 * read (on libuv's thread pool) while the parser works on this one, and no stream machinery sits
 * between the disk and the parser (fs.createReadStream cost ~2x the CPU per byte here). Each chunk is
 * a new buffer because consumers may keep one (the capture reader queues them).
 */
function fileChunks(name: string, counted: (n: number) => void, chunkBytes: number, transient: boolean): AsyncIterator<Buffer> & { lend(): void } {
  let fh: Promise<fs.promises.FileHandle> | undefined;
  let ahead: Promise<Buffer | null> | undefined;
  let done = false;
  /** Lent mode (see OpenedInput.lendChunks): the chunk handed out and the one read ahead alternate. */
  let ring: Buffer[] | null = null;
  let turn = 0;
  /** Where the next read starts (transient mode reads by position: no descriptor is kept between reads). */
  let position = 0;
  const readOne = async (): Promise<Buffer | null> => {
    const buf = ring ? ring[turn++ & 1] : Buffer.allocUnsafe(chunkBytes);
    let bytesRead: number;
    if (transient) {
      bytesRead = await withFile(name, async (h) => (await h.read(buf, 0, buf.length, position)).bytesRead);
      position += bytesRead;
    } else {
      fh ??= fs.promises.open(name, 'r');
      const h = await fh;
      ({ bytesRead } = await h.read(buf, 0, buf.length, null));
    }
    if (!bytesRead) return null;
    return bytesRead === buf.length ? buf : buf.subarray(0, bytesRead);
  };
  const close = async () => {
    done = true;
    const h = fh;
    fh = undefined;
    const a = ahead;
    ahead = undefined;
    await a?.catch(() => null);
    if (h) await (await h.catch(() => undefined))?.close();
  };
  return {
    lend() {
      ring ??= [Buffer.allocUnsafe(chunkBytes), Buffer.allocUnsafe(chunkBytes)];
    },
    async next(): Promise<IteratorResult<Buffer>> {
      if (done) return { done: true, value: undefined };
      try {
        const buf = await (ahead ?? readOne());
        ahead = undefined;
        if (!buf) {
          await close();
          return { done: true, value: undefined };
        }
        counted(buf.length);
        ahead = readOne();
        ahead.catch(() => undefined); // surfaced by the next call to next()
        return { done: false, value: buf };
      } catch (err) {
        await close().catch(() => undefined);
        throw err;
      }
    },
    async return(): Promise<IteratorResult<Buffer>> {
      await close();
      return { done: true, value: undefined };
    },
  };
}

function ioError(name: string, err: unknown): UserError {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'Z_BUF_ERROR' || e.code === 'Z_DATA_ERROR') return new UserError('BAD_GZIP', `${name}: gzip data is corrupt or cut short (${e.message})`, { cause: err });
  if (e.code === 'EISDIR') return new UserError('IS_DIRECTORY', `${name}: is a directory`, { cause: err });
  if (e.code === 'EACCES') return new UserError('NO_ACCESS', `${name}: permission denied`, { cause: err });
  return new UserError('IO', `${name}: ${e.message}`, { cause: err });
}
