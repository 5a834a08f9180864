// TLS wire decoders (RFC 5246, RFC 8446): records, handshake messages, hellos, certificates, alerts.
// Pure functions over a buffer; they never throw on data (STYLE.md §1).
import type { Decoded } from '../capture/types.js';

export const TLS_RECORD_HEADER = 5;
/** RFC 5246 §6.2.3: TLSCiphertext.length MUST NOT exceed 2^14 + 2048. */
export const TLS_MAX_RECORD = 16384 + 2048;
export const HANDSHAKE_HEADER = 4;

export const CONTENT_TYPE = {
  CHANGE_CIPHER_SPEC: 20,
  ALERT: 21,
  HANDSHAKE: 22,
  APPLICATION_DATA: 23,
  HEARTBEAT: 24,
} as const;

export const HANDSHAKE_TYPE = {
  HELLO_REQUEST: 0,
  CLIENT_HELLO: 1,
  SERVER_HELLO: 2,
  NEW_SESSION_TICKET: 4,
  ENCRYPTED_EXTENSIONS: 8,
  CERTIFICATE: 11,
  SERVER_KEY_EXCHANGE: 12,
  CERTIFICATE_REQUEST: 13,
  SERVER_HELLO_DONE: 14,
  CERTIFICATE_VERIFY: 15,
  CLIENT_KEY_EXCHANGE: 16,
  FINISHED: 20,
} as const;

export const EXT = {
  SERVER_NAME: 0,
  ALPN: 16,
  SUPPORTED_VERSIONS: 43,
} as const;

/** RFC 8446 §4.1.3: a ServerHello with this random is a HelloRetryRequest. */
export const HRR_RANDOM = Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex');

/**
 * Alert descriptions: RFC 8446 §6, RFC 5246 §7.2 (the ones 1.3 removed), RFC 7507 §2
 * (inappropriate_fallback), RFC 6066 §3 / RFC 4366 (extension alerts), RFC 7301 §3.2
 * (no_application_protocol), draft-ietf-tls-esni (ech_required).
 */
export const ALERT_DESCRIPTIONS: Readonly<Record<number, string>> = {
  0: 'close_notify',
  10: 'unexpected_message',
  20: 'bad_record_mac',
  21: 'decryption_failed',
  22: 'record_overflow',
  30: 'decompression_failure',
  40: 'handshake_failure',
  41: 'no_certificate',
  42: 'bad_certificate',
  43: 'unsupported_certificate',
  44: 'certificate_revoked',
  45: 'certificate_expired',
  46: 'certificate_unknown',
  47: 'illegal_parameter',
  48: 'unknown_ca',
  49: 'access_denied',
  50: 'decode_error',
  51: 'decrypt_error',
  60: 'export_restriction',
  70: 'protocol_version',
  71: 'insufficient_security',
  80: 'internal_error',
  86: 'inappropriate_fallback',
  90: 'user_canceled',
  100: 'no_renegotiation',
  109: 'missing_extension',
  110: 'unsupported_extension',
  111: 'certificate_unobtainable',
  112: 'unrecognized_name',
  113: 'bad_certificate_status_response',
  114: 'bad_certificate_hash_value',
  115: 'unknown_psk_identity',
  116: 'certificate_required',
  120: 'no_application_protocol',
  121: 'ech_required',
};

export const ALERT_LEVELS: Readonly<Record<number, string>> = { 1: 'warning', 2: 'fatal' };

export function alertName(desc: number): string {
  return ALERT_DESCRIPTIONS[desc] ?? `unknown_${desc}`;
}

/** "TLS 1.2", "TLS 1.3 (draft 18)", "SSL 3.0", or the hex code. */
export function versionName(v: number): string {
  switch (v) {
    case 0x0300: return 'SSL 3.0';
    case 0x0301: return 'TLS 1.0';
    case 0x0302: return 'TLS 1.1';
    case 0x0303: return 'TLS 1.2';
    case 0x0304: return 'TLS 1.3';
  }
  if ((v & 0xff00) === 0x7f00) return `TLS 1.3 (draft ${v & 0xff})`;
  return '0x' + v.toString(16).padStart(4, '0');
}

