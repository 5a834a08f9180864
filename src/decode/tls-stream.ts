// TLS as a stream protocol: "5 + u16 at 3" framing over each side's byte queue, handshake
// messages reassembled across records (RFC 8446 §5.1), hellos / certificates / alerts turned into
// events, and the decryption hook (src/tls-decrypt) feeding plaintext to the protocol ALPN names.
import { X509Certificate } from 'node:crypto';
import type { Cause } from '../events.js';
import { ByteQueue } from '../capture/reassembly.js';
import { LIMITS } from '../limits.js';
import type { RecordDecryptor } from '../tls-decrypt/index.js';
import {
  registerStreamProtocol, protocolByAlpn, sniffProtocol,
  type Role, type SegMeta, type Sniff, type StreamConn, type StreamDecoder, type StreamProtocol,
} from './stream-registry.js';
import {
  CONTENT_TYPE, HANDSHAKE_TYPE, HANDSHAKE_HEADER, TLS_RECORD_HEADER, ALERT_LEVELS,
  alertName, versionName, recordLength, decodeRecordHeader, decodeHandshake, decodeClientHello, decodeServerHello,
  decodeCertificateList, decodeEncryptedExtensions, decodeSslv2ClientHello, type Sslv2ClientHello,
} from './tls.js';

/** Alert cause (DESIGN.md §3): close_notify is a normal close; no_application_protocol is ALPN. */
export function alertCause(description: number): Cause | null {
  if (description === 0) return null; // RFC 8446 §6.1 close_notify
  if (description === 120) return 'protocol_mismatch'; // RFC 7301 §3.2
  return 'tls';
}

/** RFC 5246 §6.2.1: type 20..24, major version 3. Enough to tell TLS from text at a glance. */
export function sniffTls(head: Buffer, role: Role = 'orig'): Sniff {
  if (head.length === 0) return 'more';
  if (role === 'orig' && head[0] & 0x80) {
    // RFC 5246 Appendix E.2: SSL 2.0-compatible CLIENT-HELLO offering SSL 3.0 / TLS
    if (head.length < 4) return 'more';
    return head[2] === 1 && (head[3] === 3 || head[3] === 0) ? 'yes' : 'no';
  }
  if (head[0] < 20 || head[0] > 24) return 'no';
  if (head.length < 2) return 'more';
  if (head[1] !== 3) return 'no';
  if (head.length < 3) return 'more';
  return head[2] <= 4 ? 'yes' : 'no';
}

interface Side {
  q: ByteQueue;
  /** Plaintext handshake bytes not yet a whole message (messages span records). */
  hs: ByteQueue;
  /** Decrypted handshake bytes (TLS 1.3 EncryptedExtensions etc.): made on first use, only with keys. */
  hsDec: ByteQueue | null;
  ccs: boolean;
  appData: number;
  records: number;
  dead: boolean;
  /** Bytes were lost: skipping to the next chunk that starts with a record header. */
  resync: boolean;
  /** Plaintext application bytes held until the inner protocol is known. */
  innerHead: Buffer | null;
  /** Bytes of an application_data record we cannot decrypt still to pass over (never copied). */
  skip: number;
}

function newSide(): Side {
  return { q: new ByteQueue(), hs: new ByteQueue(), hsDec: null, ccs: false, appData: 0, records: 0, dead: false, resync: false, innerHead: null, skip: 0 };
}

/** The record header being framed (copied out of the queue: no view per record). */
const RECORD_HEADER = Buffer.alloc(TLS_RECORD_HEADER);

const PRINTABLE_RATIO = 0.9;
/** RFC 7366 §2: encrypt_then_mac extension. */
const EXT_ENCRYPT_THEN_MAC = 22;

/**
 * RFC 5246 §7.4.1.3: ServerHello legacy_compression_method, after version(2) random(32)
 * session_id<0..32> cipher_suite(2). TLS 1.3 drafts before -22 (0x7fxx) have neither; 0 = none.
 */
function serverHelloCompression(body: Buffer, legacyVersion: number): number {
  if ((legacyVersion & 0xff00) === 0x7f00 || body.length < 35) return 0;
  return body[35 + body[34] + 2] ?? 0;
}

/** What we report of a server certificate, parsed once per distinct DER (X.509 parsing is ~0.2 ms). */
interface ParsedCert {
  x509: X509Certificate;
  subject: string;
  issuer: string;
  san: string[];
  notBefore: number;
  notAfter: number;
  /** checkHost verdicts by SNI. */
  hosts: Map<string, boolean>;
}

