// Raw `$variable` values → one typed access record, and what its status means (nginx.md §5.1).
import type { Cause } from '../events.js';
import { parseEpochSeconds, parseIso, type ParsedTime } from '../time.js';

export interface AccessRecord {
  /** `$status` as a number (009 → 9); null when "-". */
  status: number | null;
  statusText: string | null;
  request: string | null;
  method: string | null;
  path: string | null;
  protocol: string | null;
  client: string | null;
  time: ParsedTime | undefined;
  requestTime: number | null;
  /** One entry per try; internal-redirect groups (" : ") are flattened in order. */
  upstreamAddr: string[];
  upstreamStatus: (number | null)[];
  upstreamConnectTime: (number | null)[];
  upstreamHeaderTime: (number | null)[];
  upstreamResponseTime: (number | null)[];
  requestId: string | null;
  connection: number | null;
  host: string | null;
  upstreamName: string | null;
  bodyBytes: number | null;
  /** What followed a known format and could not be read by shape (kept raw rather than guessed). */
  tail: string | null;
}

const MONTHS: Record<string, number> = { Jan: 1, Feb: 2, Mar: 3, Apr: 4, May: 5, Jun: 6, Jul: 7, Aug: 8, Sep: 9, Oct: 10, Nov: 11, Dec: 12 };

/** `$time_local` "07/May/2020:03:15:12 +0000" — carries its zone, unlike the error log. */
export function parseTimeLocal(s: string): ParsedTime | undefined {
  if (s.length !== 26) return undefined;
  const mon = MONTHS[s.slice(3, 6)];
  if (!mon) return undefined;
  const sign = s.charCodeAt(21) === 45 ? -1 : 1;
  const offMin = Number(s.slice(22, 24)) * 60 + Number(s.slice(24, 26));
  const ms = Date.UTC(+s.slice(7, 11), mon - 1, +s.slice(0, 2), +s.slice(12, 14), +s.slice(15, 17), +s.slice(18, 20));
  if (!Number.isFinite(ms) || !Number.isFinite(offMin)) return undefined;
  return { us: ms * 1000 - sign * offMin * 60_000_000, digits: 0, nanos: 0 };
}

const dash = (v: string | undefined): string | null => (v === undefined || v === '' || v === '-' ? null : v);

/** "a, b : c" → ["a", "b", "c"] (nginx.md §5.1: ", " between tries, " : " across redirects). */
export function splitList(v: string | undefined): string[] {
  const s = dash(v);
  if (s === null) return [];
  return s.split(/, | : |,/).map((x) => x.trim()).filter((x) => x.length > 0);
}

/** A lone "-" is one try with no value (e.g. connect never completed), unlike a missing variable. */
function numList(v: string | undefined): (number | null)[] {
  if (v === '-') return [null];
  return splitList(v).map((x) => (x === '-' ? null : Number.isFinite(Number(x)) ? Number(x) : null));
}

function num(v: string | undefined): number | null {
  const s = dash(v);
  if (s === null) return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}

