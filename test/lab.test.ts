// The lab's incidents (samples/incidents/*, made by lab/make-all.sh with real nginx, Node, openssl, curl,
// tcpdump): every truth.json is well-formed, and its "first" event really is what it claims to be in the
// capture, according to tshark. tshark is required (CI installs it); without it this test fails.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO } from './helpers.js';

const INCIDENTS = path.join(REPO, 'samples/incidents');
const REQUIRED = [
  'refused', 'refused-ipv6', 'upstream-reset', 'premature-close', 'connect-timeout', 'tls-version', 'tls-alpn', 'tls-cert',
  'tls-to-plaintext', 'h2c-mismatch', 'goaway', 'rst-stream', 'idle-race', 'middlebox-reset', 'middlebox-reset-midstream', 'middlebox-reset-ipv6', 'port-exhaustion',
  'client-abort', 'read-timeout', 'unreachable', 'no-live-upstreams', 'healthy',
];
// DESIGN.md §3
const CAUSES = new Set([
  'refused', 'connect_timeout', 'unreachable', 'tls', 'protocol_mismatch', 'pool_overflow', 'resource_exhaustion',
  'no_healthy_upstream', 'upstream_reset', 'upstream_close', 'idle_race', 'timeout', 'middlebox_reset',
  'local_reset', 'client_abort', 'unknown',
]);
const ORIGINS = new Set(['client', 'proxy', 'network', 'upstream', 'unknown']);
const FIRST_KINDS = new Set([
  'tcp.rst', 'tcp.syn_timeout', 'tcp.fin', 'tcp.data', 'tls.alert', 'http2.goaway', 'http2.rst_stream', 'icmp.unreachable', 'nginx.error',
]);

interface Truth {
  name: string;
  description: string;
  how: string[];
  cause: string | null;
  origin: string | null;
  upstream: string;
  first: null | {
    source: string;
    kind: string;
    frame?: number;
    line?: number;
    time: string;
    filter?: string;
    text?: string;
  };
  tz: string;
  access_log_format: { name: string; format: string | null };
  expected_kinds: string[];
  tshark_args: string | null;
  checked_with: { command: string; output: string[] } | null;
  files: string[];
}

const dirs = fs.existsSync(INCIDENTS)
  ? fs.readdirSync(INCIDENTS).filter((d) => fs.statSync(path.join(INCIDENTS, d)).isDirectory()).sort()
  : [];

let tsharkOk = false;
before(() => {
  try {
    execFileSync('tshark', ['--version'], { stdio: 'ignore' });
    tsharkOk = true;
  } catch {
    tsharkOk = false;
  }
});

function tshark(file: string, extra: string | null, filter: string, fields: string[]): string[][] {
  assert.ok(tsharkOk, 'tshark is required by test/lab.test.ts but was not found on PATH (apt-get install tshark)');
  const args = ['-r', file, ...(extra ? extra.split(/\s+/).filter(Boolean) : []), '-Y', filter, '-T', 'fields',
    '-E', 'separator=\t', ...fields.flatMap((f) => ['-e', f])];
  const out = execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  return out.split('\n').filter((l) => l.length > 0).map((l) => l.split('\t'));
}

/** "1795240513.879374000" -> "2026-11-21T05:55:13.879374Z" */
function epochToIso(epoch: string): string {
  const [sec, frac = ''] = epoch.split('.');
  return `${new Date(Number(sec) * 1000).toISOString().slice(0, 19)}.${(frac + '000000').slice(0, 6)}Z`;
}

const has = (cell: string | undefined, v: string) => (cell ?? '').split(',').includes(v);

test('lab: every required scenario exists', () => {
  for (const name of REQUIRED) {
    assert.ok(fs.existsSync(path.join(INCIDENTS, name, 'truth.json')), `samples/incidents/${name}/truth.json missing (bash lab/make-all.sh ${name})`);
  }
});

test('lab: samples/incidents stays under 5 MB', () => {
  let total = 0;
  for (const d of dirs) for (const f of fs.readdirSync(path.join(INCIDENTS, d))) total += fs.statSync(path.join(INCIDENTS, d, f)).size;
  assert.ok(total < 5 * 1024 * 1024, `samples/incidents is ${total} bytes`);
});

