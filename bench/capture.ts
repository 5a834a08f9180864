// Capture benchmark: build a ≥ N MB classic pcap from real corpus traffic (each copy's IPv4
// addresses rewritten so flows stay distinct, timestamps laid end to end) under bench/data/,
// then time, in one run: our reader + dissection + flow tracker, `tcpdump` with a RST filter and
// `tshark -Y tcp.flags.reset==1`; ours as users run it (`resetscope analyze`, `resetscope events`,
// payload decoders on) and as a library loop with and without the payload decoders.
// `node dist/bench/capture.js [--mb 500]`; the lead's bench/run.ts calls runCaptureBench(mb).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ByteQueue } from '../src/capture/byte-queue.js';
import { PcapReader } from '../src/capture/pcap-reader.js';
import { newRawPacket, READ } from '../src/capture/raw-packet.js';
import { readCapture, newCaptureStats } from '../src/capture/capture.js';
import type { IngestContext, InputStats } from '../src/ingest/types.js';
import { UTC } from '../src/time.js';
import { openInput } from '../src/input.js';
import { measure, printTable, row, type Row } from './measure.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '../..');
const DATA = path.join(REPO, 'bench/data');
const CORPUS = path.resolve(REPO, '../shared/corpus/pcap');
/** Ethernet, µs, little-endian captures with plenty of TCP (TLS, HTTP, RSTs). */
const SOURCES = ['pcapplusplus__tls2.pcap', 'pcapplusplus__example2.pcap', 'suricata-verify__tls-subjectaltname.pcap', 'ja4__http2-with-cookies.pcapng'];

/** Capture time one copy of a source may span. */
const MAX_COPY_SPAN_US = 60 * 1_000_000;

interface SrcPacket { tsUs: number; data: Buffer; origLen: number }

function loadSources(): SrcPacket[][] {
  const out: SrcPacket[][] = [];
  for (const name of SOURCES) {
    const file = path.join(CORPUS, name);
    if (!fs.existsSync(file) || !name.endsWith('.pcap')) continue;
    const q = new ByteQueue();
    q.push(fs.readFileSync(file));
    const r = new PcapReader();
    const pkt = newRawPacket();
    const list: SrcPacket[] = [];
    for (;;) {
      const x = r.next(q, pkt);
      if (x === READ.AGAIN) continue;
      if (x !== READ.PACKET) break;
      if (r.linktype !== 1) break;
      list.push({ tsUs: pkt.tsUs, data: Buffer.from(pkt.buf.subarray(pkt.off, pkt.off + pkt.caplen)), origLen: pkt.origLen });
    }
    if (list.length) out.push(list);
  }
  return out;
}

/** Write `file` of at least `mb` MB; returns its packet count. */
export function generate(file: string, mb: number): number {
  const sources = loadSources();
  const fd = fs.openSync(file, 'w');
  const hdr = Buffer.alloc(24);
  hdr.writeUInt32LE(0xa1b2c3d4, 0);
  hdr.writeUInt16LE(2, 4);
  hdr.writeUInt16LE(4, 6);
  hdr.writeUInt32LE(262144, 16);
  hdr.writeUInt32LE(1, 20);
  fs.writeSync(fd, hdr);
  let written = 24;
  let packets = 0;
  let clock = 1_700_000_000_000_000;
  const out = Buffer.allocUnsafe(8 << 20);
  let o = 0;
  for (let copy = 0; written < mb * 1e6; copy++) {
    const src = sources[copy % sources.length]!;
    const base = src[0]!.tsUs;
    const k = (copy + 1) & 0xffff;
    for (const p of src) {
      const need = 16 + p.data.length;
      if (o + need > out.length) {
        fs.writeSync(fd, out, 0, o);
        o = 0;
      }
      // Each copy spans at most MAX_COPY_SPAN_US (some sources span days): clamping keeps order.
      const ts = clock + Math.max(0, Math.min(p.tsUs - base, MAX_COPY_SPAN_US));
      out.writeUInt32LE(Math.floor(ts / 1e6), o);
      out.writeUInt32LE(ts % 1e6, o + 4);
      out.writeUInt32LE(p.data.length, o + 8);
      out.writeUInt32LE(p.origLen, o + 12);
      p.data.copy(out, o + 16);
      // Ethernet + IPv4: XOR the middle octets of both addresses with the copy number (flows stay paired, distinct per copy).
      const ip = o + 16 + 14;
      if (p.data.length >= 34 && p.data.readUInt16BE(12) === 0x0800) {
        out[ip + 13] = out[ip + 13]! ^ (k >> 8);
        out[ip + 14] = out[ip + 14]! ^ (k & 0xff);
        out[ip + 17] = out[ip + 17]! ^ (k >> 8);
        out[ip + 18] = out[ip + 18]! ^ (k & 0xff);
      }
      o += need;
      written += need;
      packets++;
    }
    clock += MAX_COPY_SPAN_US + 1_000_000;
  }
  fs.writeSync(fd, out, 0, o);
  fs.closeSync(fd);
  return packets;
}

function benchCtx(source: string): IngestContext {
  const stats: InputStats = {
    name: source, format: 'pcap', bytes: 0, lines: 0, frames: 0, events: 0, failures: 0, ok: 0, skipped: 0,
    skipped_by_reason: {}, skipped_examples: [], anomalies: {}, first_us: null, last_us: null, notes: [],
  };
  return {
    source, options: { tz: UTC, tzGiven: false, failuresOnly: false }, stats,
    skip() { stats.skipped++; },
    anomaly(kind) { stats.anomalies[kind] = (stats.anomalies[kind] ?? 0) + 1; return null; },
  };
}

