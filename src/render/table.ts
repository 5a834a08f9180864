// `--format table`: what a person at a terminal reads first. Verdict on top (cause, origin, the
// first evidence with its time and line/frame, confidence, why, fix, what to run next), then the
// detail. Every string from the inputs goes through `sanitize`; every table fits `opts.width`.
import Table from 'cli-table3';
import type { Evidence, Incident, Report, SummaryRow } from '../report.js';
import { palette, type Palette } from '../terminal/color.js';
import { sanitize } from '../terminal/sanitize.js';
import { displayWidth, truncate, wrap, MIN_WIDTH } from '../terminal/width.js';
import { confidenceText, hasSkew, detailPairs, hopsText, isoToUs, reportDay, shortTime, skewText, span, type RenderOptions } from './common.js';
import { eventRef } from '../events.js';
import { formatDuration } from '../time.js';

/** Rows shown per list before "… N more": a terminal report is read, not scrolled for minutes. */
const MAX_ROWS = 20;

const S = sanitize;

type Align = 'left' | 'right';
interface Col {
  head: string;
  align?: Align;
  /** Never narrower than this unless the terminal is too narrow for all minimums. */
  min?: number;
  /** Free text: shrinks (wraps) before the other columns do. */
  flex?: boolean;
}

/**
 * Column widths (content only, no padding) that fit `avail` columns. Flexible columns (free text:
 * summaries, examples) give way first, down to their minimum; only then the others, widest first
 * (a binary search for the cap), so short columns (counts, causes, times) keep their natural width.
 */
export function fitWidths(natural: number[], mins: number[], avail: number, flex: boolean[] = []): number[] {
  const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
  if (sum(natural) <= avail) return natural.slice();
  const capAll = (base: number[], which: (i: number) => boolean): number[] => {
    const withCap = (cap: number) => base.map((n, i) => (which(i) ? Math.min(n, Math.max(cap, mins[i] ?? 1)) : n));
    let lo = 1;
    let hi = Math.max(1, ...base);
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (sum(withCap(mid)) <= avail) lo = mid;
      else hi = mid - 1;
    }
    const widths = withCap(lo);
    // Hand out what the integer cap left over, left to right, to columns that still want it.
    let spare = avail - sum(widths);
    for (let i = 0; i < widths.length && spare > 0; i++) {
      if (which(i) && widths[i] < base[i]) {
        const give = Math.min(spare, base[i] - widths[i]);
        widths[i] += give;
        spare -= give;
      }
    }
    return widths;
  };
  const first = flex.some(Boolean) ? capAll(natural, (i) => !!flex[i]) : natural;
  if (sum(first) <= avail) return first;
  const second = capAll(first, () => true);
  if (sum(second) <= avail) return second;
  // Narrower than all the minimums together: the width is a promise, the minimums a preference.
  mins = mins.map(() => 2);
  return capAll(second, () => true);
}

/**
 * A cli-table3 table whose cells we wrap ourselves (our width function, hard breaks inside long
 * tokens like URLs) and colour per line after wrapping, so no escape code straddles a line break.
 * `cells` are plain, already-sanitized strings; `paint` colours one cell's lines.
 */
function grid(
  cols: Col[],
  rows: string[][],
  width: number,
  p: Palette,
  paint?: (row: number, col: number, line: string) => string,
  showHead = true,
): string {
  const pad = 2;
  const avail = Math.max(cols.length * 3, width - (cols.length + 1) - pad * cols.length);
  const natural = cols.map((c, i) =>
    Math.max(showHead ? displayWidth(c.head) : 1, ...rows.map((r) => Math.max(0, ...(r[i] ?? '').split('\n').map(displayWidth)))),
  );
  const mins = cols.map((c, i) => Math.min(natural[i], c.min ?? Math.min(8, displayWidth(c.head))));
  // Too narrow for the columns side by side: one key/value block per row instead of a table
  // squeezed into three-letter columns nobody can read.
  if (showHead && cols.length > 2 && mins.reduce((a, b) => a + b, 0) > avail) {
    return rows
      .map((r, ri) =>
        grid(
          [{ head: '', min: Math.min(12, Math.max(...cols.map((c) => displayWidth(c.head)))) }, { head: '', flex: true }],
          cols.map((c, ci) => [c.head, r[ci] ?? '']),
          width,
          p,
          (row, col, line) => (col === 0 ? p.bold(line) : paint ? paint(ri, row, line) : line),
          false,
        ),
      )
      .join('\n');
  }
  const widths = fitWidths(natural, mins, avail, cols.map((c) => !!c.flex));
  const cell = (text: string, w: number, r: number, c: number) =>
    wrap(text, w)
      .map((line) => (paint ? paint(r, c, line) : line))
      .join('\n');
  const table = new Table({
    head: showHead ? cols.map((c, i) => wrap(c.head, widths[i]).map(p.bold).join('\n')) : [],
    colWidths: widths.map((w) => w + pad),
    colAligns: cols.map((c) => c.align ?? 'left'),
    wordWrap: false,
    // compact: no rule between rows; the tables stay short enough to read without scrolling.
    style: { head: [], border: [], 'padding-left': 1, 'padding-right': 1, compact: true },
  });
  rows.forEach((r, ri) => table.push(cols.map((_, ci) => cell(r[ci] ?? '', widths[ci], ri, ci))));
  return table.toString();
}

