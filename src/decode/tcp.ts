// TCP header, RFC 9293 §3.1; options MSS (kind 2), window scale (3, RFC 7323 §2), timestamps (8, RFC 7323 §3).
import type { Decoded } from '../capture/types.js';
import { l4Value, registerIpProto, type L4Value } from './l4.js';
import { DECODE_MALFORMED, DECODE_TRUNCATED, failAt, fromInto } from './tables.js';

export const IPPROTO_TCP = 6;
export const TCP_MIN_HEADER_LEN = 20;
export const TCP_SEQ_OFF = 4;
export const TCP_ACK_OFF = 8;
export const TCP_DATA_OFF = 12;
export const TCP_FLAGS_OFF = 13;
export const TCP_WINDOW_OFF = 14;
export const TCP_OPT_EOL = 0;
export const TCP_OPT_NOP = 1;
export const TCP_OPT_MSS = 2;
export const TCP_OPT_WSCALE = 3;
export const TCP_OPT_TIMESTAMP = 8;

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;

/** Decodes the header into a reused L4Value (the hot loop); returns where the payload starts. Options cut by snaplen are left unparsed. */
export function tcpInto(buf: Buffer, off: number, end: number, v: L4Value): number {
  if (end - off < TCP_MIN_HEADER_LEN) return failAt(DECODE_TRUNCATED, off);
  const hl = (buf[off + TCP_DATA_OFF]! >> 4) * 4;
  if (hl < TCP_MIN_HEADER_LEN) return failAt(DECODE_MALFORMED, off + TCP_DATA_OFF);
  v.proto = IPPROTO_TCP;
  v.sport = (buf[off]! << 8) | buf[off + 1]!;
  v.dport = (buf[off + 2]! << 8) | buf[off + 3]!;
  v.seq = u32(buf, off + TCP_SEQ_OFF);
  v.ack = u32(buf, off + TCP_ACK_OFF);
  v.flags = ((buf[off + TCP_DATA_OFF]! & 0x0f) << 8) | buf[off + TCP_FLAGS_OFF]!;
  v.window = (buf[off + TCP_WINDOW_OFF]! << 8) | buf[off + TCP_WINDOW_OFF + 1]!;
  v.mss = -1;
  v.wscale = -1;
  v.tsval = -1;
  v.tsecr = -1;
  v.icmpType = -1;
  v.icmpCode = -1;
  if (hl > TCP_MIN_HEADER_LEN) {
    const oend = Math.min(off + hl, end);
    let p = off + TCP_MIN_HEADER_LEN;
    while (p < oend) {
      const kind = buf[p]!;
      if (kind === TCP_OPT_EOL) break;
      if (kind === TCP_OPT_NOP) {
        p++;
        continue;
      }
      if (p + 1 >= oend) break;
      const len = buf[p + 1]!;
      if (len < 2 || p + len > oend) break;
      if (kind === TCP_OPT_MSS && len === 4) v.mss = (buf[p + 2]! << 8) | buf[p + 3]!;
      else if (kind === TCP_OPT_WSCALE && len === 3) v.wscale = buf[p + 2]!;
      else if (kind === TCP_OPT_TIMESTAMP && len === 10) {
        v.tsval = u32(buf, p + 2);
        v.tsecr = u32(buf, p + 6);
      }
      p += len;
    }
  }
  return off + hl;
}

function u32(buf: Buffer, i: number): number {
  return ((buf[i]! << 24) | (buf[i + 1]! << 16) | (buf[i + 2]! << 8) | buf[i + 3]!) >>> 0;
}

export const decodeTcp: (buf: Buffer, off: number, end: number) => Decoded<L4Value> = fromInto(tcpInto, () => l4Value(IPPROTO_TCP));

registerIpProto(IPPROTO_TCP, 'tcp', decodeTcp, tcpInto);
