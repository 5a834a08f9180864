// The flow table of `resetscope flows CAPTURE`: one row per TCP connection with Zeek's conn.log
// column names (ts, uid, id.orig_h ... conn_state, history), plus who reset first and our cause.
// Users who know Zeek read it without a manual (STYLE.md §9).
import Table from 'cli-table3';
import type { Event } from '../events.js';
import { formatDuration } from '../time.js';

/** Zeek conn.log columns we fill, in Zeek's order, then ours. `min` = the narrowest terminal that still shows it. */
const COLUMNS: Array<{ head: string; min: number; cell: (f: Event) => string }> = [
  { head: 'ts', min: 0, cell: (f) => String(f.start ?? f.time ?? '-') },
  { head: 'uid', min: 0, cell: (f) => String(f.uid ?? '-') },
  { head: 'id.orig_h', min: 0, cell: (f) => split(f.orig)[0] },
  { head: 'id.orig_p', min: 0, cell: (f) => split(f.orig)[1] },
  { head: 'id.resp_h', min: 0, cell: (f) => split(f.resp)[0] },
  { head: 'id.resp_p', min: 0, cell: (f) => split(f.resp)[1] },
  { head: 'duration', min: 140, cell: (f) => (typeof f.duration_us === 'number' ? formatDuration(f.duration_us) : '-') },
  { head: 'orig_bytes', min: 150, cell: (f) => String(f.orig_bytes ?? '-') },
  { head: 'resp_bytes', min: 150, cell: (f) => String(f.resp_bytes ?? '-') },
  { head: 'conn_state', min: 0, cell: (f) => String(f.conn_state ?? '-') },
  { head: 'history', min: 0, cell: (f) => String(f.history ?? '-') },
  { head: 'orig_pkts', min: 120, cell: (f) => String(f.orig_pkts ?? '-') },
  { head: 'resp_pkts', min: 120, cell: (f) => String(f.resp_pkts ?? '-') },
  { head: 'first_rst', min: 100, cell: (f) => (f.first_rst_by ? `${f.first_rst_by}#${f.first_rst_frame}${f.both_reset ? ' (both)' : ''}` : '-') },
  { head: 'cause', min: 0, cell: (f) => String(f.cause ?? '-') },
];

/** "1.2.3.4:80" -> ["1.2.3.4", "80"]; "[2001:db8::1]:443" -> ["2001:db8::1", "443"]. */
function split(ep: unknown): [string, string] {
  if (typeof ep !== 'string') return ['-', '-'];
  const i = ep.lastIndexOf(':');
  if (i < 0) return [ep, '-'];
  const h = ep.slice(0, i);
  return [h.startsWith('[') ? h.slice(1, -1) : h, ep.slice(i + 1)];
}

/** Render tcp.flow events (from the capture ingester) as a table or NDJSON. */
export function renderFlows(flows: Event[], format: 'table' | 'ndjson', opts: { width: number } = { width: 160 }): string {
  if (format === 'ndjson') return flows.map((f) => JSON.stringify(f)).join('\n') + (flows.length ? '\n' : '');
  const cols = COLUMNS.filter((c) => opts.width >= c.min);
  const table = new Table({ head: cols.map((c) => c.head), style: { head: [], border: [] }, wordWrap: false });
  for (const f of flows) table.push(cols.map((c) => c.cell(f)));
  return table.toString() + '\n' + `${flows.length} flow(s)` + '\n';
}
