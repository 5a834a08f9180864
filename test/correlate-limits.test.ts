// The correlator's memory bounds (src/limits.ts): each one holds, and a run that hits one says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Correlator, OTHER_UPSTREAMS } from '../src/correlate/correlator.js';
import { IncidentKeeper } from '../src/correlate/keep.js';
import { buildReport } from '../src/correlate/report.js';
import { LIMITS } from '../src/limits.js';
import { makeEvent, type Event } from '../src/events.js';
import type { Incident } from '../src/report.js';
import { isoTime } from '../src/time.js';

const T0 = Date.UTC(2026, 10, 21, 6, 0, 0) * 1000;
const S = 1_000_000;

function flow(us: number, up: string, frame: number): Event {
  return makeEvent({ time: isoTime(us, 6), ts_us: us, source: 'proxy.pcap', frame, kind: 'tcp.flow', cause: null, src: '10.0.0.2:40000', dst: up, upstream: up },
    { orig: '10.0.0.2:40000', resp: up, conn_state: 'SF', history: 'ShADadFf', duration_us: 1000, uid: `C${frame}` });
}
function refusedLog(us: number, up: string, line: number): Event {
  return makeEvent({ time: isoTime(us, 3), ts_us: us, source: 'error.log', line, kind: 'nginx.error', cause: 'refused', upstream: up }, { errno: 111 });
}
const internals = (c: Correlator) => c as unknown as { contextCount: number; open: Map<string, unknown> };

test('context: healthy flows are swept once no incident can look at them (hours of capture, a bounded window)', () => {
  const c = new Correlator({ timeline: false });
  // 3 h of capture, a flow every 100 ms toward 50 upstreams: 108 000 flows.
  let maxHeld = 0;
  for (let i = 0; i < 108_000; i++) {
    c.add(flow(T0 + i * 100_000, `10.0.1.${i % 50}:443`, i + 1));
    maxHeld = Math.max(maxHeld, internals(c).contextCount);
  }
  // What CONTEXT_LATE_US + CONTEXT_BEFORE_US + a sweep period of capture hold, not the whole run.
  const window = (LIMITS.CONTEXT_LATE_US + LIMITS.CONTEXT_BEFORE_US + LIMITS.CONTEXT_PRUNE_EVERY_US + 3 * S) / 100_000;
  assert.ok(maxHeld <= window, `held ${maxHeld} > ${window}`);
  // A failure now still sees the flows of the seconds before it.
  c.add(refusedLog(T0 + 108_000 * 100_000, '10.0.1.7:443', 1));
  const [inc] = c.finish();
  assert.equal(inc.cause, 'refused');
  assert.deepEqual(c.limitNotes(), []);
});

test('context: an open incident keeps its context however long it lasts', () => {
  const c = new Correlator({ timeline: false });
  const up = '10.0.2.1:8080';
  // The SYN that was never answered, then failures every 30 s for an hour (one incident).
  c.add(makeEvent({ time: isoTime(T0, 6), ts_us: T0, source: 'proxy.pcap', frame: 1, kind: 'tcp.flow', cause: null, src: '10.0.0.2:40000', dst: up, upstream: up },
    { orig: '10.0.0.2:40000', resp: up, conn_state: 'S0', history: 'S', duration_us: 0, uid: 'C1', first_frame: 1 }));
  for (let i = 0; i < 120; i++) {
    c.add(makeEvent({ time: isoTime(T0 + 1000 + i * 30 * S, 0), ts_us: T0 + 1000 + i * 30 * S - ((T0 + 1000 + i * 30 * S) % S), source: 'error.log', line: i + 1, kind: 'nginx.error', cause: 'connect_timeout', upstream: up }, { errno: 110 }));
    c.add(flow(T0 + i * 30 * S + 5 * S, '10.0.3.1:443', i + 2));
  }
  const [inc] = c.finish();
  assert.equal(inc.count, 120);
  assert.equal(inc.first.source, 'proxy.pcap', 'the SYN an hour before the end is still the first event');
});

test('context: beyond LIMITS.MAX_CONTEXT_EVENTS the oldest go, and the report says so', () => {
  const c = new Correlator({ timeline: false });
  const n = LIMITS.MAX_CONTEXT_EVENTS + 5000;
  // All within 2 s: nothing is old enough to sweep.
  for (let i = 0; i < n; i++) {
    c.add(flow(T0 + Math.floor(i * 2 * S / n), `10.1.${(i >> 8) & 255}.${i & 255}:443`, i + 1));
    assert.ok(internals(c).contextCount <= LIMITS.MAX_CONTEXT_EVENTS);
  }
  c.add(refusedLog(T0 + 1 * S, '10.1.0.1:443', 1));
  c.finish();
  const notes = c.limitNotes();
  assert.equal(notes.length, 1);
  assert.match(notes[0], /LIMITS\.MAX_CONTEXT_EVENTS/);
  assert.match(notes[0], /1 incident was judged without some of its context/);
});

