// TLS 1.3 record protection (RFC 8446 §5.2–§5.4) and traffic key calculation (§7.3), driven by
// the traffic secrets from an NSS key log.
import type { DecryptedRecord, DecryptorStats, MeteredDecryptor } from './index.js';
import type { CipherSuiteInfo } from './cipher-suites.js';
import { HASH_LEN, hkdfExpandLabel } from './hkdf.js';
import { aeadOpen, xorNonce, AEAD_TAG_LEN } from './record-crypto.js';
import { createHandshakeScanner, HANDSHAKE_TYPE } from './handshake-scan.js';
import type { HandshakeScanner } from './handshake-scan.js';
import { MAX_CONSECUTIVE_FAILURES, RESYNC_RECORDS } from './resync.js';

/** RFC 8446 §5.1: every protected record travels as opaque_type application_data. */
const CONTENT_APPLICATION_DATA = 23;
const CONTENT_HANDSHAKE = 22;

export interface Tls13Secrets {
  clientEarly?: Buffer;
  clientHandshake?: Buffer;
  serverHandshake?: Buffer;
  clientApplication?: Buffer;
  serverApplication?: Buffer;
}

export interface TrafficKeys {
  key: Buffer;
  iv: Buffer;
}

/** RFC 8446 §7.3: key = HKDF-Expand-Label(Secret, "key", "", key_length); iv likewise with "iv". */
export function deriveTrafficKeys(suite: CipherSuiteInfo, secret: Buffer): TrafficKeys | null {
  const key = hkdfExpandLabel(suite.prfHash, secret, 'key', Buffer.alloc(0), suite.keyLen);
  const iv = hkdfExpandLabel(suite.prfHash, secret, 'iv', Buffer.alloc(0), suite.ivLen);
  return key && iv ? { key, iv } : null;
}

const EPOCH = { EARLY: 'early', HANDSHAKE: 'handshake', APPLICATION: 'application' } as const;
type EpochKind = (typeof EPOCH)[keyof typeof EPOCH];

interface Epoch {
  kind: EpochKind;
  secret: Buffer;
  /** Derived on first use. */
  keys: TrafficKeys | null;
}

interface Direction {
  epochs: Epoch[];
  at: number;
  seq: number;
  failures: number;
  scanner: HandshakeScanner;
}

export function createTls13Decryptor(suite: CipherSuiteInfo, secrets: Tls13Secrets): MeteredDecryptor {
  const epoch = (kind: EpochKind, secret: Buffer | undefined): Epoch[] => (secret ? [{ kind, secret, keys: null }] : []);
  const direction = (epochs: Epoch[]): Direction => ({ epochs, at: 0, seq: 0, failures: 0, scanner: createHandshakeScanner() });
  const client = direction([
    ...epoch(EPOCH.EARLY, secrets.clientEarly),
    ...epoch(EPOCH.HANDSHAKE, secrets.clientHandshake),
    ...epoch(EPOCH.APPLICATION, secrets.clientApplication),
  ]);
  const server = direction([
    ...epoch(EPOCH.HANDSHAKE, secrets.serverHandshake),
    ...epoch(EPOCH.APPLICATION, secrets.serverApplication),
  ]);
  const stats: DecryptorStats = { decrypted: 0, failed: 0, resynced: 0 };

  function keysOf(e: Epoch): TrafficKeys | null {
    if (!e.keys) e.keys = deriveTrafficKeys(suite, e.secret);
    return e.keys;
  }

  /** The epoch after `index`: the next listed one, or for application traffic the next generation (§7.2). */
  function epochAfter(d: Direction, index: number): Epoch | null {
    if (index + 1 < d.epochs.length) return d.epochs[index + 1];
    const last = d.epochs[index];
    if (!last || last.kind !== EPOCH.APPLICATION) return null;
    const next = hkdfExpandLabel(suite.prfHash, last.secret, 'traffic upd', Buffer.alloc(0), HASH_LEN[suite.prfHash]);
    if (!next) return null;
    d.epochs.push({ kind: EPOCH.APPLICATION, secret: next, keys: null });
    return d.epochs[index + 1];
  }

  function open(e: Epoch, seq: number, aad: Buffer, fragment: Buffer): Buffer | null {
    const keys = keysOf(e);
    return keys ? aeadOpen(suite.cipher, keys.key, xorNonce(keys.iv, seq), aad, fragment) : null;
  }

  function switchTo(d: Direction, index: number): void {
    d.at = index;
    d.seq = 0;
    d.scanner = createHandshakeScanner();
  }

  /** Follow the key changes announced by handshake messages in this record (RFC 8446 §4.4.4, §4.5, §4.6.3). */
  function afterHandshake(d: Direction, plaintext: Buffer): void {
    const kind = d.epochs[d.at]?.kind;
    for (const msg of d.scanner.push(plaintext)) {
      const ends =
        (kind === EPOCH.HANDSHAKE && msg.type === HANDSHAKE_TYPE.FINISHED) ||
        (kind === EPOCH.EARLY && msg.type === HANDSHAKE_TYPE.END_OF_EARLY_DATA) ||
        (kind === EPOCH.APPLICATION && msg.type === HANDSHAKE_TYPE.KEY_UPDATE);
      if (ends && epochAfter(d, d.at)) {
        switchTo(d, d.at + 1);
        return; // §5.1: handshake messages must not span a key change
      }
    }
  }

  return {
    stats,
    decrypt(fromClient, contentType, version, fragment): DecryptedRecord | null {
      if (contentType !== CONTENT_APPLICATION_DATA || fragment.length < AEAD_TAG_LEN + 1) return null;
      const d = fromClient ? client : server;
      if (d.epochs.length === 0 || d.failures >= MAX_CONSECUTIVE_FAILURES) return null;
      // §5.2: additional_data = opaque_type || legacy_record_version || length
      const aad = Buffer.of(contentType, version >> 8, version & 0xff, fragment.length >> 8, fragment.length & 0xff);

      let opened = open(d.epochs[d.at], d.seq, aad, fragment);
      let at = d.at;
      let seq = d.seq;
      for (let skip = 1; !opened && skip <= RESYNC_RECORDS; skip++) {
        seq = d.seq + skip;
        opened = open(d.epochs[d.at], seq, aad, fragment);
      }
      const next = opened ? null : epochAfter(d, d.at);
      for (let s = 0; !opened && next && s <= RESYNC_RECORDS; s++) {
        at = d.at + 1;
        seq = s;
        opened = open(next, s, aad, fragment);
      }
      if (!opened) {
        d.failures++;
        stats.failed++;
        return null;
      }
      if (at !== d.at || seq !== d.seq) stats.resynced++;
      if (at !== d.at) switchTo(d, at);
      d.seq = seq + 1;
      d.failures = 0;

      // §5.4: strip zero padding; the last non-zero byte is the real content type
      let end = opened.length - 1;
      while (end >= 0 && opened[end] === 0) end--;
      if (end < 0) {
        stats.failed++;
        return null;
      }
      stats.decrypted++;
      const inner = { contentType: opened[end], plaintext: opened.subarray(0, end) };
      if (inner.contentType === CONTENT_HANDSHAKE) afterHandshake(d, inner.plaintext);
      return inner;
    },
  };
}
