// HTTP/2 as a stream protocol: "9 + u24 at 0" framing after the 24-byte client preface
// (RFC 9113 §3.4, §4.1), HPACK per direction (RFC 7541), and the frames that explain resets:
// GOAWAY, RST_STREAM, SETTINGS, and responses (:status, :path, x-request-id, grpc-status).
// Detected by the preface (h2c prior knowledge), by ALPN "h2" inside TLS, or after an HTTP/1.1
// Upgrade — never by port.
import type { Cause } from '../events.js';
import { ByteQueue } from '../capture/reassembly.js';
import { LIMITS } from '../limits.js';
import { HpackDecoder, headerValue, type HeaderList } from './hpack.js';
import {
  registerStreamProtocol, printable,
  type OpenOptions, type Role, type SegMeta, type Sniff, type StreamConn, type StreamDecoder, type StreamProtocol,
} from './stream-registry.js';
import {
  H2_PREFACE, H2_FRAME_HEADER, FRAME_TYPE, FLAG, SETTING_NAMES, errorName,
  decodeFrame, decodeGoAway, decodeRstStream, decodeSettings, headersFragment, pushPromiseFragment,
} from './http2.js';

/** Streams remembered per connection (for the path / request id of a later response or reset). */
const MAX_STREAMS_TRACKED = 1024;

/** RFC 9113 §7 error code -> DESIGN.md §3 cause, given who sent the frame. */
export function h2ErrorCause(code: number, sender: Role): Cause | null {
  switch (code) {
    case 0x0: return null; // NO_ERROR: graceful
    case 0x1: case 0x3: case 0x5: case 0x6: case 0x9: case 0xd: case 0x4:
      return 'protocol_mismatch'; // PROTOCOL_ERROR, FLOW_CONTROL, STREAM_CLOSED, FRAME_SIZE, COMPRESSION, HTTP_1_1_REQUIRED, SETTINGS_TIMEOUT
    case 0x2: return sender === 'resp' ? 'upstream_reset' : 'local_reset'; // INTERNAL_ERROR
    case 0x7: return 'pool_overflow'; // REFUSED_STREAM: not processed, safe to retry (§8.7)
    case 0x8: return sender === 'orig' ? 'client_abort' : 'upstream_reset'; // CANCEL
    case 0xa: return 'upstream_reset'; // CONNECT_ERROR: the tunnelled TCP connection was reset
    case 0xb: return 'pool_overflow'; // ENHANCE_YOUR_CALM: the peer limits our load (streams/rate)
    case 0xc: return 'tls'; // INADEQUATE_SECURITY
    default: return 'unknown';
  }
}

/** The client preface, or (responder side) a first SETTINGS / GOAWAY frame on stream 0. */
export function sniffHttp2(head: Buffer, role: Role): Sniff {
  if (role === 'orig') {
    const n = Math.min(head.length, H2_PREFACE.length);
    if (head.subarray(0, n).equals(H2_PREFACE.subarray(0, n))) return n === H2_PREFACE.length ? 'yes' : 'more';
    return 'no';
  }
  if (head.length < H2_FRAME_HEADER) return head.length > 0 && head[0] !== 0 ? 'no' : 'more';
  const len = head.readUIntBE(0, 3);
  const type = head[3];
  const stream = head.readUInt32BE(5) & 0x7fffffff;
  // RFC 9113 §3.4: the server preface is a SETTINGS frame (stream 0, entries of 6 bytes).
  if (type === FRAME_TYPE.SETTINGS && stream === 0 && len % 6 === 0 && len <= 16384 && (head[4] & ~FLAG.ACK) === 0) return 'yes';
  if (type === FRAME_TYPE.GOAWAY && stream === 0 && len >= 8 && len <= 16384) return 'yes';
  return 'no';
}

interface StreamInfo {
  method: string | null;
  path: string | null;
  authority: string | null;
  requestId: string | null;
  /** The response's :status, once its headers arrived. */
  status?: number;
}

/** Codes a client sends to close a stream it no longer needs (RFC 9113 §5.4.2, §8.7): not a failure once answered. */
const CLIENT_CLOSE_CODES: ReadonlySet<number> = new Set([0x0, 0x5, 0x8]); // NO_ERROR, STREAM_CLOSED, CANCEL

