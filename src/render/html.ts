// `--format html`: one self-contained file for an escalation ticket. It loads nothing (no fonts,
// no scripts, no images), says so in a strict Content-Security-Policy, and shows every byte from
// the inputs as text: a `<script>` inside a log line is escaped, and would be inert anyway (CSP:
// no script source at all). Raw lines open on demand with <details> — no script needed.
import crypto from 'node:crypto';
import type { Evidence, Incident, Report, SummaryRow, Timeline } from '../report.js';
import { sanitize } from '../terminal/sanitize.js';
import { confidenceText, hasSkew, detailPairs, isoToUs, hopsText, lineOrFrame, oneLineSummary, skewText, span, type RenderOptions } from './common.js';
import { eventRef } from '../events.js';
import { deriveTimeline, layoutTimeline, type LaidMark } from './timeline.js';
import { formatDuration } from '../time.js';

/** Input text to HTML text or attribute value: controls made visible first, then the five specials. */
export function escapeHtml(s: unknown): string {
  return sanitize(s).replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;'));
}
const h = escapeHtml;

/** Raw lines shown in full up to this many characters (events cap them at LIMITS.RAW_LINE_CHARS already). */
const MAX_RAW = 4096;
const MAX_EVIDENCE_ROWS = 200;

const STYLE = `
:root{--fg:#1d2329;--muted:#5b6670;--bg:#fff;--panel:#f5f7f9;--line:#d8dee4;--fail:#c62828;--ok:#2f6fb3;--first:#f0a000;--band:#c6282814;--bar:#9aa7b3}
@media (prefers-color-scheme:dark){:root{--fg:#e6e9ec;--muted:#9aa5af;--bg:#15191d;--panel:#1e2429;--line:#323b43;--fail:#ff6b6b;--ok:#6aa8f0;--first:#ffc13b;--band:#ff6b6b1c;--bar:#56626d}}
*{box-sizing:border-box}
body{margin:0 auto;max-width:1200px;padding:24px;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}h3{font-size:15px;margin:16px 0 6px}
.summary{font-size:15px;margin:4px 0}.meta{color:var(--muted);font-size:12px;margin:2px 0}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
pre{background:var(--panel);border:1px solid var(--line);border-radius:4px;padding:8px 10px;overflow-x:auto;white-space:pre-wrap;word-break:break-all;margin:4px 0}
.verdict{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;background:var(--panel);border:1px solid var(--line);border-left:4px solid var(--fail);border-radius:4px;padding:12px 16px}
.verdict dt{font-weight:600;color:var(--muted)}.verdict dd{margin:0;overflow-wrap:anywhere}.verdict ul{margin:0;padding-left:18px}
.cause{color:var(--fail);font-weight:700}.conf-high{color:#2e7d32}.conf-medium{color:#b26a00}.conf-low{color:var(--fail)}
table{border-collapse:collapse;width:100%;margin:6px 0}th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:var(--panel);font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums}td.nw{white-space:nowrap;overflow-wrap:normal}
tr.first td{background:#f0a00022}.role{font-size:11px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}tr.first .role{color:var(--first);font-weight:700}
details summary{cursor:pointer;color:var(--ok)}details.incident{border:1px solid var(--line);border-radius:4px;padding:6px 12px;margin:8px 0}details.incident>summary{color:var(--fg);font-weight:600}
figure{margin:0}figcaption{color:var(--muted);font-size:12px}
svg.timeline{width:100%;height:auto;background:var(--panel);border:1px solid var(--line);border-radius:4px}
.tl-lane{fill:none;stroke:var(--line)}.tl-label{fill:var(--fg);font:12px system-ui,sans-serif}.tl-sub{fill:var(--muted);font:10px system-ui,sans-serif}
.tl-tick{stroke:var(--line);stroke-dasharray:2 3}.tl-ticklabel{fill:var(--muted);font:10px ui-monospace,monospace}
.tl-bar{fill:var(--bar)}.tl-barfail{fill:var(--fail);opacity:.55}.tl-band{fill:var(--band)}.tl-bandlabel{fill:var(--fail);font:10px system-ui,sans-serif}
.mark circle{stroke:var(--bg);stroke-width:1}.mark.fail circle{fill:var(--fail)}.mark.ok circle{fill:var(--ok)}.mark.agg circle{stroke:var(--fg);stroke-width:1.5}
.mark.first circle.ring{fill:none;stroke:var(--first);stroke-width:3}.tl-firstlabel{fill:var(--first);font:bold 11px system-ui,sans-serif}
.legend{display:flex;gap:14px;flex-wrap:wrap;color:var(--muted);font-size:12px;margin-top:4px}.dot{display:inline-block;width:10px;height:10px;border-radius:50%;vertical-align:-1px;margin-right:4px}
.dot.fail{background:var(--fail)}.dot.ok{background:var(--ok)}.dot.first{border:3px solid var(--first);width:12px;height:12px}
footer{margin-top:32px;color:var(--muted);font-size:12px}
`.trim();

