// Decrypt the corpus captures that ship keys (KEYS.tsv) and compare with tshark's truth files.
// The capture walker below is test-only and deliberately small: classic pcap and pcapng (EPB/SPB,
// DSB), NULL/Ethernet/raw/SLL links, IPv4/IPv6, TCP payload per direction in sequence order, TLS
// record framing (5 + u16 at 3). It parses ClientHello/ServerHello itself to get the randoms.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { CORPUS } from './helpers.js';
import { createKeyStore, TLS_KEY_LOG_SECRETS_TYPE } from '../src/tls-decrypt/index.js';
import type { MutableKeyStore, DecryptedRecord } from '../src/tls-decrypt/index.js';

const PCAP = path.join(CORPUS, 'pcap');
const TRUTH = path.join(PCAP, 'truth');

// ---------- capture walker (test-only) ----------

interface Packet { frame: number; linktype: number; data: Buffer }
interface Capture { packets: Packet[]; dsbs: { type: number; data: Buffer }[] }

function readCapture(file: string): Capture {
  const buf = fs.readFileSync(file);
  const packets: Packet[] = [];
  const dsbs: Capture['dsbs'] = [];
  const magic = buf.readUInt32LE(0);
  if (magic === 0x0a0d0d0a) {
    let le = true;
    const links: number[] = [];
    let at = 0;
    while (at + 12 <= buf.length) {
      const u32 = (o: number) => (le ? buf.readUInt32LE(at + o) : buf.readUInt32BE(at + o));
      const type = buf.readUInt32LE(at) === 0x0a0d0d0a ? 0x0a0d0d0a : u32(0);
      if (type === 0x0a0d0d0a) { le = buf.readUInt32LE(at + 8) === 0x1a2b3c4d; links.length = 0; }
      const len = u32(4);
      if (len < 12 || at + len > buf.length) break;
      const u16 = (o: number) => (le ? buf.readUInt16LE(at + o) : buf.readUInt16BE(at + o));
      if (type === 1) links.push(u16(8));
      else if (type === 6) packets.push({ frame: packets.length + 1, linktype: links[u32(8)] ?? -1, data: buf.subarray(at + 28, at + 28 + u32(20)) });
      else if (type === 3) packets.push({ frame: packets.length + 1, linktype: links[0] ?? -1, data: buf.subarray(at + 12, at + Math.min(len - 4, 12 + u32(8))) });
      else if (type === 0x0a) dsbs.push({ type: u32(8), data: buf.subarray(at + 16, at + 16 + u32(12)) });
      at += len;
    }
    return { packets, dsbs };
  }
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const linktype = u32(20) & 0xffff;
  for (let at = 24; at + 16 <= buf.length; ) {
    const incl = u32(at + 8);
    packets.push({ frame: packets.length + 1, linktype, data: buf.subarray(at + 16, at + 16 + incl) });
    at += 16 + incl;
  }
  return { packets, dsbs };
}

interface Segment { frame: number; src: string; dst: string; sport: number; dport: number; seq: number; flags: number; payload: Buffer }

function tcpOf(p: Packet): Segment | null {
  let d = p.data;
  let ip: Buffer;
  if (p.linktype === 0) { ip = d.subarray(4); }
  else if (p.linktype === 1) {
    let et = d.readUInt16BE(12), off = 14;
    while (et === 0x8100 || et === 0x88a8) { et = d.readUInt16BE(off + 2); off += 4; }
    ip = d.subarray(off);
  } else if (p.linktype === 113) ip = d.subarray(16);
  else if (p.linktype === 101 || p.linktype === 12 || p.linktype === 228 || p.linktype === 229) ip = d;
  else return null;
  let src: string, dst: string, l4: Buffer;
  if (ip.length < 20) return null;
  if (ip[0] >> 4 === 4) {
    if (ip[9] !== 6) return null;
    const ihl = (ip[0] & 15) * 4;
    src = [...ip.subarray(12, 16)].join('.');
    dst = [...ip.subarray(16, 20)].join('.');
    l4 = ip.subarray(ihl, Math.min(ip.length, ip.readUInt16BE(2)));
  } else if (ip[0] >> 4 === 6) {
    if (ip[6] !== 6) return null;
    src = ip.subarray(8, 24).toString('hex');
    dst = ip.subarray(24, 40).toString('hex');
    l4 = ip.subarray(40, 40 + ip.readUInt16BE(4));
  } else return null;
  if (l4.length < 20) return null;
  const doff = (l4[12] >> 4) * 4;
  return { frame: p.frame, src, dst, sport: l4.readUInt16BE(0), dport: l4.readUInt16BE(2), seq: l4.readUInt32BE(4), flags: l4[13], payload: l4.subarray(doff) };
}

