// `--format markdown`: the text people paste into an escalation ticket (GitHub-flavoured Markdown).
// A summary line, the verdict, a timeline, an evidence table that cites lines and frames, the fix,
// the commands to run, the inputs and every assumption. Input text can carry pipes, backticks,
// HTML and control characters: each is neutralised so the ticket renders as the logs said it.
import type { Evidence, Incident, Report, SummaryRow } from '../report.js';
import { sanitize } from '../terminal/sanitize.js';
import { confidenceText, hasSkew, detailPairs, hopsText, isoToUs, lineOrFrame, oneLineSummary, skewText, span, type RenderOptions } from './common.js';
import { eventRef } from '../events.js';

/** Prose from the inputs: Markdown and HTML specials escaped; controls shown as visible escapes. */
export function mdText(s: unknown): string {
  // `#`, `-`, `+`, `>` and digits only mean something at the start of a line, and input text never
  // starts one here (it always follows "| ", "- " or a label). An underscore inside a word cannot
  // open or close emphasis (CommonMark §6.2), so `delayed_connect_error` stays as the log wrote it.
  return sanitize(s)
    .replace(/[\\`*[\]~|]|(?<![\p{L}\p{N}])_|_(?![\p{L}\p{N}])/gu, (c) => '\\' + c)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/**
 * A code span that survives any content: the fence is longer than the longest backtick run inside
 * (CommonMark §6.1), padded when the content starts or ends with a backtick. Inside a table a pipe
 * still splits the cell, even in code (GFM §4.10), so it is escaped there. HTML in a code span is
 * literal text already.
 */
export function mdCode(s: unknown, inTable = true): string {
  let t = sanitize(s);
  if (inTable) t = t.replace(/\|/g, '\\|');
  if (t === '') return '';
  const longest = Math.max(0, ...(t.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longest + 1);
  const padded = t.startsWith('`') || t.endsWith('`') || (t.startsWith(' ') && t.endsWith(' ')) ? ` ${t} ` : t;
  return fence + padded + fence;
}

/** A fenced block whose fence no line of the content can close. */
export function mdFence(lines: string[], lang = ''): string {
  const body = lines.map((l) => sanitize(l));
  const longest = Math.max(2, ...body.flatMap((l) => (l.match(/`+/g) ?? []).map((r) => r.length)));
  const fence = '`'.repeat(longest + 1);
  return [fence + lang, ...body, fence].join('\n');
}

function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => '| ' + cells.map((c) => (c === '' ? ' ' : c)).join(' | ') + ' |';
  return [line(head), '|' + head.map(() => '---').join('|') + '|', ...rows.map(line)].join('\n');
}

function timeCell(t: string | null): string {
  return t ? mdCode(t) : '_no time_';
}

/** What the evidence shows, plus the raw line (first 300 characters) when kept. */
function showsCell(e: Evidence): string {
  const role = e.role === 'first' ? '**first** — ' : e.role === 'secondary' ? '_consequence_ — ' : '';
  const raw = e.raw ? '<br>' + mdCode(e.raw.length > 300 ? e.raw.slice(0, 300) + '…' : e.raw) : '';
  return role + mdText(e.summary) + raw;
}

function evidenceTable(ev: Evidence[]): string {
  return table(
    ['time (UTC)', 'source', 'line / frame', 'what it shows'],
    ev.map((e) => [timeCell(e.time), mdCode(e.source), lineOrFrame(e), showsCell(e)]),
  );
}

