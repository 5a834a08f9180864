// Logs exported from Loki with logcli read as the bare log. The export is built here the way logcli writes it
// (grafana/loki pkg/logcli/output/default.go: RFC 3339 time, the stream's label set padded to the widest, the
// line; jsonl.go: json.Marshal of {labels, line, timestamp}, keys sorted, <>& escaped as Go does) around real
// lines: the Envoy corpus and a lab nginx error log. The Loki docs' own example line is checked as printed there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, CORPUS, REPO, readJsonl } from './helpers.js';
import { unwrapLine } from '../src/ingest/wrappers.js';

const envoy = readJsonl<{ line: string; kind: string }>(path.join(CORPUS, 'logs/envoy-real.jsonl'))
  .filter((l) => l.kind === 'envoy-access-default' || l.kind === 'envoy-debug').map((l) => unwrapLine(l.line).line);
const nginx = fs.readFileSync(path.join(REPO, 'samples/incidents/refused/error.log'), 'utf8').trim().split('\n');

const goJson = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
const STREAMS = ['{app="envoy", namespace="shop", pod="web-7d9c-x2x"}', '{app="envoy", pod="web-1"}'];
const width = Math.max(...STREAMS.map((s) => s.length));
const ts = (i: number) => new Date(Date.UTC(2026, 10, 21, 6, 3, 40 + i)).toISOString().replace('.000Z', 'Z');

function exports(lines: string[]): Record<string, string> {
  return {
    default: lines.map((l, i) => `${ts(i)} ${STREAMS[i % 2].padEnd(width)} ${l.trim()}`).join('\n') + '\n',
    'no-labels': lines.map((l, i) => `${ts(i)} ${l.trim()}`).join('\n') + '\n',
    jsonl: lines.map((l, i) => goJson({ labels: { app: 'envoy', pod: i % 2 ? 'web-1' : 'web-7d9c-x2x' }, line: l, timestamp: ts(i).replace('Z', '.123456789Z') })).join('\n') + '\n',
    'jsonl-no-labels': lines.map((l, i) => goJson({ line: l, timestamp: ts(i) })).join('\n') + '\n',
  };
}

function events(file: string): Record<string, unknown>[] {
  const r = spawnSync(process.execPath, [BIN, 'events', file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}
const key = (e: Record<string, unknown>) => ({ kind: e.kind, cause: e.cause, line: e.line, time: e.time, upstream: e.upstream, raw: e.raw });

for (const [name, lines] of [['envoy corpus', envoy], ['nginx error (lab)', nginx]] as const) {
  test(`logcli exports of ${name}: default, --no-labels, jsonl give the bare log's events`, () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rs-logcli-'));
    try {
      const bareEvents = (ls: string[], file: string) => {
        fs.writeFileSync(file, ls.join('\n') + '\n');
        return events(file).filter((e) => !String(e.kind).startsWith('anomaly.'));
      };
      // logcli's default output trims each line (strings.TrimSpace); jsonl keeps it as it was.
      const bare = bareEvents(lines, path.join(dir, 'bare.log'));
      const bareTrimmed = bareEvents(lines.map((l) => l.trim()), path.join(dir, 'bare-trimmed.log'));
      assert.ok(bare.length >= 3);
      for (const [mode, text] of Object.entries(exports(lines))) {
        const f = path.join(dir, `${mode}.log`);
        fs.writeFileSync(f, text);
        const got = events(f).filter((e) => !String(e.kind).startsWith('anomaly.'));
        assert.deepEqual(got.map(key), (mode.startsWith('jsonl') ? bare : bareTrimmed).map(key), mode);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

test("the Loki docs' logcli example line is peeled to its own line, with the instance as origin and the time", () => {
  const u = unwrapLine('2018-06-25T12:52:09Z {instance="consul-8576459955-pl75w"} 2018/06/25 12:52:09 [INFO] raft: Snapshot to 475409 complete');
  assert.equal(u.line, '2018/06/25 12:52:09 [INFO] raft: Snapshot to 475409 complete');
  assert.equal(u.origin, 'consul-8576459955-pl75w');
  assert.equal(u.collectorTimeUs, Date.UTC(2018, 5, 25, 12, 52, 9) * 1000);
  // JSON with other keys besides line/timestamp/labels is content, not a logcli wrapper.
  const other = '{"line":"x","timestamp":"2026-01-01T00:00:00Z","status":503}';
  assert.equal(unwrapLine(other).line, other);
});