function heading(p: Palette, text: string): string {
  return p.bold(p.cyan(text));
}

function evidenceWhere(e: { time: string | null; source: string; line?: number; frame?: number }): string {
  return `${S(e.time ?? '(no time)')}  ${S(eventRef(e))}`;
}

function causeColor(p: Palette, cause: string): string {
  return cause === 'timeout' || cause === 'client_abort' ? p.yellow(cause) : p.red(cause);
}

function verdictBlock(v: Incident, opts: RenderOptions, p: Palette): string {
  const rows: [string, string][] = [
    ['cause', S(v.cause)],
    ['origin', `${S(v.origin)} (the hop that reset first)`],
  ];
  if (v.upstream) rows.push(['upstream', S(v.upstream)]);
  const hops = hopsText(v);
  if (hops) rows.push(['hops', S(hops)]);
  rows.push(['first evidence', `${evidenceWhere(v.first)}  ${S(v.first.kind)}\n${S(v.first.summary)}`]);
  rows.push(['when', S(span(v.start, v.end)) + `  (${v.count} failure${v.count === 1 ? '' : 's'})`]);
  rows.push(['confidence', S(confidenceText(v))]);
  rows.push(['why', S(v.explanation)]);
  const details = detailPairs(v);
  if (details.length) rows.push(['details', details.map(([k, val]) => `${S(k)}: ${S(val)}`).join('\n')]);
  if (v.fix.length) rows.push(['fix', v.fix.map((f) => '• ' + S(f)).join('\n')]);
  if (v.to_confirm.length) rows.push(['to confirm', v.to_confirm.map((f) => '• ' + S(f)).join('\n')]);
  const paint = (r: number, c: number, line: string) => {
    if (c === 0) return p.bold(line);
    const key = rows[r][0];
    if (key === 'cause') return p.bold(causeColor(p, line));
    if (key === 'confidence') return v.confidence === 'high' ? p.green(line) : v.confidence === 'medium' ? p.yellow(line) : p.red(line);
    return line;
  };
  return grid([{ head: '', min: 14 }, { head: '', flex: true }], rows.map((r) => [r[0], r[1]]), opts.width, p, paint, false);
}

/**
 * Commands stay outside any table and unwrapped: they are for copy and paste, and a wrap would
 * split them. Sanitized like everything else (a host name from a log is input too).
 */
function commandsBlock(cmds: string[], p: Palette): string {
  return cmds.map((c) => '  ' + p.dim('$') + ' ' + S(c)).join('\n');
}

function evidenceTable(ev: Evidence[], day: string | null, opts: RenderOptions, p: Palette): string {
  const shown = ev.slice(0, MAX_ROWS);
  const rows = shown.map((e) => [S(shortTime(e.time, day)), S(eventRef(e)), S(e.kind), S(e.role), S(e.summary)]);
  const out = grid(
    [{ head: day ? 'time (UTC)' : 'time', min: 15 }, { head: 'where', min: 14 }, { head: 'kind', min: 8 }, { head: 'role', min: 5 }, { head: 'what it shows', flex: true, min: 20 }],
    rows,
    opts.width,
    p,
    (r, c, line) => (shown[r].role === 'first' ? p.yellow(line) : c === 3 && shown[r].role === 'secondary' ? p.dim(line) : line),
  );
  return ev.length > MAX_ROWS ? out + `\n  … ${ev.length - MAX_ROWS} more (see --format json)` : out;
}

