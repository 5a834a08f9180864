// Paths tests share. Tests compile to dist/test/, so the repo root is two levels up.
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import fs from 'node:fs';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** ../shared beside the repo (corpus, references). */
export const SHARED = path.resolve(REPO, '../shared');
export const CORPUS = path.join(SHARED, 'corpus');
export const BIN = path.join(REPO, 'bin/resetscope.js');

/** Read a JSONL file into objects. */
export function readJsonl<T = Record<string, unknown>>(file: string): T[] {
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as T);
}
