// Envoy JSON access logs (`json_format`: all strings; `typed_json_format`: numbers, null for unset;
// nested objects allowed in current Envoy; keys are the user's choice, envoy.md §1.3). Fields are
// found by the user's template when given, else by key name (Istio's keys and common variants, nested
// paths joined), else by what the value looks like. Key order is never relied on (Istio emits shuffled keys).
import { operatorSpec, type FieldKey } from './operators.js';
import { isKnownFlagList } from './response-flags.js';
import { NGINX_ONLY_JSON_KEYS } from '../nginx/access-formats.js';
import { parseJsonObject } from '../json-object.js';

export type AccessRecord = Partial<Record<Exclude<FieldKey, 'extra'>, string>> & { extra?: string[] };

const ALIASES: Record<string, Exclude<FieldKey, 'extra'>> = {};
const alias = (field: Exclude<FieldKey, 'extra'>, ...keys: string[]) => { for (const k of keys) ALIASES[k] = field; };
alias('start_time', 'starttime', 'timestamp', 'time', 'ts', 'date', 'datetime', 'requeststarttime');
alias('method', 'method', 'requestmethod', 'httpmethod', 'reqmethod');
alias('path', 'path', 'requestpath', 'uri', 'url', 'originalpath', 'xenvoyoriginalpath');
alias('protocol', 'protocol', 'proto', 'httpprotocol', 'requestprotocol');
alias('response_code', 'responsecode', 'status', 'statuscode', 'code', 'httpstatus', 'httpstatuscode', 'responsestatus');
alias('response_flags', 'responseflags', 'flags', 'rf', 'responseflag', 'flag', 'envoyflags', 'responseflagslong');
alias('details', 'responsecodedetails', 'details', 'codedetails', 'responsedetails');
alias('termination_details', 'connectionterminationdetails', 'terminationdetails');
alias('transport_failure_reason', 'upstreamtransportfailurereason', 'transportfailurereason', 'tfr', 'failurereason', 'upstreamfailurereason');
alias('bytes_received', 'bytesreceived', 'bytesin', 'rxbytes', 'requestbytes', 'receivedbytes');
alias('bytes_sent', 'bytessent', 'bytesout', 'txbytes', 'responsebytes', 'sentbytes');
alias('duration', 'duration', 'durationms', 'latency', 'latencyms', 'elapsed', 'totalduration', 'requestduration');
alias('upstream_service_time', 'upstreamservicetime', 'xenvoyupstreamservicetime');
alias('x_forwarded_for', 'xforwardedfor', 'forwardedfor', 'xff');
alias('user_agent', 'useragent', 'ua');
alias('request_id', 'requestid', 'xrequestid', 'reqid');
alias('authority', 'authority', 'host', 'requestauthority', 'hostname');
alias('upstream_host', 'upstreamhost', 'upstreamaddress', 'upstream', 'upstreamremoteaddress', 'upstreamhostaddress');
alias('upstream_cluster', 'upstreamcluster', 'cluster', 'upstreamclusterraw', 'clustername');
alias('upstream_local_address', 'upstreamlocaladdress', 'upstreamlocal');
alias('downstream_local_address', 'downstreamlocaladdress', 'downstreamlocal');
alias('downstream_remote_address', 'downstreamremoteaddress', 'downstreamremote', 'remoteaddress', 'clientaddress', 'downstreamdirectremoteaddress');
alias('requested_server_name', 'requestedservername', 'sni', 'servername');
alias('route_name', 'routename', 'route');
alias('upstream_protocol', 'upstreamprotocol');
alias('attempt_count', 'upstreamrequestattemptcount', 'attemptcount', 'attempts');
alias('connection_id', 'connectionid', 'downstreamconnectionid');
alias('upstream_connection_id', 'upstreamconnectionid');

const norm = (k: string) => k.toLowerCase().replace(/[^a-z0-9]/g, '');