function incidentsTable(report: Report, day: string | null, opts: RenderOptions, p: Palette): string {
  const list = report.incidents.slice(0, MAX_ROWS);
  const rows = list.map((i) => {
    const a = isoToUs(i.start);
    const b = isoToUs(i.end);
    return [
      S(i.id),
      `${S(i.cause)}\nby ${S(i.origin)}`,
      S(i.upstream ?? '-'),
      `${S(shortTime(i.start, day))}\n${a !== null && b !== null ? 'for ' + formatDuration(b - a) : ''}`.trim(),
      String(i.count),
      S(i.confidence),
      `${S(eventRef(i.first))}  ${S(i.first.summary)}`,
    ];
  });
  const out = grid(
    [
      { head: 'id', min: 2 },
      { head: 'cause', min: 7 },
      { head: 'upstream', min: 13 },
      { head: day ? 'start (UTC)' : 'start', min: 15 },
      { head: 'failures', align: 'right', min: 5 },
      { head: 'confidence', min: 6 },
      { head: 'first evidence', flex: true, min: 20 },
    ],
    rows,
    opts.width,
    p,
    (_r, c, line) => (c === 1 && !line.startsWith('by ') ? causeColor(p, line) : line),
  );
  return report.incidents.length > MAX_ROWS ? out + `\n  … ${report.incidents.length - MAX_ROWS} more incidents` : out;
}

function summaryTable(title: string, rowsIn: SummaryRow[], day: string | null, opts: RenderOptions, p: Palette): string {
  const list = rowsIn.slice(0, MAX_ROWS);
  const rows = list.map((r) => [S(r.key), String(r.count), S(shortTime(r.first, day)), S(shortTime(r.last, day)), r.examples.slice(0, 3).map(S).join('\n')]);
  const out = grid(
    [
      { head: title, min: 13 },
      { head: 'count', align: 'right', min: 5 },
      { head: day ? 'first (UTC)' : 'first', min: 15 },
      { head: day ? 'last (UTC)' : 'last', min: 15 },
      { head: 'examples', flex: true, min: 16 },
    ],
    rows,
    opts.width,
    p,
  );
  return rowsIn.length > MAX_ROWS ? out + `\n  … ${rowsIn.length - MAX_ROWS} more` : out;
}

function inputsBlock(report: Report, opts: RenderOptions, p: Palette): string {
  const rows = report.inputs.map((i) => {
    const clock: string[] = [];
    if (i.tz) clock.push(S(i.tz) + (i.tz_assumed ? ' (assumed)' : ''));
    if (hasSkew(i)) {
      clock.push(`skew ${skewText(i.skew_us as number)}${i.skew_source ? ` (${S(i.skew_source)})` : ''}`);
    }
    return [
      S(i.name),
      S(i.format),
      i.frames > 0 ? `${i.frames} frames` : `${i.lines} lines`,
      String(i.events),
      String(i.failures),
      String(i.skipped),
      clock.join('\n') || '-',
    ];
  });
  const parts = [
    grid(
      [
        { head: 'input', min: 16 },
        { head: 'format', min: 8, flex: true },
        { head: 'read', min: 8 },
        { head: 'events', align: 'right', min: 6 },
        { head: 'failures', align: 'right', min: 6 },
        { head: 'skipped', align: 'right', min: 6 },
        { head: 'time zone / skew', min: 12, flex: true },
      ],
      rows,
      opts.width,
      p,
      (r, c, line) => (c === 5 && report.inputs[r].skipped > 0 ? p.yellow(line) : line),
    ),
  ];
  const skipped: string[] = [];
  for (const i of report.inputs) {
    if (i.skipped === 0) continue;
    const reasons = Object.entries(i.skipped_by_reason)
      .sort((a, b) => b[1] - a[1])
      .map(([r, n]) => `${S(r)} ×${n}`)
      .join(', ');
    skipped.push(...wrap(`${S(i.name)}: ${i.skipped} skipped (${reasons})`, opts.width - 2).map((l) => '  ' + l));
    for (const ex of i.skipped_examples.slice(0, 5)) {
      const where = ex.line !== undefined ? `${i.name}:${ex.line}` : ex.offset !== undefined ? `${i.name}@${ex.offset}` : i.name;
      const head = `    ${S(where)}  ${S(ex.reason)}: `;
      const room = opts.width - displayWidth(head);
      if (room >= 20) skipped.push(head + p.dim(truncate(S(ex.text), room)));
      else skipped.push(truncate(head.trimEnd(), opts.width), '      ' + p.dim(truncate(S(ex.text), opts.width - 6)));
    }
  }
  if (skipped.length) parts.push(skipped.join('\n'));
  return parts.join('\n');
}

