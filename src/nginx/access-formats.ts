// Built-in access-log formats, compiled by the same compiler as a user's `log_format` (nginx.md §5.2).
// Order matters: the most specific first. Timing extensions people append to `main`
// (`rt=... uct="..." uht="..." urt="..."`, `ua= us= ut= ul=`, `timed_combined`) are read from the
// tail by key, so one entry covers the many variants seen in issues.
import { compileLogFormat, type CompiledFormat } from './log-format.js';

const COMBINED = '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"';

export const BUILTIN_FORMATS: readonly CompiledFormat[] = [
  // ingress-nginx `upstreaminfo` (kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/log-format)
  compileLogFormat(
    COMBINED + ' $request_length $request_time [$proxy_upstream_name] [$proxy_alternative_upstream_name] $upstream_addr $upstream_response_length $upstream_response_time $upstream_status $req_id',
    { name: 'ingress-nginx', tail: true },
  ),
  // older ingress-nginx: `[$the_real_ip]` / `[$proxy_add_x_forwarded_for]` after `$remote_addr -`, no alternative upstream
  compileLogFormat(
    '$remote_addr - [$proxy_add_x_forwarded_for] - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_length $request_time [$proxy_upstream_name] $upstream_addr $upstream_response_length $upstream_response_time $upstream_status $req_id',
    { name: 'ingress-nginx-old', tail: true },
  ),
  // nginx-proxy `vhost`: `$host ` + combined
  compileLogFormat('$host ' + COMBINED, { name: 'vhost', tail: true }),
  // combined (ngx_http_log_module.c:230), `main` (+ "$http_x_forwarded_for") and timing tails
  compileLogFormat(COMBINED, { name: 'combined', tail: true }),
];

// Keys of timing tails → nginx variables (chobits/ngx_http_proxy_connect_module#120, allinurl/goaccess#669).
const TAIL_KEYS: Record<string, string> = {
  rt: 'request_time', request_time: 'request_time',
  uct: 'upstream_connect_time', upstream_connect_time: 'upstream_connect_time',
  uht: 'upstream_header_time', upstream_header_time: 'upstream_header_time',
  urt: 'upstream_response_time', ut: 'upstream_response_time', upstream_response_time: 'upstream_response_time',
  ua: 'upstream_addr', upstream_addr: 'upstream_addr', upstream: 'upstream_addr',
  us: 'upstream_status', upstream_status: 'upstream_status',
  ul: 'upstream_response_length', upstream_response_length: 'upstream_response_length',
  rid: 'request_id', request_id: 'request_id', req_id: 'request_id', reqid: 'request_id',
  cn: 'connection', conn: 'connection', connection: 'connection',
  cs: 'upstream_cache_status', host: 'host',
};

const TAIL_KV = /(\w+)=("(?:[^"]*)"|\S+)/g;

/** Read what follows a built-in format: `"$http_x_forwarded_for"`, `k=v` / `k="v"` pairs, or timed_combined numbers. */
export function parseTail(tail: string, into: Record<string, string>): void {
  let rest = tail.trim();
  if (!rest) return;
  const xff = /^"([^"]*)"\s*/.exec(rest);
  if (xff) {
    into.http_x_forwarded_for = xff[1];
    rest = rest.slice(xff[0].length);
  }
  let sawKey = false;
  TAIL_KV.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = TAIL_KV.exec(rest))) {
    const v = TAIL_KEYS[m[1]];
    if (!v) continue;
    sawKey = true;
    let value = m[2];
    if (value.startsWith('"')) value = value.slice(1, -1);
    into[v] = value;
  }
  if (!sawKey) {
    // timed_combined: `$request_time $upstream_response_time $pipe`
    const t = /^([\d.]+) ((?:-|[\d.]+)(?:(?:, | : )(?:-|[\d.]+))*)(?: [p.])?$/.exec(rest);
    if (t) {
      into.request_time = t[1];
      into.upstream_response_time = t[2];
    }
  }
}

// JSON access logs without a known log_format: the key names people use (ingress-nginx#11914, #6376).
const JSON_KEYS: Record<string, string> = {
  status: 'status', response_status: 'status', statusCode: 'status',
  request: 'request', method: 'request_method', request_method: 'request_method',
  uri: 'request_uri', request_uri: 'request_uri', path: 'request_uri', protocol: 'server_protocol', server_protocol: 'server_protocol',
  remote_addr: 'remote_addr', client: 'remote_addr', client_ip: 'remote_addr', remote_ip: 'remote_addr',
  time_local: 'time_local', time_iso8601: 'time_iso8601', time: 'time_any', timestamp: 'time_any', '@timestamp': 'time_any', msec: 'msec',
  request_time: 'request_time', duration: 'request_time',
  upstream_addr: 'upstream_addr', upstream: 'upstream_addr', upstreamAddr: 'upstream_addr',
  upstream_status: 'upstream_status', upstreamStatus: 'upstream_status',
  upstream_connect_time: 'upstream_connect_time', upstream_header_time: 'upstream_header_time',
  upstream_response_time: 'upstream_response_time', upstreamResponseTime: 'upstream_response_time',
  request_id: 'request_id', req_id: 'request_id', requestID: 'request_id', x_request_id: 'request_id',
  host: 'host', vhost: 'host', connection: 'connection',
  proxy_upstream_name: 'proxy_upstream_name', body_bytes_sent: 'body_bytes_sent', bytes_sent: 'bytes_sent',
};

/**
 * A JSON access line by its keys. Envoy's JSON (response_code, response_flags, upstream_host) is not ours:
 * it has no `status`-like key, so it returns undefined.
 */
export function parseJsonAccess(line: string): Record<string, string> | undefined {
  if (line.charCodeAt(0) !== 123) return undefined;
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return undefined;
  const o = obj as Record<string, unknown>;
  if ('response_flags' in o || 'response_code' in o || 'upstream_cluster' in o) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(o)) {
    const name = JSON_KEYS[k];
    if (name !== undefined && v !== null && v !== undefined && typeof v !== 'object') out[name] = String(v);
  }
  if (out.status === undefined || !/^\d{3}$/.test(out.status)) return undefined;
  if (out.request === undefined && out.request_uri === undefined && out.upstream_addr === undefined && out.remote_addr === undefined) return undefined;
  return out;
}