export function toRecord(v: Record<string, string>): AccessRecord {
  let request = dash(v.request);
  let method = dash(v.request_method);
  let path = dash(v.request_uri) ?? dash(v.uri);
  let protocol = dash(v.server_protocol);
  if (request !== null) {
    const m = /^(\S+) (.*?)(?: (HTTP\/[\d.]+))?$/.exec(request);
    if (m) {
      method = m[1];
      path = m[2];
      protocol = m[3] ?? null;
    }
  } else if (method !== null && path !== null) {
    request = `${method} ${path}${protocol ? ' ' + protocol : ''}`;
  }
  let time: ParsedTime | undefined;
  if (v.time_local) time = parseTimeLocal(v.time_local);
  if (!time && v.time_iso8601) time = parseIso(v.time_iso8601);
  if (!time && v.msec) time = parseEpochSeconds(v.msec);
  if (!time && v.time_any) time = parseIso(v.time_any) ?? parseTimeLocal(v.time_any) ?? parseEpochSeconds(v.time_any);
  const statusText = dash(v.status);
  const status = statusText !== null && /^\d{3}$/.test(statusText) ? Number(statusText) : null;
  return {
    status,
    statusText,
    request,
    method,
    path,
    protocol,
    client: dash(v.remote_addr),
    time,
    requestTime: num(v.request_time),
    upstreamAddr: splitList(v.upstream_addr),
    upstreamStatus: numList(v.upstream_status),
    upstreamConnectTime: numList(v.upstream_connect_time),
    upstreamHeaderTime: numList(v.upstream_header_time),
    upstreamResponseTime: numList(v.upstream_response_time),
    requestId: dash(v.request_id) ?? dash(v.req_id) ?? dash(v.http_x_request_id),
    connection: num(v.connection),
    host: dash(v.host) ?? dash(v.http_host) ?? dash(v.server_name),
    upstreamName: dash(v.proxy_upstream_name),
    bodyBytes: num(v.body_bytes_sent),
    tail: v.tail ?? null,
  };
}

/** An `$upstream_addr` entry that names a peer (ip:port, [v6]:port, unix:) rather than an upstream{} group. */
export function isPeerAddress(a: string): boolean {
  return a.startsWith('unix:') || /^\[[0-9a-fA-F:.]+\]:\d+$/.test(a) || /^[^:\s]+:\d+$/.test(a);
}

export interface AccessVerdict {
  cause: Cause | null;
  why: string;
  /** Earlier tries failed but a later one answered (proxy_next_upstream). */
  retried: boolean;
}

/**
 * What the status says (nginx.md §5.1) — weaker evidence than an error line: a 502 alone cannot say
 * refused from reset from bad header; the join with the error log does.
 */
export function accessVerdict(r: AccessRecord): AccessVerdict {
  const tries = r.upstreamStatus.length;
  const failedTries = r.upstreamStatus.filter((s) => s === 502 || s === 504).length;
  const last = r.upstreamAddr[r.upstreamAddr.length - 1];
  const lastUct = r.upstreamConnectTime.length ? r.upstreamConnectTime[r.upstreamConnectTime.length - 1] : undefined;
  const retried = failedTries > 0 && r.status !== null && r.status < 500 && tries > 1;
  const v = (cause: Cause | null, why: string): AccessVerdict => ({ cause, why, retried });
  switch (r.statusText) {
    case '499':
      return v('client_abort', 'client closed the connection before the response (499)');
    case '009':
      return v('protocol_mismatch', 'upstream reply passed through as HTTP/0.9: no valid HTTP/1.0 header (009)');
    case '444':
      return v('local_reset', 'nginx closed the connection without a response (444)');
  }
  switch (r.status) {
    case 502:
      if (last !== undefined && !isPeerAddress(last)) return v('no_healthy_upstream', `502 with upstream group "${last}": no live upstreams`);
      if (lastUct === null) return v('unknown', '502, connection never established (refused, unreachable?) — the error log says which');
      return v('unknown', '502: refused, reset, premature close or invalid header — the error log says which');
    case 504:
      if (lastUct === null) return v('connect_timeout', '504 with no upstream connect time: connect timed out');
      return v('timeout', '504: upstream timed out');
    case 503:
      return v('unknown', r.upstreamAddr.length ? '503 from the upstream' : '503 without an upstream: limit_req/limit_conn or no endpoints');
    case 500:
      // socket()/worker_connections exhaustion while connecting finalizes with 500 (nginx.md §2)
      if (r.upstreamAddr.length > 0 && r.upstreamStatus.length > 0 && r.upstreamStatus[r.upstreamStatus.length - 1] === null) {
        return v('unknown', '500 with no upstream status: nginx failed locally while connecting (fd/slots?)');
      }
      return v(null, '500');
  }
  return v(null, retried ? `${r.statusText} after ${failedTries} failed tr${failedTries === 1 ? 'y' : 'ies'}` : String(r.statusText));
}