interface Rec { frame: number; fromClient: boolean; type: number; version: number; fragment: Buffer }
interface Conn { client: string; server: string; records: Rec[] }

/** Per TCP connection: each direction's payload in sequence order, cut into TLS records. */
function connections(cap: Capture): Conn[] {
  const flows = new Map<string, { dirs: Map<string, { next: number | null; bytes: Buffer[]; ends: { end: number; frame: number }[]; len: number }>; client: string | null }>();
  for (const p of cap.packets) {
    const s = tcpOf(p);
    if (!s) continue;
    const a = `${s.src}:${s.sport}`, b = `${s.dst}:${s.dport}`;
    const key = a < b ? `${a}|${b}` : `${b}|${a}`;
    let f = flows.get(key);
    if (!f) { f = { dirs: new Map(), client: null }; flows.set(key, f); }
    const SYN = 2, ACK = 16;
    if ((s.flags & SYN) && !(s.flags & ACK)) { f.client = a; f.dirs.delete(a); }
    let d = f.dirs.get(a);
    if (!d) { d = { next: null, bytes: [], ends: [], len: 0 }; f.dirs.set(a, d); }
    if (s.flags & SYN) { d.next = (s.seq + 1) >>> 0; continue; }
    if (s.payload.length === 0) continue;
    if (d.next === null) d.next = s.seq;
    const skip = (d.next - s.seq) | 0; // retransmitted prefix
    if (skip >= s.payload.length) continue;
    const data = skip > 0 ? s.payload.subarray(skip) : s.payload;
    d.bytes.push(data);
    d.len += data.length;
    d.ends.push({ end: d.len, frame: s.frame });
    d.next = (s.seq + Math.max(skip, 0) + data.length) >>> 0;
  }
  const out: Conn[] = [];
  for (const [key, f] of flows) {
    const [x, y] = key.split('|');
    const records: Rec[] = [];
    let client = f.client;
    for (const [from, d] of f.dirs) {
      const first = d.bytes[0];
      if (!client && first && first[0] === 22 && first[5] === 1) client = from;
    }
    for (const [from, d] of f.dirs) {
      const stream = Buffer.concat(d.bytes);
      for (let at = 0; at + 5 <= stream.length; ) {
        const len = stream.readUInt16BE(at + 3);
        if (at + 5 + len > stream.length || stream[at] < 20 || stream[at] > 24) break;
        const end = at + 5 + len;
        const frame = d.ends.find((e) => e.end >= end)?.frame ?? -1;
        records.push({ frame, fromClient: from === client, type: stream[at], version: stream.readUInt16BE(at + 1), fragment: stream.subarray(at + 5, end) });
        at = end;
      }
    }
    if (!client) continue;
    out.push({ client, server: client === x ? y : x, records: records.sort((p, q) => p.frame - q.frame) });
  }
  return out;
}

interface Hello { clientRandom: Buffer; serverRandom: Buffer; cipherSuite: number; version: number; encryptThenMac: boolean; compressionMethod: number }