/**
 * Parsed certificates by their DER bytes (latin1). A capture sees the same few server certificates
 * on thousands of connections; parsing each time was most of the capture path's CPU. Bounded:
 * cleared when full (a capture with more distinct certificates just parses again).
 */
const CERT_CACHE = new Map<string, ParsedCert | null>();
const CERT_CACHE_MAX = 256;
const CERT_HOSTS_MAX = 64;

function parsedCertificate(der: Buffer): ParsedCert | null {
  const key = der.toString('latin1');
  const hit = CERT_CACHE.get(key);
  if (hit !== undefined) return hit;
  let c: ParsedCert | null;
  try {
    const x509 = new X509Certificate(der);
    c = {
      x509,
      subject: x509.subject.replace(/\n/g, ', '),
      issuer: x509.issuer.replace(/\n/g, ', '),
      san: x509.subjectAltName ? x509.subjectAltName.split(/,\s*/) : [],
      notBefore: Date.parse(x509.validFrom) * 1000,
      notAfter: Date.parse(x509.validTo) * 1000,
      hosts: new Map(),
    };
  } catch {
    c = null;
  }
  if (CERT_CACHE.size >= CERT_CACHE_MAX) CERT_CACHE.clear();
  CERT_CACHE.set(key, c);
  return c;
}

function certMatchesHost(c: ParsedCert, host: string): boolean {
  let m = c.hosts.get(host);
  if (m === undefined) {
    m = c.x509.checkHost(host) !== undefined;
    if (c.hosts.size >= CERT_HOSTS_MAX) c.hosts.clear();
    c.hosts.set(host, m);
  }
  return m;
}

function looksLikeText(b: Buffer): boolean {
  if (b.length === 0) return false;
  let n = 0;
  for (let i = 0; i < b.length; i++) if ((b[i] >= 0x20 && b[i] < 0x7f) || b[i] === 0x0d || b[i] === 0x0a || b[i] === 0x09) n++;
  return n / b.length >= PRINTABLE_RATIO;
}

class TlsDecoder implements StreamDecoder {
  private sides: Record<Role, Side> = { orig: newSide(), resp: newSide() };
  private clientRandom: Buffer | null = null;
  private sni: string | null = null;
  private offeredAlpn: string[] = [];
  private tls13 = false;
  private serverHello = false;
  /** Any ServerHello, HelloRetryRequest included. */
  private serverHelloAny = false;
  private alpn: string | null = null;
  private fatalAlert = false;
  private decryptor: RecordDecryptor | null = null;
  private inner: StreamDecoder | null = null;
  private innerFailed = false;
  private gaps = 0;

  constructor(private conn: StreamConn) {}

  data(role: Role, chunk: Buffer, meta: SegMeta): void {
    const side = this.sides[role];
    if (side.dead) return;
    if (side.resync) {
      const h = decodeRecordHeader(chunk, 0);
      if (!h.ok || h.value.type === CONTENT_TYPE.HEARTBEAT) return;
      side.resync = false;
    }
    if (side.skip > 0) {
      // The body of an application_data record nobody can read: pass over it without copying.
      const n = Math.min(side.skip, chunk.length);
      side.skip -= n;
      if (side.skip === 0) this.skipped(side);
      if (n === chunk.length) return;
      chunk = chunk.subarray(n);
    }
    if (side.q.length === 0 && this.serverHello && this.decryptor === null && !(role === 'orig' && side.records === 0)) {
      // Nothing queued: frame application_data records without keys in the chunk itself (the loop
      // below does the same through the queue, which copies every chunk first).
      let off = 0;
      while (chunk.length - off >= TLS_RECORD_HEADER && chunk[off] === CONTENT_TYPE.APPLICATION_DATA) {
        const len = recordLength(chunk, off);
        if (typeof len !== 'number') break; // the loop below reports it
        if (chunk.length - off < len) {
          side.skip = len - (chunk.length - off);
          return;
        }
        off += len;
        this.skipped(side);
      }
      if (off === chunk.length) return;
      if (off > 0) chunk = chunk.subarray(off);
    }
    // Records are framed in the segment itself; only bytes still queued at settle() are copied.
    side.q.lend(chunk);
    this.frame(role, side, meta);
    this.conn.settleLater(side.q);
  }

