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
} as const;
