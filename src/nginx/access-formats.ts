// Built-in access-log formats, compiled by the same compiler as a user's `log_format` (nginx.md §5.2).
// Order matters: the most specific first. Timing extensions people append to `main`
// (`rt=... uct="..." uht="..." urt="..."`, `ua= us= ut= ul=`, `timed_combined`) are read from the
// tail by key, so one entry covers the many variants seen in issues.
import { compileLogFormat, type CompiledFormat } from './log-format.js';
import { parseJsonObject } from '../json-object.js';

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
    } else if (rest) {
      parseTailByShape(rest, into);
    }
  }
}

// Shapes of the variables people append to combined/main (nginx.md §5.1): `$upstream_addr` is ip:port
// (or unix:, [v6]:port) lists joined by ", " (tries) and " : " (internal redirects); `$upstream_status`
// the same list of 3-digit codes or "-"; times are seconds with milliseconds ("%T.%03M"); `$request_id`
// 32 hex digits, or a UUID when taken from a header.
const ADDR_RE = /^(?:unix:\S+|\[[0-9a-fA-F:.]+\]:\d{1,5}|\d{1,3}(?:\.\d{1,3}){3}:\d{1,5})$/;
const STATUS_RE = /^(?:[1-5]\d\d|-)$/;
const SECONDS_RE = /^(?:\d+\.\d{3}|-)$/;
const REQUEST_ID_RE = /^(?:[0-9a-f]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$/;
const IP_LIST_RE = /^(?:-|[0-9a-fA-F.:]+(?:, ?[0-9a-fA-F.:]+)*)$/;
/** An upstream{} group name in `$upstream_addr` (no live upstreams): only trusted next to an aligned status. */
const GROUP_RE = /^[A-Za-z_][\w.-]*$/;
const TIME_VARS = ['upstream_connect_time', 'upstream_header_time', 'upstream_response_time'] as const;

/** One tail field: a quoted string, or a list whose items were joined by ", " / " : " (spaces split fields). */
function tailFields(rest: string): { text: string; items: string[]; quoted: boolean }[] | undefined {
  const out: { text: string; items: string[]; quoted: boolean }[] = [];
  let i = 0;
  const n = rest.length;
  while (i < n) {
    if (rest.charCodeAt(i) === 32) { i++; continue; }
    if (rest.charCodeAt(i) === 34) {
      const end = rest.indexOf('"', i + 1);
      if (end < 0) return undefined;
      out.push({ text: rest.slice(i + 1, end), items: [], quoted: true });
      i = end + 1;
      continue;
    }
    // Items of one list: "a, b : c" — a separator ", " or " : " continues the field.
    const items: string[] = [];
    const start = i;
    for (;;) {
      let j = i;
      while (j < n && rest.charCodeAt(j) !== 32 && rest.charCodeAt(j) !== 34) j++;
      let item = rest.slice(i, j);
      const comma = item.endsWith(',');
      if (comma) item = item.slice(0, -1);
      items.push(item);
      i = j;
      if (comma && rest.charCodeAt(i) === 32 && i + 1 < n && rest.charCodeAt(i + 1) !== 34) { i++; continue; }
      if (rest.startsWith(' : ', i) && i + 3 < n) { i += 3; continue; }
      break;
    }
    out.push({ text: rest.slice(start, i), items, quoted: false });
  }
  return out;
}

/**
 * Read an unknown tail by the shape of its tokens, conservatively: a field is only taken when its shape
 * says one variable; list fields must have as many items as `$upstream_addr`. Whatever is left (or any
 * doubt) keeps the raw tail in `tail`. Never overwrites a variable the format itself produced.
 */
export function parseTailByShape(rest: string, into: Record<string, string>): void {
  const fields = tailFields(rest);
  if (!fields) { into.tail = rest; return; }
  const used = new Array<boolean>(fields.length).fill(false);
  let leftover = false;
  const set = (k: string, v: string, i: number) => {
    used[i] = true;
    if (into[k] === undefined) into[k] = v;
  };
  // 1. $upstream_addr: every item an address (one field only; two would be ambiguous).
  let addrAt = -1;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    if (!f.quoted && f.items.every((x) => ADDR_RE.test(x))) {
      if (addrAt >= 0) { addrAt = -2; break; }
      addrAt = i;
    }
  }
  if (addrAt === -2) { into.tail = rest; return; }
  // A group name only when the next field is one status for it (`backend 502`).
  if (addrAt < 0) {
    for (let i = 0; i + 1 < fields.length; i++) {
      const f = fields[i];
      const g = fields[i + 1];
      if (!f.quoted && f.items.length === 1 && GROUP_RE.test(f.items[0]) && f.items[0] !== 'p' && !g.quoted && g.items.length === 1 && /^[1-5]\d\d$/.test(g.items[0])) {
        addrAt = i;
        break;
      }
    }
  }
  const tries = addrAt >= 0 ? fields[addrAt].items.length : -1;
  if (addrAt >= 0) set('upstream_addr', fields[addrAt].text, addrAt);
  const aligned = (f: { items: string[] }) => f.items.length === 1 || f.items.length === tries;
  // 2. $upstream_status: the first status-shaped list aligned with the address, after it.
  if (addrAt >= 0) {
    for (let i = addrAt + 1; i < fields.length; i++) {
      const f = fields[i];
      if (f.quoted || f.items.length !== tries || !f.items.every((x) => STATUS_RE.test(x)) || !f.items.some((x) => x !== '-')) continue;
      // "1.000" is not a status; a lone 3-digit number right after the address is.
      set('upstream_status', f.text, i);
      break;
    }
  }
  // 3. Times: the first single decimal is $request_time, then the upstream times in log order.
  let timeIdx = -1;
  const times: [string, string][] = [];
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    if (used[i] || f.quoted || !f.items.every((x) => SECONDS_RE.test(x))) continue;
    if (timeIdx === -1) {
      if (f.items.length !== 1 || f.items[0] === '-') { leftover = true; continue; }
      set('request_time', f.text, i);
      timeIdx = 0;
      continue;
    }
    if (timeIdx >= TIME_VARS.length || (tries > 0 && !aligned(f)) || (tries < 0 && f.items.length > 1)) { leftover = true; continue; }
    used[i] = true;
    times.push([TIME_VARS[timeIdx++], f.text]);
  }
  // 4. Request id, X-Forwarded-For, $pipe.
  let sawXff = false;
  for (let i = 0; i < fields.length; i++) {
    if (used[i]) continue;
    const f = fields[i];
    if (f.quoted) {
      // The first quoted IP list is `main`'s "$http_x_forwarded_for" (parseTail takes it when it leads).
      if (!sawXff && into.http_x_forwarded_for === undefined && IP_LIST_RE.test(f.text)) { set('http_x_forwarded_for', f.text, i); sawXff = true; }
      else leftover = true;
      continue;
    }
    if (f.items.length === 1 && REQUEST_ID_RE.test(f.items[0]) && into.request_id === undefined) { set('request_id', f.items[0], i); continue; }
    if (f.items.length === 1 && (f.items[0] === 'p' || f.items[0] === '.')) { used[i] = true; continue; }
    leftover = true;
  }
  // Which upstream time is which is known only by position: with unread fields among them, guess nothing.
  if (leftover) into.tail = rest;
  else for (const [k, v] of times) if (into[k] === undefined) into[k] = v;
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
  // camelCase keys of ingress-nginx's and Google Cloud Logging's `httpRequest` layout (ingress-nginx#8252)
  proxyUpstreamName: 'proxy_upstream_name', requestMethod: 'request_method', requestUrl: 'request_uri',
  remoteIp: 'remote_addr', remoteAddr: 'remote_addr', requestTime: 'request_time', latency: 'request_time',
  upstreamConnectTime: 'upstream_connect_time', upstreamHeaderTime: 'upstream_header_time', responseSize: 'body_bytes_sent',
  requestId: 'request_id', xRequestId: 'request_id',
};

