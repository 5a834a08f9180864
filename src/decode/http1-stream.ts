// HTTP/1.x as a stream protocol: heads parsed from each side's byte queue, bodies skipped by
// Content-Length / chunked / read-until-close (RFC 9112 §6.3), responses paired with requests in
// order. Also where the plaintext-vs-TLS and HTTP/1-vs-HTTP/2 disagreements of a connection show.
import { ByteQueue } from '../capture/reassembly.js';
import {
  registerStreamProtocol,
  type Role, type SegMeta, type Sniff, type StreamConn, type StreamDecoder, type StreamProtocol,
} from './stream-registry.js';
import { METHODS, MAX_HEAD_BYTES, decodeHttp1Head, decodeChunkSize, header, wantsClose } from './http1.js';

/** Requests waiting for their response (pipelining); beyond this the oldest are dropped. */
const MAX_PENDING_REQUESTS = 128;

/** A request line (a known method and a space), or a status line, from the first bytes. */
export function sniffHttp1(head: Buffer, role: Role): Sniff {
  const n = Math.min(head.length, 9);
  const s = head.subarray(0, n).toString('latin1');
  if (role === 'resp') {
    const want = 'HTTP/1.';
    const k = Math.min(s.length, want.length);
    if (s.slice(0, k) !== want.slice(0, k)) return 'no';
    return k === want.length ? 'yes' : 'more';
  }
  for (const m of METHODS) {
    const w = m + ' ';
    const k = Math.min(s.length, w.length);
    if (s.slice(0, k) === w.slice(0, k)) {
      if (k === w.length) return 'yes';
      return 'more';
    }
  }
  return 'no';
}

interface Request {
  method: string;
  target: string;
  requestId: string | null;
  upgradeH2c: boolean;
}

type BodyState =
  | { kind: 'head' }
  | { kind: 'length'; left: number }
  | { kind: 'chunk-size' }
  | { kind: 'chunk-data'; left: number }
  | { kind: 'trailers' }
  | { kind: 'until-close' };

interface Side {
  q: ByteQueue;
  state: BodyState;
  dead: boolean;
  /** Requests after an `Upgrade: h2c` wait until the server accepts or refuses it. */
  paused: boolean;
  /** Bytes were lost: waiting for a chunk that starts with a message head. */
  resync: boolean;
}

/** What HTTPS servers answer to plain HTTP (Go net/http, NGINX 400 page). */
const PLAIN_TO_TLS_BODIES = /Client sent an HTTP request to an HTTPS server|plain HTTP request was sent to HTTPS port/i;

class Http1Decoder implements StreamDecoder {
  private sides: Record<Role, Side> = {
    orig: { q: new ByteQueue(), state: { kind: 'head' }, dead: false, paused: false, resync: false },
    resp: { q: new ByteQueue(), state: { kind: 'head' }, dead: false, paused: false, resync: false },
  };
  private requests: Request[] = [];
  private switched = false;

  constructor(private conn: StreamConn) {}

  data(role: Role, chunk: Buffer, meta: SegMeta): void {
    const side = this.sides[role];
    if (side.dead || this.switched) return;
    if (side.resync) {
      if (sniffHttp1(chunk, role) !== 'yes') return;
      side.resync = false;
    }
    const st = side.state;
    if (side.q.length === 0 && !side.paused) {
      // A body being skipped, with nothing queued before it: pass over its bytes without copying them.
      if (st.kind === 'until-close') return;
      if (st.kind === 'length' || st.kind === 'chunk-data') {
        const n = Math.min(st.left, chunk.length);
        st.left -= n;
        if (st.left > 0) return;
        side.state = st.kind === 'length' ? { kind: 'head' } : { kind: 'chunk-size' };
        if (n === chunk.length) return;
        chunk = chunk.subarray(n);
      }
    }
    // Heads are framed in the segment itself; only bytes still queued at settle() are copied.
    side.q.lend(chunk);
    this.run(role, meta);
    this.conn.settleLater(side.q);
  }

  passOver(role: Role, len: number): boolean {
    const side = this.sides[role];
    if (side.dead || this.switched) return true;
    if (side.resync || side.q.length !== 0 || side.paused) return false;
    // A body being skipped with nothing queued: what data() does, without the bytes.
    const st = side.state;
    if (st.kind === 'until-close') return true;
    if ((st.kind === 'length' || st.kind === 'chunk-data') && st.left >= len) {
      st.left -= len;
      if (st.left === 0) side.state = st.kind === 'length' ? { kind: 'head' } : { kind: 'chunk-size' };
      return true;
    }
    return false;
  }

