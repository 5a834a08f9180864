// Cipher suites this module can decrypt, as data. IDs and names from the IANA TLS registry;
// parameters from RFC 8446 §B.4 (TLS 1.3), RFC 5288 (GCM), RFC 7905 (ChaCha20-Poly1305),
// RFC 5246 App. C and RFC 5289 (CBC with SHA-256/384), RFC 5932 (Camellia).
// RC4 is implemented in rc4.ts; suites needing ciphers Node's default OpenSSL provider lacks
// (DES, SEED, RC2, IDEA) and export suites are absent.

/** How records are protected. */
export const RECORD_KIND = {
  /** TLS 1.3 AEAD: per-record nonce = iv XOR seq (RFC 8446 §5.3). */
  TLS13: 'tls13',
  /** TLS 1.2 AES-GCM: 4-byte salt + 8-byte explicit nonce carried in the record (RFC 5288 §3). */
  GCM: 'gcm',
  /** TLS 1.2 ChaCha20-Poly1305: nonce = 12-byte iv XOR seq, nothing explicit (RFC 7905 §2). */
  CHACHA: 'chacha',
  /** MAC-then-encrypt block cipher (RFC 5246 §6.2.3.2). */
  CBC: 'cbc',
  /** MAC-then-encrypt stream cipher, RC4 only (RFC 5246 §6.2.3.1). */
  STREAM: 'stream',
} as const;
export type RecordKind = (typeof RECORD_KIND)[keyof typeof RECORD_KIND];

export interface CipherSuiteInfo {
  id: number;
  name: string;
  kind: RecordKind;
  /** Node cipher name. */
  cipher: string;
  keyLen: number;
  /** TLS 1.3 / ChaCha: 12-byte iv; GCM: 4-byte salt; CBC: block size (the TLS 1.0 IV length). */
  ivLen: number;
  /** CBC only: HMAC hash and its output length; '' for AEADs. */
  mac: '' | 'md5' | 'sha1' | 'sha256' | 'sha384';
  macLen: number;
  /** PRF hash for TLS 1.2 (RFC 5246 §5, RFC 5289 §3), HKDF hash for TLS 1.3. */
  prfHash: 'sha256' | 'sha384';
  /** Static RSA key exchange: the premaster travels in ClientKeyExchange (RFC 5246 §7.4.7.1). */
  rsaKeyExchange: boolean;
}

type Row = readonly [id: number, name: string];

const TLS13: readonly Row[] = [
  [0x1301, 'TLS_AES_128_GCM_SHA256'],
  [0x1302, 'TLS_AES_256_GCM_SHA384'],
  [0x1303, 'TLS_CHACHA20_POLY1305_SHA256'],
];

const TLS12: readonly Row[] = [
  // RFC 5288 / RFC 5289 GCM
  [0x009c, 'TLS_RSA_WITH_AES_128_GCM_SHA256'], [0x009d, 'TLS_RSA_WITH_AES_256_GCM_SHA384'],
  [0x009e, 'TLS_DHE_RSA_WITH_AES_128_GCM_SHA256'], [0x009f, 'TLS_DHE_RSA_WITH_AES_256_GCM_SHA384'],
  [0x00a2, 'TLS_DHE_DSS_WITH_AES_128_GCM_SHA256'], [0x00a3, 'TLS_DHE_DSS_WITH_AES_256_GCM_SHA384'],
  [0x00a6, 'TLS_DH_anon_WITH_AES_128_GCM_SHA256'], [0x00a7, 'TLS_DH_anon_WITH_AES_256_GCM_SHA384'],
  [0xc02b, 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'], [0xc02c, 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384'],
  [0xc02d, 'TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256'], [0xc02e, 'TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384'],
  [0xc02f, 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'], [0xc030, 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384'],
  [0xc031, 'TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256'], [0xc032, 'TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384'],
  // RFC 7905
  [0xcca8, 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256'], [0xcca9, 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256'],
  [0xccaa, 'TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256'], [0xccab, 'TLS_PSK_WITH_CHACHA20_POLY1305_SHA256'],
  [0xccac, 'TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256'], [0xccad, 'TLS_DHE_PSK_WITH_CHACHA20_POLY1305_SHA256'],
  [0xccae, 'TLS_RSA_PSK_WITH_CHACHA20_POLY1305_SHA256'],
  // RFC 5246 App. C, RFC 4492: RC4 stream
  [0x0004, 'TLS_RSA_WITH_RC4_128_MD5'], [0x0005, 'TLS_RSA_WITH_RC4_128_SHA'], [0x0018, 'TLS_DH_anon_WITH_RC4_128_MD5'],
  [0xc002, 'TLS_ECDH_ECDSA_WITH_RC4_128_SHA'], [0xc007, 'TLS_ECDHE_ECDSA_WITH_RC4_128_SHA'],
  [0xc00c, 'TLS_ECDH_RSA_WITH_RC4_128_SHA'], [0xc011, 'TLS_ECDHE_RSA_WITH_RC4_128_SHA'],
  // RFC 5246 App. C, RFC 4492, RFC 5289: CBC
  [0x000a, 'TLS_RSA_WITH_3DES_EDE_CBC_SHA'], [0x0013, 'TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA'],
  [0x0016, 'TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA'],
  [0x002f, 'TLS_RSA_WITH_AES_128_CBC_SHA'], [0x0030, 'TLS_DH_DSS_WITH_AES_128_CBC_SHA'],
  [0x0031, 'TLS_DH_RSA_WITH_AES_128_CBC_SHA'], [0x0032, 'TLS_DHE_DSS_WITH_AES_128_CBC_SHA'],
  [0x0033, 'TLS_DHE_RSA_WITH_AES_128_CBC_SHA'], [0x0034, 'TLS_DH_anon_WITH_AES_128_CBC_SHA'],
  [0x0035, 'TLS_RSA_WITH_AES_256_CBC_SHA'], [0x0036, 'TLS_DH_DSS_WITH_AES_256_CBC_SHA'],
  [0x0037, 'TLS_DH_RSA_WITH_AES_256_CBC_SHA'], [0x0038, 'TLS_DHE_DSS_WITH_AES_256_CBC_SHA'],
  [0x0039, 'TLS_DHE_RSA_WITH_AES_256_CBC_SHA'], [0x003a, 'TLS_DH_anon_WITH_AES_256_CBC_SHA'],
  [0x003c, 'TLS_RSA_WITH_AES_128_CBC_SHA256'], [0x003d, 'TLS_RSA_WITH_AES_256_CBC_SHA256'],
  [0x0040, 'TLS_DHE_DSS_WITH_AES_128_CBC_SHA256'], [0x0067, 'TLS_DHE_RSA_WITH_AES_128_CBC_SHA256'],
  [0x006a, 'TLS_DHE_DSS_WITH_AES_256_CBC_SHA256'], [0x006b, 'TLS_DHE_RSA_WITH_AES_256_CBC_SHA256'],
  [0x0041, 'TLS_RSA_WITH_CAMELLIA_128_CBC_SHA'], [0x0044, 'TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA'],
  [0x0045, 'TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA'], [0x0084, 'TLS_RSA_WITH_CAMELLIA_256_CBC_SHA'],
  [0x0087, 'TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA'], [0x0088, 'TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA'],
  [0xc003, 'TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA'], [0xc004, 'TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA'],
  [0xc005, 'TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA'], [0xc008, 'TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA'],
  [0xc009, 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA'], [0xc00a, 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA'],
  [0xc00d, 'TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA'], [0xc00e, 'TLS_ECDH_RSA_WITH_AES_128_CBC_SHA'],
  [0xc00f, 'TLS_ECDH_RSA_WITH_AES_256_CBC_SHA'], [0xc012, 'TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA'],
  [0xc013, 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA'], [0xc014, 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA'],
  [0xc023, 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256'], [0xc024, 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384'],
  [0xc025, 'TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256'], [0xc026, 'TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384'],
  [0xc027, 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256'], [0xc028, 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384'],
  [0xc029, 'TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256'], [0xc02a, 'TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384'],
];

