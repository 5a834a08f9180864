// How much an event weighs as evidence, and how precise its time is.
import type { Event } from '../events.js';

/** Wire evidence beats a proxy's error/debug log, which beats an access-log status or a pasted body. */
export function strength(ev: Event): number {
  const k = ev.kind;
  if (k.startsWith('tcp.') || k.startsWith('icmp.') || k.startsWith('tls.') || k.startsWith('http2.') || k === 'http.response') return 3;
  if (k === 'nginx.error' || k === 'envoy.debug') return 2;
  if (k === 'envoy.access') return 2;
  return 1; // nginx.access, envoy.body, anything else
}

export function isCapture(ev: Event): boolean {
  return ev.frame !== undefined;
}

/** Resolution of an event's time in µs, from the digits its source wrote (a log with seconds: 1 s). */
export function resolutionUs(ev: Event): number {
  if (!ev.time) return Infinity;
  const m = /\.(\d+)Z$/.exec(ev.time);
  const digits = m ? m[1].length : 0;
  return digits >= 6 ? 1 : 10 ** (6 - digits);
}

export function describe(ev: Event): string {
  if (typeof ev.summary === 'string' && ev.summary) return ev.summary;
  const bits = [ev.kind];
  if (ev.cause) bits.push(ev.cause);
  if (ev.src || ev.dst) bits.push(`${ev.src ?? '?'} → ${ev.dst ?? '?'}`);
  return bits.join(' ');
}