/** A `json_format` / `typed_json_format` template: key path -> field, for values that are exactly one operator. */
export type JsonTemplate = Map<string, Exclude<FieldKey, 'extra'>>;

export function compileJsonTemplate(obj: unknown): JsonTemplate | undefined {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return undefined;
  const t: JsonTemplate = new Map();
  walk(obj as Record<string, unknown>, '', (path, v) => {
    if (typeof v !== 'string') return;
    const m = /^%([A-Z][A-Z0-9_]*)(?:\((.*?)\))?(?::\d+)?%$/.exec(v);
    if (!m) return;
    const spec = operatorSpec(m[1], m[2]);
    if (spec.field !== 'extra') t.set(path, spec.field);
  });
  return t.size ? t : undefined;
}

function walk(o: Record<string, unknown>, prefix: string, visit: (path: string, v: unknown) => void, depth = 0): void {
  for (const k of Object.keys(o)) {
    const v = o[k];
    const p = prefix ? prefix + '.' + k : k;
    if (v && typeof v === 'object' && !Array.isArray(v) && depth < 8) walk(v as Record<string, unknown>, p, visit, depth + 1);
    else visit(p, v);
  }
}

const TIME_SHAPE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}/;
const DETAILS_SHAPE = /^(upstream_reset_(before|after)_response_started|via_upstream$|no_healthy_upstream$|response_timeout$|cluster_not_found$|route_not_found$|downstream_remote_disconnect$|upstream_per_try)/;
const TFR_SHAPE = /^(delayed|immediate)[ _]connect|TLS[ _]error/;

/** One JSON line to a record; undefined when it is not a JSON object that looks like an access log. */
export function jsonToRecord(line: string, template?: JsonTemplate): AccessRecord | undefined {
  const obj = parseJsonObject(line);
  if (!obj) return undefined;
  const rec: AccessRecord = {};
  const leftovers: [string, string][] = [];
  walk(obj, '', (path, raw) => {
    const v = raw === null || raw === undefined ? '-' : typeof raw === 'string' ? raw : typeof raw === 'number' || typeof raw === 'boolean' ? String(raw) : JSON.stringify(raw);
    const f = template?.get(path) ?? ALIASES[norm(path)] ?? ALIASES[norm(path.slice(path.lastIndexOf('.') + 1))];
    if (f && rec[f] === undefined) rec[f] = v;
    else leftovers.push([path, v]);
  });
  // Keys we did not know: place the values by their content.
  const extra: string[] = [];
  for (const [, v] of leftovers) {
    if (rec.response_flags === undefined && v !== '-' && /^[A-Z]/.test(v) && isKnownFlagList(v)) rec.response_flags = v;
    else if (rec.details === undefined && DETAILS_SHAPE.test(v)) rec.details = v;
    else if (rec.transport_failure_reason === undefined && TFR_SHAPE.test(v)) rec.transport_failure_reason = v;
    else if (rec.start_time === undefined && TIME_SHAPE.test(v)) rec.start_time = v;
    else if (v !== '-' && v !== '') extra.push(v);
  }
  if (extra.length) rec.extra = extra;
  if (rec.response_flags === undefined && rec.response_code === undefined && rec.details === undefined) return undefined;
  // An NGINX JSON access line (ingress-nginx's `upstreamAddr`, `proxyUpstreamName`, ...) has a status but
  // nothing Envoy writes: leave it to the NGINX parser.
  if (rec.response_flags === undefined && rec.details === undefined && rec.upstream_cluster === undefined &&
    hasKey(obj, NGINX_ONLY_JSON_KEYS)) return undefined;
  return rec;
}

function hasKey(o: Record<string, unknown>, keys: ReadonlySet<string>, depth = 0): boolean {
  for (const k of Object.keys(o)) {
    if (keys.has(k)) return true;
    const v = o[k];
    if (v && typeof v === 'object' && !Array.isArray(v) && depth < 3 && hasKey(v as Record<string, unknown>, keys, depth + 1)) return true;
  }
  return false;
}
