// TCP header, RFC 9293 §3.1; options MSS (kind 2), window scale (3, RFC 7323 §2), timestamps (8, RFC 7323 §3).
import type { Decoded } from '../capture/types.js';
import { l4Value, registerIpProto, type L4Value } from './l4.js';
import { malformed, truncated } from './tables.js';

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

/** Decodes the header; `next` is where the payload starts. Options cut by snaplen are left unparsed. */
export function decodeTcp(buf: Buffer, off: number, end: number): Decoded<L4Value> {
  if (end - off < TCP_MIN_HEADER_LEN) return truncated(off);
  const hl = (buf[off + TCP_DATA_OFF]! >> 4) * 4;
  if (hl < TCP_MIN_HEADER_LEN) return malformed(off + TCP_DATA_OFF);
  const v = l4Value(IPPROTO_TCP);
  v.sport = buf.readUInt16BE(off);
  v.dport = buf.readUInt16BE(off + 2);
  v.seq = buf.readUInt32BE(off + TCP_SEQ_OFF);
  v.ack = buf.readUInt32BE(off + TCP_ACK_OFF);
  v.flags = ((buf[off + TCP_DATA_OFF]! & 0x0f) << 8) | buf[off + TCP_FLAGS_OFF]!;
  v.window = buf.readUInt16BE(off + TCP_WINDOW_OFF);
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
      if (kind === TCP_OPT_MSS && len === 4) v.mss = buf.readUInt16BE(p + 2);
      else if (kind === TCP_OPT_WSCALE && len === 3) v.wscale = buf[p + 2]!;
      else if (kind === TCP_OPT_TIMESTAMP && len === 10) {
        v.tsval = buf.readUInt32BE(p + 2);
        v.tsecr = buf.readUInt32BE(p + 6);
      }
      p += len;
    }
  }
  return { ok: true, value: v, next: off + hl };
}

registerIpProto(IPPROTO_TCP, 'tcp', decodeTcp);
