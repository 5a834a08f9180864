// Issue 8 end to end: the real binary, `events --keylog KEYS CAPTURE` (or a pcapng's own
// Decryption Secrets Blocks, no flag), on every capture of corpus/pcap/KEYS.tsv, against tshark.
// What tshark finds with keys (truth/<f>.json) and not without (truth/<f>.nokeys.json) must be
// what we find with keys, same frame and values, marked decrypted; without keys, only the rest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BIN, CORPUS, REPO } from './helpers.js';

const PCAP = path.join(CORPUS, 'pcap');
const TRUTH = path.join(PCAP, 'truth');

type Row = Record<string, unknown>;
type Ev = Record<string, unknown> & { kind: string; frame?: number; src?: string; dst?: string; decrypted?: boolean };

interface KeyRow { capture: string; kind: 'nss-keylog' | 'rsa-private-key' | 'pcapng-dsb'; keyFile: string | null }

function keyRows(): KeyRow[] {
  return fs.readFileSync(path.join(PCAP, 'KEYS.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => {
    const [capture, kind, key] = l.split('\t');
    return { capture, kind: kind as KeyRow['kind'], keyFile: key === '-' ? null : path.join(PCAP, key) };
  });
}

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 256 << 20, env: { ...process.env, NO_COLOR: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function events(capture: string, keyFile: string | null): Ev[] {
  const r = run(['events', '-q', ...(keyFile ? ['--keylog', keyFile] : []), capture]);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Ev);
}

const port = (addr: unknown) => String(addr).replace(/^.*:/, '');
const flow = (sport: unknown, dport: unknown) => `${sport}>${dport}`;

/** The findings that need keys when the traffic is TLS: one key string per finding, "frame|ports|values". */
const CATEGORIES = {
  tls_alert: {
    truth: (t: Row) => (t.tls_alerts as Row[]).map((r) => `${r.frame}|${flow(r.sport, r.dport)}|${r.level}|${r.description}|${r.description_name}`),
    ours: (e: Ev[]) => e.filter((x) => x.kind === 'tls.alert').map((x) => ({ ev: x, key: `${x.frame}|${flow(port(x.src), port(x.dst))}|${x.level}|${x.description}|${x.description_name}` })),
  },
  http2_goaway: {
    truth: (t: Row) => (t.http2_goaway as Row[]).map((r) => `${r.frame}|${flow(r.sport, r.dport)}|${r.last_stream_id}|${r.error_code}|${r.error_name}`),
    ours: (e: Ev[]) => e.filter((x) => x.kind === 'http2.goaway').map((x) => ({ ev: x, key: `${x.frame}|${flow(port(x.src), port(x.dst))}|${x.last_stream_id}|${x.error_code}|${x.error_name}` })),
  },
  http2_rst_stream: {
    truth: (t: Row) => (t.http2_rst_stream as Row[]).map((r) => `${r.frame}|${flow(r.sport, r.dport)}|${r.stream_id}|${r.error_code}|${r.error_name}`),
    ours: (e: Ev[]) => e.filter((x) => x.kind === 'http2.rst_stream').map((x) => ({ ev: x, key: `${x.frame}|${flow(port(x.src), port(x.dst))}|${x.stream_id}|${x.error_code}|${x.error_name}` })),
  },
  // ServerHello ALPN (TLS ≤ 1.2, cleartext) and EncryptedExtensions ALPN (TLS 1.3, keys needed). TCP only.
  server_alpn: {
    truth: (t: Row) => (t.tls_server_hello_alpn as Row[]).filter((r) => r.transport !== 'quic').map((r) => `${r.frame}|${flow(r.sport, r.dport)}|${(r.alpn as string[]).join(',')}`),
    ours: (e: Ev[]) => e.filter((x) => (x.kind === 'tls.server_hello' && x.alpn) || x.kind === 'tls.encrypted_extensions').map((x) => ({ ev: x, key: `${x.frame}|${flow(port(x.src), port(x.dst))}|${x.alpn}` })),
  },
} as const;
type Category = keyof typeof CATEGORIES;
const CATS = Object.keys(CATEGORIES) as Category[];

/** Multiset a − b. */
function minus(a: string[], b: string[]): string[] {
  const left = new Map<string, number>();
  for (const k of b) left.set(k, (left.get(k) ?? 0) + 1);
  return a.filter((k) => {
    const n = left.get(k) ?? 0;
    if (n > 0) { left.set(k, n - 1); return false; }
    return true;
  });
}
const sorted = (a: string[]) => [...a].sort();

/**
 * The truth without keys. A DSB capture has none (tshark always applies its secrets): there the
 * keys-only findings are the TLS 1.3 EncryptedExtensions ALPN (handshake type 8 without 2).
 */
