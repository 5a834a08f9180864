// Run a command under GNU time and read its wall time and peak RSS: every tool (ours, awk,
// tshark, tcpdump, a naive script) is measured the same way, in the same run.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

export interface Measured { label: string; seconds: number; peakRssMb: number; exitCode: number; stdoutTail: string }

export function measure(label: string, shellCommand: string): Measured {
  const timeFile = `/tmp/resetscope-bench-time.${process.pid}`;
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', '-o', timeFile, 'bash', '-c', shellCommand], {
    encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const [sec, kb] = fs.readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ');
  fs.rmSync(timeFile, { force: true });
  return { label, seconds: Number(sec), peakRssMb: Number(kb) / 1024, exitCode: r.status ?? -1, stdoutTail: (r.stdout ?? '').slice(-300) };
}

export interface Row { input: string; tool: string; seconds: number; mbPerS: number; unitsPerS: number; unit: string; peakRssMb: number; note?: string }

export function row(input: string, sizeBytes: number, units: number, unit: string, m: Measured, note?: string): Row {
  return {
    input, tool: m.label, seconds: m.seconds,
    mbPerS: sizeBytes / 1e6 / Math.max(m.seconds, 0.001),
    unitsPerS: units / Math.max(m.seconds, 0.001), unit, peakRssMb: m.peakRssMb,
    note: note ?? (m.exitCode !== 0 ? `exit ${m.exitCode}` : undefined),
  };
}

export function printTable(rows: Row[]): void {
  const head = ['input', 'tool', 'seconds', 'MB/s', 'units/s', 'peak RSS', 'note'];
  const body = rows.map((r) => [
    r.input, r.tool, r.seconds.toFixed(2), r.mbPerS.toFixed(0), `${Math.round(r.unitsPerS).toLocaleString('en')} ${r.unit}/s`,
    `${r.peakRssMb.toFixed(0)} MB`, r.note ?? '',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |';
  console.log(line(head));
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  for (const b of body) console.log(line(b));
}
