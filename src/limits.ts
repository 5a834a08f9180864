// Every limit has a name and a reason. Hitting one emits an `anomaly.*` event and the run goes on.
export const LIMITS = {
  /** Longest text line we parse; longer lines are counted as skipped (a 10 MB "line" is binary or a dump). */
  MAX_LINE_BYTES: 1024 * 1024,
  /** Characters of a raw line kept in an event for evidence; reports must stay readable. */
  RAW_LINE_CHARS: 2048,
  /** Bytes peeked at the start of an input to sniff its format. */
  SNIFF_BYTES: 64 * 1024,
  /** Skipped-line examples kept per input (all are counted). */
  SKIPPED_EXAMPLES: 20,
  /** `anomaly.*` events emitted per input and kind before we only count them. */
  ANOMALY_EVENTS_PER_KIND: 100,
  /** TCP flows held at once; the idlest are evicted (and finalized) beyond this. */
  MAX_FLOWS: 200_000,
  /** A flow with no packet for this long (capture time) is finalized and evicted. */
  FLOW_IDLE_US: 300 * 1_000_000,
  /** Bytes buffered per TCP direction for reassembly before we give up on that direction. */
  MAX_REASSEMBLY_BYTES: 256 * 1024,
  /** Out-of-order segments held per direction. */
  MAX_OOO_SEGMENTS: 64,
  /** Largest clock skew we will estimate or accept between two hosts. */
  MAX_CLOCK_SKEW_US: 3600 * 1_000_000,
  /** Events kept as evidence per incident (all are counted). */
  MAX_EVIDENCE_PER_INCIDENT: 50,
  /** A gap this long with no failure closes an incident (per upstream). */
  INCIDENT_GAP_US: 60 * 1_000_000,
  /** How long an event may arrive late (out of order) within one source before it is flagged. */
  REORDER_WINDOW_US: 5 * 1_000_000,
  /** An input that yields nothing for this long (wall clock: a live pipe) releases what the reorder window holds. */
  REORDER_IDLE_FLUSH_MS: 1000,
  /**
   * Events held before correlation so clock offsets between inputs can be estimated first
   * (incidents are judged on corrected times); a backstop to MAX_BUFFERED_BYTES. Beyond either,
   * analyze estimates from what it holds and reads the inputs again, or (stdin) streams without
   * estimation and says so (src/correlate/analyze.ts). One input holds nothing.
   */
  MAX_BUFFERED_EVENTS: 500_000,
  /** The same in (approximate) bytes of held events: what keeps a multi-input run's RSS bounded. */
  MAX_BUFFERED_BYTES: 32 * 1024 * 1024,
  /** Matched pairs kept per pair of inputs for skew estimation; more adds nothing but memory. */
  MAX_SKEW_PAIRS: 2_000,
  /** Largest offset accepted as a time-zone difference on an input whose zone was assumed (UTC±14). */
  MAX_ZONE_SKEW_US: 14 * 3600 * 1_000_000,
  /** Live pipes: an incident with no new failure for this long (wall clock) is printed and closed. */
  LIVE_INCIDENT_QUIET_US: 5 * 1_000_000,
  /** Live pipes: event times within this of the wall clock mean the input is live (not a replayed file). */
  LIVE_NEAR_NOW_US: 15 * 60 * 1_000_000,
  /** Failure events with no upstream waiting for an incident to join (all are counted). */
  MAX_ORPHANS: 10_000,
  /** Rows of the report's by_upstream table; failures toward further upstreams are counted in an "other" row. */
  MAX_UPSTREAM_ROWS: 10_000,
  /** Upstreams with context events held at once; beyond it, context no incident can still look at is dropped at once. */
  MAX_CONTEXT_UPSTREAMS: 10_000,
  /**
   * How late (capture time) a failure may still reach the correlator: a capture reports a flow's
   * failure (handshake never finished, SYN never answered) when the flow ends or goes idle, so up to
   * FLOW_IDLE_US after its time (measured: 294 s on bench/data/capture-500mb.pcap), plus a margin.
   * Context older than this (and older than every open incident) is dropped: no incident can look
   * at it any more. A failure later than this that finds its context gone is said in the report.
   */
  CONTEXT_LATE_US: 300 * 1_000_000 + 60 * 1_000_000,
  /** Capture time between two sweeps of the held context for events no incident can look at. */
  CONTEXT_PRUNE_EVERY_US: 30 * 1_000_000,
  /**
   * Context events (healthy flows, hellos, responses: every tcp.flow under analyze) held at once
   * over all upstreams; beyond it the oldest go first, and incidents whose window reached them say so.
   * ~1.5 KB of heap each: 20 000 is ~30 MB, a dense capture's last minutes.
   */
  MAX_CONTEXT_EVENTS: 20_000,
  /**
   * Incidents open at once (each holds up to MAX_EVIDENCE_PER_INCIDENT events); beyond it the one
   * idle longest is closed early (and the report says how many were). A scan of many upstreams.
   */
  MAX_OPEN_INCIDENTS: 1_000,
  /**
   * Incidents listed in the report: the ones with the most failures, plus the verdict and the
   * earliest of each cause (so --fail-on and the verdict see every cause); the rest are counted in
   * the assumptions and stay in by_cause / by_upstream. A capture with an incident per flow would
   * otherwise give an unreadable 12 MB report and hold every incident until the end.
   */
  MAX_REPORT_INCIDENTS: 100,
  /** Rows of by_upstream written in the report (the busiest); the rest are summed in one "other" row. */
  MAX_REPORT_UPSTREAM_ROWS: 200,
  /** Client addresses remembered (to tell client-side connections) and servers' SNI/ALPN remembered. */
  MAX_CLIENT_IPS: 10_000,
  MAX_SNI_SERVERS: 10_000,
  /** Context events (flows, GOAWAYs, alerts, responses) kept per upstream to judge its incidents. */
  MAX_CONTEXT_PER_UPSTREAM: 500,
  /** How far before an incident's first failure its context is looked at (a SYN before a connect timeout, a FIN before an idle race). */
  CONTEXT_BEFORE_US: 5 * 1_000_000,
} as const;
