// Shared by the nginx tests: a minimal IngestContext and the labelled corpus.
import path from 'node:path';
import { CORPUS, readJsonl } from './helpers.js';
import { UTC, type Zone } from '../src/time.js';
import type { IngestContext, InputStats } from '../src/ingest/types.js';

export interface CorpusRow { line: string; kind: string; label: string; causes: string[]; source: string; note: string }

export const NGINX_CORPUS = path.join(CORPUS, 'logs/nginx-real.jsonl');
export const ENVOY_CORPUS = path.join(CORPUS, 'logs/envoy-real.jsonl');
export const corpus = (): CorpusRow[] => readJsonl<CorpusRow>(NGINX_CORPUS);
/** A corpus line by a fragment of its text (fails loudly if the corpus changed). */
export function corpusLine(fragment: string): string {
  const row = corpus().find((r) => r.line.includes(fragment));
  if (!row) throw new Error(`corpus line with ${fragment} not found`);
  return row.line;
}

export function makeCtx(opts: { tz?: Zone; tzGiven?: boolean; failuresOnly?: boolean; nginxFormat?: string } = {}): IngestContext & { skipped: string[] } {
  const stats: InputStats = {
    name: 'test', format: 'nginx', bytes: 0, lines: 0, frames: 0, events: 0, failures: 0, ok: 0, skipped: 0,
    skipped_by_reason: {}, skipped_examples: [], anomalies: {}, first_us: null, last_us: null, notes: [],
  };
  const skipped: string[] = [];
  return {
    source: 'test.log',
    options: { tz: opts.tz ?? UTC, tzGiven: opts.tzGiven ?? false, failuresOnly: opts.failuresOnly ?? false, nginxFormat: opts.nginxFormat },
    stats,
    skipped,
    skip(reason, _where, text) { skipped.push(`${reason}: ${text}`); },
    anomaly() { return null; },
  };
}
