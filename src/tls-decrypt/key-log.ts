// NSS key log format (draft-ietf-tls-keylogfile; the SSLKEYLOGFILE files browsers, curl and
// OpenSSL write): "<label> <client_random hex> <secret hex>" per line, '#' comments.
// Bad lines are counted, never thrown on; only failing to read the file is an error.
import { readFileSync } from 'node:fs';
import { UserError } from '../errors.js';

export const KEY_LOG_LABELS = [
  'CLIENT_RANDOM', // TLS ≤ 1.2: 48-byte master secret
  'CLIENT_EARLY_TRAFFIC_SECRET', // TLS 1.3 (RFC 8446 §7.1 client_early_traffic_secret)
  'CLIENT_HANDSHAKE_TRAFFIC_SECRET',
  'SERVER_HANDSHAKE_TRAFFIC_SECRET',
  'CLIENT_TRAFFIC_SECRET_0',
  'SERVER_TRAFFIC_SECRET_0',
  'EARLY_EXPORTER_SECRET',
  'EXPORTER_SECRET',
] as const;
export type KeyLogLabel = (typeof KEY_LOG_LABELS)[number];

/** Secrets of one session, by label. */
export type SessionSecrets = Partial<Record<KeyLogLabel, Buffer>>;

export interface KeyLog {
  /** Keyed by the 32-byte client random as lowercase hex. */
  sessions: Map<string, SessionSecrets>;
  /** "RSA <first 8 bytes of EncryptedPreMasterSecret> <premaster>" lines, keyed by the 8 bytes in hex. */
  rsaPremasters: Map<string, Buffer>;
  lines: number;
  entries: number;
  comments: number;
  blank: number;
  /** Known label, malformed fields. */
  bad: number;
  /** Well-formed line with a label this module does not use (e.g. ECH_SECRET). */
  unknownLabel: number;
  /** 1-based numbers of the first bad lines (at most MAX_BAD_LINES_KEPT). */
  badLines: number[];
}

const MAX_BAD_LINES_KEPT = 20;
const CLIENT_RANDOM_LEN = 32;
const MASTER_SECRET_LEN = 48;
const RSA_PREFIX_LEN = 8;
/** TLS 1.3 secrets are Hash.length bytes: 32 (SHA-256), 48 (SHA-384), 64 (SHA-512, future). */
const TRAFFIC_SECRET_LENS = new Set([32, 48, 64]);
const KNOWN = new Set<string>(KEY_LOG_LABELS);
const HEX = /^[0-9a-fA-F]+$/;

function hexBytes(s: string, len?: number): Buffer | null {
  if (!HEX.test(s) || s.length % 2 !== 0) return null;
  if (len !== undefined && s.length !== len * 2) return null;
  return Buffer.from(s, 'hex');
}

export function emptyKeyLog(): KeyLog {
  return { sessions: new Map(), rsaPremasters: new Map(), lines: 0, entries: 0, comments: 0, blank: 0, bad: 0, unknownLabel: 0, badLines: [] };
}

/** Parse key log text; malformed lines are counted in `bad`. */
export function parseKeyLog(text: string, into: KeyLog = emptyKeyLog()): KeyLog {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const base = into.lines;
  lines.forEach((raw, i) => {
    into.lines++;
    const line = raw.trim();
    if (line === '') { into.blank++; return; }
    if (line.startsWith('#')) { into.comments++; return; }
    const bad = (): void => {
      into.bad++;
      if (into.badLines.length < MAX_BAD_LINES_KEPT) into.badLines.push(base + i + 1);
    };
    const fields = line.split(/\s+/);
    if (fields.length !== 3) return bad();
    const [label, id, secretHex] = fields;
    if (label === 'RSA') {
      const prefix = hexBytes(id, RSA_PREFIX_LEN);
      const premaster = hexBytes(secretHex, MASTER_SECRET_LEN);
      if (!prefix || !premaster) return bad();
      into.rsaPremasters.set(prefix.toString('hex'), premaster);
      into.entries++;
      return;
    }
    const random = hexBytes(id, CLIENT_RANDOM_LEN);
    const secret = hexBytes(secretHex);
    if (!KNOWN.has(label)) {
      if (random && secret) into.unknownLabel++;
      else bad();
      return;
    }
    if (!random || !secret) return bad();
    const ok = label === 'CLIENT_RANDOM' ? secret.length === MASTER_SECRET_LEN : TRAFFIC_SECRET_LENS.has(secret.length);
    if (!ok) return bad();
    const key = random.toString('hex');
    let session = into.sessions.get(key);
    if (!session) {
      session = {};
      into.sessions.set(key, session);
    }
    session[label as KeyLogLabel] = secret;
    into.entries++;
  });
  return into;
}

/** Read and parse a key log file. A missing or unreadable file is a usage error (UserError KEYLOG_READ). */
export function loadKeyLog(file: string): KeyLog {
  let text: string;
  try {
    text = readFileSync(file, 'latin1');
  } catch (err) {
    throw new UserError('KEYLOG_READ', `cannot read key log ${file}: ${(err as Error).message}`, { cause: err });
  }
  return parseKeyLog(text);
}
