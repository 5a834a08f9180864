// The HTML report in a real browser (headless Chromium via playwright-core): it loads nothing,
// raises no console or page error, draws the timeline, keeps injected markup as text, and stays
// bounded with 100 000 events. Artifacts (HTML + screenshots) go to dist/test-artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REPO } from './helpers.js';
import { RENDERERS } from '../src/render/index.js';
import { DRAW_MAX_COLUMNS, DRAW_MAX_MARKS_PER_LANE } from '../src/render/timeline.js';
import type { Report, TimelineMark } from '../src/report.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.join(REPO, 'dist/test-artifacts');
const NOW = '2026-11-20T12:00:00Z';
const skip = fs.existsSync(CHROMIUM) ? false : `no ${CHROMIUM}`;

let browser: Browser | undefined;

before(async () => {
  if (skip) return;
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
});

function loadReport(): Report {
  return JSON.parse(fs.readFileSync(path.join(REPO, 'test/fixtures/report.json'), 'utf8')) as Report;
}

interface Opened {
  page: Page;
  url: string;
  problems: string[];
  requests: string[];
  dialogs: string[];
}

/** Write the HTML as a file and open it, recording every request, console error, page error and dialog. */
async function open(name: string, html: string): Promise<Opened> {
  const file = path.join(ARTIFACTS, name);
  fs.writeFileSync(file, html);
  const url = pathToFileURL(file).href;
  const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
  const o: Opened = { page, url, problems: [], requests: [], dialogs: [] };
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') o.problems.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => o.problems.push(`pageerror: ${e.message}`));
  page.on('request', (r) => o.requests.push(r.url()));
  page.on('dialog', (d) => {
    o.dialogs.push(d.message());
    void d.dismiss();
  });
  await page.goto(url, { waitUntil: 'load' });
  return o;
}

test('html in Chromium: loads nothing, no errors, timeline marks, script stays text, screenshot', { skip, timeout: 120_000 }, async () => {
  const report = loadReport();
  const o = await open('report.html', RENDERERS.html(report, { color: false, width: 100, now: NOW }));
  const { page } = o;
  try {
    // The hashed <style> applied: a wrong CSP hash would leave the verdict un-styled (and log an error).
    assert.equal(await page.locator('dl.verdict').first().evaluate((el) => getComputedStyle(el).display), 'grid');
    assert.equal(await page.locator('svg.timeline .mark').count(), report.timeline!.marks.length);
    assert.equal(await page.locator('svg.timeline .mark.first').count(), 1);
    assert.equal(await page.locator('svg.timeline .lane').count(), 3);
    assert.match((await page.locator('svg.timeline .mark.first title').textContent()) ?? '', /proxy\.pcap#412 tcp\.rst \[refused\]/);
    // Raw lines on demand: closed at first, readable as text once opened; no script element exists.
    const raw = page.locator('table.evidence details').first();
    assert.equal(await raw.evaluate((d) => (d as HTMLDetailsElement).open), false);
    await raw.locator('summary').click();
    const rawText = (await raw.locator('pre').innerText()).trim();
    assert.ok(rawText.includes('GET /search?q=<script>alert(1)</script>&f=`id`|cat'), rawText);
    assert.ok(rawText.includes('\\x1b[2J\\x1b]8;;http://evil.example/\\x07click me'), rawText);
    assert.ok(await raw.locator('pre').isVisible());
    assert.equal(await page.locator('script').count(), 0);
    assert.ok((await page.locator('body').innerText()).includes('PHP message: <script>alert(1)</script>\\x07') === false, 'skipped examples are closed until asked for');
    await page.locator('details', { hasText: 'nginx-error.log: 1 skipped' }).locator('summary').first().click();
    assert.ok((await page.locator('body').innerText()).includes('PHP message: <script>alert(1)</script>\\x07'));
    const png = path.join(ARTIFACTS, 'report.png');
    await page.screenshot({ path: png, fullPage: true });
    const buf = fs.readFileSync(png);
    assert.ok(buf.length > 10_000, `screenshot ${buf.length} bytes`);
    assert.equal(buf.subarray(1, 4).toString('latin1'), 'PNG');
    assert.deepEqual(o.dialogs, [], 'no alert() ran');
    assert.deepEqual(o.problems, []);
    assert.deepEqual(o.requests, [o.url], 'the page itself is the only request');
  } finally {
    await page.close();
  }
});

test('html in Chromium: 100 000 events draw a bounded timeline', { skip, timeout: 120_000 }, async () => {
  const report = loadReport();
  const base = Date.UTC(2026, 10, 20, 10, 0, 0) * 1000;
  const lanes = ['envoy-access.log', 'nginx-error.log', 'proxy.pcap'];
  const marks: TimelineMark[] = [];
  for (let i = 0; i < 100_000; i++) {
    const lane = lanes[i % 3];
    marks.push({ lane, time_us: base + i * 1_800, kind: i % 7 === 0 ? 'tcp.rst' : 'envoy.access', cause: i % 7 === 0 ? 'refused' : null, label: `event ${i} <b>`, ref: `${lane}:${i}` });
  }
  marks[31_337] = { ...marks[31_337], first: true, cause: 'refused', kind: 'tcp.rst' };
  report.timeline = {
    // 20 000 one-millisecond buckets per lane: far more than pixels; the renderer re-bins them.
    lanes: lanes.map((name, li) => ({
      name,
      buckets: Array.from({ length: 20_000 }, (_, k) => ({ start_us: base + k * 9_000, end_us: base + (k + 1) * 9_000, count: 5 + ((k * (li + 1)) % 11), failures: k % 13 === 0 ? 1 : 0 })),
    })),
    marks,
  };
  const html = RENDERERS.html(report, { color: false, width: 100, now: NOW });
  assert.ok(html.length < 400_000, `html ${html.length} bytes`);
  const o = await open('report-100k.html', html);
  const { page } = o;
  try {
    const elements = await page.locator('svg.timeline *').count();
    const drawnMarks = await page.locator('svg.timeline .mark').count();
    // Per lane: at most DRAW_MAX_COLUMNS bars (+ failure overlays), DRAW_MAX_MARKS_PER_LANE marks (+ the first).
    assert.ok(drawnMarks <= lanes.length * (DRAW_MAX_MARKS_PER_LANE + 1), `marks ${drawnMarks}`);
    assert.ok(drawnMarks >= lanes.length * 10, `marks ${drawnMarks}`);
    assert.ok(elements < lanes.length * (DRAW_MAX_COLUMNS * 3 + (DRAW_MAX_MARKS_PER_LANE + 1) * 3 + 10) + 100, `svg elements ${elements}`);
    assert.equal(await page.locator('svg.timeline .mark.first').count(), 1);
    assert.match((await page.locator('figcaption').innerText()) ?? '', /100000 marked events, drawn as \d+ marks/);
    // Aggregated marks say how many events they stand for.
    assert.match((await page.locator('svg.timeline .mark.agg title').first().textContent()) ?? '', /^\S+ \S+ \[?.*\d+ events \(\d+ failures\)/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'report-100k.png') });
    assert.deepEqual(o.problems, []);
    assert.deepEqual(o.requests, [o.url]);
  } finally {
    await page.close();
  }
});
