// The PayloadSink: per flow and direction, TCP reassembly, then protocol detection by content
// (TLS record header, HTTP/2 preface, HTTP/1 request/status line) through the stream-protocol
// table, then that protocol's decoder. When the two sides speak different protocols the
// originator's decoder is told, so it can report the mismatch (TLS to a plaintext server, ...).
import { makeEvent, type Cause, type Event } from '../events.js';
import type { IngestContext } from '../ingest/types.js';
import { NO_KEYS, type KeyStore } from '../tls-decrypt/index.js';
import { copyOut, DirectionReassembler, type ByteQueue, type ReassemblyOutput, type SegMeta } from './reassembly.js';
import { isoTimeFast } from './iso-time.js';
import type { PayloadSink, PayloadSinkFactory, TcpSegmentInfo } from './types.js';
import {
  protocolByName, sniffProtocol,
  type OpenOptions, type Role, type StreamConn, type StreamDecoder,
} from '../decode/stream-registry.js';
// The stream protocols: each file registers itself into the table (adding one = a line here).
import '../decode/tls-stream.js';
import '../decode/http2-stream.js';
import '../decode/http1-stream.js';

/** Bytes one side may send before we give up recognising its protocol. */
const MAX_SNIFF_BYTES = 4096;

interface Dir {
  reasm: DirectionReassembler;
  /** First bytes, held while no protocol has claimed them. */
  head: Buffer | null;
  decided: boolean;
  proto: string | null;
  decoder: StreamDecoder | null;
  anomaliesSeen: number;
  segments: number;
  /**
   * Decided, and no decoder wants these bytes: the direction is no longer reassembled (plain bulk
   * data costs a map lookup per segment). Undone when a tunnel re-opens detection (switchTo).
   */
  bypass: boolean;
}

interface Flow {
  id: string;
  dirs: Record<Role, Dir>;
  decoders: Map<string, StreamDecoder>;
  /** The responder's "ip:port": the upstream, seen from a proxy's capture. */
  responder: string;
  /** The last segment seen (either side), kept as fields: its meta is made only at the flow's end. */
  last: LastSeg | null;
  conn: StreamConn;
}

interface LastSeg { frame: number; ts_us: number; digits: number; nanos: number; src: string; dst: string; time: string | null }

function newDir(): Dir {
  return { reasm: new DirectionReassembler(true), head: null, decided: false, proto: null, decoder: null, anomaliesSeen: 0, segments: 0, bypass: false };
}

/**
 * Segment meta whose ISO time is formatted only when an event asks for it (most segments make
 * no event; formatting every one was a tenth of the capture path).
 */
class LazyMeta implements SegMeta {
  private t: string | null;
  constructor(
    readonly frame: number, readonly ts_us: number, private readonly digits: number, private readonly nanos: number,
    readonly src: string, readonly dst: string, time: string | null,
  ) {
    this.t = time;
  }
  get time(): string {
    return (this.t ??= isoTimeFast(this.ts_us, this.digits, this.nanos));
  }
  swapped(): LazyMeta {
    return new LazyMeta(this.frame, this.ts_us, this.digits, this.nanos, this.dst, this.src, this.t);
  }
}

/** `meta` with sender and receiver exchanged (a getter-backed meta does not survive a spread). */
function swapMeta(meta: SegMeta): SegMeta {
  return meta instanceof LazyMeta ? meta.swapped() : { ...meta, src: meta.dst, dst: meta.src };
}

const other = (r: Role): Role => (r === 'orig' ? 'resp' : 'orig');

/** `meta` with src/dst set for bytes sent by `role`. */
function sideMeta(flow: Flow, role: Role, meta: SegMeta): SegMeta {
  const fromResp = meta.src === flow.responder;
  return fromResp === (role === 'resp') ? meta : swapMeta(meta);
}

