// Opening inputs: files, directories (their files), `-` (stdin), gzip by magic bytes (never by
// name), and a peek at the first bytes so the format can be sniffed from content.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { Readable } from 'node:stream';
import { UserError } from './errors.js';
import { LIMITS } from './limits.js';

export interface OpenedInput {
  /** As named on the command line ('-' for stdin; a directory's files as dir/file). */
  name: string;
  /** Bytes on disk (compressed size for .gz); null for stdin and pipes. */
  size: number | null;
  compressed: boolean;
  /** The first bytes of the (decompressed) content, for sniffing. */
  head: Buffer;
  /** Whether the whole content fits in `head` (end of input reached while peeking). */
  complete: boolean;
  /** The whole (decompressed) content, head included. */
  chunks: AsyncIterable<Buffer>;
  /** Raw bytes read from the file so far (for progress). */
  rawBytesRead(): number;
}

const GZIP_MAGIC = [0x1f, 0x8b];
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

export async function openInput(name: string): Promise<OpenedInput> {
  let raw: Readable;
  let size: number | null = null;
  if (name === '-') {
    raw = process.stdin;
  } else {
    try {
      const st = fs.statSync(name);
      size = st.isFile() ? st.size : null;
    } catch (err) {
      throw new UserError('INPUT_NOT_FOUND', `${name}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`);
    }
    raw = fs.createReadStream(name, { highWaterMark: 1 << 20 });
  }
  let rawBytes = 0;
  raw.on('data', (c: Buffer) => { rawBytes += c.length; });
  const rawIt = raw[Symbol.asyncIterator]() as AsyncIterator<Buffer>;

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
  const compressed = firstBuf.length >= 2 && firstBuf[0] === GZIP_MAGIC[0] && firstBuf[1] === GZIP_MAGIC[1];

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

  const head: Buffer[] = [];
  let headLen = 0;
  let complete = false;
  try {
    while (headLen < LIMITS.SNIFF_BYTES) {
      const r = await content.next();
      if (r.done) { complete = true; break; }
      head.push(r.value); headLen += r.value.length;
    }
  } catch (err) {
    throw ioError(name, err);
  }
  async function* all(): AsyncGenerator<Buffer> {
    for (const h of head) yield h;
    if (complete) return;
    for (;;) {
      let r: IteratorResult<Buffer>;
      try {
        r = await content.next();
      } catch (err) {
        throw ioError(name, err);
      }
      if (r.done) return;
      yield r.value;
    }
  }
  return {
    name, size, compressed, complete,
    head: head.length === 1 ? head[0] : Buffer.concat(head),
    chunks: all(),
    rawBytesRead: () => rawBytes,
  };
}

function ioError(name: string, err: unknown): UserError {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'Z_BUF_ERROR' || e.code === 'Z_DATA_ERROR') return new UserError('BAD_GZIP', `${name}: gzip data is corrupt or cut short (${e.message})`, { cause: err });
  if (e.code === 'EISDIR') return new UserError('IS_DIRECTORY', `${name}: is a directory`, { cause: err });
  if (e.code === 'EACCES') return new UserError('NO_ACCESS', `${name}: permission denied`, { cause: err });
  return new UserError('IO', `${name}: ${e.message}`, { cause: err });
}
