// Floors: the least a Node program does on the benchmark inputs on this machine, beside the tools the
// targets are set against (awk, tcpdump), in one run. A target below a floor cannot be met by any
// amount of tuning of resetscope itself; this prints how far each target sits from its floor.
//   node dist/bench/floor.js [--mb 500] [--only envoy,capture]
// The loops (`--loop NAME FILE`) are deliberately minimal: no events, no parsing beyond what is named.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { findBytes, quickBytes, quickSuccessBytes } from '../src/ingest/quick-bytes.js';
import { measure, printTable, row, type Row } from './measure.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '../..');
const SELF = fileURLToPath(import.meta.url);
const BIN = path.join(REPO, 'bin/resetscope.js');

/** The Envoy default format's quick anchor (what resetscope's framing worker tests each line with). */
const DEFAULT_QUICK = quickBytes({ before: '" ', between: ' ', after: ' ' });

/** Lines of path[from, to) (from/to moved to line starts) through the per-line success test; counts only. */
function envoyFrame(file: string, from: number, to: number): { lines: number; failures: number } {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe((128 << 10) + (1 << 20));
  const lineStart = (x: number) => {
    if (x <= 0) return 0;
    const b = Buffer.allocUnsafe(1 << 16);
    const n = fs.readSync(fd, b, 0, b.length, x - 1);
    const nl = b.subarray(0, n).indexOf(10);
    return nl < 0 ? x - 1 + n : x + nl;
  };
  let pos = lineStart(from);
  const end = lineStart(to);
  let len = 0, lines = 0, failures = 0;
  for (;;) {
    const n = pos < end ? fs.readSync(fd, buf, len, Math.min(128 << 10, end - pos), pos) : 0;
    pos += n;
    len += n;
    let s = 0, hit = -1;
    for (;;) {
      const nl = buf.indexOf(10, s);
      if (nl < 0 || nl >= len) break;
      if (hit < s) hit = findBytes(buf, DEFAULT_QUICK.before, s);
      lines++;
      if (!quickSuccessBytes(buf, s, nl, DEFAULT_QUICK, hit)) failures++;
      s = nl + 1;
    }
    buf.copy(buf, 0, s, len);
    len -= s;
    if (n === 0) break;
  }
  fs.closeSync(fd);
  return { lines, failures };
}

/** The same over `threads` equal parts (this thread takes the first). */
async function envoyLoop(file: string, threads: number): Promise<void> {
  const size = fs.statSync(file).size;
  const part = Math.ceil(size / threads);
  const others = [];
  for (let i = 1; i < threads; i++) {
    const w = new Worker(SELF, { workerData: { file, from: i * part, to: Math.min(size, (i + 1) * part) } });
    others.push(new Promise<{ lines: number; failures: number }>((resolve) => w.once('message', resolve)));
  }
  const all = [envoyFrame(file, 0, part), ...(await Promise.all(others))];
  console.log(JSON.stringify(all.reduce((a, b) => ({ lines: a.lines + b.lines, failures: a.failures + b.failures }))));
}

/**
 * A classic pcap (Ethernet, as the capture benchmark writes it) in 1 MiB reads: `frame` walks the record
 * headers; `tcp` also reads Ethernet/IPv4/TCP and counts RSTs; `flows` also finds each segment's flow
 * in a Map keyed by its 4-tuple and counts packets per flow (the least a flow tracker does).
 */
function captureLoop(file: string, level: 'frame' | 'tcp' | 'flows'): void {
  const fd = fs.openSync(file, 'r');
  const CHUNK = 1 << 20;
  const buf = Buffer.allocUnsafe(CHUNK * 2);
  let have = 0, pos = 0, packets = 0, resets = 0, header = true;
  const flows = new Map<number, { packets: number; resets: number }>();
  for (let eof = false; !eof;) {
    buf.copy(buf, 0, pos, have);
    have -= pos;
    pos = 0;
    const n = fs.readSync(fd, buf, have, CHUNK, null);
    have += n;
    eof = n === 0;
    if (header) {
      pos = 24; // the file header
      header = false;
    }
    while (have - pos >= 16) {
      const caplen = buf.readUInt32LE(pos + 8);
      if (have - pos < 16 + caplen) break;
      const p = pos + 16;
      pos += 16 + caplen;
      packets++;
      if (level === 'frame' || buf.readUInt16BE(p + 12) !== 0x0800 || buf[p + 23] !== 6) continue;
      const t = p + 14 + (buf[p + 14] & 15) * 4;
      const rst = (buf[t + 13] & 4) !== 0;
      if (rst) resets++;
      if (level !== 'flows') continue;
      const a = buf.readUInt32BE(p + 26), b = buf.readUInt32BE(p + 30), sp = buf.readUInt16BE(t), dp = buf.readUInt16BE(t + 2);
      // Direction-independent and collision-tolerant enough for a floor (a Map of doubles, no strings).
      const key = (a < b ? a * 31 + b : b * 31 + a) * 65536 + (sp < dp ? sp * 7 + dp : dp * 7 + sp);
      let f = flows.get(key);
      if (f === undefined) flows.set(key, (f = { packets: 0, resets: 0 }));
      f.packets++;
      if (rst) f.resets++;
    }
  }
  fs.closeSync(fd);
  console.log(JSON.stringify({ packets, resets, flows: flows.size }));
}

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : dflt;
}

