// Every renderer on the same report fixture (STYLE.md §10/§11), diffed against golden files.
// Regenerate the golden files after an intended change (then review the diff):
//   npx tsc -p . && UPDATE_GOLDEN=1 node --test dist/test/render.test.js
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { REPO } from './helpers.js';
import { RENDERERS, type RenderOptions } from '../src/render/index.js';
import { fitWidths } from '../src/render/table.js';
import { mdCode, mdFence, mdText } from '../src/render/markdown.js';
import { deriveTimeline } from '../src/render/timeline.js';
import { displayWidth } from '../src/terminal/width.js';
import { stripSgr } from '../src/terminal/color.js';
import type { Report } from '../src/report.js';

const FIXTURE = path.join(REPO, 'test/fixtures/report.json');
const GOLDEN = path.join(REPO, 'test/golden');
const NOW = '2026-11-20T12:00:00Z';

function loadReport(): Report {
  return JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as Report;
}

function golden(name: string, actual: string): void {
  const file = path.join(GOLDEN, name);
  if (process.env.UPDATE_GOLDEN) {
    fs.mkdirSync(GOLDEN, { recursive: true });
    fs.writeFileSync(file, actual);
    return;
  }
  assert.ok(fs.existsSync(file), `missing golden ${name}: run UPDATE_GOLDEN=1 node --test dist/test/render.test.js`);
  assert.equal(actual, fs.readFileSync(file, 'utf8'), `${name} differs from golden (regenerate with UPDATE_GOLDEN=1 if intended)`);
}

const CASES: [string, keyof typeof RENDERERS, RenderOptions][] = [
  ['report.table.txt', 'table', { color: false, width: 100, now: NOW }],
  ['report.table-color-80.txt', 'table', { color: true, width: 80, now: NOW }],
  ['report.table-40.txt', 'table', { color: false, width: 40, now: NOW }],
  ['report.json', 'json', { color: false, width: 100, now: NOW }],
  ['report.md', 'markdown', { color: false, width: 100, now: NOW }],
  ['report.html', 'html', { color: false, width: 100, now: NOW }],
];

for (const [name, format, opts] of CASES) {
  test(`golden: ${format} ${name}`, () => {
    golden(name, RENDERERS[format](loadReport(), opts));
  });
}

test('RENDERERS is a plain name -> function map of the four report formats', () => {
  assert.deepEqual(Object.keys(RENDERERS).sort(), ['html', 'json', 'markdown', 'table']);
  for (const fn of Object.values(RENDERERS)) assert.equal(typeof fn, 'function');
});

test('renderers do not mutate the report', () => {
  const r = loadReport();
  const before = JSON.stringify(r);
  for (const fn of Object.values(RENDERERS)) fn(r, { color: true, width: 60, now: NOW });
  assert.equal(JSON.stringify(r), before);
});

test('table: the verdict comes first, with cause, origin, first evidence, confidence, fix and commands', () => {
  const out = RENDERERS.table(loadReport(), { color: false, width: 100, now: NOW });
  const at = (s: string) => {
    const i = out.indexOf(s);
    assert.ok(i >= 0, `missing ${JSON.stringify(s)}`);
    return i;
  };
  assert.ok(at('VERDICT refused 10.0.0.5:8080') < at('Incidents (2)'));
  assert.ok(at('2026-11-20T10:00:01.248391Z  proxy.pcap#412  tcp.rst') < at('Evidence (5)'));
  at('high (0.94)');
  at('  $ nc -vz 10.0.0.5 8080');
  at('  $ tcpdump -i any -nn host 10.0.0.5 and port 8080');
  at('Failures by cause');
  at('Failures by upstream');
  at('envoy-access.log:96  unparsed: \\x1b[31mred\\x1b[0m banner');
  at('nginx-error.log:12  unparsed: PHP message: <script>alert(1)</script>\\x07');
  at('UTC (assumed)');
  at('skew -1.25s');
  at('Assumptions');
});

