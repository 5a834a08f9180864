// Helpers for the envoy-access tests: a parser context with counters, and the corpus records.
import path from 'node:path';
import type { Event } from '../src/events.js';
import type { IngestContext, LineParser } from '../src/ingest/types.js';
import { envoyAccessFormat } from '../src/ingest/envoy-access.js';
import { unwrapLine } from '../src/ingest/wrappers.js';
import { CORPUS, readJsonl } from './helpers.js';

export interface CorpusRecord { line: string; kind: string; label: string; causes: string[]; source: string; note: string }

export const ENVOY_CORPUS = path.join(CORPUS, 'logs/envoy-real.jsonl');
export const corpus = (): CorpusRecord[] => readJsonl<CorpusRecord>(ENVOY_CORPUS);
export const ACCESS_KINDS = new Set(['envoy-access-default', 'istio-access', 'envoy-json']);

export function makeCtx(opts: { failuresOnly?: boolean; envoyFormat?: string } = {}): IngestContext & { skipped: number } {
  const ctx = {
    source: 'test.log',
    options: { tz: { kind: 'utc' as const }, tzGiven: false, failuresOnly: opts.failuresOnly ?? false, envoyFormat: opts.envoyFormat },
    stats: { name: 'test.log', format: 'envoy-access', bytes: 0, lines: 0, frames: 0, events: 0, failures: 0, ok: 0, skipped: 0,
      skipped_by_reason: {}, skipped_examples: [], anomalies: {}, first_us: null, last_us: null, notes: [] },
    skipped: 0,
    skip() { ctx.skipped++; },
    anomaly() { return null; },
  };
  return ctx;
}

/** Parse one raw (possibly wrapped) line as the framework would. */
export function parseRaw(p: LineParser, raw: string, lineNo = 1): Event | null | undefined {
  const u = unwrapLine(raw);
  const r = p.parse(u.line, lineNo, u.collectorTimeUs);
  return Array.isArray(r) ? r[0] : r;
}

export function openParser(opts: { failuresOnly?: boolean; envoyFormat?: string } = {}) {
  const ctx = makeCtx(opts);
  return { ctx, p: envoyAccessFormat.open(ctx) };
}
