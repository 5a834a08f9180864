// Shared limits for recovering from records the decryptor never saw (capture loss, a caller that
// skipped a record) or from a key change it could not observe.

/** After a failure, later sequence numbers tried in the current epoch (and from 0 in the next). */
export const RESYNC_RECORDS = 4;

/** Consecutive failures after which a direction stops trying (wrong keys: keep it cheap). */
export const MAX_CONSECUTIVE_FAILURES = 32;