test('open incidents: beyond LIMITS.MAX_OPEN_INCIDENTS the idlest closes early, said in the report', () => {
  const c = new Correlator({ timeline: false });
  const n = LIMITS.MAX_OPEN_INCIDENTS + 10;
  for (let i = 0; i < n; i++) c.add(refusedLog(T0 + i * 1000, `10.2.${i >> 8}.${i & 255}:80`, i + 1));
  assert.ok(internals(c).open.size <= LIMITS.MAX_OPEN_INCIDENTS);
  c.finish();
  assert.equal(c.incidentsTotal, n);
  assert.ok(c.limitNotes().some((s) => /10 incidents were closed before 60 s .*LIMITS\.MAX_OPEN_INCIDENTS/.test(s)));
});

function inc(id: number, cause: Incident['cause'], start: number | null, count: number, conf = 0.5): Incident {
  return {
    id: `I${id}`, cause, origin: 'upstream', upstream: 'u:1', start: null, end: null, start_us: start, end_us: start, count, by_source: {},
    first: { time: null, source: 's', kind: 'k', summary: '' }, explanation: '', evidence: [], confidence: 'medium', confidence_score: conf,
    to_confirm: [], fix: [], next_commands: [], details: {},
  };
}

test('report incidents: the busiest N, the verdict and the earliest of each cause; the rest counted', () => {
  const k = new IncidentKeeper(10);
  const all: Incident[] = [];
  for (let i = 0; i < 500; i++) all.push(inc(i, i % 7 === 0 ? 'tls' : 'upstream_reset', 1000 + i, 1 + (i * 37) % 50));
  all.push(inc(500, 'refused', 999, 1, 0.4)); // the earliest (the verdict), with one failure
  all.push(inc(501, 'refused', 999, 1, 0.9)); // same start, better supported: this one is the verdict
  all.push(inc(502, 'timeout', null, 1)); // no time: kept as the only one of its cause
  for (const i of all) k.add(i);
  const kept = k.list();
  const ids = new Set(kept.map((i) => i.id));
  const busiest = [...all].sort((a, b) => b.count - a.count || (a.start_us ?? Infinity) - (b.start_us ?? Infinity)).slice(0, 10);
  for (const b of busiest) assert.ok(ids.has(b.id), b.id);
  assert.ok(ids.has('I501') && ids.has('I502') && ids.has('I0'), 'verdict, the timeless cause, earliest tls');
  assert.ok(kept.length <= 10 + 1 + 4, String(kept.length)); // the busiest, the verdict, the earliest of each of 4 causes
  assert.deepEqual(new Set(kept.map((i) => i.cause)), new Set(all.map((i) => i.cause)));
  // Kept in close order.
  assert.deepEqual(kept.map((i) => Number(i.id.slice(1))), [...kept.map((i) => Number(i.id.slice(1)))].sort((a, b) => a - b));
  const note = k.note(kept)!;
  assert.match(note, new RegExp(`^503 incidents were found; the report lists ${kept.length} .* leaves out ${503 - kept.length} \\(upstream_reset \\d+, tls \\d+`));
  // Under the cap: everything, nothing said.
  const small = new IncidentKeeper(10);
  for (const i of all.slice(0, 10)) small.add(i);
  assert.deepEqual(small.list(), all.slice(0, 10));
  assert.equal(small.note(small.list()), null);
});

test('report: the verdict and --fail-on causes are the same with the cap; by_upstream is summed past its rows', () => {
  const c = new Correlator({ timeline: false });
  const n = LIMITS.MAX_REPORT_UPSTREAM_ROWS + 50;
  // n upstreams, one incident each, 2 min apart; the first one has the fewest failures.
  let line = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j <= (i === 0 ? 0 : 1 + (i % 5)); j++) c.add(refusedLog(T0 + i * 120 * S + j * 1000, `10.3.${i >> 8}.${i & 255}:80`, ++line));
  const incidents = c.finish();
  assert.ok(incidents.length < n && incidents.length >= LIMITS.MAX_REPORT_INCIDENTS);
  const rep = buildReport([], c, incidents, {} as never);
  assert.equal(rep.verdict!.upstream, '10.3.0.0:80');
  assert.equal(rep.stats.by_upstream.length, LIMITS.MAX_REPORT_UPSTREAM_ROWS + 1);
  const other = rep.stats.by_upstream.find((r) => r.key === OTHER_UPSTREAMS)!;
  assert.equal(rep.stats.by_upstream.reduce((a, r) => a + r.count, 0), line);
  assert.ok(other.count > 0);
  assert.ok(rep.assumptions.some((a) => new RegExp(`^${n} incidents were found; .*LIMITS\\.MAX_REPORT_INCIDENTS`).test(a)));
  assert.ok(rep.assumptions.some((a) => /^Failures went to \d+ upstreams; by_upstream lists the 200 .*LIMITS\.MAX_REPORT_UPSTREAM_ROWS/.test(a)));
});