/** ClientHello/ServerHello (RFC 8446 §4.1.2, §4.1.3): randoms, suite, supported_versions. */
function hellos(conn: Conn): Hello | null {
  const hs = (fromClient: boolean) => {
    const parts: Buffer[] = [];
    let last = -1;
    conn.records.forEach((r, i) => { if (r.fromClient === fromClient && r.type === 22 && (last === -1 || parts.length < 8)) { parts.push(r.fragment); last = i; } });
    return Buffer.concat(parts);
  };
  const ch = hs(true), sh = hs(false);
  if (ch[0] !== 1 || sh[0] !== 2 || sh.length < 40) return null;
  const clientRandom = ch.subarray(6, 38);
  const serverRandom = sh.subarray(6, 38);
  let at = 38;
  at += 1 + sh[at];
  const cipherSuite = sh.readUInt16BE(at);
  const compressionMethod = sh[at + 2];
  at += 3;
  let version = sh.readUInt16BE(4);
  let encryptThenMac = false;
  const shEnd = 4 + sh.readUIntBE(1, 3);
  if (at + 2 <= shEnd) {
    const extEnd = at + 2 + sh.readUInt16BE(at);
    for (at += 2; at + 4 <= extEnd; ) {
      const t = sh.readUInt16BE(at), l = sh.readUInt16BE(at + 2);
      if (t === 43) version = sh.readUInt16BE(at + 4);
      if (t === 22) encryptThenMac = true;
      at += 4 + l;
    }
  }
  return { clientRandom, serverRandom, cipherSuite, version, encryptThenMac, compressionMethod };
}

interface Opened { rec: Rec; out: DecryptedRecord | null }

function decryptConn(store: MutableKeyStore, conn: Conn) {
  const h = hellos(conn);
  if (!h) return null;
  const dec = store.decryptorFor(h);
  if (!dec) return { hello: h, dec: null, opened: [] as Opened[] };
  const opened: Opened[] = [];
  // Every record except the ones holding ClientHello / ServerHello, in capture order.
  for (const rec of conn.records) {
    if (rec.type === 22 && rec.fragment[0] === (rec.fromClient ? 1 : 2)) continue;
    opened.push({ rec, out: dec.decrypt(rec.fromClient, rec.type, rec.version, rec.fragment) });
  }
  return { hello: h, dec, opened };
}

function storeFor(file: string, keyFile?: string, rsaKey?: string): { store: MutableKeyStore; cap: Capture } {
  const store = createKeyStore();
  const cap = readCapture(path.join(PCAP, file));
  if (keyFile) store.addKeyLogText(fs.readFileSync(path.join(PCAP, keyFile), 'latin1'));
  if (rsaKey) assert.ok(store.addRsaPrivateKey(fs.readFileSync(path.join(PCAP, rsaKey))));
  for (const d of cap.dsbs) store.addDecryptionSecrets(d.type, d.data);
  return { store, cap };
}

export function explore(file: string, keyFile?: string, rsaKey?: string) {
  const { store, cap } = storeFor(file, keyFile, rsaKey);
  for (const c of connections(cap)) {
    const r = decryptConn(store, c);
    if (!r) { console.log(c.client, 'no hello'); continue; }
    console.log(c.client, '->', c.server, 'suite', r.hello.cipherSuite.toString(16), 'v', r.hello.version.toString(16), 'dec', !!r.dec, r.dec?.stats);
    for (const o of r.opened.slice(0, 12)) console.log('  ', o.rec.frame, o.rec.fromClient ? 'C' : 'S', o.rec.type, o.rec.fragment.length, o.out ? `${o.out.contentType} ${o.out.plaintext.subarray(0, 40).toString('hex')} ${JSON.stringify(o.out.plaintext.subarray(0, 40).toString('latin1'))}` : null);
  }
}

// ---------- truth comparison ----------

interface Truth {
  tls_alerts: { frame: number; sport: number; level: number; description: number }[];
  tls_encrypted_alerts: { frame: number; sport: number }[];
  tls_server_hello_alpn: { frame: number; sport: number; handshake_types: number[]; alpn: string[] }[];
  http2_goaway: unknown[];
  http2_rst_stream: unknown[];
}
const truth = (file: string, nokeys = false): Truth => JSON.parse(fs.readFileSync(path.join(TRUTH, `${file}${nokeys ? '.nokeys' : ''}.json`), 'utf8'));
const port = (endpoint: string) => Number(endpoint.slice(endpoint.lastIndexOf(':') + 1));