/** Derive the parameters from the IANA name, so the table above stays a list of names. */
function describe(id: number, name: string, tls13: boolean): CipherSuiteInfo {
  const prfHash = name.endsWith('_SHA384') ? 'sha384' : 'sha256';
  const rsaKeyExchange = name.startsWith('TLS_RSA_WITH_');
  const bits = /_256_/.test(name) ? 256 : 128;
  const base = { id, name, prfHash, rsaKeyExchange, mac: '', macLen: 0 } as const;
  if (name.includes('CHACHA20')) {
    return { ...base, kind: tls13 ? RECORD_KIND.TLS13 : RECORD_KIND.CHACHA, cipher: 'chacha20-poly1305', keyLen: 32, ivLen: 12 };
  }
  if (name.includes('_GCM_')) {
    return tls13
      ? { ...base, kind: RECORD_KIND.TLS13, cipher: `aes-${bits}-gcm`, keyLen: bits / 8, ivLen: 12 }
      : { ...base, kind: RECORD_KIND.GCM, cipher: `aes-${bits}-gcm`, keyLen: bits / 8, ivLen: 4 };
  }
  const mac = name.endsWith('_SHA384') ? 'sha384' : name.endsWith('_SHA256') ? 'sha256' : name.endsWith('_MD5') ? 'md5' : 'sha1';
  const macLen = { sha384: 48, sha256: 32, sha1: 20, md5: 16 }[mac];
  if (name.includes('_RC4_128_')) {
    return { ...base, kind: RECORD_KIND.STREAM, cipher: 'rc4', keyLen: 16, ivLen: 0, mac, macLen };
  }
  if (name.includes('3DES_EDE_CBC')) {
    return { ...base, kind: RECORD_KIND.CBC, cipher: 'des-ede3-cbc', keyLen: 24, ivLen: 8, mac, macLen };
  }
  const family = name.includes('CAMELLIA') ? 'camellia' : 'aes';
  return { ...base, kind: RECORD_KIND.CBC, cipher: `${family}-${bits}-cbc`, keyLen: bits / 8, ivLen: 16, mac, macLen };
}

const TABLE_13 = new Map(TLS13.map(([id, name]) => [id, describe(id, name, true)]));
const TABLE_12 = new Map(TLS12.map(([id, name]) => [id, describe(id, name, false)]));

/** Suite parameters for this protocol version (0x0304 = TLS 1.3), or null when unsupported. */
export function cipherSuiteInfo(id: number, version: number): CipherSuiteInfo | null {
  return (version === 0x0304 ? TABLE_13.get(id) : TABLE_12.get(id)) ?? null;
}

/** Every suite this module decrypts (for docs and tests). */
export function supportedCipherSuites(): CipherSuiteInfo[] {
  return [...TABLE_13.values(), ...TABLE_12.values()];
}