function nokeysTruth(capture: string, keys: Row): Row {
  const f = path.join(TRUTH, `${capture}.nokeys.json`);
  if (fs.existsSync(f)) return JSON.parse(fs.readFileSync(f, 'utf8')) as Row;
  return { ...keys, tls_server_hello_alpn: (keys.tls_server_hello_alpn as Row[]).filter((r) => (r.handshake_types as number[]).includes(2)) };
}

/** Suites/versions the decryptors do not implement (Node's OpenSSL lacks the ciphers): their findings stay opaque. */
const LEGACY_SUITES = new Set([0x0003, 0x0006, 0x0007, 0x0008, 0x0009, 0x0011, 0x0012, 0x0014, 0x0015, 0x0096, 0x0099, 0x009a]);

/** A keys-only finding we miss is explained when its flow's session is SSL 3.0 or a legacy suite (and it stayed an encrypted alert). */
function explainedMiss(key: string, evs: Ev[]): boolean {
  const [frame, ports] = key.split('|');
  const opaque = evs.find((e) => e.kind === 'tls.encrypted_alert' && String(e.frame) === frame && flow(port(e.src), port(e.dst)) === ports);
  if (!opaque) return false;
  const sh = evs.find((e) => e.kind === 'tls.server_hello' && e.flow === opaque.flow);
  return !!sh && (LEGACY_SUITES.has(sh.cipher_suite as number) || sh.version_code === 0x0300);
}

interface Tally { keysOnly: number; found: number; explained: number; extra: number; cleartext: number; cleartextOk: number }
const totals: Record<Category, Tally> = Object.fromEntries(CATS.map((c) => [c, { keysOnly: 0, found: 0, explained: 0, extra: 0, cleartext: 0, cleartextOk: 0 }])) as Record<Category, Tally>;

for (const row of keyRows()) {
  test(`${row.capture} (${row.kind}): keys-only findings decrypted, same frame and values as tshark`, () => {
    const capture = path.join(PCAP, row.capture);
    const keys = JSON.parse(fs.readFileSync(path.join(TRUTH, `${row.capture}.json`), 'utf8')) as Row;
    const nokeys = nokeysTruth(row.capture, keys);
    const withKeys = events(capture, row.keyFile);
    const without = row.kind === 'pcapng-dsb' ? null : events(capture, null);
    const line: string[] = [];
    for (const c of CATS) {
      const cat = CATEGORIES[c];
      const keysOnly = minus(cat.truth(keys), cat.truth(nokeys));
      const ours = cat.ours(withKeys);
      const decrypted = ours.filter((o) => o.ev.decrypted === true).map((o) => o.key);
      const clear = ours.filter((o) => o.ev.decrypted !== true).map((o) => o.key);
      // Decrypted findings: each one is a keys-only tshark finding (no extras) ...
      assert.deepEqual(minus(decrypted, keysOnly), [], `${c}: decrypted findings tshark does not report`);
      // ... and every keys-only finding is found, unless its session uses a suite we cannot decrypt.
      const missed = minus(keysOnly, decrypted);
      const unexplained = missed.filter((k) => !explainedMiss(k, withKeys));
      assert.deepEqual(unexplained, [], `${c}: keys-only findings not decrypted`);
      // Keys change nothing that was readable without them.
      assert.deepEqual(sorted(clear), sorted(cat.truth(nokeys)), `${c}: cleartext findings with keys`);
      const t = totals[c];
      t.keysOnly += keysOnly.length;
      t.found += keysOnly.length - missed.length;
      t.explained += missed.length;
      t.extra += minus(decrypted, keysOnly).length;
      if (without) {
        // Without keys: exactly tshark's nokeys set, nothing decrypted.
        const plain = cat.ours(without).map((o) => o.key);
        assert.deepEqual(sorted(plain), sorted(cat.truth(nokeys)), `${c}: without keys`);
        t.cleartext += cat.truth(nokeys).length;
        t.cleartextOk += cat.truth(nokeys).length;
      }
      if (keysOnly.length || decrypted.length) line.push(`${c} ${keysOnly.length - missed.length}/${keysOnly.length}${missed.length ? ` (${missed.length} legacy-suite)` : ''}`);
    }
    if (without) assert.equal(without.filter((e) => e.decrypted).length, 0, 'nothing decrypted without keys');
    // Every decrypted event says so; every decrypted finding of these kinds is marked.
    assert.ok(withKeys.filter((e) => e.decrypted).every((e) => e.decrypted === true));
    console.log(`# keylog-e2e ${row.capture}: ${line.join(', ') || 'no keys-only findings'}; decrypted events ${withKeys.filter((e) => e.decrypted).length}`);
  });
}

test('agreement totals (tshark with keys vs resetscope --keylog / DSB)', () => {
  for (const c of CATS) {
    const t = totals[c];
    console.log(`# keylog-e2e total ${c}: keys-only ${t.found}/${t.keysOnly} found (${t.explained} in legacy-suite/SSL 3.0 sessions), ${t.extra} extra; without keys ${t.cleartextOk}/${t.cleartext}`);
    assert.equal(t.extra, 0);
  }
  assert.ok(totals.tls_alert.found >= 72, 'decrypted alerts');
  assert.ok(totals.server_alpn.found >= 2, 'EncryptedExtensions ALPN from DSBs');
});

