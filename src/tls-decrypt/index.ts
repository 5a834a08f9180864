// Placeholder until key-log decryption lands (issue 8). The TLS decoder asks for a decryptor per
// connection; null means "no keys for this session" and records stay opaque.

export interface SessionParams {
  /** 32-byte client random from ClientHello. */
  clientRandom: Buffer;
  /** 32-byte server random from ServerHello. */
  serverRandom: Buffer;
  /** Negotiated cipher suite (ServerHello). */
  cipherSuite: number;
  /** Negotiated version: 0x0304 for TLS 1.3 (supported_versions), else ServerHello.version. */
  version: number;
}

export interface RecordDecryptor {
  /**
   * Decrypt one TLS record (header fields + ciphertext fragment) sent by `fromClient`'s side.
   * Returns the inner content type and plaintext, or null when it cannot (wrong keys, not encrypted yet).
   */
  decrypt(fromClient: boolean, contentType: number, version: number, fragment: Buffer): { contentType: number; plaintext: Buffer } | null;
}

export interface KeyStore {
  decryptorFor(params: SessionParams): RecordDecryptor | null;
}

/** No keys loaded. */
export const NO_KEYS: KeyStore = { decryptorFor: () => null };
