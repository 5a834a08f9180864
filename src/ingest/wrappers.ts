// Collector wrappers around log lines (kubectl --prefix, stern, docker compose, Docker json-file, CRI).
// Placeholder: passes lines through until the wrapper grammar lands.

export interface Unwrapped {
  line: string;
  /** The collector's own timestamp, µs since the epoch, when the wrapper had one. */
  collectorTimeUs?: number;
  /** The wrapper's source label (pod/container/service name), when it had one. */
  origin?: string;
}

export function unwrapLine(line: string): Unwrapped {
  return { line };
}