/** RFC 8701: GREASE values look like 0x?a?a. */
export function isGrease(v: number): boolean {
  return (v & 0x0f0f) === 0x0a0a && (v >> 8) === (v & 0xff);
}

export interface TlsRecordHeader {
  type: number;
  version: number;
  length: number;
}

/** RFC 5246 §6.2.1 / RFC 8446 §5.1: type(1) legacy_version(2) length(2). */
export function decodeRecordHeader(buf: Buffer, offset: number): Decoded<TlsRecordHeader> {
  if (buf.length - offset < TLS_RECORD_HEADER) return { ok: false, why: 'truncated', at: offset };
  const type = buf[offset];
  const major = buf[offset + 1];
  const length = buf.readUInt16BE(offset + 3);
  if (type < 20 || type > 24 || major !== 3 || buf[offset + 2] > 4 || length > TLS_MAX_RECORD) {
    return { ok: false, why: 'malformed', at: offset };
  }
  return { ok: true, value: { type, version: buf.readUInt16BE(offset + 1), length }, next: offset + TLS_RECORD_HEADER };
}

/** Stream length function: bytes in the record starting at `offset`, or why it cannot tell. */
export function recordLength(buf: Buffer, offset: number): number | 'truncated' | 'malformed' {
  // decodeRecordHeader's checks, without its result objects (called once per record).
  if (buf.length - offset < TLS_RECORD_HEADER) return 'truncated';
  const type = buf[offset];
  const length = (buf[offset + 3] << 8) | buf[offset + 4];
  if (type < 20 || type > 24 || buf[offset + 1] !== 3 || buf[offset + 2] > 4 || length > TLS_MAX_RECORD) return 'malformed';
  return TLS_RECORD_HEADER + length;
}

export interface TlsRecord extends TlsRecordHeader {
  fragment: Buffer;
}

export function decodeRecord(buf: Buffer, offset: number): Decoded<TlsRecord> {
  const h = decodeRecordHeader(buf, offset);
  if (!h.ok) return h;
  const end = h.next + h.value.length;
  if (buf.length < end) return { ok: false, why: 'truncated', at: offset };
  return { ok: true, value: { ...h.value, fragment: buf.subarray(h.next, end) }, next: end };
}

export interface TlsAlert {
  level: number;
  description: number;
}

/** RFC 8446 §6: level(1) description(1). */
export function decodeAlert(buf: Buffer, offset: number): Decoded<TlsAlert> {
  if (buf.length - offset < 2) return { ok: false, why: 'truncated', at: offset };
  return { ok: true, value: { level: buf[offset], description: buf[offset + 1] }, next: offset + 2 };
}

export interface HandshakeMessage {
  type: number;
  body: Buffer;
}

/** RFC 8446 §4: msg_type(1) length(3) body. */
export function decodeHandshake(buf: Buffer, offset: number): Decoded<HandshakeMessage> {
  if (buf.length - offset < HANDSHAKE_HEADER) return { ok: false, why: 'truncated', at: offset };
  const len = buf.readUIntBE(offset + 1, 3);
  const end = offset + HANDSHAKE_HEADER + len;
  if (buf.length < end) return { ok: false, why: 'truncated', at: offset };
  return { ok: true, value: { type: buf[offset], body: buf.subarray(offset + HANDSHAKE_HEADER, end) }, next: end };
}

export interface ClientHello {
  legacyVersion: number;
  random: Buffer;
  /** supported_versions (RFC 8446 §4.2.1), GREASE removed; empty when absent. */
  versions: number[];
  cipherSuites: number[];
  sni: string | null;
  /** ALPN ids (RFC 7301 §3.1) as strings; ids that are not printable ASCII are "0x" + hex. */
  alpn: string[];
  /** The same ids as hex, byte for byte. */
  alpnHex: string[];
  extensions: number[];
}

export interface ServerHello {
  legacyVersion: number;
  /** supported_versions when present (TLS 1.3), else legacy_version. */
  version: number;
  random: Buffer;
  cipherSuite: number;
  alpn: string | null;
  helloRetry: boolean;
  extensions: number[];
}

