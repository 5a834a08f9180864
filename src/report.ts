// The aggregated report every renderer (table, json, markdown, html) draws from.
import type { Cause, Origin, Event } from './events.js';
import type { InputStats } from './ingest/types.js';

/** One supporting event, as cited in a ticket. */
export interface Evidence {
  time: string | null;
  source: string;
  line?: number;
  frame?: number;
  kind: string;
  cause: Cause | null;
  /** What this event shows, in one sentence. */
  summary: string;
  /** The raw line (logs) when kept. */
  raw?: string;
  /** Why this event matters to the verdict: 'first', 'supports', 'secondary' (a consequence, not blamed), 'context'. */
  role: 'first' | 'supports' | 'secondary' | 'context';
}

export interface Incident {
  id: string;
  cause: Cause;
  origin: Origin;
  upstream: string | null;
  /** The hop names in order when known (client -> proxy -> upstream). */
  hops?: string[];
  start: string | null;
  end: string | null;
  start_us: number | null;
  end_us: number | null;
  /** Failure events grouped here. */
  count: number;
  by_source: Record<string, number>;
  /** The earliest, most precise evidence. */
  first: { time: string | null; source: string; line?: number; frame?: number; kind: string; summary: string };
  /** Why, in one or two sentences. */
  explanation: string;
  evidence: Evidence[];
  confidence: 'high' | 'medium' | 'low';
  confidence_score: number;
  /** What would raise the confidence ("a capture on the upstream host"). */
  to_confirm: string[];
  fix: string[];
  /** Commands filled in with the real host, port and SNI. */
  next_commands: string[];
  /** Extra detail: tls_reason, sni, alpn, errno ... */
  details: Record<string, unknown>;
}

export interface SummaryRow {
  key: string;
  count: number;
  first: string | null;
  last: string | null;
  examples: string[];
}

export interface Report {
  tool: { name: 'resetscope'; version: string };
  verdict: Incident | null;
  incidents: Incident[];
  inputs: (InputStats & {
    skew_us?: number; skew_source?: 'given' | 'estimated' | 'none'; skew_confidence?: string;
    /** How an estimated offset was found (the matched pairs), and the interval they allow. */
    skew_basis?: string; skew_bounds_us?: [number, number];
    /** The offset is whole quarter-hours on an input whose zone was assumed: a time zone, not a clock. */
    skew_zone_like?: boolean;
  })[];
  stats: {
    events: number;
    failures: number;
    skipped: number;
    first: string | null;
    last: string | null;
    by_cause: SummaryRow[];
    by_upstream: SummaryRow[];
    by_kind: Record<string, number>;
  };
  /** Everything we assumed: time zones, skews, formats guessed. */
  assumptions: string[];
  /** anomaly.* events kept as examples. */
  anomalies: Event[];
  /**
   * Optional: when events happened, per lane (a source or a hop), for the HTML timeline picture.
   * Bounded by construction (buckets, not events): renderers re-aggregate anyway, and derive a
   * timeline from incidents/evidence when this is absent. `src/render/timeline.ts` has a collector.
   */
  timeline?: Timeline;
}

/** Events per lane in time buckets, plus the few events worth a mark of their own. */
export interface Timeline {
  lanes: TimelineLane[];
  marks: TimelineMark[];
}

export interface TimelineLane {
  /** A source as named on the command line, or a hop name. */
  name: string;
  /** Ascending, non-overlapping; empty buckets may be omitted. */
  buckets: TimelineBucket[];
}

export interface TimelineBucket {
  start_us: number;
  end_us: number;
  /** All events in [start_us, end_us). */
  count: number;
  /** Of which failures (cause !== null). */
  failures: number;
}

export interface TimelineMark {
  /** A lane name from `lanes` (or a source name when the lane is not listed). */
  lane: string;
  time_us: number;
  kind: string;
  cause: Cause | null;
  /** The first reset: the verdict's first evidence; drawn highlighted. */
  first?: boolean;
  /** Short text for the tooltip ("RST+ACK in reply to SYN"). */
  label: string;
  /** "source:line" or "source#frame". */
  ref?: string;
}
