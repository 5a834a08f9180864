// Live stdin: a slow pipe (`kubectl logs -f | resetscope events -`) must not wait for 64 KB or EOF
// before the format is sniffed (src/input.ts LIVE_SNIFF_IDLE_MS). Spawns the real binary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { BIN } from './helpers.js';

const LINE = (n: number) =>
  `2024/05/01 00:00:0${n} [error] 34#34: *100${n} connect() failed (111: Connection refused) while connecting to upstream, client: 10.1.1.1, server: x, request: "GET / HTTP/1.1", upstream: "http://172.17.0.4:3000/", host: "x"\n`;

/** Resolves with the stdout lines once `n` have arrived; rejects after `ms`. */
function waitLines(out: string[], n: number, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const tick = () => {
      if (out.length >= n) return resolve();
      if (Date.now() - t0 > ms) return reject(new Error(`only ${out.length} of ${n} lines after ${ms} ms`));
      setTimeout(tick, 20);
    };
    tick();
  });
}

test('events - on an open pipe: output arrives before stdin closes', { timeout: 30_000 }, async () => {
  const child = spawn(process.execPath, [BIN, 'events', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let buf = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d: string) => {
    buf += d;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) { lines.push(buf.slice(0, i)); buf = buf.slice(i + 1); }
  });
  child.stderr.on('data', (d) => { stderr += String(d); });
  const exited = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
  try {
    child.stdin.write(LINE(1));
    child.stdin.write(LINE(2));
    // stdin stays open: only the idle pause can end the sniffing peek.
    await waitLines(lines, 2, 10_000);
    assert.equal(JSON.parse(lines[0]).kind, 'nginx.error');
    assert.equal(JSON.parse(lines[1]).cause, 'refused');
    // And the stream keeps going after the sniff.
    child.stdin.write(LINE(3));
    await waitLines(lines, 3, 10_000);
    assert.equal(JSON.parse(lines[2]).line, 3);
  } finally {
    child.stdin.end();
  }
  assert.equal(await exited, 0, stderr);
  assert.equal(lines.length, 3);
});