function bullets(items: string[], width: number): string {
  return items.flatMap((a) => wrap(S(a), width - 4).map((l, k) => (k === 0 ? '  • ' : '    ') + l)).join('\n');
}

export function renderTable(report: Report, optsIn: RenderOptions): string {
  const opts = { ...optsIn, width: Math.max(MIN_WIDTH, optsIn.width) };
  const p = palette(opts.color);
  const st = report.stats;
  const day = reportDay(report);
  const out: string[] = [];
  const title = `resetscope ${S(report.tool.version)}`;
  const headLine =
    `${title} · ${st.events} events, ${st.failures} failures, ${report.incidents.length} incident${report.incidents.length === 1 ? '' : 's'}` +
    (st.first || st.last ? ` · ${S(span(st.first, st.last))}` : '');
  out.push(...wrap(headLine, opts.width).map((l, i) => (i === 0 ? p.bold(title) + l.slice(title.length) : l)));
  out.push('');
  const v = report.verdict;
  if (v) {
    const up = v.upstream ? ` ${S(v.upstream)}` : '';
    const line = `VERDICT ${S(v.cause)}${up} — first reset by ${S(v.origin)}, ${S(v.confidence)} confidence`;
    const lines = wrap(line, opts.width);
    // Colour the first line's words in place: the cause and the verdict label.
    lines[0] = lines[0].replace(/^VERDICT /, heading(p, 'VERDICT') + ' ').replace(' ' + S(v.cause), ' ' + p.bold(causeColor(p, S(v.cause))));
    out.push(...lines);
    out.push(verdictBlock(v, opts, p));
    if (v.next_commands.length) {
      out.push(heading(p, 'Next commands'));
      out.push(commandsBlock(v.next_commands, p));
    }
    if (v.evidence.length) {
      out.push('');
      out.push(heading(p, `Evidence (${v.evidence.length})`));
      out.push(evidenceTable(v.evidence, day, opts, p));
    }
  } else {
    out.push(heading(p, 'VERDICT') + ' ' + (st.failures > 0 ? `${st.failures} failures, none placed in an incident` : 'no connection failures found'));
    if (st.skipped > 0) out.push(`  ${st.skipped} lines/records were skipped: check the inputs section below.`);
  }
  if (report.incidents.length > (v ? 1 : 0)) {
    out.push('');
    out.push(heading(p, `Incidents (${report.incidents.length})`));
    out.push(incidentsTable(report, day, opts, p));
  }
  if (st.by_cause.length) {
    out.push('');
    out.push(heading(p, 'Failures by cause'));
    out.push(summaryTable('cause', st.by_cause, day, opts, p));
  }
  if (st.by_upstream.length) {
    out.push('');
    out.push(heading(p, 'Failures by upstream'));
    out.push(summaryTable('upstream', st.by_upstream, day, opts, p));
  }
  if (report.anomalies.length) {
    out.push('');
    out.push(heading(p, `Anomalies (${report.anomalies.length} kept)`));
    const rows = report.anomalies.slice(0, MAX_ROWS).map((a) => [S(shortTime(a.time, day)), S(eventRef(a)), S(a.kind), S(a.summary ?? '')]);
    out.push(grid([{ head: day ? 'time (UTC)' : 'time', min: 15 }, { head: 'where', min: 14 }, { head: 'kind', min: 10 }, { head: 'what', flex: true, min: 20 }], rows, opts.width, p));
  }
  out.push('');
  out.push(heading(p, 'Inputs'));
  out.push(inputsBlock(report, opts, p));
  if (report.assumptions.length) {
    out.push('');
    out.push(heading(p, 'Assumptions'));
    out.push(bullets(report.assumptions, opts.width));
  }
  return out.join('\n') + '\n';
}
