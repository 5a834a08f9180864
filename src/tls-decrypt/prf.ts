// TLS PRFs: RFC 5246 §5 (TLS 1.2, P_hash with the suite's hash) and RFC 2246 §5 / RFC 4346 §5
// (TLS 1.0/1.1: P_MD5 XOR P_SHA1 over the two halves of the secret).
import { createHmac } from 'node:crypto';

/** RFC 5246 §5: A(0) = seed, A(i) = HMAC(secret, A(i-1)); out = HMAC(secret, A(1) + seed) + ... */
export function pHash(hash: string, secret: Buffer, seed: Buffer, length: number): Buffer {
  const out: Buffer[] = [];
  let a = seed;
  let have = 0;
  while (have < length) {
    a = createHmac(hash, secret).update(a).digest();
    const block = createHmac(hash, secret).update(a).update(seed).digest();
    out.push(block);
    have += block.length;
  }
  return Buffer.concat(out).subarray(0, length);
}

/** RFC 5246 §5: PRF(secret, label, seed) = P_<hash>(secret, label + seed). */
export function prf12(hash: 'sha256' | 'sha384', secret: Buffer, label: string, seed: Buffer, length: number): Buffer {
  return pHash(hash, secret, Buffer.concat([Buffer.from(label, 'latin1'), seed]), length);
}

/** RFC 2246 §5: PRF = P_MD5(S1, label + seed) XOR P_SHA-1(S2, label + seed); S1, S2 share a middle byte when odd. */
export function prf10(secret: Buffer, label: string, seed: Buffer, length: number): Buffer {
  const half = Math.ceil(secret.length / 2);
  const labelSeed = Buffer.concat([Buffer.from(label, 'latin1'), seed]);
  const md5 = pHash('md5', secret.subarray(0, half), labelSeed, length);
  const sha1 = pHash('sha1', secret.subarray(secret.length - half), labelSeed, length);
  for (let i = 0; i < length; i++) md5[i] ^= sha1[i];
  return md5;
}
