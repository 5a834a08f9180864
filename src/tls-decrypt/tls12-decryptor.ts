// TLS 1.0–1.2 record protection: key block (RFC 5246 §6.3), AES-GCM (RFC 5288 §3),
// ChaCha20-Poly1305 (RFC 7905 §2), MAC-then-encrypt CBC (RFC 5246 §6.2.3.2, RFC 2246 §6.2.3.2
// for TLS 1.0's chained IV) with encrypt-then-MAC (RFC 7366) as a fallback layout, and RC4
// (RFC 5246 §6.2.3.1).
import type { DecryptedRecord, DecryptorStats, MeteredDecryptor } from './index.js';
import { RECORD_KIND } from './cipher-suites.js';
import type { CipherSuiteInfo } from './cipher-suites.js';
import { prf10, prf12 } from './prf.js';
import { aeadOpen, cbcDecrypt, hmac, sameBytes, seqBytes, xorNonce, AEAD_TAG_LEN } from './record-crypto.js';
import { createHandshakeScanner, looksLikePlainHandshake, HANDSHAKE_TYPE } from './handshake-scan.js';
import { COMPRESSION_DEFLATE, createRecordInflater } from './deflate.js';
import type { RecordInflater } from './deflate.js';
import { createRc4 } from './rc4.js';
import type { Rc4 } from './rc4.js';
import { MAX_CONSECUTIVE_FAILURES, RESYNC_RECORDS } from './resync.js';

const CONTENT = { CHANGE_CIPHER_SPEC: 20, ALERT: 21, HANDSHAKE: 22 } as const;
/** RFC 5288 §3: GCMNonce.nonce_explicit travels in front of each record. */
const GCM_EXPLICIT_NONCE_LEN = 8;
const TLS_1_1 = 0x0302;
const TLS_1_2 = 0x0303;

export interface KeyBlock {
  clientMac: Buffer;
  serverMac: Buffer;
  clientKey: Buffer;
  serverKey: Buffer;
  clientIv: Buffer;
  serverIv: Buffer;
}

function prfFor(suite: CipherSuiteInfo, version: number) {
  return (secret: Buffer, label: string, seed: Buffer, length: number): Buffer =>
    version >= TLS_1_2 ? prf12(suite.prfHash, secret, label, seed, length) : prf10(secret, label, seed, length);
}

/** RFC 5246 §8.1: master_secret = PRF(pre_master_secret, "master secret", client_random + server_random)[0..47]. */
export function deriveMasterSecret(suite: CipherSuiteInfo, version: number, premaster: Buffer, clientRandom: Buffer, serverRandom: Buffer): Buffer {
  return prfFor(suite, version)(premaster, 'master secret', Buffer.concat([clientRandom, serverRandom]), 48);
}

/**
 * RFC 5246 §6.3: key_block = PRF(master, "key expansion", server_random + client_random), cut into
 * client/server MAC keys, client/server keys, client/server IVs (salt for GCM, nonce for ChaCha).
 */
export function deriveKeyBlock(suite: CipherSuiteInfo, version: number, master: Buffer, clientRandom: Buffer, serverRandom: Buffer): KeyBlock {
  const sizes = [suite.macLen, suite.macLen, suite.keyLen, suite.keyLen, suite.ivLen, suite.ivLen];
  const total = sizes.reduce((a, b) => a + b, 0);
  const block = prfFor(suite, version)(master, 'key expansion', Buffer.concat([serverRandom, clientRandom]), total);
  const parts: Buffer[] = [];
  let at = 0;
  for (const n of sizes) {
    parts.push(block.subarray(at, at + n));
    at += n;
  }
  return { clientMac: parts[0], serverMac: parts[1], clientKey: parts[2], serverKey: parts[3], clientIv: parts[4], serverIv: parts[5] };
}

export interface Tls12Options {
  suite: CipherSuiteInfo;
  version: number;
  clientRandom: Buffer;
  serverRandom: Buffer;
  /** From a key log's CLIENT_RANDOM line; null when it has to come from RSA key exchange. */
  masterSecret: Buffer | null;
  /** RSA key exchange: turn ClientKeyExchange.exchange_keys into the premaster, or null. */
  decryptPremaster?: (encrypted: Buffer) => Buffer | null;
  encryptThenMac?: boolean;
  compressionMethod?: number;
}

interface Direction {
  /** ChangeCipherSpec seen (or an encrypted record recognised): later records are protected. */
  active: boolean;
  seq: number;
  failures: number;
  /** TLS 1.0 CBC: the IV for the next record is the last ciphertext block (RFC 2246 §6.2.3.2). */
  chainedIv: Buffer | null;
  /** DEFLATE sessions (RFC 3749): the direction's decompression history. */
  inflater: RecordInflater | null;
  /** RC4 suites: the direction's keystream, created with the key block. */
  rc4: Rc4 | null;
}