/** CSP hash source for the one inline <style> (CSP3 hash-source): styles allowed, nothing else. */
const STYLE_HASH = 'sha256-' + crypto.createHash('sha256').update(STYLE, 'utf8').digest('base64');

/**
 * default-src 'none' forbids every fetch (scripts, images, fonts, frames, connections); the style
 * element is allowed by its hash, so even an injected <style> would not apply. base-uri and
 * form-action are not covered by default-src, so they are closed explicitly.
 */
export const CSP = `default-src 'none'; style-src '${STYLE_HASH}'; base-uri 'none'; form-action 'none'`;

// ---- timeline SVG ----

const SVG_W = 1000;
const LABEL_W = 170;
const PLOT_X0 = LABEL_W + 10;
const PLOT_X1 = SVG_W - 20;
const AXIS_H = 34;
const LANE_H = 46;

/** Tick steps in µs: 1-2-5 below a second, then the steps clocks use (10 s, 15 s, 30 s, 1 min, 5 min …). */
const STEPS: number[] = [];
for (let d = 1; d < 1_000_000; d *= 10) STEPS.push(d, 2 * d, 5 * d);
for (const s of [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400]) STEPS.push(s * 1_000_000);
for (let d = 2; d <= 1000; d *= 2) STEPS.push(d * 86_400_000_000);

function clock(us: number, stepUs: number): string {
  const d = new Date(Math.floor(us / 1000));
  const p2 = (n: number) => String(n).padStart(2, '0');
  let s = `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`;
  const sub = ((us % 1_000_000) + 1_000_000) % 1_000_000;
  if (stepUs < 1000) s += '.' + String(Math.round(sub)).padStart(6, '0');
  else if (stepUs < 1_000_000) s += '.' + String(Math.floor(sub / 1000)).padStart(3, '0');
  return s;
}

function fmt(n: number): string {
  return (Math.round(n * 10) / 10).toString();
}

function markSvg(m: LaidMark, cy: number): string {
  const cls = `mark ${m.cause !== null ? 'fail' : 'ok'}${m.n > 1 ? ' agg' : ''}${m.first ? ' first' : ''}`;
  // Aggregates grow with the log of their count, but stay small enough not to touch their neighbours.
  const r = m.n > 1 ? Math.min(5.5, 3 + Math.log10(m.n)) : m.first ? 6 : 4.5;
  const title = `${clock(m.time_us, 1)} ${m.ref ? m.ref + ' ' : ''}${m.kind}${m.cause ? ' [' + m.cause + ']' : ''}: ${m.label}`;
  let s = `<g class="${cls}"><title>${h(title)}</title>`;
  if (m.first) s += `<circle class="ring" cx="${fmt(m.x)}" cy="${cy}" r="${fmt(r + 4)}"/>`;
  s += `<circle cx="${fmt(m.x)}" cy="${cy}" r="${fmt(r)}"/></g>`;
  // The label goes right of the mark, or left of it near the right edge (it would be cut off).
  if (m.first) {
    const left = m.x > SVG_W - 90;
    s += `<text class="tl-firstlabel" x="${fmt(left ? m.x - 12 : m.x + 12)}" y="${cy - 8}"${left ? ' text-anchor="end"' : ''}>first reset</text>`;
  }
  return s;
}

