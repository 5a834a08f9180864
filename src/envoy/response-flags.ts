// Envoy %RESPONSE_FLAGS% / %RESPONSE_FLAGS_LONG%: short code <-> long name, and what each says.
// Table: envoy.md §2, from envoyproxy/envoy source/common/stream_info/utility.h (ResponseFlagUtils)
// and docs/root/configuration/observability/access_log/usage.rst (UDO is in usage.rst's table).
import type { Cause } from '../events.js';

export interface ResponseFlagInfo {
  short: string;
  long: string;
  meaning: string;
  /**
   * The cause this flag alone points to (DESIGN.md §3); null = not a reset-class failure
   * (fault injection, rate limiting, cache), 'unknown' = a failure outside the vocabulary.
   */
  cause: Cause | null;
}

export const RESPONSE_FLAGS: readonly ResponseFlagInfo[] = [
  { short: 'UH', long: 'NoHealthyUpstream', meaning: 'no healthy upstream hosts in the cluster', cause: 'no_healthy_upstream' },
  { short: 'UF', long: 'UpstreamConnectionFailure', meaning: 'upstream connection failure', cause: 'refused' },
  { short: 'UO', long: 'UpstreamOverflow', meaning: 'upstream overflow (circuit breaking)', cause: 'pool_overflow' },
  { short: 'NR', long: 'NoRouteFound', meaning: 'no route configured for the request', cause: 'unknown' },
  { short: 'URX', long: 'UpstreamRetryLimitExceeded', meaning: 'upstream retry limit (or TCP max connect attempts) reached', cause: 'unknown' },
  { short: 'NC', long: 'NoClusterFound', meaning: 'upstream cluster not found', cause: 'unknown' },
  { short: 'DT', long: 'DurationTimeout', meaning: 'max connection/stream duration reached', cause: 'local_reset' },
  { short: 'DC', long: 'DownstreamConnectionTermination', meaning: 'downstream connection terminated', cause: 'client_abort' },
  { short: 'LH', long: 'FailedLocalHealthCheck', meaning: 'local service failed its health check', cause: 'unknown' },
  { short: 'UT', long: 'UpstreamRequestTimeout', meaning: 'upstream request timeout', cause: 'timeout' },
  { short: 'LR', long: 'LocalReset', meaning: 'connection local reset (Envoy reset the stream)', cause: 'local_reset' },
  { short: 'UR', long: 'UpstreamRemoteReset', meaning: 'upstream remote reset', cause: 'upstream_reset' },
  { short: 'UC', long: 'UpstreamConnectionTermination', meaning: 'upstream connection terminated', cause: 'upstream_close' },
  { short: 'DI', long: 'DelayInjected', meaning: 'request delayed by fault injection', cause: null },
  { short: 'FI', long: 'FaultInjected', meaning: 'request aborted by fault injection', cause: null },
  { short: 'RL', long: 'RateLimited', meaning: 'rate limited locally', cause: null },
  { short: 'UAEX', long: 'UnauthorizedExternalService', meaning: 'denied by the external authorization service', cause: 'unknown' },
  { short: 'RLSE', long: 'RateLimitServiceError', meaning: 'rate limit service error', cause: 'unknown' },
  { short: 'IH', long: 'InvalidEnvoyRequestHeaders', meaning: 'invalid x-envoy-* request header', cause: null },
  { short: 'SI', long: 'StreamIdleTimeout', meaning: 'stream idle timeout', cause: 'timeout' },
  { short: 'DPE', long: 'DownstreamProtocolError', meaning: 'downstream HTTP protocol error', cause: 'protocol_mismatch' },
  { short: 'UPE', long: 'UpstreamProtocolError', meaning: 'upstream HTTP protocol error', cause: 'protocol_mismatch' },
  { short: 'UMSDR', long: 'UpstreamMaxStreamDurationReached', meaning: 'upstream max stream duration reached', cause: 'timeout' },
  { short: 'RFCF', long: 'ResponseFromCacheFilter', meaning: 'response served by the cache filter', cause: null },
  { short: 'NFCF', long: 'NoFilterConfigFound', meaning: 'no filter config received in time', cause: 'unknown' },
  { short: 'OM', long: 'OverloadManagerTerminated', meaning: 'terminated by the overload manager', cause: 'local_reset' },
  { short: 'DF', long: 'DnsResolutionFailed', meaning: 'DNS resolution failed', cause: 'unknown' },
  { short: 'DO', long: 'DropOverload', meaning: 'dropped by EDS drop_overload', cause: 'pool_overflow' },
  { short: 'DR', long: 'DownstreamRemoteReset', meaning: 'downstream sent a codec-level reset', cause: 'client_abort' },
  { short: 'UDO', long: 'UnconditionalDropOverload', meaning: 'dropped: drop_overload at 100%', cause: 'pool_overflow' },
];

const BY_SHORT = new Map<string, ResponseFlagInfo>();
const BY_LONG = new Map<string, ResponseFlagInfo>();
for (const f of RESPONSE_FLAGS) {
  BY_SHORT.set(f.short, f);
  BY_LONG.set(f.long, f);
}

export function flagInfo(shortOrLong: string): ResponseFlagInfo | undefined {
  return BY_SHORT.get(shortOrLong) ?? BY_LONG.get(shortOrLong);
}

export function shortToLong(short: string): string | undefined {
  return BY_SHORT.get(short)?.long;
}

export function longToShort(long: string): string | undefined {
  return BY_LONG.get(long)?.short;
}

const FLAG_TOKEN = /^[A-Z][A-Za-z]*$/;

/**
 * `UF,URX` / `URX,UF` / `UpstreamConnectionFailure,UpstreamRetryLimitExceeded` / `-` to short codes.
 * Unknown upper-case tokens are kept as they are (extensions register custom flags, utility.h
 * REGISTER_CUSTOM_RESPONSE_FLAG). Undefined when the text is not a flag list at all.
 */
export function parseResponseFlags(text: string): string[] | undefined {
  const r = parseResponseFlagsShared(text);
  return r === undefined ? undefined : r.slice();
}

/** Flag lists already parsed (a log has few distinct ones): shared arrays, never to be modified. */
const FLAGS_MEMO = new Map<string, readonly string[] | null>();

/** parseResponseFlags, memoised; the array is shared: copy it before handing it on. */
export function parseResponseFlagsShared(text: string): readonly string[] | undefined {
  const hit = FLAGS_MEMO.get(text);
  if (hit !== undefined) return hit ?? undefined;
  const r = parseFlagsText(text);
  if (text.length > 64) return r; // not a flag list worth keeping (a line's other text tried as flags)
  if (FLAGS_MEMO.size >= 4096) FLAGS_MEMO.clear();
  FLAGS_MEMO.set(text, r ?? null);
  return r;
}

function parseFlagsText(text: string): string[] | undefined {
  if (text === '-' || text === '') return [];
  const out: string[] = [];
  for (const tok of text.split(',')) {
    const t = tok.trim();
    const info = BY_SHORT.get(t) ?? BY_LONG.get(t);
    if (info) out.push(info.short);
    else if (FLAG_TOKEN.test(t) && t.length <= 40) out.push(t);
    else return undefined;
  }
  return out;
}

/** True when every token is a known short or long flag name: used to recognise flags by content. */
export function isKnownFlagList(text: string): boolean {
  if (text === '-') return true;
  for (const tok of text.split(',')) if (!BY_SHORT.has(tok) && !BY_LONG.has(tok)) return false;
  return true;
}