test('table: no escape byte from the inputs reaches the terminal, with or without colour', () => {
  for (const color of [false, true]) {
    const out = RENDERERS.table(loadReport(), { color, width: 120, now: NOW });
    // Our own SGR colour codes are the only escapes allowed.
    const rest = stripSgr(out);
    assert.doesNotMatch(rest, /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/);
    assert.equal(out.includes('\x1b['), color, 'colour codes only when asked for');
    assert.ok(rest.includes('\\u202eexe.live\\u202c'), 'bidi override shown as a visible escape');
  }
});

test('table: every table line fits the width (commands stay whole for copy and paste)', () => {
  const r = loadReport();
  for (const width of [40, 50, 60, 72, 80, 100, 120, 160]) {
    const out = RENDERERS.table(r, { color: true, width, now: NOW });
    for (const line of out.split('\n')) {
      if (line.startsWith('  ') && stripSgr(line).trimStart().startsWith('$ ')) continue;
      assert.ok(displayWidth(line) <= width, `width ${width}: ${displayWidth(line)} > ${width}: ${stripSgr(line)}`);
    }
  }
});

test('table: a report with no verdict says so and still lists inputs', () => {
  const r = loadReport();
  r.verdict = null;
  r.incidents = [];
  r.stats.failures = 0;
  r.stats.by_cause = [];
  r.stats.by_upstream = [];
  const out = RENDERERS.table(r, { color: false, width: 80, now: NOW });
  assert.match(out, /VERDICT no connection failures found/);
  assert.match(out, /envoy-access\.log/);
  const md = RENDERERS.markdown(r, { color: false, width: 80, now: NOW });
  assert.match(md, /No connection failures found in the inputs\./);
  const html = RENDERERS.html(r, { color: false, width: 80, now: NOW });
  assert.match(html, /No connection failures found in the inputs\./);
});

test('fitWidths: shrinks flexible columns first, then the widest, and always fits', () => {
  assert.deepEqual(fitWidths([5, 10, 40], [5, 5, 10], 100), [5, 10, 40]);
  assert.deepEqual(fitWidths([5, 10, 40], [5, 5, 10], 30, [false, false, true]), [5, 10, 15]);
  assert.deepEqual(fitWidths([20, 20, 20], [5, 5, 5], 30), [10, 10, 10]);
  const w = fitWidths([30, 30, 30], [20, 20, 20], 20);
  assert.ok(w.reduce((a, b) => a + b, 0) <= 20, `sum ${w}`);
});

test('json: the report as is, 2-space indent, top-level keys in contract order', () => {
  const r = loadReport();
  const out = RENDERERS.json(r, { color: false, width: 80 });
  assert.deepEqual(JSON.parse(out), r);
  assert.deepEqual(Object.keys(JSON.parse(out)), ['tool', 'verdict', 'incidents', 'inputs', 'stats', 'assumptions', 'anomalies', 'timeline']);
  assert.ok(out.startsWith('{\n  "tool": {\n    "name": "resetscope"'));
  // Bidi overrides are escaped (still the same string once parsed): `cat report.json` is safe.
  assert.ok(!/[\u202a-\u202e]/.test(out));
  assert.ok(out.includes('\\u202e'));
});

test('markdown: ticket sections in order, commands fenced, assumptions listed', () => {
  const md = RENDERERS.markdown(loadReport(), { color: false, width: 80, now: NOW });
  const order = ['# resetscope: refused to 10.0.0.5:8080', '**Summary:**', '## Verdict', '## Timeline', '## Evidence', '## Fix', '## Next commands', '## Other incidents', '## Inputs', '## Assumptions'];
  let last = -1;
  for (const h of order) {
    const i = md.indexOf(h);
    assert.ok(i > last, `${h} out of order or missing`);
    last = i;
  }
  assert.ok(md.includes('```sh\nnc -vz 10.0.0.5 8080\ncurl -v http://10.0.0.5:8080/\n'));
  assert.ok(md.includes('**← first reset**'));
  assert.ok(md.includes('NGINX error logs carry no time zone; read as UTC'));
  assert.ok(md.includes('clock skew -1.250s estimated'));
});