export function timelineSvg(report: Report): string {
  const tl: Timeline = report.timeline ?? deriveTimeline(report);
  const incTimes: number[] = [];
  // The picture spans the whole report period, not only the marks: a 1 ms view of a 400 ms run misleads.
  for (const t of [isoToUs(report.stats.first), isoToUs(report.stats.last)]) if (t !== null) incTimes.push(t);
  for (const i of report.incidents) {
    if (i.start_us !== null) incTimes.push(i.start_us);
    if (i.end_us !== null) incTimes.push(i.end_us);
  }
  const lay = layoutTimeline(tl, PLOT_X0, PLOT_X1, incTimes);
  const height = AXIS_H + Math.max(1, lay.lanes.length) * LANE_H + 8;
  const xOf = (us: number) => lay.x0 + ((us - lay.t0) * (lay.x1 - lay.x0)) / (lay.t1 - lay.t0);
  const parts: string[] = [];
  parts.push(
    `<svg class="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${SVG_W} ${height}" role="img" aria-label="Timeline of events per source, first reset highlighted">`,
  );
  // Axis: 1-2-5 steps, about 8 ticks.
  const range = lay.t1 - lay.t0;
  const step = STEPS.find((s) => range / s <= 8) ?? STEPS[STEPS.length - 1];
  for (let t = Math.ceil(lay.t0 / step) * step; t <= lay.t1; t += step) {
    const x = fmt(xOf(t));
    parts.push(`<line class="tl-tick" x1="${x}" y1="${AXIS_H - 6}" x2="${x}" y2="${height - 4}"/><text class="tl-ticklabel" x="${x}" y="${AXIS_H - 10}" text-anchor="middle">${clock(t, step)}</text>`);
  }
  // Incident spans behind everything else; labels that would overlap step down a line.
  const labelEnds: number[] = [];
  for (const i of report.incidents.slice(0, 50)) {
    if (i.start_us === null) continue;
    const xa = xOf(i.start_us);
    const xb = xOf(i.end_us ?? i.start_us);
    const text = i.id + ' ' + i.cause;
    let row = labelEnds.findIndex((end) => end < xa);
    if (row < 0) row = labelEnds.length < 3 ? labelEnds.length : 0;
    labelEnds[row] = xa + text.length * 6 + 6;
    parts.push(
      `<g class="tl-incident"><title>${h(`${i.id}: ${i.cause} ${i.upstream ?? ''} (${i.count} failures)`)}</title><rect class="tl-band" x="${fmt(xa - 1)}" y="${AXIS_H}" width="${fmt(Math.max(2, xb - xa + 2))}" height="${height - AXIS_H - 4}"/><text class="tl-bandlabel" x="${fmt(xa + 2)}" y="${AXIS_H + 10 + row * 11}">${h(text)}</text></g>`,
    );
  }
  lay.lanes.forEach((lane, li) => {
    const top = AXIS_H + li * LANE_H;
    const mid = top + LANE_H / 2;
    parts.push(`<g class="lane"><rect class="tl-lane" x="${PLOT_X0}" y="${top + 2}" width="${PLOT_X1 - PLOT_X0}" height="${LANE_H - 4}"/>`);
    const name = lane.name.length > 26 ? '…' + lane.name.slice(-25) : lane.name;
    parts.push(`<text class="tl-label" x="8" y="${mid}"><title>${h(lane.name)}</title>${h(name)}</text>`);
    const sub = lane.total > 0 ? `${lane.total} events, ${lane.failures} failures` : `${lane.marks.reduce((a, m) => a + m.n, 0)} cited`;
    parts.push(`<text class="tl-sub" x="8" y="${mid + 13}">${h(sub)}</text>`);
    // Bars: square-root scale so one burst does not flatten everything else.
    const maxH = LANE_H - 10;
    for (const c of lane.columns) {
      const hh = lay.maxColumnCount > 0 ? Math.max(1, (Math.sqrt(c.count) / Math.sqrt(lay.maxColumnCount)) * maxH) : 0;
      const fh = c.failures > 0 ? Math.max(1, (hh * c.failures) / c.count) : 0;
      const y = top + LANE_H - 3 - hh;
      parts.push(`<rect class="tl-bar" x="${fmt(c.x)}" y="${fmt(y)}" width="${fmt(Math.max(1, c.w - 0.5))}" height="${fmt(hh)}"><title>${c.count} events, ${c.failures} failures</title></rect>`);
      if (fh > 0) parts.push(`<rect class="tl-barfail" x="${fmt(c.x)}" y="${fmt(top + LANE_H - 3 - fh)}" width="${fmt(Math.max(1, c.w - 0.5))}" height="${fmt(fh)}"/>`);
    }
    // Marks last, the first reset on top of all.
    for (const m of lane.marks) if (!m.first) parts.push(markSvg(m, mid));
    for (const m of lane.marks) if (m.first) parts.push(markSvg(m, mid));
    parts.push('</g>');
  });
  parts.push('</svg>');
  const drawn = lay.lanes.reduce((a, l) => a + l.marks.length, 0);
  const merged = lay.lanes.reduce((a, l) => a + l.merged, 0);
  const caption =
    `${formatDuration(lay.t1 - lay.t0)} shown (UTC). ${lay.marksIn} marked event${lay.marksIn === 1 ? '' : 's'}` +
    (merged > 0 ? `, drawn as ${drawn} marks (nearby events merged; hover for counts)` : '') +
    (report.timeline ? '; bars: all events per source, failures in red.' : '; derived from the incidents\u2019 evidence.');
  return (
    `<figure>${parts.join('')}<figcaption>${h(caption)}</figcaption>` +
    `<div class="legend"><span><span class="dot fail"></span>failure</span><span><span class="dot ok"></span>other event</span><span><span class="dot first"></span>first reset</span></div></figure>`
  );
}

