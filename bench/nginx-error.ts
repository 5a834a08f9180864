// Bench input: a realistic mixed nginx error log (message shapes from nginx.md §3 and the corpus:
// glibc/musl/Windows errno texts, [crit]/[info]/[warn] levels, stream lines, TLS, a few lines cut at
// 2048 bytes and a referrer with a raw quote). Deterministic (seeded) so runs compare.
import fs from 'node:fs';
import { once } from 'node:events';

/** mulberry32: small, fast, seeded. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pad = (n: number) => (n < 10 ? '0' + n : String(n));
const stamp = (ms: number) => {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
};

const PATHS = ['/', '/api/v1/orders', '/api/v1/users/42', '/healthz', '/static/app.js', '/graphql', '/login?next=%2Fhome', '/upload'];
const METHODS = ['GET', 'GET', 'GET', 'POST', 'PUT'];
const UPSTREAMS = ['10.42.0.16:8080', '10.42.1.7:8080', '172.17.0.4:3000', '192.168.215.1:80', '[fd00::12]:8443'];

type Shape = (r: () => number, ctx: string, up: string, path: string) => string;
const pick = <T>(r: () => number, a: readonly T[]): T => a[Math.floor(r() * a.length)];

// weight, level, message (with errno/action), context builder
const SHAPES: [number, string, Shape][] = [
  [14, 'error', (r, c) => `connect() failed (111: ${pick(r, ['Connection refused', 'Connection refused', 'Unknown error'])}) while connecting to upstream${c}`],
  [6, 'error', (_r, c) => `upstream timed out (110: Connection timed out) while connecting to upstream${c}`],
  [4, 'error', (_r, c) => `upstream timed out (110: Operation timed out) while reading response header from upstream${c}`],
  [5, 'error', (r, c) => `connect() failed (113: ${pick(r, ['No route to host', 'Host is unreachable'])}) while connecting to upstream${c}`],
  [8, 'error', (_r, c) => `recv() failed (104: Connection reset by peer) while reading response header from upstream${c}`],
  [8, 'error', (_r, c) => `upstream prematurely closed connection while reading response header from upstream${c}`],
  [2, 'error', (_r, c) => `writev() failed (32: Broken pipe) while sending request to upstream${c}`],
  [2, 'crit', (_r, c, up) => `connect() to ${up} failed (99: Cannot assign requested address) while connecting to upstream${c}`],
  [2, 'error', (_r, c) => `SSL_do_handshake() failed (SSL: error:0A000458:SSL routines::tlsv1 unrecognized name:SSL alert number 112) while SSL handshaking to upstream${c}`],
  [1, 'error', (_r, c) => `peer closed connection in SSL handshake (104: Connection reset by peer) while SSL handshaking to upstream${c}`],
  [2, 'error', (_r, c) => `no live upstreams while connecting to upstream${c}`],
  [4, 'warn', (_r, c) => `upstream server temporarily disabled while connecting to upstream${c}`],
  [2, 'error', (_r, c) => `upstream sent too big header while reading response header from upstream${c}`],
  [1, 'error', (_r, c) => `upstream sent invalid header: "HTTP\\x20..." while reading response header from upstream${c}`],
  [6, 'info', (_r, c) => `epoll_wait() reported that client prematurely closed connection, so upstream connection is closed too while sending request to upstream${c}`],
  [10, 'info', (r) => `client ${pick(r, ['10.0.3.7', '10.0.9.1', '172.16.4.2'])} closed keepalive connection`],
  [4, 'info', (_r, c) => `recv() failed (104: Connection reset by peer) while sending to client${c}`],
  [2, 'error', (_r, _c, up) => `recv() failed (104: Connection reset by peer) while proxying and reading from upstream, client: 11.223.235.220, server: 0.0.0.0:8805, upstream: "${up}", bytes from/to client:46/16, bytes from/to upstream:16/46`],
  [3, 'error', (r) => `open() "/usr/share/nginx/html/favicon.ico" failed (2: No such file or directory), client: ${pick(r, ['10.0.3.7', '172.16.4.2'])}, server: shop.example, request: "GET /favicon.ico HTTP/1.1", host: "shop.example"`],
  [1, 'notice', () => 'signal process started'],
];
const TOTAL = SHAPES.reduce((s, x) => s + x[0], 0);

export async function generateNginxErrorLog(file: string, megabytes: number): Promise<void> {
  const r = rng(20260821);
  const out = fs.createWriteStream(file);
  const target = megabytes * 1024 * 1024;
  let written = 0;
  let ms = Date.UTC(2024, 4, 1, 0, 0, 0);
  let conn = 1000;
  let chunk = '';
  while (written < target) {
    ms += Math.floor(r() * 40);
    conn += 1 + Math.floor(r() * 3);
    let w = r() * TOTAL;
    let shape = SHAPES[0];
    for (const s of SHAPES) {
      if ((w -= s[0]) < 0) {
        shape = s;
        break;
      }
    }
    const up = pick(r, UPSTREAMS);
    const path = pick(r, PATHS);
    const client = `10.${Math.floor(r() * 255)}.${Math.floor(r() * 255)}.${1 + Math.floor(r() * 250)}`;
    const rare = r();
    // 1 in 500: a long query string that nginx cuts at 2048 bytes; 1 in 200: a referrer with a raw quote
    const reqPath = rare < 0.002 ? path + '?q=' + 'x'.repeat(2100) : path;
    const referrer = rare > 0.995 ? `, referrer: "https://shop.example"https://shop.example/?a=1"` : '';
    const ctx = `, client: ${client}, server: shop.example, request: "${pick(r, METHODS)} ${reqPath} HTTP/1.1", upstream: "http://${up}${path}", host: "shop.example"${referrer}`;
    const tid = shape[1] === 'notice' ? '' : `*${conn} `;
    let line = `${stamp(ms)} [${shape[1]}] ${31 + (conn % 4)}#${31 + (conn % 4)}: ${tid}${shape[2](r, ctx, up, path)}`;
    if (line.length > 2047) line = line.slice(0, 2047); // ASCII only: chars = bytes
    chunk += line + '\n';
    if (chunk.length >= 1 << 20) {
      written += chunk.length;
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  if (chunk) out.write(chunk);
  out.end();
  await once(out, 'finish');
}
