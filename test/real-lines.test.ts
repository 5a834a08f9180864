// Real log lines collected from public issue threads and docs (test/fixtures/real-lines.jsonl),
// none of them in ../shared/corpus: each goes through the real CLI path (content sniffing, collector
// unwrapping, per-line fallback between text formats, parsing) and must be understood, get the right
// event kind, and a cause the thread concluded (context lines: null). Lines of one source are kept
// together, in thread order, in one file: debug parsers may use the lines before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { BIN, REPO, readJsonl } from './helpers.js';

interface Rec { line: string; kind: string; causes: string[]; source: string; note: string }

const KIND: Record<string, string> = {
  'envoy-access-default': 'envoy.access',
  'istio-access': 'envoy.access',
  'envoy-json': 'envoy.access',
  'envoy-debug': 'envoy.debug',
  'envoy-body': 'envoy.body',
  'nginx-error': 'nginx.error',
  'nginx-stream-error': 'nginx.error',
  'nginx-access': 'nginx.access',
};

export const REAL_LINES = path.join(REPO, 'test/fixtures/real-lines.jsonl');

interface Outcome { rec: Rec; kind: string | null; cause: string | null; skipped: boolean }

/** Run every fixture line through `resetscope events`, one file per source. */
export function runRealLines(recs: Rec[]): Outcome[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rs-real-'));
  try {
    const groups = new Map<string, number[]>();
    recs.forEach((r, i) => {
      const key = r.source.split(' ')[0];
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key)!.push(i);
    });
    const where = new Map<string, number>(); // file:line -> record index
    const files: string[] = [];
    let g = 0;
    for (const idx of groups.values()) {
      const file = path.join(dir, `g${String(g++).padStart(3, '0')}.log`);
      fs.writeFileSync(file, idx.map((i) => recs[i].line).join('\n') + '\n');
      idx.forEach((i, n) => where.set(`${file}:${n + 1}`, i));
      files.push(file);
    }
    const res = spawnSync(process.execPath, [BIN, 'events', '-q', ...files], { encoding: 'utf8', maxBuffer: 64 << 20 });
    assert.equal(res.status, 0, res.stderr);
    const out: Outcome[] = recs.map((rec) => ({ rec, kind: null, cause: null, skipped: false }));
    for (const l of res.stdout.split('\n')) {
      if (!l) continue;
      const ev = JSON.parse(l) as { source: string; line?: number; kind: string; cause: string | null };
      const i = where.get(`${ev.source}:${ev.line}`);
      if (i === undefined) continue;
      const o = out[i];
      if (ev.kind === 'anomaly.skipped_line') { o.skipped = true; continue; }
      if (ev.kind.startsWith('anomaly.')) continue;
      // A line may give more than one event: keep the one of the expected kind, with a cause if any.
      if (o.kind === null || (ev.kind === KIND[o.rec.kind] && (o.kind !== ev.kind || (o.cause === null && ev.cause !== null)))) {
        o.kind = ev.kind;
        o.cause = ev.cause;
      }
    }
    return out;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('real lines: every line understood, right kind, a cause the thread concluded', () => {
  const recs = readJsonl<Rec>(REAL_LINES);
  const outcomes = runRealLines(recs);
  const fails: string[] = [];
  let understood = 0, kindOk = 0, causeOk = 0;
  const byKind = new Map<string, [number, number]>();
  for (const o of outcomes) {
    const want = KIND[o.rec.kind];
    assert.ok(want, `unknown fixture kind ${o.rec.kind}`);
    // No event and no skip: the parser understood the line and had nothing to report (context lines).
    const quiet = !o.skipped && o.kind === null;
    const okU = !o.skipped;
    const okK = okU && (o.kind === want || (quiet && !o.rec.causes.length));
    const okC = okK && (o.rec.causes.length ? o.rec.causes.includes(o.cause as string) : o.cause === null);
    if (okU) understood++;
    if (okK) kindOk++;
    if (okC) causeOk++;
    const t = byKind.get(o.rec.kind) ?? [0, 0];
    byKind.set(o.rec.kind, [t[0] + (okC ? 1 : 0), t[1] + 1]);
    if (!okC) {
      fails.push(`${o.skipped ? 'SKIPPED' : `${o.kind}/${o.cause}`} want ${want}/${o.rec.causes.join('|') || 'null'} [${o.rec.source.split(' ')[0]}] ${o.rec.line.slice(0, 160)}`);
    }
  }
  const n = outcomes.length;
  console.log(`real lines: understood ${understood}/${n}, kind ${kindOk}/${n}, cause ${causeOk}/${n}`);
  console.log('  by kind: ' + [...byKind].map(([k, [a, b]]) => `${k} ${a}/${b}`).join(', '));
  for (const f of fails) console.log('  FAIL ' + f);
  assert.deepEqual(fails, []);
});

// The classes behind the fixes, beyond the one real line each.
test('nginx error lines cut by the copier (nano/less `$` `>`, `…`, `...`) keep message, errno and phase', async () => {
  const { parseErrorLine } = await import('../src/nginx/error-line.js');
  const head = '2020/09/08 17:58:56 [error] 3087#3087: *2 ';
  for (const mark of ['$', '>', '…', '...']) {
    const a = parseErrorLine(head + 'connect() failed (111: Connection ref' + mark)!;
    assert.equal(a.message, 'connect() failed', mark);
    assert.equal(a.errno, 111, mark);
    assert.equal(a.truncated, true, mark);
    const b = parseErrorLine(head + 'no live upstreams while connecting to' + mark)!;
    assert.equal(b.message, 'no live upstreams', mark);
    assert.equal(b.action, 'connecting to', mark);
  }
  // Whole lines are untouched.
  const whole = parseErrorLine(head + 'connect() failed (111: Connection refused) while connecting to upstream, client: 1.2.3.4, server: , request: "GET / HTTP/1.1", upstream: "http://10.0.0.1:80/", host: "x"')!;
  assert.equal(whole.truncated, false);
  assert.equal(whole.errnoText, 'Connection refused');
});

test('nested NGINX JSON access lines are NGINX\'s, not Envoy\'s', async () => {
  const { parseJsonAccess } = await import('../src/nginx/access-formats.js');
  const { jsonToRecord } = await import('../src/envoy/json-record.js');
  const line = '{"timestamp":"2022-02-16T21:45:13+00:00","proxyUpstreamName":"svc-80","upstreamStatus":"502","upstreamAddr":"10.0.0.7:80","httpRequest":{"requestMethod":"GET","requestUrl":"a.example/x","status":"502","remoteIp":"1.2.3.4","latency":"0.004s","protocol":"HTTP/1.1"}}';
  const n = parseJsonAccess(line)!;
  assert.equal(n.status, '502');
  assert.equal(n.upstream_addr, '10.0.0.7:80');
  assert.equal(n.request_time, '0.004');
  assert.equal(n.request_method, 'GET');
  assert.equal(jsonToRecord(line), undefined);
  // Envoy's own JSON still is Envoy's, even with an nginx-looking key beside its flags.
  assert.ok(jsonToRecord('{"response_code":503,"response_flags":"UF","remote_addr":"1.2.3.4","upstream":{"host":"10.0.0.1:80"}}'));
});

test('istio-agent lines in an istio-proxy log are understood, not skipped, and never failures', async () => {
  const { isIstioAgentLine } = await import('../src/envoy/debug-line.js');
  assert.equal(isIstioAgentLine('2021-03-16T09:29:20.896837Z\tinfo\tInitialization took 1.626123987s'), true);
  assert.equal(isIstioAgentLine('2023-06-01T10:00:00.000000Z\twarn\txdsproxy\tupstream [0] terminated with unexpected error'), true);
  assert.equal(isIstioAgentLine('2023-10-12T08:08:15.270118Z\tdebug\tenvoy pool external/envoy/source/common/conn_pool/conn_pool_base.cc:265\t[C1] creating stream\tthread=25'), false);
  assert.equal(isIstioAgentLine('2021-03-16 09:29:20 info something'), false);
});
