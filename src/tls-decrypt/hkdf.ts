// HKDF (RFC 5869) and TLS 1.3's HKDF-Expand-Label (RFC 8446 §7.1). Node's hkdfSync always runs
// Extract then Expand; TLS 1.3 needs Expand alone on a traffic secret, so both steps are here.
import { createHmac } from 'node:crypto';

/** Hash names as Node's crypto spells them; TLS suites use only these two. */
export type HashName = 'sha256' | 'sha384';

export const HASH_LEN: Readonly<Record<HashName, number>> = { sha256: 32, sha384: 48 };

/** RFC 5869 §2.2: PRK = HMAC-Hash(salt, IKM); an empty salt means HashLen zero bytes. */
export function hkdfExtract(hash: HashName, salt: Buffer, ikm: Buffer): Buffer {
  const key = salt.length > 0 ? salt : Buffer.alloc(HASH_LEN[hash]);
  return createHmac(hash, key).update(ikm).digest();
}

/** RFC 5869 §2.3: T(i) = HMAC-Hash(PRK, T(i-1) | info | i); null when L > 255 * HashLen. */
export function hkdfExpand(hash: HashName, prk: Buffer, info: Buffer, length: number): Buffer | null {
  const hashLen = HASH_LEN[hash];
  if (length < 0 || length > 255 * hashLen) return null;
  const blocks: Buffer[] = [];
  let prev = Buffer.alloc(0);
  let have = 0;
  for (let i = 1; have < length; i++) {
    prev = createHmac(hash, prk).update(prev).update(info).update(Buffer.of(i)).digest();
    blocks.push(prev);
    have += prev.length;
  }
  return Buffer.concat(blocks).subarray(0, length);
}

/**
 * RFC 8446 §7.1: HkdfLabel = uint16 length || opaque label<7..255> ("tls13 " + Label)
 * || opaque context<0..255>.
 */
export function hkdfExpandLabel(hash: HashName, secret: Buffer, label: string, context: Buffer, length: number): Buffer | null {
  const fullLabel = Buffer.from('tls13 ' + label, 'latin1');
  if (fullLabel.length > 255 || context.length > 255 || length > 0xffff) return null;
  const info = Buffer.concat([
    Buffer.of(length >> 8, length & 0xff, fullLabel.length),
    fullLabel,
    Buffer.of(context.length),
    context,
  ]);
  return hkdfExpand(hash, secret, info, length);
}