// ---- page sections ----

function rawCell(raw: string | undefined): string {
  if (!raw) return '';
  const text = raw.length > MAX_RAW ? raw.slice(0, MAX_RAW) + '…' : raw;
  return `<details><summary>raw line</summary><pre>${h(text)}</pre></details>`;
}

function evidenceTable(ev: Evidence[]): string {
  const rows = ev.slice(0, MAX_EVIDENCE_ROWS).map(
    (e) =>
      `<tr class="${e.role === 'first' ? 'first' : ''}"><td class="mono nw">${h(e.time ?? '—')}</td><td class="mono nw">${h(e.source)}</td><td class="mono nw">${h(lineOrFrame(e))}</td>` +
      `<td class="mono nw">${h(e.kind)}</td><td class="nw"><span class="role">${h(e.role)}</span></td><td>${h(e.summary)}${rawCell(e.raw)}</td></tr>`,
  );
  const more = ev.length > MAX_EVIDENCE_ROWS ? `<p class="meta">… ${ev.length - MAX_EVIDENCE_ROWS} more rows in the JSON report.</p>` : '';
  return `<table class="evidence"><thead><tr><th>time (UTC)</th><th>source</th><th>line / frame</th><th>kind</th><th>role</th><th>what it shows</th></tr></thead><tbody>${rows.join('')}</tbody></table>${more}`;
}

function list(items: string[]): string {
  return `<ul>${items.map((i) => `<li>${h(i)}</li>`).join('')}</ul>`;
}

