// TLS decryption with NSS key logs (issue 8). The TLS decoder asks for a decryptor per connection
// after ServerHello; null means "no keys for this session" and records stay opaque.
//
// Contract for the caller (src/decode/tls*.ts):
// - Call `decryptorFor` once per connection, after ServerHello, with both randoms, the suite and
//   the negotiated version (0x0304 when supported_versions says TLS 1.3).
// - Feed `decrypt` every record that follows ServerHello, in stream order per direction. Records
//   that are not encrypted (TLS 1.3 ChangeCipherSpec, TLS ≤ 1.2 handshake before
//   ChangeCipherSpec) return null, but the decryptor uses them: the ChangeCipherSpec record marks
//   where a TLS ≤ 1.2 direction starts encrypting (sequence number 0, RFC 5246 §6.1) and the
//   client's ClientKeyExchange carries the RSA-encrypted premaster. Skipping them still works in
//   most cases (the decryptor then tries decryption and falls back), but pass them when you can.
// - TLS 1.3 key changes are followed internally by reading the decrypted handshake messages: a
//   direction switches from handshake to application traffic keys after the record holding its
//   Finished (RFC 8446 §4.4.4), from early to handshake keys after EndOfEarlyData, and to the
//   next application generation after a KeyUpdate (RFC 8446 §4.6.3, §7.2).
// - A record that does not authenticate returns null; the decryptor stays usable and tries the
//   next few sequence numbers and the next key epoch (records lost to capture gaps).
// - TLS ≤ 1.2 DEFLATE sessions (RFC 3749) are inflated when `compressionMethod` is passed; without
//   it the plaintext of such a session is still compressed.
// - Work is lazy: keys are derived at the first decrypt call, and each record is decrypted only
//   when asked.

export interface SessionParams {
  /** 32-byte client random from ClientHello. */
  clientRandom: Buffer;
  /** 32-byte server random from ServerHello. */
  serverRandom: Buffer;
  /** Negotiated cipher suite (ServerHello). */
  cipherSuite: number;
  /** Negotiated version: 0x0304 for TLS 1.3 (supported_versions), else ServerHello.version. */
  version: number;
  /** TLS ≤ 1.2: ServerHello echoed encrypt_then_mac (RFC 7366). Unknown → both layouts are tried. */
  encryptThenMac?: boolean;
  /** TLS ≤ 1.2: ServerHello compression_method. Absent or 0: none; 1: DEFLATE (RFC 3749), inflated; other: no decryptor. */
  compressionMethod?: number;
}

export interface DecryptedRecord {
  /** Inner content type (TLS 1.3 TLSInnerPlaintext.type; TLS ≤ 1.2 the record's own type). */
  contentType: number;
  plaintext: Buffer;
}

export interface DecryptorStats {
  /** Records opened. */
  decrypted: number;
  /** Encrypted records that did not authenticate with any candidate key/sequence number. */
  failed: number;
  /** Records that opened only after skipping sequence numbers or moving to another key epoch. */
  resynced: number;
}

export interface RecordDecryptor {
  /**
   * Decrypt one TLS record (header fields + ciphertext fragment) sent by `fromClient`'s side.
   * Returns the inner content type and plaintext, or null when it cannot (wrong keys, not encrypted yet).
   */
  decrypt(fromClient: boolean, contentType: number, version: number, fragment: Buffer): DecryptedRecord | null;
  /** Running counters for anomaly reporting (optional so that test doubles need not provide it). */
  readonly stats?: DecryptorStats;
}

/** What this module's decryptors are: counters always present. */
export interface MeteredDecryptor extends RecordDecryptor {
  readonly stats: DecryptorStats;
}

export interface KeyStore {
  decryptorFor(params: SessionParams): RecordDecryptor | null;
}

/** No keys loaded. */
export const NO_KEYS: KeyStore = { decryptorFor: () => null };

export { parseKeyLog, loadKeyLog, KEY_LOG_LABELS } from './key-log.js';
export type { KeyLog, SessionSecrets, KeyLogLabel } from './key-log.js';
export { createKeyStore, TLS_KEY_LOG_SECRETS_TYPE } from './key-store.js';
export type { MutableKeyStore, KeyStoreStats } from './key-store.js';
export { cipherSuiteInfo, supportedCipherSuites } from './cipher-suites.js';
export type { CipherSuiteInfo } from './cipher-suites.js';
export { hkdfExtract, hkdfExpand, hkdfExpandLabel } from './hkdf.js';
export { prf12, prf10 } from './prf.js';
export { COMPRESSION_DEFLATE } from './deflate.js';
export { deriveTrafficKeys } from './tls13-decryptor.js';
export { deriveKeyBlock } from './tls12-decryptor.js';
export { loadKeyFile, loadKeyFiles, inputKeys } from './key-files.js';
export type { LoadedKeyFile, LoadedKeys, KeyFileKind, InputKeys, InputKeyStats } from './key-files.js';