function which(cmd: string): boolean {
  return measure(cmd, `command -v ${cmd}`).exitCode === 0;
}

async function main(): Promise<void> {
  const loop = arg('--loop', '');
  if (loop) {
    const file = process.argv[process.argv.length - 1];
    if (loop.startsWith('envoy')) return envoyLoop(file, Number(loop.slice('envoy'.length)) || 1);
    return captureLoop(file, loop as 'frame' | 'tcp' | 'flows');
  }
  const mb = Number(arg('--mb', '500'));
  const only = arg('--only', 'envoy,capture').split(',');
  const data = path.join(REPO, 'bench/data');
  const node = `node ${SELF} --loop`;
  const rows: Row[] = [];
  const verdicts: string[] = [];
  rows.push(row('-', 0, 0, 'run', measure('node -e 0 (start-up alone)', 'node -e 0')));

  const envoy = path.join(data, `envoy-default-${mb}mb.log`);
  if (only.includes('envoy') && fs.existsSync(envoy)) {
    const size = fs.statSync(envoy).size;
    const lines = Number(measure('wc', `wc -l < ${envoy}`).stdoutTail.trim());
    const name = `envoy default ${mb} MB`;
    const awk = measure('awk $6!="-"', `awk '$6!="-"{c[$NF]++}' ${envoy}`);
    const one = measure('node floor: frame + quick test, 1 thread', `${node} envoy1 ${envoy}`);
    const two = measure('node floor: frame + quick test, 2 threads', `${node} envoy2 ${envoy}`);
    const ours = measure('resetscope analyze -f json', `node ${BIN} analyze -f json ${envoy} > /dev/null`);
    for (const m of [awk, one, two, ours]) rows.push(row(name, size, lines, 'line', m));
    const target = awk.seconds * 0.5;
    verdicts.push(`envoy: target 0.5x awk = ${target.toFixed(2)} s; floors ${one.seconds.toFixed(2)} s (1 thread) / ${two.seconds.toFixed(2)} s (2 threads) with no parsing at all; resetscope ${ours.seconds.toFixed(2)} s`);
  } else if (only.includes('envoy')) verdicts.push(`envoy: ${envoy} missing (node dist/bench/run.js --mb ${mb} --only envoy makes it)`);

  const capture = path.join(data, `capture-${mb}mb.pcap`);
  if (only.includes('capture') && fs.existsSync(capture)) {
    const size = fs.statSync(capture).size;
    const countFile = `${capture}.packets`;
    const packets = fs.existsSync(countFile) ? Number(fs.readFileSync(countFile, 'utf8')) : 0;
    const name = `capture ${mb} MB`;
    const td = measure('tcpdump RST filter', `tcpdump -n -r ${capture} 'tcp[tcpflags] & tcp-rst != 0' > /dev/null 2>&1`);
    const ms = [td];
    for (const level of ['frame', 'tcp', 'flows']) ms.push(measure(`node floor: ${level === 'frame' ? 'records only' : level === 'tcp' ? '+ Ethernet/IPv4/TCP' : '+ packets per flow (Map)'}`, `${node} ${level} ${capture}`));
    const ts = which('tshark') && process.argv.includes('--tshark') ? measure('tshark -Y tcp.flags.reset==1', `tshark -n -r ${capture} -Y 'tcp.flags.reset==1' > /dev/null 2>&1`) : undefined;
    if (ts) ms.push(ts);
    ms.push(measure('resetscope analyze -q -f json', `node ${BIN} analyze -q -f json ${capture} > /dev/null`));
    for (const m of ms) rows.push(row(name, size, packets, 'pkt', m));
    const flowsFloor = ms[3].seconds;
    verdicts.push(`capture: target 2x tcpdump = ${(2 * td.seconds).toFixed(2)} s${ts ? `, 40x faster than tshark = ${(ts.seconds / 40).toFixed(2)} s` : ''}; floor with a flow Map and nothing else ${flowsFloor.toFixed(2)} s; resetscope ${ms[ms.length - 1].seconds.toFixed(2)} s`);
  } else if (only.includes('capture')) verdicts.push(`capture: ${capture} missing (node dist/bench/capture.js --mb ${mb} makes it)`);

  printTable(rows);
  for (const v of verdicts) console.log(v);
  const load = fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(`(${new Date().toISOString().slice(0, 10)}, ${(await import('node:os')).availableParallelism()} cores, load average ${load}: compare rows of one run)`);
}

if (isMainThread) await main();
else parentPort!.postMessage(envoyFrame(workerData.file, workerData.from, workerData.to));