function verdictSection(v: Incident): string[] {
  const rows: [string, string][] = [
    ['Cause', mdCode(v.cause)],
    ['Origin (who reset first)', mdCode(v.origin)],
    ['Upstream', v.upstream ? mdCode(v.upstream) : '_unknown_'],
  ];
  const hops = hopsText(v);
  if (hops) rows.push(['Hops', mdText(hops)]);
  rows.push(['First evidence', `${timeCell(v.first.time)} ${mdCode(eventRef(v.first))} ${mdCode(v.first.kind)} — ${mdText(v.first.summary)}`]);
  rows.push(['When', `${mdText(span(v.start, v.end))}, ${v.count} failure${v.count === 1 ? '' : 's'}`]);
  rows.push(['Confidence', mdText(confidenceText(v))]);
  for (const [k, val] of detailPairs(v)) rows.push([mdText(k), mdCode(val)]);
  const out = [table(['', ''], rows), '', `**Why:** ${mdText(v.explanation)}`];
  if (v.to_confirm.length) out.push('', '**To confirm:**', ...v.to_confirm.map((c) => `- ${mdText(c)}`));
  return out;
}

/** Every evidence row of every incident, in time order (no-time rows last), the first reset marked. */
function timelineSection(report: Report): string[] {
  const seen = new Set<string>();
  const rows: { us: number | null; e: Evidence; inc: Incident }[] = [];
  for (const inc of report.incidents) {
    for (const e of inc.evidence) {
      const key = `${eventRef(e)}|${e.kind}|${e.time}`;
      if (seen.has(key)) continue;
      seen.add(key);
      rows.push({ us: isoToUs(e.time), e, inc });
    }
  }
  rows.sort((a, b) => (a.us ?? Infinity) - (b.us ?? Infinity));
  const v = report.verdict;
  const isFirst = (e: Evidence) => !!v && e.source === v.first.source && e.line === v.first.line && e.frame === v.first.frame && e.time === v.first.time;
  const shown = rows.slice(0, 100);
  const out = shown.map(({ e, inc }) => {
    const mark = isFirst(e) ? ' **← first reset**' : '';
    return `- ${timeCell(e.time)} ${mdCode(eventRef(e), false)} ${mdCode(e.kind, false)} (${mdText(inc.id)}) — ${mdText(e.summary)}${mark}`;
  });
  if (rows.length > shown.length) out.push(`- … ${rows.length - shown.length} more in the JSON report`);
  return out;
}

function summaryTable(title: string, rows: SummaryRow[]): string {
  return table(
    [title, 'count', 'first', 'last', 'examples'],
    rows.map((r) => [mdCode(r.key), String(r.count), timeCell(r.first), timeCell(r.last), r.examples.slice(0, 3).map((x) => mdCode(x)).join('<br>')]),
  );
}

function incidentSection(i: Incident): string[] {
  const out = [
    `### ${mdText(i.id)}: ${mdText(i.cause)}${i.upstream ? ' — ' + mdCode(i.upstream, false) : ''}`,
    '',
    `Origin ${mdCode(i.origin, false)}, ${mdText(confidenceText(i))} confidence, ${i.count} failure${i.count === 1 ? '' : 's'}, ${mdText(span(i.start, i.end))}.`,
    `First: ${timeCell(i.first.time)} ${mdCode(eventRef(i.first), false)} — ${mdText(i.first.summary)}`,
    '',
    `**Why:** ${mdText(i.explanation)}`,
    '',
    evidenceTable(i.evidence),
  ];
  if (i.fix.length) out.push('', '**Fix:**', ...i.fix.map((f) => `- ${mdText(f)}`));
  if (i.next_commands.length) out.push('', mdFence(i.next_commands, 'sh'));
  return out;
}