/** A bounds-checked reader over one handshake body; `bad` latches on the first overrun. */
class Reader {
  bad = false;
  constructor(private b: Buffer, public pos = 0, private end = b.length) {}
  left(): number {
    return this.end - this.pos;
  }
  u8(): number {
    if (this.left() < 1) { this.bad = true; return 0; }
    return this.b[this.pos++];
  }
  u16(): number {
    if (this.left() < 2) { this.bad = true; this.pos = this.end; return 0; }
    const v = this.b.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  u24(): number {
    if (this.left() < 3) { this.bad = true; this.pos = this.end; return 0; }
    const v = this.b.readUIntBE(this.pos, 3);
    this.pos += 3;
    return v;
  }
  bytes(n: number): Buffer {
    if (this.left() < n) { this.bad = true; const r = this.b.subarray(this.pos, this.end); this.pos = this.end; return r; }
    const r = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return r;
  }
  sub(n: number): Reader {
    const r = new Reader(this.b, this.pos, Math.min(this.end, this.pos + n));
    if (this.left() < n) this.bad = true;
    this.pos = Math.min(this.end, this.pos + n);
    return r;
  }
}

function alpnId(b: Buffer): string {
  for (let i = 0; i < b.length; i++) if (b[i] < 0x20 || b[i] > 0x7e) return '0x' + b.toString('hex');
  return b.toString('latin1');
}

/** RFC 7301 §3.1: ProtocolNameList = u16 length, then u8-prefixed names. */
function readAlpnList(r: Reader): { ids: string[]; hex: string[] } {
  const list = r.sub(r.u16());
  const ids: string[] = [];
  const hex: string[] = [];
  while (list.left() > 0 && !list.bad) {
    const name = list.bytes(list.u8());
    if (list.bad) break;
    ids.push(alpnId(name));
    hex.push(name.toString('hex'));
  }
  return { ids, hex };
}

function readExtensions(r: Reader, each: (type: number, data: Reader) => void): number[] {
  const types: number[] = [];
  if (r.left() < 2) return types; // RFC 5246 §7.4.1.2: extensions may be absent
  const all = r.sub(r.u16());
  while (all.left() >= 4) {
    const type = all.u16();
    const data = all.sub(all.u16());
    types.push(type);
    each(type, data);
  }
  if (all.bad) r.bad = true;
  return types;
}

/** RFC 8446 §4.1.2 (and RFC 5246 §7.4.1.2): the ClientHello body, after the handshake header. */
export function decodeClientHello(body: Buffer, offset = 0): Decoded<ClientHello> {
  const r = new Reader(body, offset);
  const legacyVersion = r.u16();
  const random = r.bytes(32);
  r.bytes(r.u8()); // legacy_session_id
  const cs = r.sub(r.u16());
  const cipherSuites: number[] = [];
  while (cs.left() >= 2) cipherSuites.push(cs.u16());
  r.bytes(r.u8()); // legacy_compression_methods
  if (r.bad) return { ok: false, why: body.length - offset < 38 ? 'truncated' : 'malformed', at: offset };
  let sni: string | null = null;
  let alpn: string[] = [];
  let alpnHex: string[] = [];
  const versions: number[] = [];
  const extensions = readExtensions(r, (type, d) => {
    if (type === EXT.SERVER_NAME) {
      // RFC 6066 §3: ServerNameList of (name_type, HostName)
      const list = d.sub(d.u16());
      while (list.left() >= 3 && sni === null) {
        const nameType = list.u8();
        const name = list.bytes(list.u16());
        if (nameType === 0 && !list.bad) sni = name.toString('latin1');
      }
    } else if (type === EXT.ALPN) {
      const a = readAlpnList(d);
      alpn = a.ids;
      alpnHex = a.hex;
    } else if (type === EXT.SUPPORTED_VERSIONS) {
      const list = d.sub(d.u8());
      while (list.left() >= 2) {
        const v = list.u16();
        if (!isGrease(v)) versions.push(v);
      }
    }
  });
  if (r.bad) return { ok: false, why: 'malformed', at: offset };
  return {
    ok: true,
    value: { legacyVersion, random: Buffer.from(random), versions, cipherSuites, sni, alpn, alpnHex, extensions },
    next: body.length,
  };
}

/** RFC 8446 §4.1.3 (and RFC 5246 §7.4.1.3): the ServerHello body. */
export function decodeServerHello(body: Buffer, offset = 0): Decoded<ServerHello> {
  const r = new Reader(body, offset);
  const legacyVersion = r.u16();
  const random = r.bytes(32);
  // TLS 1.3 drafts before -22 had no session id here; recognise them by version 0x7fxx.
  if ((legacyVersion & 0xff00) !== 0x7f00) r.bytes(r.u8());
  const cipherSuite = r.u16();
  if ((legacyVersion & 0xff00) !== 0x7f00) r.u8(); // legacy_compression_method
  if (r.bad) return { ok: false, why: 'malformed', at: offset };
  let version = legacyVersion;
  let alpn: string | null = null;
  const extensions = readExtensions(r, (type, d) => {
    if (type === EXT.SUPPORTED_VERSIONS && d.left() >= 2) version = d.u16();
    else if (type === EXT.ALPN) alpn = readAlpnList(d).ids[0] ?? null;
  });
  if (r.bad) return { ok: false, why: 'malformed', at: offset };
  return {
    ok: true,
    value: { legacyVersion, version, random: Buffer.from(random), cipherSuite, alpn, helloRetry: random.equals(HRR_RANDOM), extensions },
    next: body.length,
  };
}

/** RFC 8446 §4.3.1: EncryptedExtensions (the TLS 1.3 server's ALPN lives here). */
export function decodeEncryptedExtensions(body: Buffer, offset = 0): Decoded<{ alpn: string | null }> {
  const r = new Reader(body, offset);
  let alpn: string | null = null;
  readExtensions(r, (type, d) => {
    if (type === EXT.ALPN) alpn = readAlpnList(d).ids[0] ?? null;
  });
  if (r.bad) return { ok: false, why: 'malformed', at: offset };
  return { ok: true, value: { alpn }, next: body.length };
}

/** RFC 5246 §7.4.2: certificate_list<0..2^24-1> of ASN.1Cert<1..2^24-1> (TLS ≤ 1.2 layout). */
export function decodeCertificateList(body: Buffer, offset = 0): Decoded<Buffer[]> {
  const r = new Reader(body, offset);
  const list = r.sub(r.u24());
  const certs: Buffer[] = [];
  while (list.left() >= 3) {
    const der = list.bytes(list.u24());
    if (list.bad) break;
    certs.push(der);
  }
  if (r.bad || list.bad) return { ok: false, why: 'malformed', at: offset };
  return { ok: true, value: certs, next: body.length };
}

export interface Sslv2ClientHello {
  version: number;
  cipherSpecs: number;
  /** The challenge, right-aligned in 32 bytes: the client random (RFC 5246 Appendix E.2). */
  random: Buffer;
  length: number;
}

/**
 * RFC 5246 Appendix E.2 (and RFC 6101 Appendix E): a version 2 CLIENT-HELLO that old clients send
 * to offer TLS — 2-byte header with the high bit set, msg_type 1, version, three lengths.
 */
export function decodeSslv2ClientHello(buf: Buffer, offset: number): Decoded<Sslv2ClientHello> {
  if (buf.length - offset < 11) return { ok: false, why: 'truncated', at: offset };
  if (!(buf[offset] & 0x80) || buf[offset + 2] !== 1) return { ok: false, why: 'malformed', at: offset };
  const length = ((buf[offset] & 0x7f) << 8) | buf[offset + 1];
  const end = offset + 2 + length;
  const specLen = buf.readUInt16BE(offset + 5);
  const sidLen = buf.readUInt16BE(offset + 7);
  const chLen = buf.readUInt16BE(offset + 9);
  if (11 - 2 + specLen + sidLen + chLen > length || specLen % 3 !== 0 || chLen < 16 || chLen > 32) return { ok: false, why: 'malformed', at: offset };
  if (buf.length < end) return { ok: false, why: 'truncated', at: offset };
  const chStart = offset + 11 + specLen + sidLen;
  const random = Buffer.alloc(32);
  buf.copy(random, 32 - chLen, chStart, chStart + chLen);
  return { ok: true, value: { version: buf.readUInt16BE(offset + 3), cipherSpecs: specLen / 3, random, length: 2 + length }, next: end };
}
