// The KeyStore the TLS decoder asks for decryptors: key log entries (files, or pcapng Decryption
// Secrets Blocks) and RSA private keys, looked up by client random when a session starts.
import type { KeyObject } from 'node:crypto';
import type { KeyStore, MeteredDecryptor, SessionParams } from './index.js';
import { emptyKeyLog, parseKeyLog } from './key-log.js';
import type { KeyLog } from './key-log.js';
import { cipherSuiteInfo } from './cipher-suites.js';
import { createTls13Decryptor } from './tls13-decryptor.js';
import { createTls12Decryptor } from './tls12-decryptor.js';
import { COMPRESSION_DEFLATE } from './deflate.js';
import { decryptRsaPremaster, parseRsaPrivateKey } from './rsa-premaster.js';

/** pcapng DSB Secrets Type for an NSS key log ("TLSK"), pcapng spec §4.7. */
export const TLS_KEY_LOG_SECRETS_TYPE = 0x544c534b;

const RANDOM_LEN = 32;
const TLS_1_0 = 0x0301;
const TLS_1_2 = 0x0303;
const TLS_1_3 = 0x0304;

export interface KeyStoreStats {
  /** decryptorFor calls answered with a decryptor. */
  decryptors: number;
  /** decryptorFor calls for sessions the keys do not cover. */
  noKeys: number;
  /** Keys present but the version or cipher suite is not supported (e.g. SSL 3.0, RC4). */
  unsupported: number;
}

export interface MutableKeyStore extends KeyStore {
  /** Merged view of every key log added so far (counts add up). */
  readonly keyLog: KeyLog;
  readonly stats: KeyStoreStats;
  decryptorFor(params: SessionParams): MeteredDecryptor | null;
  addKeyLog(log: KeyLog): void;
  /** Parse and add key log text (a file's contents, a DSB's payload); returns this text's counts. */
  addKeyLogText(text: string): KeyLog;
  /** pcapng Decryption Secrets Block; false for secret types other than TLS key logs. */
  addDecryptionSecrets(secretsType: number, data: Buffer): boolean;
  /** PEM RSA private key for static-RSA sessions; false when it is not one. */
  addRsaPrivateKey(pem: string | Buffer): boolean;
}

export function createKeyStore(): MutableKeyStore {
  const keyLog = emptyKeyLog();
  const rsaKeys: KeyObject[] = [];
  const stats: KeyStoreStats = { decryptors: 0, noKeys: 0, unsupported: 0 };

  function addKeyLog(log: KeyLog): void {
    for (const [random, secrets] of log.sessions) keyLog.sessions.set(random, { ...keyLog.sessions.get(random), ...secrets });
    for (const [prefix, premaster] of log.rsaPremasters) keyLog.rsaPremasters.set(prefix, premaster);
    keyLog.lines += log.lines;
    keyLog.entries += log.entries;
    keyLog.comments += log.comments;
    keyLog.blank += log.blank;
    keyLog.bad += log.bad;
    keyLog.unknownLabel += log.unknownLabel;
  }

  function decryptPremaster(encrypted: Buffer): Buffer | null {
    // NSS "RSA" lines name the premaster by the first 8 bytes of its encryption.
    const logged = keyLog.rsaPremasters.get(encrypted.subarray(0, 8).toString('hex'));
    if (logged) return logged;
    for (const key of rsaKeys) {
      const premaster = decryptRsaPremaster(key, encrypted);
      if (premaster) return premaster;
    }
    return null;
  }

  function decryptorFor(params: SessionParams): MeteredDecryptor | null {
    const { clientRandom, serverRandom, cipherSuite, version } = params;
    if (clientRandom.length !== RANDOM_LEN || serverRandom.length !== RANDOM_LEN) return null;
    const secrets = keyLog.sessions.get(clientRandom.toString('hex'));
    const suite = cipherSuiteInfo(cipherSuite, version);

    if (version === TLS_1_3) {
      const s = secrets ?? {};
      const any = s.CLIENT_HANDSHAKE_TRAFFIC_SECRET || s.SERVER_HANDSHAKE_TRAFFIC_SECRET || s.CLIENT_TRAFFIC_SECRET_0 || s.SERVER_TRAFFIC_SECRET_0;
      if (!any) { stats.noKeys++; return null; }
      if (!suite) { stats.unsupported++; return null; }
      stats.decryptors++;
      return createTls13Decryptor(suite, {
        clientEarly: s.CLIENT_EARLY_TRAFFIC_SECRET,
        clientHandshake: s.CLIENT_HANDSHAKE_TRAFFIC_SECRET,
        serverHandshake: s.SERVER_HANDSHAKE_TRAFFIC_SECRET,
        clientApplication: s.CLIENT_TRAFFIC_SECRET_0,
        serverApplication: s.SERVER_TRAFFIC_SECRET_0,
      });
    }

    const master = secrets?.CLIENT_RANDOM ?? null;
    const rsaPossible = (rsaKeys.length > 0 || keyLog.rsaPremasters.size > 0) && (suite?.rsaKeyExchange ?? true);
    if (!master && !rsaPossible) { stats.noKeys++; return null; }
    // SSL 3.0 (RFC 6101) has its own key derivation and MAC: not supported.
    const compression = params.compressionMethod ?? 0;
    if (!suite || version < TLS_1_0 || version > TLS_1_2 || (compression !== 0 && compression !== COMPRESSION_DEFLATE)) {
      stats.unsupported++;
      return null;
    }
    stats.decryptors++;
    return createTls12Decryptor({
      suite,
      version,
      clientRandom,
      serverRandom,
      masterSecret: master,
      decryptPremaster: master ? undefined : decryptPremaster,
      encryptThenMac: params.encryptThenMac,
      compressionMethod: params.compressionMethod,
    });
  }

  return {
    keyLog,
    stats,
    decryptorFor,
    addKeyLog,
    addKeyLogText(text) {
      const log = parseKeyLog(text);
      addKeyLog(log);
      return log;
    },
    addDecryptionSecrets(secretsType, data) {
      if (secretsType !== TLS_KEY_LOG_SECRETS_TYPE) return false;
      this.addKeyLogText(data.toString('latin1'));
      return true;
    },
    addRsaPrivateKey(pem) {
      const key = parseRsaPrivateKey(pem);
      if (key) rsaKeys.push(key);
      return key !== null;
    },
  };
}