  gap(role: Role, meta: SegMeta): void {
    const side = this.sides[role];
    side.q.clear();
    // Resynchronize at the next head: bodies are the usual victims and heads are easy to spot.
    side.state = { kind: 'head' };
    side.resync = true;
    if (role === 'resp') this.requests.length = 0;
    void meta;
  }

  end(): void {}

  mismatch(peer: string | null, head: Buffer, meta: SegMeta): void {
    const req = this.requests[0];
    const what = req ? `${req.method} ${req.target}` : 'an HTTP/1 request';
    if (peer === 'tls') {
      this.conn.emit(meta, 'tls.mismatch', 'tls', { tls_reason: 'plaintext_to_tls', request: what, reply_hex: head.subarray(0, 16).toString('hex') },
        `client sent plaintext HTTP (${what}) to a server that answered in TLS (a TLS port)`);
    } else if (peer === 'http2') {
      this.conn.emit(meta, 'http.mismatch', 'protocol_mismatch', { reason: 'http1_to_h2', request: what },
        `client sent HTTP/1.x (${what}) to a server that answered in HTTP/2 (h2-only / prior-knowledge server)`);
    } else if (peer === null) {
      const text = head.subarray(0, 64).toString('latin1').split(/\r?\n/, 1)[0];
      this.conn.emit(meta, 'http.mismatch', 'protocol_mismatch', { reason: 'http1_unrecognised_reply', request: what, reply_hex: head.subarray(0, 32).toString('hex'), reply: text },
        `client sent HTTP/1.x (${what}) but the server answered with something that is not HTTP/1`);
    }
  }

