// RC4 keystream (the cipher of TLS_*_RC4_128_* suites, RFC 5246 App. C; prohibited since RFC 7465
// but present in old captures). Node's default OpenSSL provider no longer ships it, so it is here.
// The state runs on across records: one instance per direction.

export interface Rc4 {
  /** XOR the next keystream bytes into a copy of `data`. */
  process(data: Buffer): Buffer;
}

export function createRc4(key: Buffer): Rc4 {
  const s = new Uint8Array(256);
  for (let i = 0; i < 256; i++) s[i] = i;
  for (let i = 0, j = 0; i < 256; i++) {
    j = (j + s[i] + key[i % key.length]) & 0xff;
    const t = s[i]; s[i] = s[j]; s[j] = t;
  }
  let i = 0;
  let j = 0;
  return {
    process(data) {
      const out = Buffer.allocUnsafe(data.length);
      for (let n = 0; n < data.length; n++) {
        i = (i + 1) & 0xff;
        j = (j + s[i]) & 0xff;
        const t = s[i]; s[i] = s[j]; s[j] = t;
        out[n] = data[n] ^ s[(s[i] + s[j]) & 0xff];
      }
      return out;
    },
  };
}
