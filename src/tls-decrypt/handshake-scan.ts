// Just enough handshake framing for the decryptors to follow key changes: RFC 8446 §4 /
// RFC 5246 §7.4 Handshake = msg_type(1) || length(3) || body. Messages may span records, and a
// record may hold several, so each direction keeps a small reassembly buffer.

export const HANDSHAKE_TYPE = {
  CLIENT_HELLO: 1,
  SERVER_HELLO: 2,
  NEW_SESSION_TICKET: 4,
  END_OF_EARLY_DATA: 5,
  ENCRYPTED_EXTENSIONS: 8,
  CERTIFICATE: 11,
  CLIENT_KEY_EXCHANGE: 16,
  FINISHED: 20,
  KEY_UPDATE: 24,
} as const;

/** A handshake message larger than this is not followed (certificate chains stay far below). */
export const MAX_HANDSHAKE_BUFFER = 1 << 18;

export interface HandshakeMessage {
  type: number;
  body: Buffer;
}

export interface HandshakeScanner {
  /** Append one record's handshake bytes; returns the messages it completed. */
  push(bytes: Buffer): HandshakeMessage[];
}

export function createHandshakeScanner(): HandshakeScanner {
  let pending: Buffer = Buffer.alloc(0);
  return {
    push(bytes) {
      pending = pending.length ? Buffer.concat([pending, bytes]) : bytes;
      const out: HandshakeMessage[] = [];
      let at = 0;
      while (pending.length - at >= 4) {
        const len = pending.readUIntBE(at + 1, 3);
        if (len > MAX_HANDSHAKE_BUFFER) { pending = Buffer.alloc(0); return out; }
        if (pending.length - at - 4 < len) break;
        out.push({ type: pending[at], body: pending.subarray(at + 4, at + 4 + len) });
        at += 4 + len;
      }
      pending = at === pending.length ? Buffer.alloc(0) : Buffer.from(pending.subarray(at));
      return out;
    },
  };
}

/**
 * True when `fragment` is exactly a run of whole plaintext handshake messages with known types.
 * TLS ≤ 1.2 decryptors use it to tell a cleartext handshake record from an encrypted Finished
 * when the caller did not pass the ChangeCipherSpec record.
 */
export function looksLikePlainHandshake(fragment: Buffer): boolean {
  let at = 0;
  while (at + 4 <= fragment.length) {
    const type = fragment[at];
    if (!PLAIN_TYPES.has(type)) return false;
    at += 4 + fragment.readUIntBE(at + 1, 3);
  }
  return at === fragment.length && fragment.length > 0;
}

// RFC 5246 §7.4 types that travel in clear, plus NewSessionTicket (RFC 5077 §3.3) and
// certificate_status (RFC 6066 §8). Finished is always encrypted; hello_request(0) never follows
// ServerHello, and leaving it out keeps a GCM explicit nonce of zeros from parsing as two of them.
const PLAIN_TYPES = new Set([1, 2, 4, 11, 12, 13, 14, 15, 16, 22]);