  /** Whole records off the side's queue. */
  private frame(role: Role, side: Side, meta: SegMeta): void {
    if (role === 'orig' && side.records === 0 && side.q.length >= 2 && side.q.peek(1)[0] & 0x80) {
      const total = 2 + (((side.q.peek(2)[0] & 0x7f) << 8) | side.q.peek(2)[1]);
      if (side.q.length < total) return;
      const v2 = decodeSslv2ClientHello(side.q.consume(total), 0);
      side.records++;
      if (v2.ok) this.sslv2Hello(v2.value, meta);
    }
    while (side.q.length >= TLS_RECORD_HEADER) {
      side.q.copyHead(RECORD_HEADER, TLS_RECORD_HEADER);
      const len = recordLength(RECORD_HEADER, 0);
      if (len === 'malformed' || len === 'truncated') {
        // RFC 8446 §5.1 framing lost: not TLS (any more) on this side.
        this.conn.anomaly(meta, 'tls_record_malformed', `${role === 'orig' ? 'client' : 'server'} sent bytes that are not a TLS record header after ${side.records} records`, { flow: this.conn.flowId, head: side.q.peek(Math.min(16, side.q.length)).toString('hex') });
        side.dead = true;
        side.q.clear();
        return;
      }
      if (this.serverHello && this.decryptor === null && RECORD_HEADER[0] === CONTENT_TYPE.APPLICATION_DATA) {
        // Encrypted application data without keys: only its framing matters (most of a capture's
        // bytes). Counted as a record once all of it has gone by, as a complete record would be.
        if (side.q.length >= len) {
          side.q.discard(len);
          this.skipped(side);
          continue;
        }
        side.skip = len - side.q.length;
        side.q.clear();
        break;
      }
      if (side.q.length < len) break;
      const rec = side.q.consume(len);
      side.records++;
      this.record(role, rec[0], rec.readUInt16BE(1), rec.subarray(TLS_RECORD_HEADER), meta);
    }
  }

  passOver(role: Role, len: number): boolean {
    const side = this.sides[role];
    if (side.dead) return true;
    if (side.resync || side.skip < len) return false;
    // Inside an application_data record nobody can read: what data() would do, without the bytes.
    side.skip -= len;
    if (side.skip === 0) this.skipped(side);
    return true;
  }

  /** An application_data record passed over whole (what record() does with one it cannot decrypt). */
  private skipped(side: Side): void {
    side.records++;
    side.appData++;
  }

  gap(role: Role, meta: SegMeta): void {
    // Record framing is lost. Senders usually start a segment at a record boundary, so wait
    // for a chunk that starts with a plausible record header (as tshark effectively does).
    const side = this.sides[role];
    side.q.clear();
    side.hs.clear();
    side.skip = 0;
    side.resync = true;
    this.gaps++;
    this.inner?.gap(role, meta);
  }

  end(meta: SegMeta | null): void {
    this.inner?.end(meta);
    if (!this.clientRandom || this.fatalAlert || meta === null || this.gaps > 0) return;
    // A capture that holds only the client's side (asymmetric routing, one-way span) proves nothing.
    if (this.conn.segments('resp') === 0) return;
    const o = this.sides.orig;
    const r = this.sides.resp;
    const done = this.serverHello && (o.ccs || o.appData > 0) && (r.ccs || r.appData > 0) && (!this.tls13 || (o.appData > 0 && r.appData > 0));
    if (done) return;
    const stage = !this.serverHello ? (r.records === 0 ? 'no_server_response' : 'no_server_hello') : 'no_finished';
    const cause: Cause = stage === 'no_server_response' ? 'unknown' : 'tls';
    this.conn.emit(meta, 'tls.handshake_incomplete', cause, { stage, sni: this.sni, alpn_offered: this.offeredAlpn },
      stage === 'no_server_response'
        ? `TLS ClientHello${this.sni ? ` for ${this.sni}` : ''} never answered by the server (no TLS record back)`
        : `TLS handshake${this.sni ? ` for ${this.sni}` : ''} never completed (${stage === 'no_server_hello' ? 'no ServerHello' : 'no Finished/ChangeCipherSpec both ways'})`);
  }

