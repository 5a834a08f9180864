// Inputs -> sniff -> ingester -> events (per input, counted) -> one merged stream.
import type { Event } from './events.js';
import { makeEvent } from './events.js';
import { LIMITS } from './limits.js';
import { UserError } from './errors.js';
import { openInput, expandInputs, readChunkBytesFor, TRANSIENT_INPUTS, type OpenedInput } from './input.js';
import { FORMATS, formatByName } from './ingest/registry.js';
import { readTextEvents, sniffLines } from './ingest/text-input.js';
import type { Format, IngestContext, IngestOptions, InputStats, TextFormat } from './ingest/types.js';
import { isoTime } from './time.js';
import { mergeBatches } from './merge.js';

/** An NSS key log line (SSLKEYLOGFILE): a key log inside a directory input is used, not skipped. */
const NSS_KEYLOG_LINE = /^(CLIENT_RANDOM|CLIENT_HANDSHAKE_TRAFFIC_SECRET|SERVER_HANDSHAKE_TRAFFIC_SECRET|CLIENT_TRAFFIC_SECRET_0|SERVER_TRAFFIC_SECRET_0|EXPORTER_SECRET|CLIENT_EARLY_TRAFFIC_SECRET) [0-9a-fA-F]{64} [0-9a-fA-F]+$/m;
import type { KeyStore } from './tls-decrypt/index.js';

export interface SourceRun {
  input: OpenedInput;
  format: Format | null;
  stats: InputStats;
  /** Sniff confidence of the chosen format (1 when forced). */
  confidence: number;
}

export interface PipelineOptions extends IngestOptions {
  inputFormat?: string;
  fromUs?: number;
  toUs?: number;
  /** Clock offsets per input name (`--skew SOURCE=±s`), added to that input's times. */
  skews?: Map<string, number>;
  /**
   * Captures emit a tcp.flow for every connection, failed or not, even when failuresOnly: the
   * correlator needs healthy flows as context (the same flow in a second capture, a reused
   * keep-alive connection, clock pairs).
   */
  captureAllFlows?: boolean;
}

export function newStats(name: string): InputStats {
  return {
    name, format: 'unknown', bytes: 0, lines: 0, frames: 0, events: 0, failures: 0, ok: 0, skipped: 0,
    skipped_by_reason: {}, skipped_examples: [], anomalies: {}, first_us: null, last_us: null, notes: [],
  };
}

export function makeContext(source: string, options: IngestOptions, stats: InputStats, keyStore?: KeyStore): IngestContext {
  const anomalyEvents: Record<string, number> = {};
  return {
    source, options, stats, keyStore,
    skip(reason, where, text) {
      stats.skipped++;
      stats.skipped_by_reason[reason] = (stats.skipped_by_reason[reason] ?? 0) + 1;
      if (stats.skipped_examples.length < LIMITS.SKIPPED_EXAMPLES) stats.skipped_examples.push({ ...where, reason, text });
    },
    anomaly(kind, where, summary, extra) {
      stats.anomalies[kind] = (stats.anomalies[kind] ?? 0) + 1;
      const n = (anomalyEvents[kind] = (anomalyEvents[kind] ?? 0) + 1);
      if (n > LIMITS.ANOMALY_EVENTS_PER_KIND) return null;
      const fields: Record<string, unknown> = { ...extra };
      if (where.offset !== undefined) fields.offset = where.offset;
      return makeEvent({ time: null, ts_us: null, source, line: where.line, frame: where.frame, kind: `anomaly.${kind}`, cause: null, summary }, fields);
    },
  };
}

/** Pick the format of an input from its content (never its name), or the forced one. */
export function sniffFormat(input: OpenedInput, options: PipelineOptions): { format: Format | null; confidence: number } {
  if (options.inputFormat) {
    const f = formatByName(options.inputFormat);
    if (!f) throw new UserError('BAD_FORMAT', `--input-format ${options.inputFormat}: unknown (one of ${FORMATS.map((x) => x.name).join(', ')})`);
    return { format: f, confidence: 1 };
  }
  let best: Format | null = null;
  let bestScore = 0;
  for (const f of FORMATS) {
    if (f.kind !== 'binary') continue;
    const s = f.sniff(input.head);
    if (s > bestScore) { best = f; bestScore = s; }
  }
  if (bestScore >= 0.5) return { format: best, confidence: bestScore };
  const lines = sniffLines(input.head, input.complete);
  for (const f of FORMATS) {
    if (f.kind !== 'text') continue;
    const s = f.sniff(lines, options);
    if (s > bestScore) { best = f; bestScore = s; }
  }
  return bestScore >= 0.2 ? { format: best, confidence: bestScore } : { format: null, confidence: 0 };
}

/** Events of one input, counted into its stats; data errors end the input with an anomaly, never a crash. */
async function* runSource(run: SourceRun, options: PipelineOptions, keyStore?: KeyStore): AsyncGenerator<Event[]> {
  const { input, format, stats } = run;
  const ctx = makeContext(input.name, options, stats, keyStore);
  if (!format) {
    // Not a format we know from its first lines: every text format still gets each line, and the
    // lines none understands are counted as skipped, so nothing is silently lost.
    const unknownFormat = { name: 'unknown', kind: 'text' as const, sniff: () => 0, open: () => ({ parse: () => undefined }) };
    yield* counted(readTextEvents(input.chunks, unknownFormat, ctx, textFallbacks(unknownFormat)), stats, options);
    return;
  }
  const binCtx = options.captureAllFlows && options.failuresOnly ? { ...ctx, options: { ...ctx.options, failuresOnly: false } } : ctx;
  // A regular file may be framed on a worker thread (readTextEvents' split mode; same events).
  const split = input.name !== '-' && !input.compressed && !input.transcoded && input.size !== null
    ? { path: input.name, size: input.size, close: () => input.close() } : undefined;
  const events = format.kind === 'text' ? readTextEvents(input.chunks, format, ctx, textFallbacks(format), split) : format.open(input.chunks, binCtx);
  try {
    yield* counted(events, stats, options);
  } catch (err) {
    if (err instanceof UserError && (err.code === 'BAD_GZIP' || err.code === 'IO')) {
      const a = ctx.anomaly('read_error', { offset: stats.bytes }, `${err.message}; kept everything read before it`);
      if (a) yield [a];
      stats.notes.push(err.message);
      return;
    }
    throw err;
  }
}

