// Logs read out of systemd's journal (`journalctl -o short*`, real output in test/fixtures/journald, see its
// README) give the events of the bare log: the syslog wrapper (wrappers.ts) is peeled for Envoy access and
// debug lines and NGINX error lines, in every short output mode. A journal time with a date and zone also
// tells NGINX's zoneless times apart (inferred instead of assumed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { BIN, REPO } from './helpers.js';
import { unwrapLine } from '../src/ingest/wrappers.js';

const DIR = path.join(REPO, 'test/fixtures/journald');
const MODES = ['short', 'short-precise', 'short-iso', 'short-iso-precise', 'short-full', 'short-unix', 'short-no-hostname'];
/** Modes whose time carries a date (and a zone or is epoch): the collector time is known. */
const DATED = new Set(['short-iso', 'short-iso-precise', 'short-unix']);

function events(file: string): Record<string, unknown>[] {
  const r = spawnSync(process.execPath, [BIN, 'events', file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}
const key = (e: Record<string, unknown>) => ({ kind: e.kind, cause: e.cause, line: e.line, time: e.time, ts_us: e.ts_us, upstream: e.upstream, raw: e.raw });

for (const name of ['envoy', 'nginx']) {
  const bare = events(path.join(DIR, `${name}.in.log`));
  test(`journald ${name}: ${bare.length} events from the bare log`, () => {
    assert.ok(bare.length >= 3 && bare.every((e) => !String(e.kind).startsWith('anomaly.')), 'the bare log reads cleanly');
  });
  for (const mode of MODES) {
    test(`journald ${name} -o ${mode}: the same events as the bare log`, () => {
      const got = events(path.join(DIR, `${name}.${mode}.log`));
      assert.deepEqual(got.map(key), bare.map(key));
      if (name === 'nginx') assert.ok(got.every((e) => e.tz_assumed === !DATED.has(mode)), 'zone inferred from a dated journal time, else assumed');
    });
  }
}

test('syslog wrapper: RFC 3164 with PRI (nginx error_log syslog:), host and pid optional; not an ISO time before a TAB or a request', () => {
  const nginx = '2026/11/21 06:03:40 [error] 1#1: *1 connect() failed (111: Connection refused) while connecting to upstream';
  assert.deepEqual(unwrapLine(`<11>Nov 21 06:03:40 web-1 nginx: ${nginx}`), { line: nginx, origin: 'web-1/nginx', wrappers: ['syslog'] });
  assert.deepEqual(unwrapLine(`Nov  2 06:03:40 envoy[7]: [x]`), { line: '[x]', origin: 'envoy', wrappers: ['syslog'] });
  const istio = '2020-08-11T04:09:52.229257Z\tdebug\tenvoy connection\t[C321] TLS error';
  assert.equal(unwrapLine(istio).line, istio);
  const custom = '2026-11-20T10:00:00.123Z "GET /a: HTTP/1.1" 503 UF';
  assert.equal(unwrapLine(custom).line, custom);
});