interface Found {
  conns: number;
  decryptors: number;
  appRecords: number;
  appDecrypted: number;
  failed: number;
  alerts: { frame: number; sport: number; level: number; description: number }[];
  /** Server handshake messages decrypted (TLS 1.3), with the frame that completed each record. */
  serverHandshake: { frame: number; sport: number; types: number[]; alpn: string[] }[];
  appData: { client: Buffer; server: Buffer }[];
}

/** RFC 7301 §3.1 ALPN extension (16) inside EncryptedExtensions (RFC 8446 §4.3.1). */
function alpnOfEncryptedExtensions(body: Buffer): string[] {
  const out: string[] = [];
  let at = 2;
  const end = Math.min(body.length, 2 + body.readUInt16BE(0));
  while (at + 4 <= end) {
    const t = body.readUInt16BE(at), l = body.readUInt16BE(at + 2);
    if (t === 16) for (let p = at + 6; p < at + 4 + l; p += 1 + body[p]) out.push(body.subarray(p + 1, p + 1 + body[p]).toString('latin1'));
    at += 4 + l;
  }
  return out;
}

function analyze(file: string, keyFile?: string, rsaKey?: string): Found {
  const { store, cap } = storeFor(file, keyFile, rsaKey);
  const found: Found = { conns: 0, decryptors: 0, appRecords: 0, appDecrypted: 0, failed: 0, alerts: [], serverHandshake: [], appData: [] };
  for (const conn of connections(cap)) {
    const r = decryptConn(store, conn);
    if (!r) continue;
    found.conns++;
    if (!r.dec) continue;
    found.decryptors++;
    found.failed += r.dec.stats.failed;
    const data = { client: [] as Buffer[], server: [] as Buffer[] };
    for (const { rec, out } of r.opened) {
      if (rec.type === 23) found.appRecords++;
      if (!out) continue;
      const sport = port(rec.fromClient ? conn.client : conn.server);
      if (out.contentType === 23) {
        if (rec.type === 23) found.appDecrypted++;
        (rec.fromClient ? data.client : data.server).push(out.plaintext);
      }
      if (out.contentType === 21) {
        found.alerts.push({ frame: rec.frame, sport, level: out.plaintext[0], description: out.plaintext[1] });
        if (rec.type === 23) found.appDecrypted++;
      }
      if (out.contentType === 22 && !rec.fromClient && rec.type === 23) {
        found.appDecrypted++;
        const types: number[] = [];
        let alpn: string[] = [];
        for (let at = 0; at + 4 <= out.plaintext.length; at += 4 + out.plaintext.readUIntBE(at + 1, 3)) {
          types.push(out.plaintext[at]);
          if (out.plaintext[at] === 8) alpn = alpnOfEncryptedExtensions(out.plaintext.subarray(at + 4));
        }
        found.serverHandshake.push({ frame: rec.frame, sport, types, alpn });
      } else if (out.contentType === 22 && rec.type === 23) found.appDecrypted++;
    }
    found.appData.push({ client: Buffer.concat(data.client), server: Buffer.concat(data.server) });
  }
  return found;
}

/** RFC 9113 §4.1 frame headers over one direction's decrypted bytes (client preface skipped, §3.4). */
function h2FrameTypes(bytes: Buffer, client: boolean): number[] {
  const PREFACE = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';
  let at = 0;
  if (client) {
    if (bytes.subarray(0, 24).toString('latin1') !== PREFACE) return [];
    at = 24;
  }
  const types: number[] = [];
  while (at + 9 <= bytes.length) {
    types.push(bytes[at + 3]);
    at += 9 + bytes.readUIntBE(at, 3);
  }
  return types;
}

/** How many truth alerts we reproduce (same frame, sender port, level, description). */
function alertAgreement(found: Found, t: Truth): number {
  return t.tls_alerts.filter((a) => found.alerts.some((f) => f.frame === a.frame && f.sport === a.sport && f.level === a.level && f.description === a.description)).length;
}

