// Read a capture (classic pcap or pcapng) from chunks, dissect each record, track TCP flows and
// yield events in input order, in batches. Never throws on data: a cut-short or corrupt file
// yields every complete packet, then an anomaly with the byte offset.
import type { Event } from '../events.js';
import type { IngestContext } from '../ingest/types.js';
import { ByteQueue } from './byte-queue.js';
import { CAPTURE_LIMITS } from './capture-limits.js';
import { FlowTracker, type FlowSummary } from './flows.js';
import { dissect, dissectQuoted, newDissection } from './packet.js';
import { PcapReader } from './pcap-reader.js';
import { sniffCapture } from './sniff.js';
import { PcapngReader, type DecryptionSecrets } from './pcapng-reader.js';
import { newRawPacket, READ, type CaptureReader } from './raw-packet.js';
import { publishSecrets } from './secrets.js';
import { LEND_CHUNKS } from '../input.js';
import type { PayloadSinkFactory } from './types.js';
import { isUnreachable, IPPROTO_ICMP } from '../decode/icmp.js';
import { ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from '../decode/tables.js';

export { sniffCapture } from './sniff.js';

const NO_BYTES = Buffer.alloc(0);

export interface ReadCaptureOptions {
  /** DSBs (pcapng): default publishes them to onCaptureSecrets subscribers. */
  onSecrets?: (s: DecryptionSecrets) => void;
  /** Emit tcp.flow for every flow (default: all unless ctx.options.failuresOnly). */
  allFlows?: boolean;
  onFlow?: (s: FlowSummary, ev: Event) => void;
  /** The payload consumer (default: createPayloadSink from streams.ts, loaded on first use). */
  sinkFactory?: PayloadSinkFactory;
  /** Read statistics, filled as we go (tests, bench). */
  stats?: CaptureStats;
}

export interface CaptureStats {
  container: string;
  packets: number;
  tcpSegments: number;
  flows: number;
  flowsEvicted: number;
  problem: string | null;
  problemOffset: number | null;
  linktypes: Record<number, number>;
  blockCounts?: Record<string, number>;
}

export function newCaptureStats(): CaptureStats {
  return { container: '', packets: 0, tcpSegments: 0, flows: 0, flowsEvicted: 0, problem: null, problemOffset: null, linktypes: {} };
}

export async function* readCapture(chunks: AsyncIterable<Buffer>, ctx: IngestContext, opts: ReadCaptureOptions = {}): AsyncIterable<Event[]> {
  const stats = opts.stats ?? newCaptureStats();
  let out: Event[] = [];
  const emit = (e: Event) => {
    out.push(e);
  };
  // Loaded lazily so the reader does not depend on the stream decoders at import time.
  const sinkFactory = opts.sinkFactory ?? (await import('./streams.js')).createPayloadSink;
  const tracker = new FlowTracker(ctx, sinkFactory(ctx), emit, {
    allFlows: opts.allFlows ?? !ctx.options.failuresOnly,
    onFlow: opts.onFlow,
  });
  const onSecrets = opts.onSecrets ?? ((s: DecryptionSecrets) => publishSecrets(ctx, s));
  const q = new ByteQueue();
  const pkt = newRawPacket();
  const d = newDissection();
  const unsupportedLinks = new Set<number>();
  let reader: CaptureReader | null = null;
  let stopped = false;
  let sinceYield = 0;

  const anomaly = (kind: string, where: { frame?: number; offset?: number }, summary: string, extra?: Record<string, unknown>) => {
    const ev = ctx.anomaly(kind, where, summary, extra);
    if (ev) out.push(ev);
  };

  // Chunks of a plain file may come from two reused buffers (input.ts LEND_CHUNKS): nothing keeps a
  // view into a packet past the chunk (decoders copy what they hold, the sink copies its held
  // segments at tracker.settle()), and the partial
  // record left at a chunk's end is copied out (q.detach) before the next chunk is asked for. Fresh
  // 1 MiB chunks instead were promoted with the queue holding them and freed only by full GCs:
  // ~100 MB of peak RSS on a 500 MB capture.
  const lent = typeof (chunks as { [LEND_CHUNKS]?: () => void })[LEND_CHUNKS] === 'function';
  if (lent) (chunks as unknown as { [LEND_CHUNKS]: () => void })[LEND_CHUNKS]();

  for await (const chunk of chunks) {
    if (stopped) break;
    q.push(chunk);
    if (reader === null) {
      if (q.length < 12) continue;
      const kind = sniffCapture(q.headBytes(12));
      if (kind === undefined) {
        anomaly('capture_unreadable', { offset: 0 }, 'not a pcap or pcapng capture (unknown magic number)');
        stopped = true;
        break;
      }
      reader = kind === 'pcap' ? new PcapReader() : new PcapngReader(onSecrets);
      stats.container = kind;
    }
    for (;;) {
      const r = reader.next(q, pkt);
      if (r === READ.MORE) break;
      if (r === READ.AGAIN) continue;
      if (r === READ.STOP) {
        const p = reader.problem!;
        stats.problem = p.message;
        stats.problemOffset = p.offset;
        anomaly(p.kind === 'unsupported' ? 'capture_unsupported' : 'capture_corrupt', { offset: p.offset, frame: stats.packets + 1 },
          `${p.message}; read ${stats.packets} packet(s) before it`, { offset: p.offset, packets_read: stats.packets });
        stopped = true;
        break;
      }
      // A packet.
      stats.packets++;
      ctx.stats.frames++;
      if (ctx.stats.first_us === null) ctx.stats.first_us = pkt.tsUs;
      ctx.stats.last_us = pkt.tsUs;
      stats.linktypes[pkt.linktype] = (stats.linktypes[pkt.linktype] ?? 0) + 1;
      dissect(pkt, d);
      if (d.reached === 'l4') {
        const l4 = d.l4!;
        if (l4.proto === 6) {
          stats.tcpSegments++;
          tracker.tcp(pkt, d.ip!, l4, d.payloadOff, d.captured, d.declared);
        } else if (isUnreachable(l4)) {
          const qd = dissectQuoted(pkt.buf, d.payloadOff, d.payloadOff + d.captured, l4.proto === IPPROTO_ICMP ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6);
          if (qd) tracker.icmpUnreachable(pkt, d.ip!, l4, qd.ip, qd.sport, qd.dport, qd.seq);
        }
      } else if (d.stop !== '') {
        if (d.stop === 'linktype.unsupported') {
          if (!unsupportedLinks.has(pkt.linktype)) {
            unsupportedLinks.add(pkt.linktype);
            anomaly('unsupported_linktype', { frame: pkt.frame, offset: pkt.offset }, `link type ${pkt.linktype} is not decoded; its packets are counted but not analyzed`, { linktype: pkt.linktype });
          }
        } else if (!(d.snapCut && d.stop.endsWith('.truncated'))) {
          // Truncated by snaplen is not malformed (STYLE.md, Wireshark's rule); anything else is.
          anomaly('malformed_packet', { frame: pkt.frame, offset: pkt.offset }, `frame ${pkt.frame}: ${d.stop.replace('.', ' header ')}`, { layer: d.stop });
        }
      }
      if (++sinceYield >= CAPTURE_LIMITS.BATCH_PACKETS && out.length > 0) {
        sinceYield = 0;
        const batch = out;
        out = [];
        yield batch;
      }
    }
    tracker.settle();
    if (lent) {
      q.detach();
      pkt.buf = NO_BYTES; // the packet's view, now stale
    }
    if (out.length > 0) {
      sinceYield = 0;
      const batch = out;
      out = [];
      yield batch;
    }
  }
  if (!stopped) {
    if (reader === null && q.length > 0) {
      anomaly('capture_unreadable', { offset: 0 }, `input of ${q.length} bytes is too short to be a capture`);
    } else if (q.length > 0) {
      stats.problem = `the capture appears to have been cut short in the middle of a packet: ${q.length} byte(s) of an incomplete record at offset ${q.offset}`;
      stats.problemOffset = q.offset;
      anomaly('capture_truncated', { offset: q.offset, frame: stats.packets + 1 }, `${stats.problem}; read ${stats.packets} packet(s) before it`,
        { offset: q.offset, bytes: q.length, packets_read: stats.packets });
    }
  }
  tracker.end();
  stats.flows = tracker.flowsCreated;
  stats.flowsEvicted = tracker.flowsEvicted;
  if (reader instanceof PcapngReader) stats.blockCounts = reader.blockCounts;
  if (out.length > 0) yield out;
}