/** Child-process mode: read `file` with our ingester, print one JSON line. */
async function runOurs(file: string, withStreams: boolean): Promise<void> {
  const ctx = benchCtx(file);
  const stats = newCaptureStats();
  const kinds: Record<string, number> = {};
  const noSink = () => ({ segment: () => null, flowEnd: () => null });
  const t0 = process.hrtime.bigint();
  // The CLI's own reader (src/input.ts: FileHandle.read, one 1 MiB read ahead, lendable buffers).
  const chunks = (await openInput(file)).chunks;
  for await (const batch of readCapture(chunks, ctx, { stats, ...(withStreams ? {} : { sinkFactory: noSink }) })) {
    for (const e of batch) kinds[e.kind] = (kinds[e.kind] ?? 0) + 1;
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const payloadEvents = Object.entries(kinds).filter(([k]) => !k.startsWith('tcp.')).reduce((a, [, n]) => a + n, 0);
  // One short line: the bench reads the tail of stdout.
  console.log(JSON.stringify({ packets: stats.packets, flows: stats.flows, evicted: stats.flowsEvicted, rsts: kinds['tcp.rst'] ?? 0, payloadEvents, ms: Math.round(ms), maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }));
  if (process.env.RESETSCOPE_BENCH_KINDS) console.error(JSON.stringify(kinds));
}

/** `tshark: false` skips the 30-second tshark row (quick iterations). */
export async function runCaptureBench(mb = 500, opts: { tshark?: boolean } = {}): Promise<Row[]> {
  fs.mkdirSync(DATA, { recursive: true });
  const file = path.join(DATA, `capture-${mb}mb.pcap`);
  let packets: number;
  const countFile = file + '.packets';
  if (fs.existsSync(file) && fs.existsSync(countFile) && fs.statSync(file).size >= mb * 1e6) packets = Number(fs.readFileSync(countFile, 'utf8'));
  else {
    packets = generate(file, mb);
    fs.writeFileSync(countFile, String(packets));
  }
  const size = fs.statSync(file).size;
  const name = path.basename(file);
  const self = fileURLToPath(import.meta.url);
  const bin = `node ${path.join(REPO, 'bin/resetscope.js')}`;
  const rows: Row[] = [];
  const oursNote = (m: ReturnType<typeof measure>): string => {
    try {
      const j = JSON.parse(m.stdoutTail.trim().split('\n').pop()!);
      return `${j.flows} flows, ${j.rsts} RSTs, ${j.payloadEvents} TLS/HTTP events`;
    } catch { return m.exitCode !== 0 ? `exit ${m.exitCode}` : 'no output'; }
  };
  // The CLI as users run it (payload decoders on: TLS, HTTP/2, HTTP/1), then the library loop
  // with the real payload sink and with a no-op one (what the reader + flow tracker cost alone).
  const cliExit = (m: ReturnType<typeof measure>) => (m.exitCode > 1 ? `exit ${m.exitCode}` : undefined);
  const analyze = measure('resetscope analyze -q -f json', `${bin} analyze -q -f json ${file} > /dev/null`);
  rows.push(row(name, size, packets, 'pkt', analyze, cliExit(analyze) ?? 'CLI, decoders on'));
  const events = measure('resetscope events > /dev/null', `${bin} events ${file} > /dev/null`);
  rows.push(row(name, size, packets, 'pkt', events, cliExit(events) ?? 'CLI, decoders on, every flow as NDJSON'));
  const lib = measure('reader+flows+decoders (library)', `node ${self} --ours ${file} --streams`);
  rows.push(row(name, size, packets, 'pkt', lib, oursNote(lib)));
  const bare = measure('reader+flows, no-op payload sink', `node ${self} --ours ${file}`);
  rows.push(row(name, size, packets, 'pkt', bare, oursNote(bare)));
  const td = measure('tcpdump RST filter', `tcpdump -n -r ${file} 'tcp[tcpflags] & tcp-rst != 0' > /dev/null 2>&1`);
  rows.push(row(name, size, packets, 'pkt', td));
  if (opts.tshark !== false) {
    const ts = measure('tshark -Y tcp.flags.reset==1', `tshark -n -r ${file} -Y 'tcp.flags.reset==1' > /dev/null 2>&1`);
    rows.push(row(name, size, packets, 'pkt', ts));
  }
  return rows;
}

const isMain = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  if (process.argv[2] === '--ours') await runOurs(process.argv[3]!, process.argv.includes('--streams'));
  else {
    const i = process.argv.indexOf('--mb');
    const mb = i > 0 ? Number(process.argv[i + 1]) : 500;
    const rows = await runCaptureBench(mb, { tshark: !process.argv.includes('--no-tshark') });
    printTable(rows);
    const [a, , , , d, s] = rows;
    const vsTshark = s ? `; tshark vs analyze: ${(s.seconds / a!.seconds).toFixed(1)}x slower (target ≥ 40x)` : '';
    console.log(`analyze vs tcpdump: ${(a!.seconds / d!.seconds).toFixed(2)}x its time (target ≤ 2x)${vsTshark}; analyze peak RSS ${a!.peakRssMb.toFixed(0)} MB (target < 200 MB)`);
  }
}