test('illustrated-tls13 (TLS_AES_256_GCM_SHA384, key log): every record decrypts; ping/pong; handshake as tshark sees it', () => {
  const file = 'illustrated-tls13__illustrated-tls13-capture.pcap';
  const f = analyze(file, 'illustrated-tls13__illustrated-tls13-keylog.txt');
  assert.deepEqual({ conns: f.conns, decryptors: f.decryptors, failed: f.failed }, { conns: 1, decryptors: 1, failed: 0 });
  assert.equal(f.appDecrypted, f.appRecords, 'every protected record opened');
  // The illustrated-tls13 site shows the application data: the client sends "ping", the server "pong".
  assert.equal(f.appData[0].client.toString(), 'ping');
  assert.equal(f.appData[0].server.toString(), 'pong');
  // Server's encrypted flight: EE, Certificate, CertificateVerify, Finished, then two NewSessionTickets.
  assert.deepEqual(f.serverHandshake.map((h) => h.types).flat(), [8, 11, 15, 20, 4, 4]);
  const t = truth(file);
  assert.deepEqual({ alerts: f.alerts.length, alpn: f.serverHandshake.filter((h) => h.alpn.length).length }, { alerts: t.tls_alerts.length, alpn: t.tls_server_hello_alpn.length });
  console.log(`# agreement ${file}: records ${f.appDecrypted}/${f.appRecords}, alerts ${f.alerts.length}/${t.tls_alerts.length}`);
});

test('illustrated-tls12 (ECDHE-RSA-AES128-CBC-SHA, key log): ping/pong and the encrypted close_notify tshark decrypts', () => {
  const file = 'illustrated-tls12__illustrated-tls12-capture.pcap';
  const f = analyze(file, 'illustrated-tls12__illustrated-tls12-keylog.txt');
  assert.equal(f.failed, 0);
  assert.equal(f.appDecrypted, f.appRecords);
  assert.equal(f.appData[0].client.toString(), 'ping');
  assert.equal(f.appData[0].server.toString(), 'pong');
  const t = truth(file);
  const nokeys = truth(file, true);
  assert.deepEqual(nokeys.tls_encrypted_alerts.map((a) => a.frame), [17], 'opaque without keys');
  assert.deepEqual(f.alerts, t.tls_alerts.map(({ frame, sport, level, description }) => ({ frame, sport, level, description })));
  console.log(`# agreement ${file}: alerts ${alertAgreement(f, t)}/${t.tls_alerts.length}`);
});

test('ja4 http2-with-cookies (TLS 1.3, pcapng DSB): EncryptedExtensions ALPN and HTTP/2 frames', () => {
  const file = 'ja4__http2-with-cookies.pcapng';
  const { cap } = storeFor(file);
  assert.deepEqual(cap.dsbs.map((d) => d.type), [TLS_KEY_LOG_SECRETS_TYPE]);
  const f = analyze(file);
  assert.equal(f.failed, 0);
  assert.equal(f.appDecrypted, f.appRecords);
  const t = truth(file);
  // tshark: frame 10 carries EE + Certificate + CertificateVerify + Finished, ALPN h2.
  const ours = f.serverHandshake.filter((h) => h.alpn.length > 0).map((h) => ({ frame: h.frame, sport: h.sport, alpn: h.alpn }));
  assert.deepEqual(ours, t.tls_server_hello_alpn.map(({ frame, sport, alpn }) => ({ frame, sport, alpn })));
  const typesInFrame = [...new Set(f.serverHandshake.filter((h) => h.frame === 10).flatMap((h) => h.types))];
  assert.deepEqual(typesInFrame, t.tls_server_hello_alpn[0].handshake_types);
  const client = h2FrameTypes(f.appData[0].client, true);
  const server = h2FrameTypes(f.appData[0].server, false);
  assert.equal(client[0], 4, 'client SETTINGS after the preface');
  assert.equal(server[0], 4, 'server SETTINGS first');
  assert.ok(client.includes(1) && server.includes(0), 'HEADERS from the client, DATA from the server');
  const all = [...client, ...server];
  assert.equal(all.filter((x) => x === 7).length, t.http2_goaway.length);
  assert.equal(all.filter((x) => x === 3).length, t.http2_rst_stream.length);
  console.log(`# agreement ${file}: records ${f.appDecrypted}/${f.appRecords}, server ALPN ${ours.length}/${t.tls_server_hello_alpn.length}, h2 frames c=${client.length} s=${server.length}, GOAWAY ${all.filter((x) => x === 7).length}/${t.http2_goaway.length}, RST_STREAM ${all.filter((x) => x === 3).length}/${t.http2_rst_stream.length}`);
});

