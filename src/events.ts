// The normalized event: the public NDJSON contract of `resetscope events` (DESIGN.md §2).
// Add fields freely; never rename one. Kind-specific fields use Wireshark-like names.

/** One vocabulary of causes for every source (DESIGN.md §3). */
export const CAUSES = [
  'refused', 'connect_timeout', 'unreachable', 'tls', 'protocol_mismatch', 'pool_overflow',
  'resource_exhaustion', 'no_healthy_upstream', 'upstream_reset', 'upstream_close', 'idle_race',
  'timeout', 'middlebox_reset', 'local_reset', 'client_abort', 'unknown',
] as const;
export type Cause = (typeof CAUSES)[number];

/** Which hop started it. */
export const ORIGINS = ['client', 'proxy', 'network', 'upstream', 'unknown'] as const;
export type Origin = (typeof ORIGINS)[number];

export interface Event {
  /** ISO-8601 UTC with the source's own precision; null when the input had no time. */
  time: string | null;
  /** The same instant as integer microseconds since the epoch (null when no time). Used to merge. */
  ts_us: number | null;
  /** The input as named on the command line ('-' for stdin). */
  source: string;
  /** 1-based line number (text inputs). */
  line?: number;
  /** 1-based frame number (captures). */
  frame?: number;
  /** Dotted kind: envoy.access, nginx.error, tcp.rst, tls.alert, anomaly.<what> ... */
  kind: string;
  /** A cause from CAUSES, or null when the event is not a failure. */
  cause: Cause | null;
  /** "ip:port" of the sender / receiver, when known. */
  src: string | null;
  dst: string | null;
  /** "ip:port" or name of the upstream involved, when known. */
  upstream: string | null;
  /** One short human sentence: what this event shows. */
  summary?: string;
  /** The original line (failure and anomaly events only; capped at LIMITS.RAW_LINE_CHARS). */
  raw?: string;
  /** Kind-specific fields (response_flags, phase, ttl, error_name ...). */
  [field: string]: unknown;
}

/** Build an event with the contract's fields first, in one fixed order (stable shapes, stable output). */
export function makeEvent(
  base: Pick<Event, 'time' | 'ts_us' | 'source' | 'kind' | 'cause'> &
    Partial<Pick<Event, 'line' | 'frame' | 'src' | 'dst' | 'upstream' | 'summary' | 'raw'>>,
  extra?: Record<string, unknown>,
): Event {
  const ev: Event = {
    time: base.time,
    ts_us: base.ts_us,
    source: base.source,
    ...(base.line !== undefined ? { line: base.line } : {}),
    ...(base.frame !== undefined ? { frame: base.frame } : {}),
    kind: base.kind,
    cause: base.cause,
    src: base.src ?? null,
    dst: base.dst ?? null,
    upstream: base.upstream ?? null,
  };
  if (base.summary !== undefined) ev.summary = base.summary;
  if (extra) Object.assign(ev, extra);
  if (base.raw !== undefined) ev.raw = base.raw;
  return ev;
}

/** Where an event came from, as people cite it: "envoy.log:12" or "cap.pcap#frame 7". */
export function eventRef(ev: Pick<Event, 'source' | 'line' | 'frame'>): string {
  if (ev.frame !== undefined) return `${ev.source}#${ev.frame}`;
  if (ev.line !== undefined) return `${ev.source}:${ev.line}`;
  return ev.source;
}
