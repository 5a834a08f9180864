// Access record → `nginx.access` event (DESIGN.md §2). Status-derived causes are weak evidence
// (`evidence: "status"`); join.ts upgrades them from the matching error line.
import { LIMITS } from '../limits.js';
import { isoTime } from '../time.js';
import { makeEvent, type Event } from '../events.js';
import { accessVerdict } from './access-record.js';
import type { ParsedAccess } from './access-parser.js';

export function accessEvent(p: ParsedAccess, source: string, lineNo: number, raw: string): Event {
  const r = p.record;
  const v = accessVerdict(r);
  const upstream = r.upstreamAddr.length ? r.upstreamAddr[r.upstreamAddr.length - 1] : null;
  const summary =
    `${r.statusText ?? '-'} ${r.method ?? ''} ${r.path ?? ''}`.replace(/\s+/g, ' ').trim() +
    (upstream ? ` via ${r.upstreamAddr.join(', ')}` : '') +
    (r.upstreamStatus.length ? ` (upstream ${r.upstreamStatus.map((s) => s ?? '-').join(', ')})` : '') +
    (v.cause || v.retried ? `: ${v.why}` : '');
  return makeEvent(
    {
      time: r.time ? isoTime(r.time.us, r.time.digits, r.time.nanos) : null,
      ts_us: r.time ? r.time.us : null,
      source,
      line: lineNo,
      kind: 'nginx.access',
      cause: v.cause,
      upstream,
      summary,
      raw: v.cause ? raw.slice(0, LIMITS.RAW_LINE_CHARS) : undefined,
    },
    {
      status: r.status,
      status_text: r.statusText,
      upstream_status: r.upstreamStatus,
      upstream_addr: r.upstreamAddr,
      request_time: r.requestTime,
      upstream_connect_time: r.upstreamConnectTime,
      upstream_header_time: r.upstreamHeaderTime,
      upstream_response_time: r.upstreamResponseTime,
      request_id: r.requestId,
      method: r.method,
      path: r.path,
      protocol: r.protocol,
      request: r.request,
      client: r.client,
      host: r.host,
      connection_id: r.connection,
      upstream_name: r.upstreamName,
      body_bytes_sent: r.bodyBytes,
      format: p.format,
      ...(r.tail !== null ? { tail: r.tail } : {}),
      retried: v.retried,
      evidence: v.cause ? 'status' : null,
    },
  );
}
