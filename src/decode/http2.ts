// HTTP/2 wire decoders (RFC 9113): the connection preface, the 9-byte frame header, and the
// payloads we report (GOAWAY, RST_STREAM, SETTINGS, HEADERS/CONTINUATION framing).
// Pure functions over a buffer; they never throw on data (STYLE.md §1).
import type { Decoded } from '../capture/types.js';

/** RFC 9113 §3.4: the client connection preface. */
export const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
export const H2_FRAME_HEADER = 9;
/** RFC 9113 §4.2: SETTINGS_MAX_FRAME_SIZE may be raised up to 2^24-1. */
export const H2_MAX_FRAME = 0xffffff;

export const FRAME_TYPE = {
  DATA: 0x0,
  HEADERS: 0x1,
  PRIORITY: 0x2,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
} as const;

export const FLAG = {
  END_STREAM: 0x1,
  ACK: 0x1,
  END_HEADERS: 0x4,
  PADDED: 0x8,
  PRIORITY: 0x20,
} as const;

/** RFC 9113 §7 error codes. */
export const ERROR_NAMES: Readonly<Record<number, string>> = {
  0x0: 'NO_ERROR',
  0x1: 'PROTOCOL_ERROR',
  0x2: 'INTERNAL_ERROR',
  0x3: 'FLOW_CONTROL_ERROR',
  0x4: 'SETTINGS_TIMEOUT',
  0x5: 'STREAM_CLOSED',
  0x6: 'FRAME_SIZE_ERROR',
  0x7: 'REFUSED_STREAM',
  0x8: 'CANCEL',
  0x9: 'COMPRESSION_ERROR',
  0xa: 'CONNECT_ERROR',
  0xb: 'ENHANCE_YOUR_CALM',
  0xc: 'INADEQUATE_SECURITY',
  0xd: 'HTTP_1_1_REQUIRED',
};

export function errorName(code: number): string {
  return ERROR_NAMES[code] ?? `UNKNOWN_0x${code.toString(16)}`;
}

/** RFC 9113 §6.5.2 setting identifiers. */
export const SETTING_NAMES: Readonly<Record<number, string>> = {
  0x1: 'HEADER_TABLE_SIZE',
  0x2: 'ENABLE_PUSH',
  0x3: 'MAX_CONCURRENT_STREAMS',
  0x4: 'INITIAL_WINDOW_SIZE',
  0x5: 'MAX_FRAME_SIZE',
  0x6: 'MAX_HEADER_LIST_SIZE',
  0x8: 'ENABLE_CONNECT_PROTOCOL',
  0x9: 'NO_RFC7540_PRIORITIES',
};

export interface H2Frame {
  length: number;
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
}

/** Stream length function: bytes in the frame at `offset`, or 'truncated' (RFC 9113 §4.1). */
export function frameLength(buf: Buffer, offset: number): number | 'truncated' {
  if (buf.length - offset < H2_FRAME_HEADER) return 'truncated';
  return H2_FRAME_HEADER + buf.readUIntBE(offset, 3);
}

/** RFC 9113 §4.1: length(24) type(8) flags(8) R(1) stream id(31), payload. */
export function decodeFrame(buf: Buffer, offset: number): Decoded<H2Frame> {
  if (buf.length - offset < H2_FRAME_HEADER) return { ok: false, why: 'truncated', at: offset };
  const length = buf.readUIntBE(offset, 3);
  const end = offset + H2_FRAME_HEADER + length;
  if (buf.length < end) return { ok: false, why: 'truncated', at: offset };
  return {
    ok: true,
    value: {
      length,
      type: buf[offset + 3],
      flags: buf[offset + 4],
      streamId: buf.readUInt32BE(offset + 5) & 0x7fffffff,
      payload: buf.subarray(offset + H2_FRAME_HEADER, end),
    },
    next: end,
  };
}

export interface GoAway {
  lastStreamId: number;
  errorCode: number;
  debugData: Buffer;
}

/** RFC 9113 §6.8: R + last stream id(31), error code(32), debug data. */
export function decodeGoAway(payload: Buffer, offset = 0): Decoded<GoAway> {
  if (payload.length - offset < 8) return { ok: false, why: 'truncated', at: offset };
  return {
    ok: true,
    value: {
      lastStreamId: payload.readUInt32BE(offset) & 0x7fffffff,
      errorCode: payload.readUInt32BE(offset + 4),
      debugData: payload.subarray(offset + 8),
    },
    next: payload.length,
  };
}

/** RFC 9113 §6.4: error code(32). */
export function decodeRstStream(payload: Buffer, offset = 0): Decoded<{ errorCode: number }> {
  if (payload.length - offset < 4) return { ok: false, why: 'truncated', at: offset };
  return { ok: true, value: { errorCode: payload.readUInt32BE(offset) }, next: offset + 4 };
}

/** RFC 9113 §6.5.1: (identifier(16), value(32))*; a length not a multiple of 6 is a FRAME_SIZE_ERROR. */
export function decodeSettings(payload: Buffer, offset = 0): Decoded<Array<[id: number, value: number]>> {
  if ((payload.length - offset) % 6 !== 0) return { ok: false, why: 'malformed', at: offset };
  const out: Array<[number, number]> = [];
  for (let i = offset; i + 6 <= payload.length; i += 6) out.push([payload.readUInt16BE(i), payload.readUInt32BE(i + 2)]);
  return { ok: true, value: out, next: payload.length };
}

/** RFC 9113 §6.1: with PADDED, a pad-length byte first and that many bytes of padding last; null when the pad length byte is missing. */
function unpadded(flags: number, payload: Buffer, offset: number): { start: number; end: number } | null {
  if (!(flags & FLAG.PADDED)) return { start: offset, end: payload.length };
  if (payload.length - offset < 1) return null;
  return { start: offset + 1, end: payload.length - payload[offset] };
}

/** RFC 9113 §6.2: strip padding and priority fields from a HEADERS payload: the block fragment. */
export function headersFragment(flags: number, payload: Buffer, offset = 0): Decoded<Buffer> {
  const span = unpadded(flags, payload, offset);
  if (!span) return { ok: false, why: 'malformed', at: offset };
  let { start } = span;
  const { end } = span;
  if (flags & FLAG.PRIORITY) start += 5;
  if (end < start) return { ok: false, why: 'malformed', at: offset };
  return { ok: true, value: payload.subarray(start, end), next: payload.length };
}

/** RFC 9113 §6.6: PUSH_PROMISE = [pad length] promised stream id(32) fragment [padding]. */
export function pushPromiseFragment(flags: number, payload: Buffer, offset = 0): Decoded<{ promised: number; fragment: Buffer }> {
  const span = unpadded(flags, payload, offset);
  if (!span) return { ok: false, why: 'malformed', at: offset };
  const { start, end } = span;
  if (end - start < 4) return { ok: false, why: 'malformed', at: offset };
  return { ok: true, value: { promised: payload.readUInt32BE(start) & 0x7fffffff, fragment: payload.subarray(start + 4, end) }, next: payload.length };
}
