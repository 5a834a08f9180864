// Test-only capture walker: classic pcap + pcapng (EPB/SPB/PB), the link types of the corpus,
// IPv4/IPv6 (+ IP-in-IP), TCP; a minimal flow tracker that hands segments to a PayloadSink.
// Enough to drive the stream decoders against the tshark truth until src/ingest/pcap.ts lands.
import fs from 'node:fs';
import zlib from 'node:zlib';
import type { Event } from '../src/events.js';
import type { IngestContext, InputStats } from '../src/ingest/types.js';
import { makeEvent } from '../src/events.js';
import { isoTime, UTC } from '../src/time.js';
import { createPayloadSink } from '../src/capture/streams.js';
import type { TcpSegmentInfo } from '../src/capture/types.js';

export interface Frame {
  frame: number;
  ts_us: number;
  linktype: number;
  data: Buffer;
}

export function readFrames(file: string): Frame[] {
  let b = fs.readFileSync(file);
  if (b[0] === 0x1f && b[1] === 0x8b) b = zlib.gunzipSync(b);
  const out: Frame[] = [];
  const m = b.readUInt32LE(0);
  if (m === 0x0a0d0d0a) return readPcapng(b);
  const le = m === 0xa1b2c3d4 || m === 0xa1b23c4d || m === 0xa1b2cd34;
  const magic = le ? m : b.readUInt32BE(0);
  const ns = magic === 0xa1b23c4d;
  const u32 = (o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const linktype = u32(20) & 0xffff;
  const rec = magic === 0xa1b2cd34 ? 24 : 16;
  let off = 24;
  let n = 0;
  while (off + 16 <= b.length) {
    const sec = u32(off);
    const frac = u32(off + 4);
    const cap = u32(off + 8);
    if (off + rec + cap > b.length) break;
    out.push({ frame: ++n, ts_us: sec * 1e6 + (ns ? Math.floor(frac / 1000) : frac), linktype, data: b.subarray(off + rec, off + rec + cap) });
    off += rec + cap;
  }
  return out;
}

function readPcapng(b: Buffer): Frame[] {
  const out: Frame[] = [];
  let le = true;
  let ifs: Array<{ lt: number; res: number }> = [];
  let off = 0;
  let n = 0;
  while (off + 12 <= b.length) {
    let type = le ? b.readUInt32LE(off) : b.readUInt32BE(off);
    if (type === 0x0a0d0d0a) {
      le = b.readUInt32LE(off + 8) === 0x1a2b3c4d;
      ifs = [];
      type = 0x0a0d0d0a;
    }
    const u32 = (o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    const u16 = (o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const len = u32(off + 4);
    if (len < 12 || off + len > b.length) break;
    if (type === 1) {
      let res = 1e-6;
      let o = off + 16;
      while (o + 4 <= off + len - 4) {
        const code = u16(o);
        const l = u16(o + 2);
        if (code === 0) break;
        if (code === 9) {
          const v = b[o + 4];
          res = v & 0x80 ? Math.pow(2, -(v & 0x7f)) : Math.pow(10, -v);
        }
        o += 4 + ((l + 3) & ~3);
      }
      ifs.push({ lt: u16(off + 8), res });
    } else if (type === 6 || type === 2) {
      const id = type === 6 ? u32(off + 8) : u16(off + 8);
      const hi = u32(off + 12);
      const lo = u32(off + 16);
      const cap = u32(off + 20);
      const i = ifs[id] ?? { lt: 1, res: 1e-6 };
      const ticks = hi * 4294967296 + lo;
      const ts_us = i.res === 1e-6 ? ticks : Math.floor(ticks * i.res * 1e6);
      out.push({ frame: ++n, ts_us, linktype: i.lt, data: b.subarray(off + 28, off + 28 + cap) });
    } else if (type === 3) {
      const orig = u32(off + 8);
      const cap = Math.min(orig, len - 16);
      out.push({ frame: ++n, ts_us: 0, linktype: ifs[0]?.lt ?? 1, data: b.subarray(off + 12, off + 12 + cap) });
    }
    off += len;
  }
  return out;
}

export interface Tcp {
  src: string;
  dst: string;
  seq: number;
  ack: number;
  flags: number;
  payload: Buffer;
  truncated: boolean;
}

function ip6(b: Buffer, o: number): string {
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push(b.readUInt16BE(o + i).toString(16));
  // compress the longest run of zeros (RFC 5952)
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (parts[i] !== '0') { i++; continue; }
    let j = i;
    while (j < 8 && parts[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) { best = i; bestLen = j - i; }
    i = j;
  }
  if (best < 0) return parts.join(':');
  return parts.slice(0, best).join(':') + '::' + parts.slice(best + bestLen).join(':');
}

function ipPacket(b: Buffer, o: number, version?: number): Tcp | null {
  if (o >= b.length) return null;
  const v = version ?? b[o] >> 4;
  if (v === 4) {
    if (b.length < o + 20) return null;
    const ihl = (b[o] & 0xf) * 4;
    const total = b.readUInt16BE(o + 2);
    const proto = b[o + 9];
    const frag = b.readUInt16BE(o + 6) & 0x1fff;
    if (frag !== 0) return null;
    const src = `${b[o + 12]}.${b[o + 13]}.${b[o + 14]}.${b[o + 15]}`;
    const dst = `${b[o + 16]}.${b[o + 17]}.${b[o + 18]}.${b[o + 19]}`;
    const end = total >= ihl ? Math.min(b.length, o + total) : b.length;
    const wireEnd = o + total;
    if (proto === 4 || proto === 41) return ipPacket(b.subarray(0, end), o + ihl, proto === 4 ? 4 : 6);
    if (proto !== 6) return null;
    return tcp(b, o + ihl, end, wireEnd, src, dst, false);
  }
  if (v === 6) {
    if (b.length < o + 40) return null;
    const plen = b.readUInt16BE(o + 4);
    let nh = b[o + 6];
    const src = ip6(b, o + 8);
    const dst = ip6(b, o + 24);
    let p = o + 40;
    const wireEnd = p + plen;
    const end = Math.min(b.length, wireEnd);
    while (nh === 0 || nh === 43 || nh === 60 || nh === 44 || nh === 51) {
      if (p + 8 > end) return null;
      if (nh === 44) { if ((b.readUInt16BE(p + 2) & 0xfff8) !== 0) return null; nh = b[p]; p += 8; continue; }
      const l = nh === 51 ? (b[p + 1] + 2) * 4 : (b[p + 1] + 1) * 8;
      nh = b[p];
      p += l;
    }
    if (nh === 4 || nh === 41) return ipPacket(b.subarray(0, end), p, nh === 4 ? 4 : 6);
    if (nh !== 6) return null;
    return tcp(b, p, end, wireEnd, src, dst, true);
  }
  return null;
}

function tcp(b: Buffer, o: number, end: number, wireEnd: number, sip: string, dip: string, v6: boolean): Tcp | null {
  if (o + 20 > end) return null;
  const sport = b.readUInt16BE(o);
  const dport = b.readUInt16BE(o + 2);
  const doff = (b[o + 12] >> 4) * 4;
  const a = (ip: string, port: number) => (v6 ? `[${ip}]:${port}` : `${ip}:${port}`);
  const start = Math.min(o + doff, end);
  return {
    src: a(sip, sport), dst: a(dip, dport),
    seq: b.readUInt32BE(o + 4), ack: b.readUInt32BE(o + 8), flags: b[o + 13],
    payload: b.subarray(start, end), truncated: end < wireEnd,
  };
}

function ether(b: Buffer, o: number): Tcp | null {
  let t = b.readUInt16BE(o + 12);
  let p = o + 14;
  while ((t === 0x8100 || t === 0x88a8 || t === 0x9100) && p + 4 <= b.length) { t = b.readUInt16BE(p + 2); p += 4; }
  if (t === 0x8864) { t = b.readUInt16BE(p + 6) === 0x0021 ? 0x0800 : 0x86dd; p += 8; } // PPPoE session
  if (t === 0x0800 || t === 0x86dd) return ipPacket(b, p);
  return null;
}

export function decodeTcp(f: Frame): Tcp | null {
  const b = f.data;
  try {
    switch (f.linktype) {
      case 1: return ether(b, 0);
      case 0: case 108: return ipPacket(b, 4);
      case 101: case 12: case 14: return ipPacket(b, 0);
      case 228: return ipPacket(b, 0, 4);
      case 229: return ipPacket(b, 0, 6);
      case 113: { const t = b.readUInt16BE(14); return t === 0x0800 || t === 0x86dd ? ipPacket(b, 16) : null; }
      case 276: { const t = b.readUInt16BE(0); return t === 0x0800 || t === 0x86dd ? ipPacket(b, 20) : null; }
      case 9: return ipPacket(b, 4);
      default: return null;
    }
  } catch {
    return null;
  }
}

export function testContext(source: string): IngestContext & { anomalies: Event[] } {
  const stats = { anomalies: {} } as unknown as InputStats;
  const anomalies: Event[] = [];
  return {
    source,
    options: { tz: UTC, tzGiven: false, failuresOnly: false },
    stats,
    anomalies,
    skip() {},
    anomaly(kind, where, summary, extra) {
      stats.anomalies[kind] = (stats.anomalies[kind] ?? 0) + 1;
      const ev = makeEvent({ time: null, ts_us: null, source, frame: where.frame, kind: `anomaly.${kind}`, cause: null, summary }, extra);
      anomalies.push(ev);
      return ev;
    },
  };
}

/** Walk a capture through the real PayloadSink; returns every event it produced. */
export function runCapture(file: string, source = file, ctx = testContext(source)): Event[] {
  const sink = createPayloadSink(ctx);
  const events: Event[] = [];
  const flows = new Map<string, { id: string; orig: string; isn: number; closed: boolean }>();
  let uid = 0;
  const take = (e: Event[] | null) => { if (e) events.push(...e); };
  for (const f of readFrames(file)) {
    const t = decodeTcp(f);
    if (!t) continue;
    const key = t.src < t.dst ? `${t.src}|${t.dst}` : `${t.dst}|${t.src}`;
    let fl = flows.get(key);
    const syn = (t.flags & 0x12) === 0x02;
    if (fl && syn && (fl.orig !== t.src || (fl.isn !== t.seq))) {
      // A new SYN on a used 4-tuple: a new connection.
      take(sink.flowEnd(fl.id, f.ts_us));
      fl = undefined;
    }
    if (!fl) {
      const synack = (t.flags & 0x12) === 0x12;
      fl = { id: `C${++uid}`, orig: synack ? t.dst : t.src, isn: syn ? t.seq : -1, closed: false };
      flows.set(key, fl);
    }
    const seg: TcpSegmentInfo = {
      frame: f.frame, ts_us: f.ts_us, time: isoTime(f.ts_us, 6), flowId: fl.id, fromOrig: t.src === fl.orig,
      src: t.src, dst: t.dst, seq: t.seq, ack: t.ack, flags: t.flags, payload: t.payload, truncated: t.truncated,
    };
    take(sink.segment(seg));
  }
  for (const fl of flows.values()) take(sink.flowEnd(fl.id, 0));
  return events;
}

/** Drive the PayloadSink with a scripted conversation: each step is one segment (or several, when `chunk` splits it). */
export function runScript(steps: Array<{ from: 'c' | 's'; data: Buffer | string }>, chunk = 0, ctx = testContext('script')): Event[] {
  const sink = createPayloadSink(ctx);
  const events: Event[] = [];
  const C = '10.0.0.1:40000';
  const S = '10.0.0.2:8443';
  let cseq = 1000;
  let sseq = 5000;
  let frame = 0;
  const send = (fromOrig: boolean, payload: Buffer, flags = 0x18) => {
    frame++;
    const seg: TcpSegmentInfo = {
      frame, ts_us: 1_700_000_000_000_000 + frame, time: isoTime(1_700_000_000_000_000 + frame, 6), flowId: 'Ctest', fromOrig,
      src: fromOrig ? C : S, dst: fromOrig ? S : C, seq: fromOrig ? cseq : sseq, ack: fromOrig ? sseq : cseq, flags, payload, truncated: false,
    };
    if (fromOrig) cseq = (cseq + payload.length) >>> 0; else sseq = (sseq + payload.length) >>> 0;
    const e = sink.segment(seg);
    if (e) events.push(...e);
  };
  for (const st of steps) {
    const buf = typeof st.data === 'string' ? Buffer.from(st.data, 'latin1') : st.data;
    if (chunk > 0) for (let i = 0; i < buf.length; i += chunk) send(st.from === 'c', buf.subarray(i, i + chunk));
    else send(st.from === 'c', buf);
  }
  const e = sink.flowEnd('Ctest', 1_700_000_000_000_000 + frame + 1);
  if (e) events.push(...e);
  return events;
}