/**
 * The cause of a RST_STREAM: as h2ErrorCause, except that a client closing a stream whose response
 * had already begun (curl sends STREAM_CLOSED or CANCEL after reading an answer) is no failure.
 */
export function rstStreamCause(code: number, sender: Role, answered: boolean): Cause | null {
  if (sender === 'orig' && answered && CLIENT_CLOSE_CODES.has(code)) return null;
  return h2ErrorCause(code, sender);
}

interface PendingBlock {
  streamId: number;
  type: number;
  flags: number;
  parts: Buffer[];
  bytes: number;
}

interface Side {
  q: ByteQueue;
  prefaceLeft: number;
  hpack: HpackDecoder;
  pending: PendingBlock | null;
  dead: boolean;
  frames: number;
}

function debugText(b: Buffer): string {
  return printable(b) ? b.toString('latin1') : b.toString('hex');
}

class Http2Decoder implements StreamDecoder {
  private sides: Record<Role, Side>;
  private streams = new Map<number, StreamInfo>();

  constructor(private conn: StreamConn, options: OpenOptions) {
    this.sides = {
      orig: { q: new ByteQueue(), prefaceLeft: H2_PREFACE.length, hpack: new HpackDecoder(), pending: null, dead: false, frames: 0 },
      resp: { q: new ByteQueue(), prefaceLeft: 0, hpack: new HpackDecoder(), pending: null, dead: false, frames: 0 },
    };
    if (options.upgraded) {
      // RFC 9113 §3.2 (RFC 7540 §3.2): the upgraded HTTP/1.1 request becomes stream 1.
      this.streams.set(1, { method: null, path: options.upgraded.path, authority: null, requestId: options.upgraded.requestId });
    }
  }

  data(role: Role, chunk: Buffer, meta: SegMeta): void {
    const side = this.sides[role];
    if (side.dead) return;
    side.q.push(chunk);
    if (side.prefaceLeft > 0) {
      const start = H2_PREFACE.length - side.prefaceLeft;
      const n = Math.min(side.prefaceLeft, side.q.length);
      const got = side.q.consume(n);
      if (!got.equals(H2_PREFACE.subarray(start, start + n))) {
        this.conn.anomaly(meta, 'http2_bad_preface', 'client bytes do not match the HTTP/2 connection preface', { flow: this.conn.flowId });
        side.dead = true;
        side.q.clear();
        return;
      }
      side.prefaceLeft -= n;
      if (side.prefaceLeft > 0) return;
    }
    while (side.q.length >= H2_FRAME_HEADER) {
      const h = side.q.peek(H2_FRAME_HEADER);
      const total = H2_FRAME_HEADER + h.readUIntBE(0, 3);
      const type = h[3];
      if (type === FRAME_TYPE.DATA || total > LIMITS.MAX_REASSEMBLY_BYTES) {
        // Bodies are not needed: skip them without buffering (even before they arrive).
        if (type !== FRAME_TYPE.DATA) {
          this.conn.anomaly(meta, 'http2_frame_too_large', `HTTP/2 frame of ${total} bytes (type ${type}) exceeds the reassembly limit; skipped`, { flow: this.conn.flowId });
          if (type === FRAME_TYPE.HEADERS || type === FRAME_TYPE.CONTINUATION || type === FRAME_TYPE.PUSH_PROMISE) side.hpack.broken = true;
        }
        side.frames++;
        side.q.discard(total);
        continue;
      }
      if (side.q.length < total) break;
      const f = decodeFrame(side.q.consume(total), 0);
      if (!f.ok) break; // cannot happen: length checked above
      side.frames++;
      this.frame(role, f.value.type, f.value.flags, f.value.streamId, f.value.payload, meta);
    }
  }

  gap(role: Role, meta: SegMeta): void {
    const side = this.sides[role];
    side.q.clear();
    side.dead = true;
    this.conn.anomaly(meta, 'http2_lost_sync', 'bytes missing in an HTTP/2 stream: frames after the gap are not decoded', { flow: this.conn.flowId, side: role });
  }