function commands(cmds: string[]): string {
  return `<pre class="commands">${cmds.map((c) => h(c)).join('\n')}</pre>`;
}

function verdictDl(v: Incident): string {
  const rows: [string, string][] = [
    ['cause', `<span class="cause">${h(v.cause)}</span>`],
    ['origin', `${h(v.origin)} <span class="meta">(the hop that reset first)</span>`],
    ['upstream', v.upstream ? `<code>${h(v.upstream)}</code>` : 'unknown'],
  ];
  const hops = hopsText(v);
  if (hops) rows.push(['hops', h(hops)]);
  rows.push(['first evidence', `<code>${h(v.first.time ?? 'no time')}</code> <code>${h(eventRef(v.first))}</code> <code>${h(v.first.kind)}</code><br>${h(v.first.summary)}`]);
  rows.push(['when', `${h(span(v.start, v.end))}, ${v.count} failure${v.count === 1 ? '' : 's'}`]);
  rows.push(['confidence', `<span class="conf-${h(v.confidence)}">${h(confidenceText(v))}</span>`]);
  rows.push(['why', h(v.explanation)]);
  for (const [k, val] of detailPairs(v)) rows.push([h(k), `<code>${h(val)}</code>`]);
  if (v.fix.length) rows.push(['fix', list(v.fix)]);
  if (v.next_commands.length) rows.push(['next commands', commands(v.next_commands)]);
  if (v.to_confirm.length) rows.push(['to confirm', list(v.to_confirm)]);
  return `<dl class="verdict">${rows.map(([k, val]) => `<dt>${k}</dt><dd>${val}</dd>`).join('')}</dl>`;
}

function incidentDetails(i: Incident, open: boolean): string {
  return (
    `<details class="incident"${open ? ' open' : ''}><summary>${h(i.id)}: ${h(i.cause)}${i.upstream ? ' — ' + h(i.upstream) : ''} · origin ${h(i.origin)} · ${h(i.confidence)} confidence · ${i.count} failures · ${h(span(i.start, i.end))}</summary>` +
    verdictDl(i) +
    `<h3>Evidence</h3>${evidenceTable(i.evidence)}</details>`
  );
}

function summaryTable(title: string, rows: SummaryRow[]): string {
  return (
    `<table><thead><tr><th>${title}</th><th>count</th><th>first</th><th>last</th><th>examples</th></tr></thead><tbody>` +
    rows
      .slice(0, 100)
      .map((r) => `<tr><td class="mono">${h(r.key)}</td><td class="num">${r.count}</td><td class="mono">${h(r.first ?? '—')}</td><td class="mono">${h(r.last ?? '—')}</td><td class="mono">${r.examples.slice(0, 3).map(h).join('<br>')}</td></tr>`)
      .join('') +
    '</tbody></table>'
  );
}

