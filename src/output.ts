// `-o FILE`: the report appears whole or not at all. A reader (a ticket bot, `tail`, a browser
// reloading report.html) never sees half a file, and a failed run never truncates the previous
// report. Temp file in the same directory (rename is atomic only within one file system), then rename.
import fs from 'node:fs/promises';
import path from 'node:path';
import crypto from 'node:crypto';
import { UserError } from './errors.js';

export async function writeOutputAtomic(file: string, text: string | Uint8Array): Promise<void> {
  const target = path.resolve(file);
  const dir = path.dirname(target);
  const tmp = path.join(dir, `.${path.basename(target)}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`);
  // Keep the mode of a report we replace (someone may have made it group-readable on purpose).
  let mode = 0o666;
  try {
    const st = await fs.stat(target);
    if (st.isDirectory()) throw new UserError('OUTPUT_IS_DIR', `-o ${file}: is a directory`);
    mode = st.mode & 0o777;
  } catch (err) {
    if (err instanceof UserError) throw err;
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(file, err);
  }
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(tmp, 'wx', mode);
    await handle.writeFile(text);
    // fsync before rename: otherwise a crash can leave a renamed but empty file on some file systems.
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fs.rename(tmp, target);
  } catch (err) {
    if (handle) await handle.close().catch(() => {});
    await fs.unlink(tmp).catch(() => {});
    throw ioError(file, err);
  }
}

function ioError(file: string, err: unknown): UserError {
  const e = err as NodeJS.ErrnoException;
  const why = e.code === 'ENOENT' ? 'directory does not exist' : e.code === 'EACCES' || e.code === 'EPERM' ? 'permission denied' : e.code === 'ENOSPC' ? 'no space left on device' : e.message;
  return new UserError('OUTPUT_WRITE', `-o ${file}: cannot write (${why})`, { cause: err });
}