  end(): void {}

  mismatch(peer: string | null, head: Buffer, meta: SegMeta): void {
    const firstLine = head.toString('latin1').split(/\r?\n/, 1)[0].slice(0, 120);
    if (peer === 'http1') {
      this.conn.emit(meta, 'http.mismatch', 'protocol_mismatch', { reason: 'h2_to_http1', reply: firstLine },
        `client sent the HTTP/2 preface (prior knowledge) but the server answered in HTTP/1.x: "${firstLine}"`);
    } else if (peer === null) {
      this.conn.emit(meta, 'http.mismatch', 'protocol_mismatch', { reason: 'h2_unrecognised_reply', reply_hex: head.subarray(0, 32).toString('hex') },
        'client sent the HTTP/2 preface but the server answered with bytes that are not HTTP/2');
    }
  }

  private frame(role: Role, type: number, flags: number, streamId: number, payload: Buffer, meta: SegMeta): void {
    const side = this.sides[role];
    if (side.pending && type !== FRAME_TYPE.CONTINUATION) {
      // RFC 9113 §6.10: nothing may interleave a header block; the HPACK state is now unknown.
      this.conn.anomaly(meta, 'http2_interrupted_header_block', `frame type ${type} inside a header block`, { flow: this.conn.flowId });
      side.pending = null;
      side.hpack.broken = true;
    }
    switch (type) {
      case FRAME_TYPE.HEADERS: {
        const frag = headersFragment(flags, payload);
        if (!frag.ok) { side.hpack.broken = true; return; }
        this.blockStart(role, streamId, type, flags, frag.value, meta);
        return;
      }
      case FRAME_TYPE.PUSH_PROMISE: {
        const pp = pushPromiseFragment(flags, payload);
        if (!pp.ok) { side.hpack.broken = true; return; }
        this.blockStart(role, streamId, type, flags, pp.value.fragment, meta);
        return;
      }
      case FRAME_TYPE.CONTINUATION: {
        const p = side.pending;
        if (!p || p.streamId !== streamId) { side.hpack.broken = true; return; }
        p.parts.push(Buffer.from(payload));
        p.bytes += payload.length;
        if (p.bytes > LIMITS.MAX_REASSEMBLY_BYTES) {
          this.conn.anomaly(meta, 'http2_header_block_too_large', 'header block exceeds the reassembly limit', { flow: this.conn.flowId });
          side.pending = null;
          side.hpack.broken = true;
          return;
        }
        if (flags & FLAG.END_HEADERS) {
          side.pending = null;
          this.headerBlock(role, p.streamId, p.type, p.flags, Buffer.concat(p.parts), meta);
        }
        return;
      }
      case FRAME_TYPE.RST_STREAM: {
        const r = decodeRstStream(payload);
        if (!r.ok) return;
        const code = r.value.errorCode;
        const s = this.streams.get(streamId);
        this.conn.emit(meta, 'http2.rst_stream', rstStreamCause(code, role, s?.status !== undefined), {
          stream_id: streamId, error_code: code, error_name: errorName(code),
          path: s?.path ?? null, request_id: s?.requestId ?? null, flow: this.conn.flowId,
        }, `HTTP/2 RST_STREAM ${errorName(code)} on stream ${streamId} from the ${role === 'orig' ? 'client' : 'server'}${s?.path ? ` (${s.path})` : ''}`);
        return;
      }
      case FRAME_TYPE.GOAWAY: {
        const g = decodeGoAway(payload);
        if (!g.ok) return;
        const code = g.value.errorCode;
        this.conn.emit(meta, 'http2.goaway', h2ErrorCause(code, role), {
          stream: streamId, last_stream_id: g.value.lastStreamId, error_code: code, error_name: errorName(code),
          debug_data: g.value.debugData.length ? debugText(g.value.debugData) : null,
        }, `HTTP/2 GOAWAY ${errorName(code)} from the ${role === 'orig' ? 'client' : 'server'}, last stream ${g.value.lastStreamId}${g.value.debugData.length ? `: ${debugText(g.value.debugData).slice(0, 80)}` : ''}`);
        return;
      }
      case FRAME_TYPE.SETTINGS: {
        if (flags & FLAG.ACK) return;
        const s = decodeSettings(payload);
        if (!s.ok) return;
        const settings: Record<string, number> = {};
        let maxStreams: number | null = null;
        for (const [id, value] of s.value) {
          settings[SETTING_NAMES[id] ?? `0x${id.toString(16)}`] = value;
          if (id === 0x3) maxStreams = value;
          // §6.5.2: the table size the *other* side's encoder may use when talking to this side.
          if (id === 0x1) this.sides[role === 'orig' ? 'resp' : 'orig'].hpack.setMaxSize(value);
        }
        this.conn.emit(meta, 'http2.settings', null, { settings, max_concurrent_streams: maxStreams },
          `HTTP/2 SETTINGS from the ${role === 'orig' ? 'client' : 'server'}${maxStreams !== null ? `: MAX_CONCURRENT_STREAMS ${maxStreams}` : ''}`);
        return;
      }
      default:
        return;
    }
  }