test('--keylog FILE that does not exist: exit 2, one line naming the file, before reading any input', () => {
  const missing = '/nonexistent/keys.log';
  const r = run(['events', '--keylog', missing, path.join(PCAP, 'illustrated-tls12__illustrated-tls12-capture.pcap')]);
  assert.equal(r.status, 2);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^resetscope: --keylog \/nonexistent\/keys\.log: cannot read it \(no such file\)$/);
  const a = run(['analyze', '--keylog', missing, path.join(PCAP, 'illustrated-tls12__illustrated-tls12-capture.pcap')]);
  assert.equal(a.status, 2);
  assert.equal(a.stderr.trimEnd().split('\n').length, 1);
  assert.match(a.stderr, /--keylog \/nonexistent\/keys\.log/);
});

test('--keylog FILE that is neither a key log nor an RSA key: exit 2, one line', () => {
  const r = run(['events', '--keylog', path.join(PCAP, 'SOURCES.tsv'), path.join(PCAP, 'illustrated-tls12__illustrated-tls12-capture.pcap')]);
  assert.equal(r.status, 2);
  assert.equal(r.stderr.trimEnd().split('\n').length, 1);
  assert.match(r.stderr, /SOURCES\.tsv: neither an NSS key log .* nor a PEM RSA private key/);
});

test('analyze --keylog decrypts too, and says how many sessions the keys opened', () => {
  const cap = path.join(PCAP, 'wireshark-notes__tls-works-dump.pcapng');
  const r = run(['analyze', '-f', 'json', '--keylog', path.join(PCAP, 'wireshark-notes__tls-works-premaster.txt'), cap]);
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { inputs: Array<{ name: string; notes: string[] }> };
  const notes = report.inputs.flatMap((i) => i.notes);
  assert.ok(notes.some((n) => /TLS decryption \(keys from --keylog\): 5 of 6 TLS session\(s\) decrypted, 1 had keys but/.test(n)), notes.join('\n'));
  assert.match(r.stderr, /TLS decryption/);
});

test('--keylog given twice: both files are used (NSS key log + PEM RSA private key)', () => {
  const ev = (files: string[]) => {
    const r = run(['events', '-q', ...files.flatMap((f) => ['--keylog', path.join(PCAP, f)]), path.join(PCAP, 'h2-playground__hyper_decrypt.pcapng')]);
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Ev);
  };
  const both = ev(['illustrated-tls12__illustrated-tls12-keylog.txt', 'h2-playground__hyper_decrypt-server.key']);
  assert.ok(both.some((e) => e.kind === 'http2.settings' && e.decrypted === true), 'RSA key detected by content, HTTP/2 inside decrypted');
});

// The lab-like scenario in samples/keylog/ (made by lab/scenarios/keylog-h2-goaway.sh): curl
// --http2 against a node h2 server that resets a stream and sends GOAWAY, on loopback.
const SAMPLES = path.join(REPO, 'samples', 'keylog');
for (const name of fs.existsSync(SAMPLES) ? fs.readdirSync(SAMPLES).sort() : []) {
  test(`samples/keylog/${name}: encrypted GOAWAY/RST_STREAM found with the key log, not without`, () => {
    const dir = path.join(SAMPLES, name);
    const truth = JSON.parse(fs.readFileSync(path.join(dir, 'truth.json'), 'utf8')) as Row & { keys: Row; nokeys: Row };
    const cap = path.join(dir, truth.capture as string);
    const withKeys = events(cap, path.join(dir, truth.keylog as string));
    const without = events(cap, null);
    for (const c of ['http2_goaway', 'http2_rst_stream', 'server_alpn', 'tls_alert'] as const) {
      const cat = CATEGORIES[c];
      const want = cat.truth(truth.keys);
      const keysOnly = minus(want, cat.truth(truth.nokeys));
      const ours = cat.ours(withKeys);
      assert.deepEqual(sorted(ours.map((o) => o.key)), sorted(want), `${c} with keys`);
      assert.deepEqual(sorted(ours.filter((o) => o.ev.decrypted === true).map((o) => o.key)), sorted(keysOnly), `${c} decrypted`);
      assert.deepEqual(sorted(cat.ours(without).map((o) => o.key)), sorted(cat.truth(truth.nokeys)), `${c} without keys`);
    }
    assert.ok((truth.keys.http2_goaway as Row[]).length >= 1);
    assert.equal(without.filter((e) => e.kind === 'http2.goaway').length, 0);
    console.log(`# keylog-e2e samples/keylog/${name}: GOAWAY ${(truth.keys.http2_goaway as Row[]).length}, RST_STREAM ${(truth.keys.http2_rst_stream as Row[]).length} with keys; 0 without`);
  });
}
