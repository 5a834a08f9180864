// Test helpers for the capture ingester: a hand-made IngestContext and chunked readers.
import fs from 'node:fs';
import zlib from 'node:zlib';
import type { Event } from '../src/events.js';
import { makeEvent } from '../src/events.js';
import type { IngestContext, InputStats } from '../src/ingest/types.js';
import { UTC } from '../src/time.js';
import { readCapture, newCaptureStats, type CaptureStats, type ReadCaptureOptions } from '../src/capture/capture.js';
import { ByteQueue } from '../src/capture/byte-queue.js';
import { newRawPacket, READ, type CaptureReader } from '../src/capture/raw-packet.js';

export function makeCtx(source: string, failuresOnly = false): IngestContext & { anomalies: Event[] } {
  const stats: InputStats = {
    name: source, format: 'pcap', bytes: 0, lines: 0, frames: 0, events: 0, failures: 0, ok: 0, skipped: 0,
    skipped_by_reason: {}, skipped_examples: [], anomalies: {}, first_us: null, last_us: null, notes: [],
  };
  const anomalies: Event[] = [];
  return {
    source,
    options: { tz: UTC, tzGiven: false, failuresOnly },
    stats,
    anomalies,
    skip(reason) {
      stats.skipped++;
      stats.skipped_by_reason[reason] = (stats.skipped_by_reason[reason] ?? 0) + 1;
    },
    anomaly(kind, where, summary, extra) {
      stats.anomalies[kind] = (stats.anomalies[kind] ?? 0) + 1;
      const ev = makeEvent({ time: null, ts_us: null, source, kind: `anomaly.${kind}`, cause: null, frame: where.frame, summary }, { ...extra, ...(where.offset !== undefined ? { offset: where.offset } : {}) });
      anomalies.push(ev);
      return ev;
    },
  };
}

/** The file's bytes (gunzipped for .gz, as the input layer does). */
export function fileBytes(file: string): Buffer {
  const b = fs.readFileSync(file);
  return file.endsWith('.gz') ? zlib.gunzipSync(b) : b;
}

/** Chunks of `size` bytes (1 = byte by byte). */
export async function* chunked(buf: Buffer, size: number): AsyncIterable<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, Math.min(buf.length, i + size));
}

/** Consumes nothing: the flow layer is tested apart from the stream decoders. */
export const NO_SINK = () => ({ segment: () => null, flowEnd: () => null });

export async function readAll(buf: Buffer, source: string, chunkSize = 65536, opts: ReadCaptureOptions = {}): Promise<{ events: Event[]; stats: CaptureStats; ctx: ReturnType<typeof makeCtx> }> {
  const ctx = makeCtx(source);
  const stats = newCaptureStats();
  const events: Event[] = [];
  for await (const batch of readCapture(chunked(buf, chunkSize), ctx, { sinkFactory: NO_SINK, ...opts, stats })) events.push(...batch);
  return { events, stats, ctx };
}

/** The packets a reader gives for `buf` fed in `chunk`-byte pieces (its per-record fields, copied). */
export function readerPackets(r: CaptureReader, buf: Buffer, chunk = 1 << 16): Array<{ frame: number; tsUs: number; nanos: number; caplen: number; origLen: number; linktype: number; first: string }> {
  const q = new ByteQueue();
  const pkt = newRawPacket();
  const out = [];
  for (let i = 0; i < buf.length; i += chunk) {
    q.push(buf.subarray(i, i + chunk));
    for (;;) {
      const x = r.next(q, pkt);
      if (x === READ.AGAIN) continue;
      if (x !== READ.PACKET) break;
      out.push({ frame: pkt.frame, tsUs: pkt.tsUs, nanos: pkt.nanos, caplen: pkt.caplen, origLen: pkt.origLen, linktype: pkt.linktype, first: pkt.buf.toString('hex', pkt.off, pkt.off + Math.min(8, pkt.caplen)) });
    }
  }
  return out;
}
