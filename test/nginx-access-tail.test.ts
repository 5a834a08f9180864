// Unknown tails after combined/main, read by the shape of their tokens (src/nginx/access-formats.ts
// parseTailByShape): every lab sample, reordered tails, and the doubtful cases kept raw in `tail`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { openNginxAccess } from '../src/ingest/nginx-access.js';
import { createAccessLineParser } from '../src/nginx/access-parser.js';
import type { Event } from '../src/events.js';
import { corpus, makeCtx } from './nginx-fixtures.js';
import { REPO } from './helpers.js';

const INCIDENTS = path.join(REPO, 'samples/incidents');
const parse = (line: string): Event => {
  const r = openNginxAccess(makeCtx()).parse(line, 1);
  assert.ok(r && !Array.isArray(r), `no event for ${line}`);
  return r as Event;
};
const HEAD = '10.200.1.2 - - [21/Nov/2026:06:04:25 +0000] "GET /cart HTTP/1.1" 502 157 "-" "curl/7.88.1"';

test('every lab access.log: upstream, status, times and request id come out of the tail', () => {
  let lines = 0;
  for (const name of fs.readdirSync(INCIDENTS)) {
    const file = path.join(INCIDENTS, name, 'access.log');
    if (!fs.existsSync(file)) continue;
    const truth = JSON.parse(fs.readFileSync(path.join(INCIDENTS, name, 'truth.json'), 'utf8')) as { access_log_format?: { format: string | null } };
    if (truth.access_log_format?.format) assert.match(truth.access_log_format.format, /\$upstream_addr \$upstream_status \$request_time \$upstream_connect_time \$upstream_header_time \$request_id$/);
    for (const line of fs.readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
      const ev = parse(line);
      const tailText = line.slice(line.lastIndexOf('"') + 2);
      if (tailText === '') {
        // No upstream at all (499 before the proxy connected): a plain combined line.
        assert.deepEqual(ev.upstream_addr, []);
        continue;
      }
      lines++;
      const toks = tailText.split(' ');
      assert.equal(ev.request_id, toks[toks.length - 1], line);
      // An address (IPv4, or IPv6 in brackets), or the upstream group's name when no server was tried
      // (no-live-upstreams: "backend").
      assert.ok(typeof ev.upstream === 'string' && /^(10\.200\.3\.2:\d+|\[fd00:200:3::2\]:\d+|[A-Za-z_][\w.-]*)$/.test(ev.upstream), line);
      assert.equal((ev.upstream_status as unknown[]).length, (ev.upstream_addr as unknown[]).length, line);
      assert.equal(typeof ev.request_time, 'number', line);
      assert.equal(ev.tail, undefined, `nothing left over: ${line}`);
    }
  }
  assert.ok(lines >= 25, `lab lines read: ${lines}`);
});

test('two tries and an internal redirect: lists stay aligned', () => {
  const ev = parse(`${HEAD} 10.0.0.5:8080, 10.0.0.6:8080 : 10.0.0.7:80 502, 502 : 200 0.012 0.001, -, 0.000 -, -, 0.002 0123456789abcdef0123456789abcdef`);
  assert.deepEqual(ev.upstream_addr, ['10.0.0.5:8080', '10.0.0.6:8080', '10.0.0.7:80']);
  assert.deepEqual(ev.upstream_status, [502, 502, 200]);
  assert.deepEqual(ev.upstream_connect_time, [0.001, null, 0]);
  assert.deepEqual(ev.upstream_header_time, [null, null, 0.002]);
  assert.equal(ev.request_time, 0.012);
  assert.equal(ev.request_id, '0123456789abcdef0123456789abcdef');
});

test('any order: request id first, times before the address, a UUID, main\'s quoted X-Forwarded-For', () => {
  const ev = parse(`${HEAD} "203.0.113.9, 10.0.0.1" 3f2b8c1e-9a4d-4c7b-8e2f-1a2b3c4d5e6f 0.004 0.001 10.0.0.5:8080 502`);
  assert.equal(ev.request_id, '3f2b8c1e-9a4d-4c7b-8e2f-1a2b3c4d5e6f');
  assert.equal(ev.upstream, '10.0.0.5:8080');
  assert.deepEqual(ev.upstream_status, [502]);
  assert.equal(ev.request_time, 0.004);
  assert.deepEqual(ev.upstream_connect_time, [0.001]);
  assert.equal(ev.tail, undefined);
});

test('IPv6 and unix: peers; an upstream group name only next to its status', () => {
  assert.equal(parse(`${HEAD} [fd00::5]:8080 502 0.001`).upstream, '[fd00::5]:8080');
  assert.equal(parse(`${HEAD} unix:/run/app.sock 502 0.001`).upstream, 'unix:/run/app.sock');
  const group = parse(`${HEAD} backend 502 0.000 - -`);
  assert.equal(group.upstream, 'backend');
  assert.equal(group.cause, 'no_healthy_upstream');
});

test('doubt keeps the raw tail: two address fields, misaligned lists, unknown tokens', () => {
  const two = parse(`${HEAD} 10.0.0.5:8080 10.0.0.6:8080 502`);
  assert.deepEqual(two.upstream_addr, []);
  assert.equal(two.tail, '10.0.0.5:8080 10.0.0.6:8080 502');
  const mis = parse(`${HEAD} 10.0.0.5:8080, 10.0.0.6:8080 502 0.010 0.001, 0.002, 0.003`);
  assert.deepEqual(mis.upstream_status, [], 'one status for two tries is not $upstream_status');
  assert.deepEqual(mis.upstream_connect_time, []);
  assert.ok(typeof mis.tail === 'string');
  const odd = parse(`${HEAD} 512 10.0.0.5:8080 502 "gzip"`);
  assert.equal(odd.upstream, '10.0.0.5:8080');
  assert.equal(odd.tail, '512 10.0.0.5:8080 502 "gzip"');
  // A body size of 157 is not a status: nothing aligned with an address.
  assert.deepEqual(parse(`${HEAD} 157`).upstream_status, []);
});

test('corpus access lines: no tail left over, nothing taken that the format did not say', () => {
  let n = 0;
  for (const r of corpus()) {
    // One parser per line: each corpus line comes from a different file (a file keeps one format).
    const a = createAccessLineParser()(r.line);
    if (!a) continue;
    n++;
    assert.equal(a.record.tail, null, r.line);
  }
  assert.ok(n >= 5);
});

test('an ingress-nginx tail read as combined: addresses, statuses, id; positional times not guessed', () => {
  const line = corpus().find((r) => r.line.includes('[pc-dev-example-web-service-80]'))!.line;
  const head = line.slice(0, line.indexOf('" 1100 ') + 1);
  const ev = parse(head + ' 1100 14.998 pc 192.168.215.1:80, 192.168.215.1:80 0, 0 5.000, 5.000 504, 504 a7c98d98ac870f64981a997cd2f373a1');
  assert.deepEqual(ev.upstream_status, [504, 504]);
  assert.equal(ev.request_id, 'a7c98d98ac870f64981a997cd2f373a1');
  assert.deepEqual(ev.upstream_connect_time, [], 'position unknown with unread fields around');
  assert.ok(typeof ev.tail === 'string');
});