function inputsSection(report: Report): string {
  const rows = report.inputs.map(
    (i) =>
      `<tr><td class="mono">${h(i.name)}</td><td>${h(i.format)}</td><td class="num">${i.frames > 0 ? `${i.frames} frames` : `${i.lines} lines`}</td><td class="num">${i.events}</td><td class="num">${i.failures}</td><td class="num">${i.skipped}</td>` +
      `<td>${i.tz ? h(i.tz) + (i.tz_assumed ? ' (assumed)' : ' (given)') : '—'}</td><td>${hasSkew(i) ? h(`${skewText(i.skew_us)} (${i.skew_source ?? 'none'}${i.skew_confidence ? ', ' + i.skew_confidence : ''})`) : '—'}</td></tr>`,
  );
  let out = `<table><thead><tr><th>input</th><th>format</th><th>read</th><th>events</th><th>failures</th><th>skipped</th><th>time zone</th><th>clock skew</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
  for (const i of report.inputs) {
    if (i.skipped === 0) continue;
    const reasons = Object.entries(i.skipped_by_reason).map(([r, n]) => `${r} ×${n}`).join(', ');
    const ex = i.skipped_examples
      .slice(0, 20)
      .map((e) => {
        const at = e.line !== undefined ? `${i.name}:${e.line}` : e.offset !== undefined ? `${i.name}@${e.offset}` : i.name;
        return `<tr><td class="mono">${h(at)}</td><td>${h(e.reason)}</td><td><pre>${h(e.text.length > MAX_RAW ? e.text.slice(0, MAX_RAW) + '…' : e.text)}</pre></td></tr>`;
      })
      .join('');
    out += `<details><summary>${h(i.name)}: ${i.skipped} skipped (${h(reasons)})</summary><table><thead><tr><th>where</th><th>reason</th><th>text</th></tr></thead><tbody>${ex}</tbody></table></details>`;
  }
  return out;
}

export function renderHtml(report: Report, opts: RenderOptions): string {
  const v = report.verdict;
  const st = report.stats;
  const title = v ? `resetscope: ${v.cause}${v.upstream ? ' to ' + v.upstream : ''}` : 'resetscope: no verdict';
  const body: string[] = [];
  body.push(`<header><h1>${h(title)}</h1><p class="summary">${h(oneLineSummary(report))}</p>`);
  body.push(`<p class="meta">${st.events} events, ${st.failures} failures, ${report.incidents.length} incident${report.incidents.length === 1 ? '' : 's'} · ${h(span(st.first, st.last))}</p></header>`);
  body.push('<section><h2>Verdict</h2>');
  body.push(v ? verdictDl(v) : `<p>${st.failures > 0 ? `${st.failures} failures, none placed in an incident.` : 'No connection failures found in the inputs.'}</p>`);
  body.push('</section>');
  body.push(`<section><h2>Timeline</h2>${timelineSvg(report)}</section>`);
  if (v) body.push(`<section><h2>Evidence</h2>${evidenceTable(v.evidence)}</section>`);
  const others = report.incidents.filter((i) => !v || i.id !== v.id);
  if (others.length) body.push(`<section><h2>${v ? 'Other incidents' : 'Incidents'} (${others.length})</h2>${others.slice(0, 50).map((i) => incidentDetails(i, others.length <= 3)).join('')}</section>`);
  if (st.by_cause.length) body.push(`<section><h2>Failures by cause</h2>${summaryTable('cause', st.by_cause)}</section>`);
  if (st.by_upstream.length) body.push(`<section><h2>Failures by upstream</h2>${summaryTable('upstream', st.by_upstream)}</section>`);
  if (report.anomalies.length) {
    body.push(
      `<section><h2>Anomalies</h2><table><thead><tr><th>time</th><th>where</th><th>kind</th><th>what</th></tr></thead><tbody>` +
        report.anomalies.slice(0, 100).map((a) => `<tr><td class="mono">${h(a.time ?? '—')}</td><td class="mono">${h(eventRef(a))}</td><td class="mono">${h(a.kind)}</td><td>${h(a.summary ?? '')}${rawCell(a.raw)}</td></tr>`).join('') +
        '</tbody></table></section>',
    );
  }
  body.push(`<section><h2>Inputs</h2>${inputsSection(report)}</section>`);
  body.push(`<section><h2>Assumptions</h2>${report.assumptions.length ? list(report.assumptions) : '<p>None recorded.</p>'}</section>`);
  body.push(`<footer>Generated by resetscope ${h(report.tool.version)} at ${h(opts.now ?? new Date().toISOString())}. This file is self-contained and loads nothing.</footer>`);
  return (
    '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n' +
    `<meta http-equiv="Content-Security-Policy" content="${CSP}">\n` +
    '<meta name="referrer" content="no-referrer">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n<meta name="color-scheme" content="light dark">\n' +
    `<title>${h(title)}</title>\n<style>${STYLE}</style>\n</head>\n<body>\n${body.join('\n')}\n</body>\n</html>\n`
  );
}