test('h2-playground hyper_decrypt (TLS_RSA_WITH_AES_256_CBC_SHA, RSA private key): HTTP/2 inside', () => {
  const file = 'h2-playground__hyper_decrypt.pcapng';
  assert.equal(analyze(file).decryptors, 0, 'no keys, no decryptor');
  const f = analyze(file, undefined, 'h2-playground__hyper_decrypt-server.key');
  assert.deepEqual({ decryptors: f.decryptors, failed: f.failed }, { decryptors: 1, failed: 0 });
  assert.equal(f.appDecrypted, f.appRecords);
  const client = h2FrameTypes(f.appData[0].client, true);
  const server = h2FrameTypes(f.appData[0].server, false);
  assert.equal(client[0], 4);
  assert.equal(server[0], 4);
  assert.ok(client.includes(1), 'request HEADERS');
  const t = truth(file);
  const all = [...client, ...server];
  assert.equal(all.filter((x) => x === 7).length, t.http2_goaway.length);
  assert.equal(all.filter((x) => x === 3).length, t.http2_rst_stream.length);
  console.log(`# agreement ${file}: records ${f.appDecrypted}/${f.appRecords}, h2 frames c=[${client}] s=[${server}]`);
});

for (const [file, keys, expected] of [
  ['wireshark-notes__all-dump.pcapng', 'wireshark-notes__all-premaster.txt', 60],
  ['wireshark-notes__tls-works-dump.pcapng', 'wireshark-notes__tls-works-premaster.txt', 10],
] as const) {
  test(`${file}: close_notify alerts tshark decrypts, for every suite we support`, () => {
    const f = analyze(file, keys);
    const t = truth(file);
    const agree = alertAgreement(f, t);
    assert.equal(f.failed, 0, 'no record fails to authenticate');
    assert.equal(f.appDecrypted, f.appRecords, 'every protected record of a supported session opened');
    assert.equal(agree, f.alerts.length, 'no alert tshark does not report');
    assert.ok(agree >= expected);
    console.log(`# agreement ${file}: alerts ${agree}/${t.tls_alerts.length} (sessions decrypted ${f.decryptors}/${f.conns})`);
  });
}

test('wireshark-old rsasnakeoil2 (SSL 3.0): not supported, reported as such rather than mis-decrypted', () => {
  const { store, cap } = storeFor('wireshark-old__rsasnakeoil2.pcap', undefined, 'wireshark-old__rsasnakeoil2.key');
  const conns = connections(cap).map((c) => decryptConn(store, c)).filter((r) => r !== null);
  assert.ok(conns.length >= 1);
  assert.ok(conns.every((r) => r.hello.version === 0x0300 && r.dec === null));
  assert.equal(store.stats.unsupported, conns.length);
});

test('decryption is lazy: a decryptor does no work until asked', () => {
  const { store, cap } = storeFor('ja4__http2-with-cookies.pcapng');
  const conn = connections(cap)[0];
  const h = hellos(conn)!;
  const dec = store.decryptorFor(h)!;
  assert.deepEqual(dec.stats, { decrypted: 0, failed: 0, resynced: 0 });
  const first = conn.records.find((r) => !r.fromClient && r.type === 23)!;
  assert.equal(dec.decrypt(false, first.type, first.version, first.fragment)?.contentType, 22);
  assert.deepEqual(dec.stats, { decrypted: 1, failed: 0, resynced: 0 });
});