for (const dir of dirs) {
  const base = path.join(INCIDENTS, dir);
  test(`lab: ${dir}/truth.json is well-formed`, () => {
    const t = JSON.parse(fs.readFileSync(path.join(base, 'truth.json'), 'utf8')) as Truth;
    assert.equal(t.name, dir);
    assert.ok(t.description.length > 20, 'description');
    assert.ok(Array.isArray(t.how) && t.how.length >= 3, 'how');
    assert.ok(t.cause === null || CAUSES.has(t.cause), `cause ${t.cause}`);
    assert.ok(t.origin === null || ORIGINS.has(t.origin), `origin ${t.origin}`);
    assert.equal(t.cause === null, t.first === null, 'a failure has a first event, a baseline has none');
    assert.match(t.upstream, /^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-f:]+\]):\d+$/);
    assert.doesNotThrow(() => new Intl.DateTimeFormat('en', { timeZone: t.tz }), `tz ${t.tz}`);
    assert.ok(['lab', 'combined'].includes(t.access_log_format.name));
    assert.ok(t.expected_kinds.length > 0 && t.expected_kinds.every((k) => /^[a-z0-9_]+(\.[a-z0-9_]+)+$/.test(k)), 'expected_kinds');
    assert.ok(t.checked_with && t.checked_with.command.startsWith('tshark ') && t.checked_with.output.length > 0, 'checked_with');
    for (const f of t.files) assert.ok(fs.existsSync(path.join(base, f)), `listed file ${f} missing`);
    assert.ok(fs.existsSync(path.join(base, 'README.md')), 'README.md');
    assert.ok(t.files.some((f) => f.endsWith('.pcap')), 'a capture');
    assert.ok(t.files.includes('access.log') && t.files.includes('error.log'), 'nginx logs');
    if (t.first) {
      assert.ok(FIRST_KINDS.has(t.first.kind), `first.kind ${t.first.kind}`);
      assert.ok(t.files.includes(t.first.source), `first.source ${t.first.source} not among the files`);
      assert.ok((t.first.frame === undefined) !== (t.first.line === undefined), 'first has a frame or a line');
      assert.match(t.first.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z$/);
    }
  });

  test(`lab: ${dir} first event is confirmed by tshark / the log`, () => {
    const t = JSON.parse(fs.readFileSync(path.join(base, 'truth.json'), 'utf8')) as Truth;
    if (!t.first) {
      // baseline: no RST, no alert, no 5xx anywhere in its captures
      for (const f of t.files.filter((x) => x.endsWith('.pcap'))) {
        const bad = tshark(path.join(base, f), t.tshark_args, 'tcp.flags.reset==1 || tls.alert_message || http.response.code>=500', ['frame.number']);
        assert.deepEqual(bad, [], `${dir}/${f} has failure frames`);
      }
      return;
    }
    const src = path.join(base, t.first.source);
    if (t.first.line !== undefined) {
      const lines = fs.readFileSync(src, 'utf8').split('\n');
      assert.equal(lines[t.first.line - 1], t.first.text, `${t.first.source}:${t.first.line}`);
      assert.equal(t.first.kind, 'nginx.error');
      return;
    }
    assert.ok(t.first.filter, 'a frame-based first event carries the tshark filter it was found with');
    const rows = tshark(src, t.tshark_args, t.first.filter, [
      'frame.number', 'frame.time_epoch', 'tcp.flags.reset', 'tcp.flags.syn', 'tcp.flags.ack', 'tcp.flags.fin',
      'tcp.len', 'tls.record.content_type', 'http2.type', 'icmp.type',
    ]);
    assert.ok(rows.length > 0, `no frame matches '${t.first.filter}' in ${t.first.source}`);
    const [num, epoch, rst, syn, ack, fin, len, ctype, h2type, icmpType] = rows[0];
    assert.equal(Number(num), t.first.frame, `the first frame matching '${t.first.filter}' is ${num}, truth says ${t.first.frame}`);
    assert.equal(epochToIso(epoch), t.first.time, 'first.time is the frame time');
    const truthy = (v: string | undefined) => v === '1' || v === 'True';
    switch (t.first.kind) {
      case 'tcp.rst': assert.ok(truthy(rst), `frame ${num} is not a RST`); break;
      case 'tcp.syn_timeout': assert.ok(truthy(syn) && !truthy(ack), `frame ${num} is not a SYN`); break;
      case 'tcp.fin': assert.ok(truthy(fin), `frame ${num} is not a FIN`); break;
      case 'tcp.data': assert.ok(Number(len) > 0, `frame ${num} carries no data`); break;
      case 'tls.alert': assert.ok(has(ctype, '21'), `frame ${num} is not a TLS alert (content types ${ctype})`); break;
      case 'http2.goaway': assert.ok(has(h2type, '7'), `frame ${num} has no GOAWAY (types ${h2type})`); break;
      case 'http2.rst_stream': assert.ok(has(h2type, '3'), `frame ${num} has no RST_STREAM (types ${h2type})`); break;
      case 'icmp.unreachable': assert.equal(icmpType, '3', `frame ${num} is not an ICMP destination unreachable`); break;
      default: assert.fail(`unexpected first.kind ${t.first.kind}`);
    }
  });
}
