// `npm run bench [-- --mb 500 --only envoy,nginx,capture]`: generate large inputs under bench/data/
// and time resetscope beside the tools people use today, in one run, printing one table.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { measure, row, printTable, type Row } from './measure.js';
import { generateEnvoyLog } from './envoy.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DATA = path.join(REPO, 'bench/data');
const BIN = `node ${path.join(REPO, 'bin/resetscope.js')}`;

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
}
const MB = Number(arg('mb', '500'));
const ONLY = arg('only', 'envoy,nginx,capture').split(',');

async function envoyBench(rows: Row[]) {
  const file = path.join(DATA, `envoy-default-${MB}mb.log`);
  let lines: number;
  if (!fs.existsSync(file)) ({ lines } = await generateEnvoyLog(file, MB));
  else lines = Number(measure('wc', `wc -l < ${file}`).stdoutTail.trim()) || 0;
  if (!lines) lines = Number(measure('wc', `wc -l < ${file}`).stdoutTail.trim());
  const size = fs.statSync(file).size;
  const input = `envoy default ${(size / 1e6).toFixed(0)} MB`;
  const ours = row(input, size, lines, 'lines', measure('resetscope analyze', `${BIN} analyze -q -f json ${file} > /dev/null`));
  rows.push(ours);
  // The same run with the split-mode worker thread off (src/ingest/text-input.ts SPLIT): what it buys
  // depends on a second core being free, so it is measured beside the others, not in another run.
  rows.push(row(input, size, lines, 'lines', measure('resetscope analyze, no worker', `RESETSCOPE_TEXT_WORKER=0 ${BIN} analyze -q -f json ${file} > /dev/null`)));
  const prog = `'$6!="-"{c[$NF]++} END{for(k in c) n++; print n}'`;
  const awk = row(input, size, lines, 'lines', measure(`awk $6!="-" (${AWK})`, `awk ${prog} ${file}`));
  rows.push(awk);
  // The other awk beside the default one (mawk on Debian, gawk elsewhere): the reference
  // figure (awk 2.8 s on 500 MB) looks like gawk's, so the table says which awk each row is.
  const others: Row[] = [];
  for (const other of ['gawk', 'mawk']) {
    if (other === AWK) continue;
    if (has(other)) others.push(row(input, size, lines, 'lines', measure(`${other} $6!="-"`, `${other} ${prog} ${file}`)));
    else summaries.push(`envoy vs ${other}: row skipped, ${other} is not installed (apt-get install ${other})`);
  }
  rows.push(...others);
  rows.push(row(input, size, lines, 'lines', measure('naive readline+regex', `node ${path.join(REPO, 'bench/naive.mjs')} ${file}`)));
  summaries.push(summary(`envoy vs ${AWK}`, [ours, awk], 0.5));
  for (const o of others) summaries.push(summary(`envoy vs ${o.tool.split(' ')[0]}`, [ours, o], 0.5));
}

/** One line per input: our time as a multiple of awk's (measured in the same run) against the target. */
function summary(name: string, [ours, awk]: Row[], target: number): string {
  const x = ours.seconds / Math.max(awk.seconds, 0.001);
  return `${name}: resetscope ${x.toFixed(2)}x ${awk.tool.split(' ')[0]}'s time (target <= ${target}x) ${x <= target ? 'MET' : 'NOT MET'}; `
    + `${ours.mbPerS.toFixed(0)} MB/s; peak RSS ${ours.peakRssMb.toFixed(0)} MB (target < 200 MB) ${ours.peakRssMb < 200 ? 'MET' : 'NOT MET'}`;
}
const summaries: string[] = [];

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Which program `awk` is here (mawk on Debian, gawk elsewhere, busybox ...), read from its own version output. */
function whichAwk(): string {
  const v = spawnSync('sh', ['-c', 'awk -W version 2>&1 || awk --version 2>&1'], { encoding: 'utf8' }).stdout ?? '';
  const m = /\b(mawk|GNU Awk|BusyBox|nawk|onetrue|awk version)\b/i.exec(v);
  if (!m) return 'awk';
  return /GNU/i.test(m[1]) ? 'gawk' : /busybox/i.test(m[1]) ? 'busybox awk' : m[1].toLowerCase().startsWith('mawk') ? 'mawk' : 'awk';
}
const AWK = whichAwk();

async function nginxBench(rows: Row[]) {
  let gen: ((f: string, mb: number) => Promise<unknown>) | undefined;
  try {
    const mod: string = './nginx-error.js'; // optional piece: a variable keeps tsc from requiring it
    gen = (await import(mod)).generateNginxErrorLog;
  } catch {
    console.error('nginx bench: generator missing, skipped');
    return;
  }
  const mb = Math.min(MB, 200);
  const file = path.join(DATA, `nginx-error-${mb}mb.log`);
  if (!fs.existsSync(file)) await gen!(file, mb);
  const size = fs.statSync(file).size;
  const lines = Number(measure('wc', `wc -l < ${file}`).stdoutTail.trim());
  const input = `nginx error ${(size / 1e6).toFixed(0)} MB`;
  rows.push(row(input, size, lines, 'lines', measure('resetscope analyze', `${BIN} analyze -q -f json ${file} > /dev/null`)));
  rows.push(row(input, size, lines, 'lines', measure('awk /upstream/', `awk '/upstream/{c[$NF]++} END{for(k in c) n++; print n}' ${file}`)));
  rows.push(row(input, size, lines, 'lines', measure('grep -c connect\\(\\) failed', `grep -c 'connect() failed' ${file}`)));
  const [ours] = rows.slice(-3);
  summaries.push(`nginx: resetscope ${ours.mbPerS.toFixed(0)} MB/s (aim >= 150 MB/s); peak RSS ${ours.peakRssMb.toFixed(0)} MB`);
}

async function captureBench(rows: Row[]) {
  let run: ((mb: number) => Promise<Row[]>) | undefined;
  try {
    const mod: string = './capture.js';
    run = (await import(mod)).runCaptureBench as (mb: number) => Promise<Row[]>;
  } catch {
    console.error('capture bench: not available, skipped');
    return;
  }
  rows.push(...(await run!(MB)));
}

async function main() {
  fs.mkdirSync(DATA, { recursive: true });
  const rows: Row[] = [];
  if (ONLY.includes('envoy')) await envoyBench(rows);
  if (ONLY.includes('nginx')) await nginxBench(rows);
  if (ONLY.includes('capture')) await captureBench(rows);
  printTable(rows);
  for (const l of summaries) console.log(l);
  console.log(`(${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}: compare rows of one run, not runs)`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