export function renderMarkdown(report: Report, opts: RenderOptions): string {
  const v = report.verdict;
  const st = report.stats;
  const out: string[] = [];
  out.push(`# resetscope: ${v ? `${mdText(v.cause)}${v.upstream ? ' to ' + mdText(v.upstream) : ''}, first reset by ${mdText(v.origin)}` : 'no verdict'}`);
  out.push('');
  out.push(`**Summary:** ${mdText(oneLineSummary(report))}.`);
  out.push('');
  out.push(`${st.events} events, ${st.failures} failures, ${report.incidents.length} incident${report.incidents.length === 1 ? '' : 's'}, ${mdText(span(st.first, st.last))}.`);
  out.push('');
  out.push('## Verdict');
  out.push('');
  if (v) out.push(...verdictSection(v));
  else out.push(st.failures > 0 ? `${st.failures} failures, none placed in an incident.` : 'No connection failures found in the inputs.');
  if (report.incidents.length) {
    out.push('', '## Timeline', '', ...timelineSection(report));
  }
  if (v) {
    out.push('', '## Evidence', '', evidenceTable(v.evidence));
    out.push('', '## Fix', '', ...(v.fix.length ? v.fix.map((f) => `- ${mdText(f)}`) : ['_No fix in the playbook for this cause._']));
    out.push('', '## Next commands', '', v.next_commands.length ? mdFence(v.next_commands, 'sh') : '_None._');
  }
  const others = report.incidents.filter((i) => !v || i.id !== v.id);
  if (others.length) {
    out.push('', v ? '## Other incidents' : '## Incidents');
    for (const i of others.slice(0, 20)) out.push('', ...incidentSection(i));
    if (others.length > 20) out.push('', `… ${others.length - 20} more incidents in the JSON report.`);
  }
  if (st.by_cause.length) out.push('', '## Failures by cause', '', summaryTable('cause', st.by_cause));
  if (st.by_upstream.length) out.push('', '## Failures by upstream', '', summaryTable('upstream', st.by_upstream));
  out.push('', '## Inputs', '');
  out.push(
    table(
      ['input', 'format', 'read', 'events', 'failures', 'skipped', 'time zone', 'clock skew'],
      report.inputs.map((i) => [
        mdCode(i.name),
        mdCode(i.format),
        i.frames > 0 ? `${i.frames} frames` : `${i.lines} lines`,
        String(i.events),
        String(i.failures),
        String(i.skipped),
        i.tz ? mdText(i.tz) + (i.tz_assumed ? ' (assumed)' : ' (given)') : '—',
        hasSkew(i) ? `${mdText(skewText(i.skew_us))} (${mdText(i.skew_source ?? 'none')}${i.skew_confidence ? ', ' + mdText(i.skew_confidence) : ''})` : '—',
      ]),
    ),
  );
  const skipped = report.inputs.filter((i) => i.skipped > 0);
  if (skipped.length) {
    out.push('', '**Skipped lines** (counted, not silently dropped):', '');
    for (const i of skipped) {
      const reasons = Object.entries(i.skipped_by_reason).map(([r, n]) => `${mdText(r)} ×${n}`).join(', ');
      out.push(`- ${mdCode(i.name, false)}: ${i.skipped} skipped (${reasons})`);
      for (const ex of i.skipped_examples.slice(0, 5)) {
        const where = ex.line !== undefined ? `${i.name}:${ex.line}` : ex.offset !== undefined ? `${i.name}@${ex.offset}` : i.name;
        out.push(`  - ${mdCode(where, false)} ${mdText(ex.reason)}: ${mdCode(ex.text.length > 200 ? ex.text.slice(0, 200) + '…' : ex.text, false)}`);
      }
    }
  }
  out.push('', '## Assumptions', '');
  const assumptions = [...report.assumptions];
  // The inputs' zones and skews are assumptions too; say them even if the correlator did not.
  for (const i of report.inputs) {
    if (i.tz_assumed && i.tz && !assumptions.some((a) => a.includes(i.name) && a.includes(i.tz as string))) {
      assumptions.push(`${i.name}: times carry no zone; read as ${i.tz} (assumed, give --tz to change)`);
    }
    if (i.skew_source === 'estimated' && i.skew_us !== undefined && !assumptions.some((a) => a.includes(i.name) && /skew/i.test(a))) {
      assumptions.push(`${i.name}: clock skew ${skewText(i.skew_us)} estimated${i.skew_confidence ? ' (' + i.skew_confidence + ')' : ''}`);
    }
  }
  out.push(...(assumptions.length ? assumptions.map((a) => `- ${mdText(a)}`) : ['- None recorded.']));
  out.push('', `_Generated by resetscope ${mdText(report.tool.version)} at ${mdText(opts.now ?? new Date().toISOString())}._`);
  return out.join('\n') + '\n';
}