  mismatch(peer: string | null, head: Buffer, meta: SegMeta): void {
    // The server answered a ClientHello with something that is not TLS.
    if (peer === 'http1' || (peer === null && looksLikeText(head))) {
      const firstLine = head.toString('latin1').split(/\r?\n/, 1)[0].slice(0, 120);
      this.conn.emit(meta, 'tls.mismatch', 'tls', { tls_reason: 'tls_to_plaintext', reply: firstLine, sni: this.sni },
        `client sent a TLS ClientHello${this.sni ? ` (SNI ${this.sni})` : ''} but the server answered in plaintext: "${firstLine}"`);
    }
  }

  private record(role: Role, type: number, version: number, frag: Buffer, meta: SegMeta): void {
    const side = this.sides[role];
    if (this.decryptor) {
      // The decryptor wants every record after ServerHello in order (CCS and plaintext
      // handshake included: they mark epochs and carry the RSA premaster).
      const plain = this.decrypt(role, type, version, frag);
      if (type === CONTENT_TYPE.CHANGE_CIPHER_SPEC) side.ccs = true;
      if (type === CONTENT_TYPE.APPLICATION_DATA) side.appData++;
      if (plain) return this.plaintext(role, plain.contentType, plain.plaintext, meta);
      if (type === CONTENT_TYPE.APPLICATION_DATA || type === CONTENT_TYPE.CHANGE_CIPHER_SPEC) return;
      if (type === CONTENT_TYPE.HANDSHAKE && !(this.encryptedAfterCcs(side, frag))) return this.handshakeBytes(role, side.hs, frag, meta, false);
    }
    switch (type) {
      case CONTENT_TYPE.CHANGE_CIPHER_SPEC:
        side.ccs = true;
        return;
      case CONTENT_TYPE.ALERT: {
        // ≤1.2: after ChangeCipherSpec the alert is encrypted; a plaintext alert is 2 bytes.
        const encrypted = (this.encryptedAfterCcs(side)) || frag.length !== 2;
        if (encrypted) {
          this.conn.emit(meta, 'tls.encrypted_alert', null, { length: frag.length },
            `encrypted TLS alert from the ${role === 'orig' ? 'client' : 'server'} (often close_notify; keys needed to read it)`);
          return;
        }
        this.alerts(frag, meta, false);
        return;
      }
      case CONTENT_TYPE.HANDSHAKE:
        if (this.encryptedAfterCcs(side, frag)) return; // encrypted Finished
        this.handshakeBytes(role, side.hs, frag, meta, false);
        return;
      case CONTENT_TYPE.APPLICATION_DATA:
        side.appData++;
        return;
      default:
        return; // heartbeat (RFC 6520): nothing we report
    }
  }

  /**
   * ≤1.2: records after a side's ChangeCipherSpec are encrypted (RFC 5246 §7.1). A CCS before any
   * ServerHello is TLS 1.3 middlebox compatibility (RFC 8446 §D.4): the next ClientHello is plaintext.
   */
  private encryptedAfterCcs(side: Side, frag?: Buffer): boolean {
    if (!side.ccs || this.tls13) return false;
    if (this.serverHelloAny) return true;
    // No ServerHello seen (compat CCS, or the capture lost it): only a well-formed ClientHello is plaintext.
    return !(frag && frag.length >= 4 && frag[0] === HANDSHAKE_TYPE.CLIENT_HELLO && frag.readUIntBE(1, 3) <= 0xffff);
  }

  private decrypt(role: Role, type: number, version: number, frag: Buffer): { contentType: number; plaintext: Buffer } | null {
    if (!this.decryptor) return null;
    try {
      return this.decryptor.decrypt(role === 'orig', type, version, frag);
    } catch {
      return null; // a key-store bug must not stop the capture
    }
  }

  private plaintext(role: Role, contentType: number, plain: Buffer, meta: SegMeta): void {
    if (contentType === CONTENT_TYPE.ALERT) this.alerts(plain, meta, true);
    else if (contentType === CONTENT_TYPE.HANDSHAKE) this.handshakeBytes(role, (this.sides[role].hsDec ??= new ByteQueue()), plain, meta, true);
    else if (contentType === CONTENT_TYPE.APPLICATION_DATA) this.appData(role, plain, meta);
  }

  private alerts(frag: Buffer, meta: SegMeta, decrypted: boolean): void {
    for (let i = 0; i + 2 <= frag.length; i += 2) {
      const level = frag[i];
      const description = frag[i + 1];
      const name = alertName(description);
      if (level === 2) this.fatalAlert = true;
      const cause = alertCause(description);
      this.conn.emit(meta, 'tls.alert', cause, {
        level, level_name: ALERT_LEVELS[level] ?? `unknown_${level}`, description, description_name: name,
        sni: this.sni, ...(decrypted ? { decrypted: true } : {}),
      }, `TLS ${ALERT_LEVELS[level] ?? 'level ' + level} alert ${name} (${description})${this.sni ? ` on ${this.sni}` : ''}`);
    }
  }

