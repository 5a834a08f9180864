// The one shape every ingester has. Text formats parse lines (the framework in text-input.ts
// reads, unwraps collector prefixes, counts and skips); binary formats (captures) read chunks.
import type { Event } from '../events.js';
import type { Zone } from '../time.js';
import type { KeyStore } from '../tls-decrypt/index.js';

export interface IngestOptions {
  /** Zone for sources that carry none; `tzGiven` false means it is our assumption (say so in reports). */
  tz: Zone;
  tzGiven: boolean;
  /** A custom Envoy access-log format string from the user's config (`--envoy-format`). */
  envoyFormat?: string;
  /** A custom NGINX `log_format` string (`--nginx-format`). */
  nginxFormat?: string;
  /** NSS key log file for TLS decryption (`--keylog`). */
  keylog?: string;
  /** True under `analyze`: a parser may return null for lines that are not failures (and count them in stats.ok). */
  failuresOnly: boolean;
}

export interface SkippedExample {
  line?: number;
  offset?: number;
  reason: string;
  text: string;
}

/** Per-input counters; they go into the report's `inputs` section. */
export interface InputStats {
  name: string;
  format: string;
  bytes: number;
  lines: number;
  frames: number;
  events: number;
  failures: number;
  /** Lines/records understood that were not failures and not emitted (failuresOnly mode). */
  ok: number;
  skipped: number;
  skipped_by_reason: Record<string, number>;
  skipped_examples: SkippedExample[];
  anomalies: Record<string, number>;
  first_us: number | null;
  last_us: number | null;
  /** Zone applied to times that carried none, and whether the user gave it. */
  tz?: string;
  tz_assumed?: boolean;
  notes: string[];
  /** Lines read by another text format than the input's own (mixed logs), per format. */
  mixed_formats?: Record<string, number>;
}

export interface IngestContext {
  source: string;
  options: IngestOptions;
  stats: InputStats;
  /** TLS keys for captures (`--keylog`, loaded once per run and shared); a capture may put its own view here (pcapng DSBs). */
  keyStore?: KeyStore;
  /** Count a skipped line/record (never silent) and keep an example. */
  skip(reason: string, where: { line?: number; offset?: number }, text: string): void;
  /** Count an anomaly; returns an `anomaly.<kind>` event unless that kind is over its event limit. */
  anomaly(kind: string, where: { line?: number; frame?: number; offset?: number }, summary: string, extra?: Record<string, unknown>): Event | null;
}

export interface LineParser {
  /**
   * One line (newline and CR stripped, collector wrappers already removed).
   * Returns events; null = understood, nothing to report; undefined = not understood (counted as skipped).
   * `collectorTimeUs` is the wrapper's timestamp (docker/CRI/kubectl --timestamps) when there was one.
   * Never throws on data.
   */
  parse(line: string, lineNo: number, collectorTimeUs?: number): Event | Event[] | null | undefined;
  /** End of input: flush anything held. */
  end?(): Event[];
}

export interface TextFormat {
  name: string;
  kind: 'text';
  /** 0..1: how sure that these first lines (unwrapped, non-empty) are this format. */
  sniff(lines: string[], options: IngestOptions): number;
  open(ctx: IngestContext): LineParser;
}

export interface BinaryFormat {
  name: string;
  kind: 'binary';
  /** 0..1 from the first bytes (already gunzipped). */
  sniff(head: Buffer): number;
  /** Read the whole input; yield events in input order, in batches. Never throws on data. */
  open(chunks: AsyncIterable<Buffer>, ctx: IngestContext): AsyncIterable<Event[]>;
}

export type Format = TextFormat | BinaryFormat;
