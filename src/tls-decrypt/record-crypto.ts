// The symmetric primitives records use, wrapped so that bad data yields null instead of a throw
// (OpenSSL throws from final() when a tag does not verify).
import { createDecipheriv, createHmac, timingSafeEqual } from 'node:crypto';
import type { CipherGCMTypes } from 'node:crypto';

export const AEAD_TAG_LEN = 16;

/** 64-bit big-endian sequence number (RFC 5246 §6.1 seq_num, RFC 8446 §5.3). */
export function seqBytes(seq: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32BE(Math.floor(seq / 0x100000000), 0);
  b.writeUInt32BE(seq >>> 0, 4);
  return b;
}

/** RFC 8446 §5.3 / RFC 7905 §2: nonce = iv XOR seq left-padded to the iv length. */
export function xorNonce(iv: Buffer, seq: number): Buffer {
  const nonce = Buffer.from(iv);
  const s = seqBytes(seq);
  for (let i = 0; i < 8; i++) nonce[nonce.length - 8 + i] ^= s[i];
  return nonce;
}

/** Open an AEAD ciphertext (tag appended). Null when the tag does not verify. */
export function aeadOpen(cipher: string, key: Buffer, nonce: Buffer, aad: Buffer, sealed: Buffer): Buffer | null {
  if (sealed.length < AEAD_TAG_LEN) return null;
  try {
    // chacha20-poly1305 takes the same options; the GCM overload carries the typing.
    const d = createDecipheriv(cipher as CipherGCMTypes, key, nonce, { authTagLength: AEAD_TAG_LEN });
    d.setAAD(aad);
    d.setAuthTag(sealed.subarray(sealed.length - AEAD_TAG_LEN));
    const out = d.update(sealed.subarray(0, sealed.length - AEAD_TAG_LEN));
    const tail = d.final();
    return tail.length ? Buffer.concat([out, tail]) : out;
  } catch {
    return null;
  }
}

/** Raw CBC decryption without padding removal. Null when the length is not a block multiple. */
export function cbcDecrypt(cipher: string, key: Buffer, iv: Buffer, data: Buffer): Buffer | null {
  if (data.length === 0 || data.length % iv.length !== 0) return null;
  try {
    const d = createDecipheriv(cipher, key, iv);
    d.setAutoPadding(false);
    return Buffer.concat([d.update(data), d.final()]);
  } catch {
    return null;
  }
}

export function hmac(hash: string, key: Buffer, ...parts: Buffer[]): Buffer {
  const h = createHmac(hash, key);
  for (const p of parts) h.update(p);
  return h.digest();
}

export function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