  /** `frag` may be a view into the segment (side.q lends it): only a message still incomplete at settle() is copied. */
  private handshakeBytes(role: Role, q: ByteQueue, frag: Buffer, meta: SegMeta, decrypted: boolean): void {
    q.lend(frag);
    this.handshakeMessages(role, q, meta, decrypted);
    this.conn.settleLater(q);
  }

  private handshakeMessages(role: Role, q: ByteQueue, meta: SegMeta, decrypted: boolean): void {
    while (q.length >= HANDSHAKE_HEADER) {
      const h = q.peek(HANDSHAKE_HEADER);
      const total = HANDSHAKE_HEADER + h.readUIntBE(1, 3);
      if (total > LIMITS.MAX_REASSEMBLY_BYTES) {
        this.conn.anomaly(meta, 'tls_handshake_too_large', `TLS handshake message of ${total} bytes (type ${h[0]}) exceeds the reassembly limit; skipped`, { flow: this.conn.flowId });
        q.discard(total);
        continue;
      }
      if (q.length < total) break;
      const m = decodeHandshake(q.consume(total), 0);
      if (m.ok) this.handshake(role, m.value.type, m.value.body, meta, decrypted);
    }
  }

  private handshake(role: Role, type: number, body: Buffer, meta: SegMeta, decrypted: boolean): void {
    const dec = decrypted ? { decrypted: true } : {};
    if (type === HANDSHAKE_TYPE.CLIENT_HELLO && role === 'orig') {
      const ch = decodeClientHello(body);
      if (!ch.ok) {
        this.conn.anomaly(meta, 'tls_client_hello_malformed', 'ClientHello could not be decoded', { flow: this.conn.flowId });
        return;
      }
      const v = ch.value;
      this.clientRandom = v.random;
      this.sni = v.sni;
      this.offeredAlpn = v.alpn;
      this.conn.emit(meta, 'tls.client_hello', null, {
        sni: v.sni, alpn: v.alpn, alpn_hex: v.alpnHex,
        versions: (v.versions.length ? v.versions : [v.legacyVersion]).map(versionName),
        legacy_version: versionName(v.legacyVersion),
        cipher_suites_count: v.cipherSuites.length,
        client_random: v.random.toString('hex'),
      }, `TLS ClientHello${v.sni ? ` SNI ${v.sni}` : ' without SNI'}${v.alpn.length ? `, ALPN ${v.alpn.join(',')}` : ''}`);
    } else if (type === HANDSHAKE_TYPE.SERVER_HELLO && role === 'resp') {
      const sh = decodeServerHello(body);
      if (!sh.ok) {
        this.conn.anomaly(meta, 'tls_server_hello_malformed', 'ServerHello could not be decoded', { flow: this.conn.flowId });
        return;
      }
      const v = sh.value;
      this.serverHello = !v.helloRetry;
      this.serverHelloAny = true;
      this.tls13 = v.version === 0x0304 || (v.version & 0xff00) === 0x7f00;
      if (v.alpn !== null) this.alpn = v.alpn;
      this.conn.emit(meta, 'tls.server_hello', null, {
        version: versionName(v.version), version_code: v.version,
        cipher_suite: v.cipherSuite, cipher_suite_hex: '0x' + v.cipherSuite.toString(16).padStart(4, '0'),
        alpn: v.alpn, hello_retry: v.helloRetry, sni: this.sni,
      }, `TLS ServerHello ${versionName(v.version)}${v.helloRetry ? ' (HelloRetryRequest)' : ''}, cipher 0x${v.cipherSuite.toString(16).padStart(4, '0')}${v.alpn ? `, ALPN ${v.alpn}` : ''}`);
      if (!v.helloRetry && this.clientRandom && !this.decryptor) {
        try {
          this.decryptor = this.conn.keyStore.decryptorFor({
            clientRandom: this.clientRandom, serverRandom: v.random, cipherSuite: v.cipherSuite, version: v.version,
            encryptThenMac: v.extensions.includes(EXT_ENCRYPT_THEN_MAC),
            compressionMethod: serverHelloCompression(body, v.legacyVersion),
          });
        } catch {
          this.decryptor = null;
        }
      }
    } else if (type === HANDSHAKE_TYPE.ENCRYPTED_EXTENSIONS && role === 'resp') {
      const ee = decodeEncryptedExtensions(body);
      if (ee.ok && ee.value.alpn !== null) {
        this.alpn = ee.value.alpn;
        this.conn.emit(meta, 'tls.encrypted_extensions', null, { alpn: ee.value.alpn, sni: this.sni, ...dec }, `TLS 1.3 server selected ALPN ${ee.value.alpn}`);
      }
    } else if (type === HANDSHAKE_TYPE.CERTIFICATE && role === 'resp' && !this.tls13) {
      this.certificate(body, meta, dec);
    }
  }