type Opener = (seq: number) => Buffer | null;

export function createTls12Decryptor(opts: Tls12Options): MeteredDecryptor {
  const { suite, version, clientRandom, serverRandom } = opts;
  const stats: DecryptorStats = { decrypted: 0, failed: 0, resynced: 0 };
  let master = opts.masterSecret;
  let keys: KeyBlock | null = null;
  let etm: boolean | undefined = opts.encryptThenMac;
  const deflate = opts.compressionMethod === COMPRESSION_DEFLATE;
  const client: Direction = { active: false, seq: 0, failures: 0, chainedIv: null, inflater: deflate ? createRecordInflater() : null, rc4: null };
  const server: Direction = { active: false, seq: 0, failures: 0, chainedIv: null, inflater: deflate ? createRecordInflater() : null, rc4: null };
  const clientHandshake = createHandshakeScanner();

  function keyBlock(): KeyBlock | null {
    if (!keys && master) {
      keys = deriveKeyBlock(suite, version, master, clientRandom, serverRandom);
      client.chainedIv = keys.clientIv;
      server.chainedIv = keys.serverIv;
      if (suite.kind === RECORD_KIND.STREAM) {
        client.rc4 = createRc4(keys.clientKey);
        server.rc4 = createRc4(keys.serverKey);
      }
    }
    return keys;
  }

  /** RFC 5246 §7.4.7.1: EncryptedPreMasterSecret, a 2-byte length first (absent in SSL 3.0). */
  function observeClientHandshake(fragment: Buffer): void {
    if (master || !opts.decryptPremaster) return;
    for (const msg of clientHandshake.push(fragment)) {
      if (msg.type !== HANDSHAKE_TYPE.CLIENT_KEY_EXCHANGE) continue;
      const body = msg.body;
      const encrypted = body.length >= 2 && body.readUInt16BE(0) === body.length - 2 ? body.subarray(2) : body;
      const premaster = opts.decryptPremaster(encrypted);
      if (premaster) master = deriveMasterSecret(suite, version, premaster, clientRandom, serverRandom);
    }
  }

  function additionalData(seq: number, type: number, recVersion: number, length: number): Buffer {
    // RFC 5246 §6.2.3.2 / §6.2.3.3: seq_num || type || version || length
    return Buffer.concat([seqBytes(seq), Buffer.of(type, recVersion >> 8, recVersion & 0xff, length >> 8, length & 0xff)]);
  }

  function aeadOpener(k: KeyBlock, fromClient: boolean, type: number, recVersion: number, fragment: Buffer): Opener {
    const key = fromClient ? k.clientKey : k.serverKey;
    const iv = fromClient ? k.clientIv : k.serverIv;
    if (suite.kind === RECORD_KIND.GCM) {
      if (fragment.length < GCM_EXPLICIT_NONCE_LEN + AEAD_TAG_LEN) return () => null;
      const nonce = Buffer.concat([iv, fragment.subarray(0, GCM_EXPLICIT_NONCE_LEN)]);
      const sealed = fragment.subarray(GCM_EXPLICIT_NONCE_LEN);
      return (seq) => aeadOpen(suite.cipher, key, nonce, additionalData(seq, type, recVersion, sealed.length - AEAD_TAG_LEN), sealed);
    }
    if (fragment.length < AEAD_TAG_LEN) return () => null;
    return (seq) => aeadOpen(suite.cipher, key, xorNonce(iv, seq), additionalData(seq, type, recVersion, fragment.length - AEAD_TAG_LEN), fragment);
  }

  /** CBC: decrypt once, then check the MAC against each candidate sequence number. */
  function cbcOpener(k: KeyBlock, d: Direction, fromClient: boolean, type: number, recVersion: number, fragment: Buffer): Opener {
    const key = fromClient ? k.clientKey : k.serverKey;
    const macKey = fromClient ? k.clientMac : k.serverMac;
    const block = suite.ivLen;
    const explicitIv = recVersion >= TLS_1_1;
    const mac = (seq: number, content: Buffer): Buffer =>
      hmac(suite.mac, macKey, additionalData(seq, type, recVersion, content.length), content);

    // RFC 7366 §3: MAC over the IV and ciphertext, checked before decrypting.
    const encryptThenMac: Opener = (seq) => {
      if (fragment.length < suite.macLen + block) return null;
      const sealed = fragment.subarray(0, fragment.length - suite.macLen);
      if (!sameBytes(mac(seq, sealed), fragment.subarray(sealed.length))) return null;
      const iv = explicitIv ? sealed.subarray(0, block) : d.chainedIv;
      const ct = explicitIv ? sealed.subarray(block) : sealed;
      const plain = iv ? cbcDecrypt(suite.cipher, key, iv, ct) : null;
      const pad = plain ? plain[plain.length - 1] + 1 : 0;
      return plain && pad <= plain.length ? plain.subarray(0, plain.length - pad) : null;
    };

    // RFC 5246 §6.2.3.2: content || MAC || padding || padding_length, all encrypted.
    const iv = explicitIv ? fragment.subarray(0, block) : d.chainedIv;
    const ct = explicitIv ? fragment.subarray(block) : fragment;
    const plain = iv && ct.length >= block ? cbcDecrypt(suite.cipher, key, iv, ct) : null;
    if (!explicitIv && ct.length >= block && ct.length % block === 0) d.chainedIv = Buffer.from(ct.subarray(ct.length - block));
    let content: Buffer | null = null;
    let tag: Buffer | null = null;
    if (plain) {
      const padLen = plain[plain.length - 1];
      const end = plain.length - 1 - padLen - suite.macLen;
      let padOk = end >= 0;
      for (let i = plain.length - 1 - padLen; padOk && i < plain.length - 1; i++) padOk = plain[i] === padLen;
      if (padOk) {
        content = plain.subarray(0, end);
        tag = plain.subarray(end, end + suite.macLen);
      }
    }
    const macThenEncrypt: Opener = (seq) => (content && tag && sameBytes(mac(seq, content), tag) ? content : null);
    if (etm === true) return encryptThenMac;
    if (etm === false) return macThenEncrypt;
    return (seq) => {
      const a = macThenEncrypt(seq);
      if (a) { etm = false; return a; }
      const b = encryptThenMac(seq);
      if (b) etm = true;
      return b;
    };
  }

  /** RFC 5246 §6.2.3.1: content || MAC under the running keystream; the MAC is checked per candidate seq. */
  function streamOpener(k: KeyBlock, d: Direction, fromClient: boolean, type: number, recVersion: number, fragment: Buffer): Opener {
    const macKey = fromClient ? k.clientMac : k.serverMac;
    if (!d.rc4 || fragment.length < suite.macLen) return () => null;
    const plain = d.rc4.process(fragment);
    const content = plain.subarray(0, plain.length - suite.macLen);
    const tag = plain.subarray(content.length);
    return (seq) => (sameBytes(hmac(suite.mac, macKey, additionalData(seq, type, recVersion, content.length), content), tag) ? content : null);
  }

  function tryOpen(d: Direction, fromClient: boolean, type: number, recVersion: number, fragment: Buffer): DecryptedRecord | null {
    const k = keyBlock();
    if (!k || d.failures >= MAX_CONSECUTIVE_FAILURES) return null;
    const opener = suite.kind === RECORD_KIND.CBC
      ? cbcOpener(k, d, fromClient, type, recVersion, fragment)
      : suite.kind === RECORD_KIND.STREAM
        ? streamOpener(k, d, fromClient, type, recVersion, fragment)
        : aeadOpener(k, fromClient, type, recVersion, fragment);
    for (let skip = 0; skip <= RESYNC_RECORDS; skip++) {
      const plaintext = opener(d.seq + skip);
      if (!plaintext) continue;
      if (skip > 0) stats.resynced++;
      d.seq += skip + 1;
      d.failures = 0;
      d.active = true;
      // RFC 5246 §6.2.2: compression applies inside the protection, so inflate after opening.
      const content = d.inflater ? d.inflater.push(plaintext) : plaintext;
      if (!content) {
        stats.failed++;
        return null;
      }
      stats.decrypted++;
      return { contentType: type, plaintext: content };
    }
    d.failures++;
    stats.failed++;
    return null;
  }

  return {
    stats,
    decrypt(fromClient, contentType, recVersion, fragment) {
      const d = fromClient ? client : server;
      if (contentType === CONTENT.CHANGE_CIPHER_SPEC) {
        // RFC 5246 §7.1: the sender's next record uses the new keys with sequence number 0.
        d.active = true;
        d.seq = 0;
        return null;
      }
      if (!d.active) {
        if (contentType === CONTENT.HANDSHAKE && looksLikePlainHandshake(fragment)) {
          if (fromClient) observeClientHandshake(fragment);
          return null;
        }
        if (contentType === CONTENT.ALERT && fragment.length === 2) return null; // cleartext alert
      }
      return tryOpen(d, fromClient, contentType, recVersion, fragment);
    },
  };
}
