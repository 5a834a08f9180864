// Static RSA key exchange (RFC 5246 §7.4.7.1): the client encrypts a 48-byte premaster to the
// server's key with RSAES-PKCS1-v1_5. Node 20 refuses RSA_PKCS1_PADDING for private decryption
// (CVE-2023-46809 mitigation), so the raw RSA operation runs with RSA_NO_PADDING and the
// EME-PKCS1-v1_5 padding (RFC 8017 §7.2.2) is checked here.
import { constants, createPrivateKey, privateDecrypt } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

const PREMASTER_LEN = 48;

/** Parse a PEM (PKCS#1 or PKCS#8) RSA private key; null when it is not one. */
export function parseRsaPrivateKey(pem: string | Buffer): KeyObject | null {
  try {
    const key = createPrivateKey(pem);
    return key.asymmetricKeyType === 'rsa' ? key : null;
  } catch {
    return null;
  }
}

/** EncryptedPreMasterSecret → 48-byte premaster, or null (wrong key, bad padding). */
export function decryptRsaPremaster(key: KeyObject, encrypted: Buffer): Buffer | null {
  const modulusBytes = Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
  if (encrypted.length !== modulusBytes) return null;
  let em: Buffer;
  try {
    em = privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, encrypted);
  } catch {
    return null;
  }
  // EM = 0x00 || 0x02 || PS (≥ 8 non-zero bytes) || 0x00 || M
  if (em.length !== modulusBytes || em[0] !== 0 || em[1] !== 2) return null;
  const sep = em.indexOf(0, 2);
  if (sep < 10) return null;
  const premaster = em.subarray(sep + 1);
  return premaster.length === PREMASTER_LEN ? Buffer.from(premaster) : null;
}
