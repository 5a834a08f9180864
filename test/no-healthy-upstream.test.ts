// "no live upstreams" / "no healthy upstream" is a consequence: the incident names the failures before it
// (report.ts linkNoHealthyUpstream), and the verdict orders incidents a log line starts in the same second
// by their first packet (startOrder). Real data: samples/incidents/no-live-upstreams (lab, real nginx).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { linkNoHealthyUpstream, startOrder } from '../src/correlate/report.js';
import type { Incident } from '../src/report.js';
import { BIN, REPO } from './helpers.js';

const S = 1_000_000;
function incident(id: string, cause: Incident['cause'], startS: number, extra: Partial<Incident> = {}): Incident {
  return {
    id, cause, origin: 'upstream', upstream: `10.0.0.${id.slice(1)}:80`, start: null, end: null, start_us: startS * S, end_us: startS * S,
    count: 1, by_source: {}, first: { time: null, source: 'x.log', line: 1, kind: 'nginx.error', summary: '' },
    explanation: 'E.', evidence: [], confidence: 'medium', confidence_score: 0.6, to_confirm: [], fix: [], next_commands: [], details: {}, ...extra,
  };
}

test('a no-healthy-upstream incident names the failures up to 60 s before it, earliest first, and nothing after it', () => {
  const old = incident('I1', 'refused', 0);
  const a = incident('I2', 'refused', 100);
  const b = incident('I3', 'connect_timeout', 95);
  const later = incident('I4', 'refused', 130);
  const nh = incident('I5', 'no_healthy_upstream', 120, { upstream: 'backend' });
  linkNoHealthyUpstream([old, a, b, later, nh]);
  assert.deepEqual(nh.details.after_incidents, ['I3', 'I2']);
  assert.match(nh.explanation, /^E\. It followed failures .*I3 \(connect_timeout, 10\.0\.0\.3:80\), I2 \(refused/);
  assert.equal(a.details.after_incidents, undefined, 'other incidents are left as they are');
  const alone = incident('I6', 'no_healthy_upstream', 500);
  linkNoHealthyUpstream([old, alone]);
  assert.equal(alone.details.after_incidents, undefined, 'nothing within the window: no link');
  assert.equal(alone.explanation, 'E.');
});

test('equal starts: the incident whose first packet came first, then the better-supported; a log-only first goes after', () => {
  const pkt = (id: string, time: string, score = 0.6) => incident(id, 'refused', 4, { confidence_score: score, first: { time, source: 'p.pcap', frame: 2, kind: 'tcp.rst', summary: '' } });
  const late = pkt('I1', '2026-11-21T09:49:04.926191Z');
  const early = pkt('I2', '2026-11-21T09:49:04.535887Z');
  const logOnly = incident('I3', 'no_healthy_upstream', 4, { confidence_score: 0.9 });
  assert.deepEqual([late, logOnly, early].sort(startOrder).map((i) => i.id), ['I2', 'I1', 'I3']);
  const strong = pkt('I4', '2026-11-21T09:49:04.926191Z', 0.95);
  assert.deepEqual([late, strong].sort(startOrder).map((i) => i.id), ['I4', 'I1']);
  assert.deepEqual([incident('I5', 'refused', 5), logOnly].sort(startOrder).map((i) => i.id), ['I3', 'I5'], 'an earlier start wins first');
});

test('lab no-live-upstreams: the verdict is the first refusal, and the no-live-upstreams incident points at both refusals', () => {
  const r = spawnSync(process.execPath, [BIN, 'analyze', '-q', '-f', 'json', path.join(REPO, 'samples/incidents/no-live-upstreams')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const rep = JSON.parse(r.stdout) as { verdict: Incident; incidents: Incident[] };
  assert.equal(rep.verdict.upstream, '10.200.3.2:8080');
  const nh = rep.incidents.find((i) => i.cause === 'no_healthy_upstream');
  assert.ok(nh, 'an incident for the no-live-upstreams lines');
  const refused = rep.incidents.filter((i) => i.cause === 'refused').sort(startOrder).map((i) => i.id);
  assert.deepEqual(nh.details.after_incidents, refused);
  assert.equal(refused[0], rep.verdict.id);
});