  private sslv2Hello(v: Sslv2ClientHello, meta: SegMeta): void {
    this.clientRandom = v.random;
    this.conn.emit(meta, 'tls.client_hello', null, {
      sni: null, alpn: [], alpn_hex: [], versions: [versionName(v.version)], legacy_version: versionName(v.version),
      cipher_suites_count: v.cipherSpecs, client_random: v.random.toString('hex'), sslv2_format: true,
    }, `SSLv2-format ClientHello offering ${versionName(v.version)} (no extensions: no SNI, no ALPN)`);
  }

  private certificate(body: Buffer, meta: SegMeta, dec: Record<string, unknown>): void {
    const list = decodeCertificateList(body);
    if (!list.ok || list.value.length === 0) return;
    const c = parsedCertificate(list.value[0]);
    if (c === null) {
      this.conn.anomaly(meta, 'tls_certificate_unparsable', 'server certificate is not valid DER X.509', { flow: this.conn.flowId });
      return;
    }
    const { notBefore, notAfter, subject } = c;
    const expired = Number.isFinite(notAfter) && meta.ts_us > notAfter;
    const notYet = Number.isFinite(notBefore) && meta.ts_us < notBefore;
    const sniMatches = this.sni === null ? null : certMatchesHost(c, this.sni);
    const bad = expired || notYet || sniMatches === false;
    this.conn.emit(meta, 'tls.certificate', bad ? 'tls' : null, {
      subject, issuer: c.issuer, san: c.san.slice(),
      not_before: new Date(notBefore / 1000).toISOString(), not_after: new Date(notAfter / 1000).toISOString(),
      expired, not_yet_valid: notYet, sni: this.sni, sni_matches: sniMatches, chain_length: list.value.length,
      ...(bad ? { tls_reason: expired ? 'certificate_expired' : notYet ? 'certificate_not_yet_valid' : 'certificate_name_mismatch' } : {}),
      ...dec,
    }, `server certificate ${subject}${expired ? ' (EXPIRED at capture time)' : ''}${sniMatches === false ? ` does not match SNI ${this.sni}` : ''}`);
  }

  /** Decrypted application data: hand it to the protocol ALPN names, or the one its bytes show. */
  private appData(role: Role, plain: Buffer, meta: SegMeta): void {
    if (this.inner) return this.inner.data(role, plain, meta);
    if (this.innerFailed) return;
    let proto: StreamProtocol | null | 'more' = this.alpn ? protocolByAlpn(this.alpn) ?? null : null;
    const side = this.sides[role];
    const head = side.innerHead ? Buffer.concat([side.innerHead, plain]) : plain;
    if (!proto) proto = sniffProtocol(head, role);
    if (proto === 'more' && head.length < 64) {
      side.innerHead = Buffer.from(head);
      return;
    }
    if (proto === null || proto === 'more') {
      this.innerFailed = true;
      return;
    }
    this.inner = proto.open(this.conn.derive({ decrypted: true, alpn: this.alpn }), {});
    side.innerHead = null;
    const other: Role = role === 'orig' ? 'resp' : 'orig';
    const held = this.sides[other].innerHead;
    this.sides[other].innerHead = null;
    // Keep the client's bytes first: a response needs the request it answers.
    if (held && other === 'orig') this.inner.data(other, held, meta);
    this.inner.data(role, head, meta);
    if (held && other === 'resp') this.inner.data(other, held, meta);
  }
}

export const TLS_PROTOCOL: StreamProtocol = {
  name: 'tls',
  sniff: (head, role) => sniffTls(head, role),
  open: (conn) => new TlsDecoder(conn),
};

registerStreamProtocol(TLS_PROTOCOL);
