// The correlator's rules, each on lab samples where they exist, else on events shaped like the
// real ones. See the rule list at the top of src/correlate/correlator.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { BIN, REPO } from './helpers.js';
import { Correlator } from '../src/correlate/correlator.js';
import { makeEvent, type Event } from '../src/events.js';
import { isoTime } from '../src/time.js';

const lab = (name: string, ...files: string[]) => (files.length ? files.map((f) => path.join(REPO, 'samples/incidents', name, f)) : [path.join(REPO, 'samples/incidents', name)]);

function analyze(inputs: string[]) {
  const r = spawnSync(process.execPath, [BIN, 'analyze', '-q', '-f', 'json', ...inputs], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test('grouping: access lines with no upstream join the incident; tcp.flow is context, not a second failure', () => {
  const rep = analyze(lab('refused'));
  assert.equal(rep.incidents.length, 1);
  const inc = rep.verdict;
  const by = Object.fromEntries(Object.entries(inc.by_source).map(([k, v]) => [path.basename(k), v]));
  assert.deepEqual(by, { 'access.log': 3, 'error.log': 3, 'proxy.pcap': 3 });
  assert.equal(inc.count, 9);
  assert.ok(!inc.evidence.some((e: { kind: string }) => e.kind === 'tcp.flow'));
  // Commands filled in with the real host and port.
  assert.ok(inc.next_commands.includes('nc -vz -w 3 10.200.3.2 8080'));
});

test('middlebox: one capture suspects it from the TTL (medium, asks for the other side); two captures name the network', () => {
  // proxy.pcap frame 15: the forged RST has TTL 64, every other packet of 10.200.3.2 arrives with 63.
  const one = analyze(lab('middlebox-reset', 'error.log', 'access.log', 'proxy.pcap')).verdict;
  assert.equal(one.cause, 'middlebox_reset');
  assert.equal(one.confidence, 'medium');
  assert.ok(one.to_confirm.some((t: string) => /capture on the upstream host/.test(t)));
  const two = analyze(lab('middlebox-reset')).verdict;
  assert.equal(two.cause, 'middlebox_reset');
  assert.equal(two.origin, 'network');
  assert.equal(two.confidence, 'high');
  assert.match(two.explanation, /absent from .*upstream\.pcap/);
  assert.ok(two.fix.some((f: string) => /network team/.test(f)));
});

test('present in both captures: the upstream really sent the RST (idle race here), high confidence', () => {
  const rep = analyze(lab('idle-race'));
  assert.equal(rep.incidents.length, 1);
  assert.equal(rep.verdict.cause, 'idle_race');
  assert.equal(rep.verdict.origin, 'upstream');
  assert.ok(rep.verdict.fix.some((f: string) => /idle timeout shorter/.test(f)));
  // The proxy side alone never saw the upstream's FIN (the router dropped it): a plain reset.
  const proxyOnly = analyze(lab('idle-race', 'error.log', 'access.log', 'proxy.pcap')).verdict;
  assert.equal(proxyOnly.cause, 'upstream_reset');
});

test('port exhaustion: no packet at all, errno 99 in the log -> resource_exhaustion at the proxy', () => {
  const v = analyze(lab('port-exhaustion')).verdict;
  assert.equal(v.cause, 'resource_exhaustion');
  assert.equal(v.origin, 'proxy');
  assert.equal(v.details.errno, 99);
  assert.ok(v.next_commands.includes('sysctl net.ipv4.ip_local_port_range'));
  assert.ok(!v.evidence.some((e: { frame?: number; cause: string | null }) => e.frame !== undefined && e.cause !== null));
});

test('TLS reason only in the log: certificate verification; the wire shows the proxy alert first', () => {
  const v = analyze(lab('tls-cert')).verdict;
  assert.equal(v.cause, 'tls');
  assert.equal(v.origin, 'proxy');
  assert.equal(v.details.tls_reason, 'certificate');
  assert.equal(v.first.kind, 'tls.encrypted_alert');
  assert.match(v.explanation, /TLS reason: certificate/);
  assert.ok(v.next_commands.some((c: string) => c.startsWith('openssl s_client -connect 10.200.3.2:8443 -servername upstream.lab')));
});

test('client side: the client connection (client.pcap) joins the upstream incident it caused', () => {
  const rep = analyze(lab('client-abort'));
  assert.equal(rep.incidents.length, 1);
  assert.equal(rep.verdict.cause, 'client_abort');
  assert.equal(path.basename(rep.verdict.first.source), 'client.pcap');
});

// --- Composed events (shaped like the parsers' output) -------------------------------------------

const T0 = Date.UTC(2026, 10, 21, 6, 0, 0) * 1000;
function ev(kind: string, dt: number, cause: Event['cause'], extra: Record<string, unknown> = {}, digits = 6): Event {
  const ts = T0 + dt;
  const capture = !kind.startsWith('nginx') && !kind.startsWith('envoy');
  const e = makeEvent({ time: isoTime(ts - (digits ? 0 : ts % 1_000_000), digits), ts_us: digits ? ts : ts - (ts % 1_000_000), source: capture ? 'proxy.pcap' : 'error.log', kind, cause,
    ...(capture ? { frame: Math.floor(dt / 1000) + 1 } : { line: 1 }), upstream: '10.0.0.5:8080', src: (extra.src as string) ?? null, dst: (extra.dst as string) ?? null }, extra);
  return e;
}

test('secondary resets: a RST after a read timeout is its consequence, not the cause', () => {
  const c = new Correlator({ timeline: false });
  c.add(ev('nginx.error', 0, 'timeout', { errno: 110, phase: 'reading_header' }, 0));
  c.add(ev('tcp.rst', 200_000, 'upstream_reset', { src: '10.0.0.5:8080', dst: '10.0.0.2:40000', rst_by: 'responder', phase: 'established', flow: 'C1' }));
  c.add(ev('tcp.rst', 300_000, 'upstream_reset', { src: '10.0.0.5:8080', dst: '10.0.0.2:40002', rst_by: 'responder', phase: 'established', flow: 'C2' }));
  const [inc] = c.finish();
  assert.equal(inc.cause, 'timeout');
  assert.deepEqual(inc.evidence.filter((e) => e.kind === 'tcp.rst').map((e) => e.role), ['secondary', 'secondary']);
  assert.match(inc.explanation, /2 later resets followed as a consequence/);
});

test('secondary resets: a RST after a TLS alert on the same connection is not blamed', () => {
  const c = new Correlator({ timeline: false });
  c.add(ev('tls.alert', 1000, null, { src: '10.0.0.5:8080', dst: '10.0.0.2:40000', description_name: 'handshake_failure', flow: 'C1' }));
  c.add(ev('tcp.rst', 2000, 'upstream_reset', { src: '10.0.0.5:8080', dst: '10.0.0.2:40000', rst_by: 'responder', phase: 'established', flow: 'C1' }));
  c.add(ev('nginx.error', 0, 'tls', { tls_reason: 'handshake' }, 0));
  const [inc] = c.finish();
  assert.equal(inc.cause, 'tls');
  assert.equal(inc.first.kind, 'tls.alert');
  assert.equal(inc.evidence.find((e) => e.kind === 'tcp.rst')!.role, 'secondary');
});

test('a failure with no upstream and nothing to join becomes its own incident, upstream null', () => {
  const c = new Correlator({ timeline: false });
  const e = ev('nginx.access', 0, 'unknown', { status: 502 }, 0);
  e.upstream = null;
  c.add(e);
  const incs = c.finish();
  assert.equal(incs.length, 1);
  assert.equal(incs[0].upstream, null);
});

// --- Live pipe -----------------------------------------------------------------------------------

test('live pipe: an incident is printed while stdin is still open', async () => {
  const child = spawn(process.execPath, [BIN, 'analyze', '-q', '-f', 'ndjson', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
  child.stderr.setEncoding('utf8').on('data', (d: string) => { err += d; });
  const p = (n: number) => String(n).padStart(2, '0');
  const now = new Date();
  const stamp = `${now.getUTCFullYear()}/${p(now.getUTCMonth() + 1)}/${p(now.getUTCDate())} ${p(now.getUTCHours())}:${p(now.getUTCMinutes())}:${p(now.getUTCSeconds())}`;
  // Enough lines to get past the input's format sniffing (it peeks LIMITS.SNIFF_BYTES).
  const lines: string[] = [];
  for (let i = 1; lines.join('\n').length < 70_000; i++) {
    lines.push(`${stamp} [error] 29262#29262: *${i} connect() failed (111: Connection refused) while connecting to upstream, client: 10.200.1.2, server: lab.resetscope.test, request: "GET /api/${i} HTTP/1.1", upstream: "http://10.200.3.2:8080/api/${i}", host: "10.200.1.1"`);
  }
  child.stdin.write(lines.join('\n') + '\n');
  try {
    const deadline = Date.now() + 25_000;
    while (!/"type":"incident"/.test(out) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 200));
    assert.equal(child.exitCode, null, `exited early: ${err}`);
    assert.match(out, /"type":"incident"/, `no incident within 25 s; stderr: ${err}`);
    const inc = JSON.parse(out.split('\n').find((l) => l.includes('"type":"incident"'))!);
    assert.equal(inc.cause, 'refused');
    assert.equal(inc.upstream, '10.200.3.2:8080');
  } finally {
    child.stdin.end();
    await new Promise((r) => child.on('close', r));
  }
  assert.match(out, /"type":"summary"/);
});