export const createPayloadSink: PayloadSinkFactory = (ctx: IngestContext) => {
  const flows = new Map<string, Flow>();
  let out: Event[] = [];
  /** Reassemblers and decoder queues that may hold views into the producer's buffers: settled at settle(). */
  const lenders = new Set<{ settle(): void }>();
  // Read at each ServerHello, not once: a pcapng DSB may install this input's keys mid-capture.
  const keyStore = (): KeyStore => ctx.keyStore ?? NO_KEYS;

  /**
   * The connection a flow's decoders see: one object per flow (and per decrypted view), its methods
   * on the prototype (a closure per method per flow was ~1.4 KB of garbage for each of 27 k flows).
   */
  class Conn implements StreamConn {
    readonly flowId: string;
    readonly source = ctx.source;
    constructor(private readonly flow: Flow, readonly decrypted: boolean, readonly alpn: string | null) {
      this.flowId = flow.id;
    }
    get keyStore(): KeyStore {
      return keyStore();
    }
    emit(meta: SegMeta, kind: string, cause: Cause | null, extra: Record<string, unknown>, summary?: string): void {
      const flow = this.flow;
      // The fields in the order { flow, ...extra, decrypted? } gives them, without that copy.
      const ev = makeEvent({ time: meta.time, ts_us: meta.ts_us, source: ctx.source, frame: meta.frame, kind, cause, src: meta.src, dst: meta.dst, upstream: flow.responder, summary });
      ev.flow = flow.id;
      for (const k in extra) ev[k] = extra[k];
      if (this.decrypted) ev.decrypted = true;
      out.push(ev);
    }
    anomaly(meta: SegMeta, kind: string, summary: string, extra?: Record<string, unknown>): void {
      const flow = this.flow;
      const ev = ctx.anomaly(kind, { frame: meta.frame }, summary, { flow: flow.id, ...extra });
      if (ev) {
        ev.time = meta.time;
        ev.ts_us = meta.ts_us;
        ev.src = meta.src;
        ev.dst = meta.dst;
        ev.upstream = flow.responder;
        out.push(ev);
      }
    }
    switchTo(name: string | null, options: OpenOptions, pending: { orig: Buffer; resp: Buffer }, meta: SegMeta): boolean {
      const flow = this.flow;
      if (this.decrypted) return false;
      if (name === null) {
        // A tunnel (CONNECT 2xx): whatever follows is recognised afresh, by content.
        for (const r of ['orig', 'resp'] as const) {
          const d = flow.dirs[r];
          Object.assign(d, { decided: false, proto: null, decoder: null, head: null });
          resume(d);
        }
        flow.decoders.clear();
        if (pending.orig.length) feed(flow, 'orig', pending.orig, sideMeta(flow, 'orig', meta));
        if (pending.resp.length) feed(flow, 'resp', pending.resp, sideMeta(flow, 'resp', meta));
        return true;
      }
      const p = protocolByName(name);
      if (!p) return false;
      const dec = p.open(this, options);
      flow.decoders.set(name, dec);
      for (const r of ['orig', 'resp'] as const) {
        const d = flow.dirs[r];
        d.decided = true;
        d.proto = name;
        d.decoder = dec;
        d.head = null;
        resume(d);
      }
      if (pending.orig.length) dec.data('orig', pending.orig, sideMeta(flow, 'orig', meta));
      if (pending.resp.length) dec.data('resp', pending.resp, sideMeta(flow, 'resp', meta));
      return true;
    }
    segments(role: Role): number {
      return this.flow.dirs[role].segments;
    }
    derive(o: { decrypted: boolean; alpn: string | null }): StreamConn {
      return new Conn(this.flow, o.decrypted, o.alpn);
    }
    settleLater(q: ByteQueue): void {
      // Most segments leave nothing queued: no entry for them.
      if (q.borrowing) lenders.add(q);
    }
  }

  function makeConn(flow: Flow, decrypted: boolean, alpn: string | null): StreamConn {
    return new Conn(flow, decrypted, alpn);
  }

  /** A bypassed direction is wanted again: reassembly restarts at the next segment. */
  function resume(d: Dir): void {
    if (!d.bypass) return;
    d.bypass = false;
    d.reasm = new DirectionReassembler(true);
    d.anomaliesSeen = 0;
  }

  function flowFor(seg: TcpSegmentInfo): Flow {
    let f = flows.get(seg.flowId);
    if (!f) {
      f = {
        id: seg.flowId,
        dirs: { orig: newDir(), resp: newDir() },
        decoders: new Map(),
        responder: seg.fromOrig ? seg.dst : seg.src,
        last: null,
        conn: undefined as unknown as StreamConn,
      };
      f.conn = makeConn(f, false, null);
      flows.set(seg.flowId, f);
    }
    return f;
  }

  function feed(flow: Flow, role: Role, data: Buffer, meta: SegMeta): void {
    const d = flow.dirs[role];
    if (d.decided) {
      d.decoder?.data(role, data, meta);
      return;
    }
    const head = d.head ? Buffer.concat([d.head, data]) : data;
    const peer = flow.dirs[other(role)];
    const p = sniffProtocol(head, role, peer.proto);
    if (p === 'more' && head.length < MAX_SNIFF_BYTES) {
      d.head = copyOut(head); // copy: `data` may be a view into a packet buffer
      return;
    }
    d.head = null;
    d.decided = true;
    if (p === null || p === 'more') {
      d.bypass = true;
      // Not a protocol we decode. If the client spoke one, the server's answer is a mismatch.
      if (role === 'resp' && peer.decoder) peer.decoder.mismatch?.(null, head, meta);
      return;
    }
    let dec = flow.decoders.get(p.name);
    if (!dec) {
      dec = p.open(flow.conn, {});
      flow.decoders.set(p.name, dec);
    }
    d.proto = p.name;
    d.decoder = dec;
    if (role === 'resp' && peer.decoder && peer.proto !== p.name) peer.decoder.mismatch?.(p.name, head, meta);
    dec.data(role, head, meta);
  }

  /** The reassemblers' output list, reused (apply() empties it): a segment off the in-order path made a new array. */
  const outs: ReassemblyOutput[] = [];

  function apply(flow: Flow, role: Role, list: ReassemblyOutput[]): void {
    for (const o of list) {
      if (o.kind === 'data') {
        feed(flow, role, o.data, o.meta);
      } else {
        const d = flow.dirs[role];
        if (d.decoder) d.decoder.gap(role, o.meta);
        else if (!d.decided) {
          // Bytes lost before the protocol was known: what follows starts at an unknown offset.
          d.decided = true;
          d.head = null;
          d.bypass = true;
        }
      }
    }
    list.length = 0;
  }

  function reportAnomalies(flow: Flow, role: Role, meta: SegMeta): void {
    const d = flow.dirs[role];
    const list = d.reasm.anomalies;
    for (; d.anomaliesSeen < list.length; d.anomaliesSeen++) {
      const a = list[d.anomaliesSeen];
      flow.conn.anomaly(meta, a.kind, a.summary, { bytes: a.bytes, side: role });
    }
    if (list.length > 64) {
      list.length = 0;
      d.anomaliesSeen = 0;
    }
  }

  const metaOf = (seg: TcpSegmentInfo): SegMeta =>
    seg.digits !== undefined
      ? new LazyMeta(seg.frame, seg.ts_us, seg.digits, seg.nanos ?? 0, seg.src, seg.dst, null)
      : new LazyMeta(seg.frame, seg.ts_us, 0, 0, seg.src, seg.dst, seg.time);

  const remember = (flow: Flow, seg: TcpSegmentInfo): void => {
    const plain = seg.digits === undefined;
    const l = flow.last;
    if (l === null) {
      flow.last = { frame: seg.frame, ts_us: seg.ts_us, digits: plain ? -1 : seg.digits!, nanos: seg.nanos ?? 0, src: seg.src, dst: seg.dst, time: plain ? seg.time : null };
      return;
    }
    l.frame = seg.frame;
    l.ts_us = seg.ts_us;
    l.digits = plain ? -1 : seg.digits!;
    l.nanos = seg.nanos ?? 0;
    l.src = seg.src;
    l.dst = seg.dst;
    l.time = plain ? seg.time : null;
  };

  const take = (): Event[] | null => {
    if (out.length === 0) return null;
    const r = out;
    out = [];
    return r;
  };

  const sink: PayloadSink = {
    segment(seg) {
      const flow = flowFor(seg);
      const role: Role = seg.fromOrig ? 'orig' : 'resp';
      const dir = flow.dirs[role];
      dir.segments++;
      const peerRole = other(role);
      const peerDir = flow.dirs[peerRole];
      // An ACK tells the peer's reassembler which bytes were sent (a hole there will not fill):
      // only a reassembler holding segments beyond a hole has anything to learn from it.
      const ackNews = (seg.flags & 0x10) !== 0 && !peerDir.bypass && peerDir.reasm.heldSegments > 0;
      const len = seg.len ?? seg.payload.length;
      const hasData = !dir.bypass && (len > 0 || (seg.flags & 0x02) !== 0);
      remember(flow, seg);
      if (!ackNews && !hasData) return take(); // nothing to reassemble or decode
      // The meta (and the payload view) are made only when bytes reach a decoder or the reassembler.
      let meta: SegMeta | null = null;
      if (ackNews) {
        meta = metaOf(seg);
        const peerMeta = swapMeta(meta);
        apply(flow, peerRole, peerDir.reasm.acked(seg.ack, peerMeta, outs));
        reportAnomalies(flow, peerRole, peerMeta);
      }
      if (hasData && !dir.bypass) {
        if (dir.reasm.inOrder(seg.seq, seg.flags, len, seg.truncated)) {
          // In order: straight to the decoder, which may pass over bytes it skips without them.
          const dec = dir.decided ? dir.decoder : null;
          if (dec === null || dec.passOver === undefined || !dec.passOver(role, len)) feed(flow, role, seg.payload, meta ?? metaOf(seg));
        } else if (!dir.reasm.stale(seg.seq, seg.flags, len)) {
          meta ??= metaOf(seg);
          apply(flow, role, dir.reasm.push(seg.seq, seg.flags, seg.payload, meta, seg.truncated, outs));
          if (dir.reasm.borrowing) lenders.add(dir.reasm);
          reportAnomalies(flow, role, meta);
        }
      }
      return take();
    },
    flowEnd(flowId, ts_us) {
      const flow = flows.get(flowId);
      if (!flow) return null;
      flows.delete(flowId);
      const last = flow.last && (flow.last.digits >= 0
        ? new LazyMeta(flow.last.frame, flow.last.ts_us, flow.last.digits, flow.last.nanos, flow.last.src, flow.last.dst, null)
        : new LazyMeta(flow.last.frame, flow.last.ts_us, 0, 0, flow.last.src, flow.last.dst, flow.last.time));
      for (const role of ['orig', 'resp'] as const) {
        const m = last && (role === 'orig') === (last.src !== flow.responder) ? last : last && swapMeta(last);
        apply(flow, role, flow.dirs[role].reasm.flush(m, outs));
        if (m) reportAnomalies(flow, role, m);
      }
      void ts_us; // events keep the last segment's time: it carries the capture's own precision
      for (const dec of new Set(flow.decoders.values())) dec.end(last);
      return take();
    },
    settle() {
      for (const r of lenders) r.settle();
      lenders.clear();
    },
  };
  return sink;
};