  private blockStart(role: Role, streamId: number, type: number, flags: number, frag: Buffer, meta: SegMeta): void {
    if (flags & FLAG.END_HEADERS) {
      this.headerBlock(role, streamId, type, flags, frag, meta);
      return;
    }
    this.sides[role].pending = { streamId, type, flags, parts: [Buffer.from(frag)], bytes: frag.length };
  }

  private headerBlock(role: Role, streamId: number, type: number, flags: number, block: Buffer, meta: SegMeta): void {
    const r = this.sides[role].hpack.decode(block);
    if (!r.ok) {
      this.conn.anomaly(meta, 'hpack_error', `HPACK decoding failed on stream ${streamId}: ${r.why}`, { flow: this.conn.flowId });
      return;
    }
    if (type === FRAME_TYPE.PUSH_PROMISE) return;
    const h = r.headers;
    if (role === 'orig') {
      this.track(streamId, { method: headerValue(h, ':method'), path: headerValue(h, ':path'), authority: headerValue(h, ':authority'), requestId: headerValue(h, 'x-request-id') });
      return;
    }
    this.response(streamId, flags, h, meta);
  }

  private response(streamId: number, flags: number, h: HeaderList, meta: SegMeta): void {
    const s = this.streams.get(streamId);
    const status = headerValue(h, ':status');
    const grpc = headerValue(h, 'grpc-status');
    const requestId = headerValue(h, 'x-request-id') ?? s?.requestId ?? null;
    if (status === null) {
      if (grpc === null) return;
      // Trailers (RFC 9113 §8.1): gRPC puts its status here.
      this.conn.emit(meta, 'http.trailers', null, {
        stream_id: streamId, grpc_status: Number(grpc), grpc_message: headerValue(h, 'grpc-message'), path: s?.path ?? null, request_id: requestId,
      }, `gRPC status ${grpc} on stream ${streamId}${s?.path ? ` (${s.path})` : ''}`);
      return;
    }
    const code = Number(status);
    if (code >= 100 && code < 200 && code !== 101) return; // interim responses
    if (s) s.status = code;
    this.conn.emit(meta, 'http.response', null, {
      protocol: 'h2', status: code, stream_id: streamId, method: s?.method ?? null, path: s?.path ?? null,
      authority: s?.authority ?? null, request_id: requestId,
      grpc_status: grpc === null ? null : Number(grpc), end_stream: (flags & FLAG.END_STREAM) !== 0,
    }, `HTTP/2 ${code} on stream ${streamId}${s?.path ? ` for ${s.method ?? ''} ${s.path}` : ''}`);
  }

  private track(id: number, info: StreamInfo): void {
    if (this.streams.size >= MAX_STREAMS_TRACKED) {
      const oldest = this.streams.keys().next().value;
      if (oldest !== undefined) this.streams.delete(oldest);
    }
    this.streams.set(id, info);
  }
}

export const HTTP2_PROTOCOL: StreamProtocol = {
  name: 'http2',
  sniff: sniffHttp2,
  alpn: ['h2', 'h2c'],
  open: (conn, options) => new Http2Decoder(conn, options),
};

registerStreamProtocol(HTTP2_PROTOCOL);
