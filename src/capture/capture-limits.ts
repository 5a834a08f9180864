// Limits of the capture layer. Every one has a name and a reason (STYLE.md §4); hitting one
// emits an `anomaly.*` event and reading goes on where it can. Flow-table limits live in
// src/limits.ts (MAX_FLOWS, FLOW_IDLE_US).
export const CAPTURE_LIMITS = {
  /** Largest packet record accepted. wiretap's WTAP_MAX_PACKET_SIZE_STANDARD: bigger records mean a corrupt file. */
  MAX_RECORD_BYTES: 262_144,
  /** Largest pcapng block accepted (wiretap's MAX_BLOCK_SIZE, 16 MiB); DSBs with big key logs fit. */
  MAX_BLOCK_BYTES: 16 * 1024 * 1024,
  /** Interfaces per pcapng section; more is a corrupt or hostile file. */
  MAX_INTERFACES: 4096,
  /** SYN retransmission times kept per flow for `tcp.syn_timeout` (all are counted). */
  MAX_SYN_TIMES: 16,
  /** A flow with both sides closed (FIN/RST) is finalized after this much capture time (Zeek's tcp_close_delay / tcp_reset_delay, 5 s). */
  FLOW_CLOSE_LINGER_US: 5 * 1_000_000,
  /** How often (capture time) the flow table is swept for idle and closed flows. */
  FLOW_SWEEP_INTERVAL_US: 5 * 1_000_000,
  /** Listening endpoints learned from SYN-ACKs, used to orient flows whose SYN was not captured. */
  MAX_LEARNED_LISTENERS: 65_536,
  /** Hosts (IP addresses) whose TTL / IP-ID baseline is kept for the middlebox check across flows; the oldest is forgotten beyond this. */
  MAX_HOST_BASELINES: 65_536,
  /** Packets per event batch yielded by the ingester (bounded latency for `tail -F`-like pipes). */
  BATCH_PACKETS: 65_536,
} as const;