test('markdown: every table row keeps its column count whatever the input text holds', () => {
  const md = RENDERERS.markdown(loadReport(), { color: false, width: 80, now: NOW });
  let cols = -1;
  for (const line of md.split('\n')) {
    if (!line.startsWith('|')) {
      cols = -1;
      continue;
    }
    // Unescaped pipes delimit cells (GFM: `\|` is a pipe inside a cell, even in code).
    const n = line.replace(/\\\\/g, '').split(/(?<!\\)\|/).length;
    if (cols === -1) cols = n;
    else assert.equal(n, cols, `row with a different cell count: ${line}`);
  }
  // Inside a code span HTML is literal text (CommonMark §6.1); anywhere else it must be escaped.
  const outsideCode = md.replace(/(`+)(?!`)[\s\S]*?(?<!`)\1(?!`)/g, '');
  assert.ok(md.includes('<script>alert(1)</script>'), 'the raw line is kept (in a code span)');
  assert.ok(!outsideCode.includes('<script'), 'HTML from the inputs is never raw outside code');
  assert.ok(!/[\x00-\x09\x0b-\x1f\x7f]/.test(md), 'no control characters');
});

test('markdown escaping: pipes, backticks, HTML, newlines, emphasis', () => {
  assert.equal(mdText('a|b `c` <i>x</i> & *y*'), 'a\\|b \\`c\\` &lt;i&gt;x&lt;/i&gt; &amp; \\*y\\*');
  assert.equal(mdText('delayed_connect_error:_111 _em_'), 'delayed_connect_error:\\_111 \\_em\\_');
  // Controls become visible escapes; their backslash is escaped so the ticket shows `\n`.
  assert.equal(mdText('line1\nline2\r'), 'line1\\\\nline2\\\\r');
  assert.equal(mdCode('a`b|c'), '``a`b\\|c``');
  assert.equal(mdCode('`x`', false), '`` `x` ``');
  assert.equal(mdFence(['echo ```', 'ok']), '````\necho ```\nok\n````');
});

test('html: inputs are escaped, CSP forbids everything but the hashed style', () => {
  const html = RENDERERS.html(loadReport(), { color: false, width: 80, now: NOW });
  assert.ok(!html.includes('<script'), 'no script element, not even from a log line');
  assert.ok(html.includes('q=&lt;script&gt;alert(1)&lt;/script&gt;'));
  assert.ok(html.includes('\\x1b[2J\\x1b]8;;http://evil.example/\\x07click me'));
  assert.ok(!/[\x00-\x09\x0b-\x1f\x7f\u202a-\u202e]/.test(html));
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1] ?? '';
  assert.match(csp, /^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/]+=*'; base-uri 'none'; form-action 'none'$/);
  assert.doesNotMatch(html, /\b(src|href)=/, 'no src= or href= anywhere: nothing to load, nothing to follow');
  assert.doesNotMatch(html, /https?:\/\/(?!www\.w3\.org\/2000\/svg|evil\.example|10\.0\.0|api\.internal)/);
});

test('timeline: derived from the evidence when the report has none', () => {
  const r = loadReport();
  delete r.timeline;
  const tl = deriveTimeline(r);
  assert.deepEqual(tl.lanes.map((l) => l.name), ['envoy-access.log', 'nginx-error.log', 'proxy.pcap']);
  assert.equal(tl.marks.length, 8);
  assert.deepEqual(tl.marks.filter((m) => m.first).map((m) => m.ref), ['proxy.pcap#412']);
  const html = RENDERERS.html(r, { color: false, width: 80, now: NOW });
  assert.equal((html.match(/<g class="mark /g) ?? []).length, 8);
  assert.match(html, /derived from the incidents/);
});

test('the CLI loads each renderer on its own, and it is the one RENDERERS holds', async () => {
  const { LOAD_RENDERER } = await import('../src/render/load.js');
  assert.deepEqual(Object.keys(LOAD_RENDERER).sort(), Object.keys(RENDERERS).sort());
  for (const name of Object.keys(RENDERERS) as (keyof typeof RENDERERS)[]) assert.equal(await LOAD_RENDERER[name](), RENDERERS[name], name);
});