/** Keys only an NGINX JSON log has: a JSON line with one of these and no Envoy key is not Envoy's. */
export const NGINX_ONLY_JSON_KEYS: ReadonlySet<string> = new Set([
  'upstream_addr', 'upstreamAddr', 'upstream_status', 'upstreamStatus', 'proxy_upstream_name', 'proxyUpstreamName',
  'upstream_response_time', 'upstreamResponseTime', 'upstream_connect_time', 'upstream_header_time', 'request_time',
  'remote_addr', 'body_bytes_sent', 'time_local', 'time_iso8601', 'http_x_forwarded_for', 'http_user_agent',
]);

/**
 * A JSON access line by its keys. Envoy's JSON (response_code, response_flags, upstream_host) is not ours:
 * it has no `status`-like key, so it returns undefined.
 */
export function parseJsonAccess(line: string): Record<string, string> | undefined {
  if (line.charCodeAt(0) !== 123) return undefined;
  const obj = parseJsonObject(line);
  if (!obj) return undefined;
  const o = obj;
  if ('response_flags' in o || 'response_code' in o || 'upstream_cluster' in o) return undefined;
  const out: Record<string, string> = {};
  // Nested objects too (`"httpRequest": {"status": ...}`): the leaf key names the field; the outer one wins.
  const take = (obj: Record<string, unknown>, depth: number): void => {
    for (const [k, v] of Object.entries(obj)) {
      if (v && typeof v === 'object' && !Array.isArray(v)) {
        if (depth < 3) take(v as Record<string, unknown>, depth + 1);
        continue;
      }
      const name = JSON_KEYS[k];
      if (name === undefined || v === null || v === undefined || out[name] !== undefined) continue;
      let val = String(v);
      // "0.123s" (Cloud Logging duration); " s" when $request_time was empty
      if (name === 'request_time' && /s$/.test(val)) val = val.slice(0, -1).trim();
      if (val === '') continue;
      out[name] = val;
    }
  };
  take(o, 0);
  if (out.status === undefined || !/^\d{3}$/.test(out.status)) return undefined;
  if (out.request === undefined && out.request_uri === undefined && out.upstream_addr === undefined && out.remote_addr === undefined) return undefined;
  return out;
}