async function* counted(events: AsyncIterable<Event[]>, stats: InputStats, options: PipelineOptions): AsyncGenerator<Event[]> {
  const from = options.fromUs ?? -Infinity;
  const to = options.toUs ?? Infinity;
  const skew = options.skews?.get(stats.name) ?? 0;
  for await (const batch of events) {
    if (skew) for (const e of batch) applySkew(e, skew);
    let out = batch;
    if (options.fromUs !== undefined || options.toUs !== undefined) {
      out = batch.filter((e) => e.ts_us === null || (e.ts_us >= from && e.ts_us <= to));
    }
    for (const e of out) {
      stats.events++;
      if (e.cause !== null && !e.kind.startsWith('anomaly.')) stats.failures++;
      if (e.ts_us !== null) {
        if (stats.first_us === null || e.ts_us < stats.first_us) stats.first_us = e.ts_us;
        if (stats.last_us === null || e.ts_us > stats.last_us) stats.last_us = e.ts_us;
      }
    }
    if (out.length) yield out;
  }
}

/** Shift an event onto the reference clock; the time string keeps the source's precision, the original is kept. */
export function applySkew(e: Event, skewUs: number): void {
  if (e.ts_us === null || e.time === null) return;
  const m = /\.(\d+)Z$/.exec(e.time);
  e.time_original = e.time;
  e.skew_us = skewUs;
  e.ts_us += skewUs;
  e.time = isoTime(e.ts_us, m ? m[1].length : 0);
}

/** Formats tried, in order, on lines the input's own format does not understand: the same family first. */
function textFallbacks(format: Pick<Format, 'name'>): TextFormat[] {
  const family = format.name.split('-')[0];
  const texts = FORMATS.filter((f): f is TextFormat => f.kind === 'text' && f !== format);
  return [...texts.filter((f) => f.name.startsWith(family)), ...texts.filter((f) => !f.name.startsWith(family))];
}

export interface Pipeline {
  runs: SourceRun[];
  ignored: string[];
  keyLogs: string[];
  /** Every input's events merged by time, in batches (use either this or `events`, once). */
  batches: AsyncIterable<Event[]>;
  /** The same, one event at a time. */
  events: AsyncIterable<Event>;
  totalBytes: number | null;
  bytesRead(): number;
}

/** Open and sniff every input, then merge their events by time. */
export async function openPipeline(names: string[], options: PipelineOptions): Promise<Pipeline> {
  const expanded = expandInputs(names);
  if (expanded.filter((n) => n.name === '-').length > 1) throw new UserError('STDIN_TWICE', 'stdin (-) can be given only once');
  // `--keylog` (repeatable): read once, before any input, into one store every capture shares.
  const keyFiles = ([] as unknown[]).concat(options.keylog ?? []).map(String);
  // The decryption stack (~15 modules) loads only when there are keys: most runs have none.
  const keys = () => import('./tls-decrypt/key-files.js');
  let keyStore = keyFiles.length ? (await keys()).loadKeyFiles(keyFiles).store : undefined;
  const runs: SourceRun[] = [];
  /** Files found in a directory that are not a format we read (a config): listed, not read. */
  const ignored: string[] = [];
  /** Key logs found in a directory beside the captures (an incident folder): used for decryption. */
  const keyLogs: string[] = [];
  const chunkBytes = readChunkBytesFor(expanded.length);
  const transient = expanded.length > TRANSIENT_INPUTS;
  for (const { name, fromDirectory } of expanded) {
    const input = await openInput(name, chunkBytes, transient);
    const stats = newStats(name);
    const { format, confidence } = sniffFormat(input, options);
    if (!format && fromDirectory) {
      await input.close();
      if (NSS_KEYLOG_LINE.test(input.head.toString('latin1'))) {
        const { loadKeyFile, loadKeyFiles } = await keys();
        keyStore ??= loadKeyFiles([]).store;
        loadKeyFile(name, keyStore);
        keyLogs.push(name);
      } else ignored.push(name);
      continue;
    }
    stats.format = format?.name ?? 'unknown';
    if (!format) stats.notes.push(input.head.length ? 'format not recognized: every line counted as skipped (use --input-format)' : 'empty input');
    runs.push({ input, format, stats, confidence });
  }
  const sizes = runs.map((r) => r.input.size);
  const totalBytes = sizes.every((s) => s !== null) ? sizes.reduce<number>((a, b) => a + (b ?? 0), 0) : null;
  const batches = mergeBatches(runs.map((r) => runSource(r, options, keyStore)));
  return {
    runs,
    ignored,
    keyLogs,
    batches,
    events: flatten(batches),
    totalBytes,
    // stats.bytes: a file handed to a worker thread (split mode) is no longer read by its input.
    bytesRead: () => runs.reduce((a, r) => a + (r.input.compressed ? r.input.rawBytesRead() : Math.max(r.input.rawBytesRead(), r.stats.bytes)), 0),
  };
}

async function* flatten(batches: AsyncIterable<Event[]>): AsyncGenerator<Event> {
  for await (const b of batches) yield* b;
}