  private run(role: Role, meta: SegMeta): void {
    const side = this.sides[role];
    while (!side.dead && !side.paused && !this.switched && side.q.length > 0) {
      const st = side.state;
      if (st.kind === 'until-close') {
        side.q.discard(side.q.length);
        return;
      }
      if (st.kind === 'length' || st.kind === 'chunk-data') {
        const n = Math.min(st.left, side.q.length);
        side.q.discard(n);
        st.left -= n;
        if (st.left > 0) return;
        side.state = st.kind === 'length' ? { kind: 'head' } : { kind: 'chunk-size' };
        if (st.kind === 'chunk-data') side.state = { kind: 'chunk-size' };
        continue;
      }
      const avail = side.q.peek(Math.min(side.q.length, MAX_HEAD_BYTES + 4));
      if (st.kind === 'chunk-size') {
        // The CRLF that ends the previous chunk's data comes first.
        let off = 0;
        if (avail[0] === 0x0d && avail[1] === 0x0a) off = 2;
        else if (avail[0] === 0x0a) off = 1;
        else if (avail.length < 2 && avail[0] === 0x0d) return;
        const c = decodeChunkSize(avail, off);
        if (!c.ok) {
          if (c.why === 'truncated') return;
          side.state = { kind: 'head' };
          side.q.discard(side.q.length);
          return;
        }
        side.q.discard(c.next);
        side.state = c.value === 0 ? { kind: 'trailers' } : { kind: 'chunk-data', left: c.value };
        continue;
      }
      if (st.kind === 'trailers') {
        // RFC 9112 §7.1.2: trailer fields end with an empty line.
        const s = avail.toString('latin1');
        const m = /^(?:[^\n]*\S[^\n]*\n)*?\r?\n/.exec(s);
        if (!m) {
          if (avail.length > MAX_HEAD_BYTES) { side.q.discard(side.q.length); side.state = { kind: 'head' }; }
          return;
        }
        side.q.discard(m[0].length);
        side.state = { kind: 'head' };
        continue;
      }
      // Tolerate stray CRLFs between messages (RFC 9112 §2.2).
      if (avail[0] === 0x0d || avail[0] === 0x0a) {
        side.q.discard(1);
        continue;
      }
      const h = decodeHttp1Head(avail, 0);
      if (!h.ok) {
        if (h.why === 'truncated') return;
        this.conn.anomaly(meta, 'http1_malformed', `${role === 'orig' ? 'client' : 'server'} bytes are not an HTTP/1 message head`, { flow: this.conn.flowId, head: avail.subarray(0, 32).toString('latin1') });
        side.dead = true;
        side.q.clear();
        return;
      }
      side.q.discard(h.next);
      const head = h.value;
      if (head.kind === 'request') {
        if (role !== 'orig') { side.dead = true; return; }
        const upgradeH2c = /\bh2c\b/i.test(header(head.headers, 'upgrade') ?? '');
        if (this.requests.length >= MAX_PENDING_REQUESTS) this.requests.shift();
        this.requests.push({ method: head.method, target: head.target, requestId: header(head.headers, 'x-request-id'), upgradeH2c });
        const te = header(head.headers, 'transfer-encoding');
        const cl = Number(header(head.headers, 'content-length') ?? '0');
        side.state = te && /chunked/i.test(te) ? { kind: 'chunk-size' } : cl > 0 ? { kind: 'length', left: cl } : { kind: 'head' };
        if (upgradeH2c || head.method === 'CONNECT') side.paused = true;
        continue;
      }
      if (role !== 'resp') { side.dead = true; return; }
      const informational = head.status >= 100 && head.status < 200;
      const req = informational && head.status !== 101 ? this.requests[0] : this.requests.shift();
      const close = wantsClose(head.version, head.headers);
      const requestId = header(head.headers, 'x-request-id') ?? req?.requestId ?? null;
      const body = side.q.length > 0 ? side.q.peek(Math.min(side.q.length, 512)).toString('latin1') : '';
      if (!informational || head.status === 101) {
        this.conn.emit(meta, 'http.response', null, {
          protocol: head.version, status: head.status, reason: head.reason, method: req?.method ?? null, path: req?.target ?? null,
          request_id: requestId, connection_close: close,
        }, `${head.version} ${head.status} ${head.reason}${req ? ` for ${req.method} ${req.target}` : ''}${close ? ' (Connection: close)' : ''}`);
      }
      if (head.status === 400 && PLAIN_TO_TLS_BODIES.test(body)) {
        this.conn.emit(meta, 'tls.mismatch', 'tls', { tls_reason: 'plaintext_to_tls', request: req ? `${req.method} ${req.target}` : null },
          'the server says a plain HTTP request was sent to its HTTPS port');
      }
      if (head.status === 101 && req?.upgradeH2c && /\bh2c\b/i.test(header(head.headers, 'upgrade') ?? '')) {
        // RFC 7540 §3.2: both sides speak HTTP/2 from the byte after this response.
        const pending = { orig: this.sides.orig.q.peekAll(), resp: side.q.peekAll() };
        if (this.conn.switchTo('http2', { upgraded: { path: req.target, requestId: req.requestId } }, pending, meta)) {
          this.switched = true;
          this.sides.orig.q.clear();
          side.q.clear();
          return;
        }
      }
      if (req?.method === 'CONNECT' && head.status >= 200 && head.status < 300) {
        // RFC 9110 §9.3.6: a tunnel from here on; what it carries is recognised by content.
        const pending = { orig: this.sides.orig.q.peekAll(), resp: side.q.peekAll() };
        if (this.conn.switchTo(null, {}, pending, meta)) {
          this.switched = true;
          this.sides.orig.q.clear();
          side.q.clear();
          return;
        }
      }
      if ((req?.upgradeH2c || req?.method === 'CONNECT') && this.sides.orig.paused) {
        this.sides.orig.paused = false;
        this.run('orig', meta);
      }
      side.state = this.bodyState(head.status, req?.method ?? null, head.headers);
    }
  }

  /** RFC 9112 §6.3: how the response body is delimited. */
  private bodyState(status: number, method: string | null, h: Array<[string, string]>): BodyState {
    if (method === 'HEAD' || (status >= 100 && status < 200) || status === 204 || status === 304) return { kind: 'head' };
    if (method === 'CONNECT' && status >= 200 && status < 300) return { kind: 'until-close' };
    const te = header(h, 'transfer-encoding');
    if (te && /chunked/i.test(te)) return { kind: 'chunk-size' };
    const cl = header(h, 'content-length');
    if (cl !== null && /^\d+$/.test(cl)) return Number(cl) > 0 ? { kind: 'length', left: Number(cl) } : { kind: 'head' };
    return { kind: 'until-close' };
  }
}

export const HTTP1_PROTOCOL: StreamProtocol = {
  name: 'http1',
  sniff: sniffHttp1,
  alpn: ['http/1.1', 'http/1.0'],
  open: (conn) => new Http1Decoder(conn),
};

registerStreamProtocol(HTTP1_PROTOCOL);
