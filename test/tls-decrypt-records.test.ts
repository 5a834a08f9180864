// Record layouts built here with Node's ciphers (test-only sealers), then opened by the decryptors:
// TLS 1.2 GCM / ChaCha20-Poly1305 / CBC (MAC-then-encrypt, encrypt-then-MAC, TLS 1.0 chained IV),
// TLS 1.3 ChaCha20 and KeyUpdate. Real-capture checks live in tls-decrypt-corpus.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createHmac, randomBytes } from 'node:crypto';
import type { CipherGCMTypes } from 'node:crypto';
import { createKeyStore, cipherSuiteInfo, deriveKeyBlock, deriveTrafficKeys, hkdfExpandLabel } from '../src/tls-decrypt/index.js';
import type { CipherSuiteInfo } from '../src/tls-decrypt/index.js';

const CR = Buffer.alloc(32, 0xc1);
const SR = Buffer.alloc(32, 0x5e);
const MASTER = Buffer.alloc(48, 0x4d);

function seq8(n: number) { const b = Buffer.alloc(8); b.writeUInt32BE(n, 4); return b; }
function aad(seq: number, type: number, ver: number, len: number) { return Buffer.concat([seq8(seq), Buffer.of(type, ver >> 8, ver & 255, len >> 8, len & 255)]); }
function xor(iv: Buffer, seq: number) { const n = Buffer.from(iv); const s = seq8(seq); for (let i = 0; i < 8; i++) n[n.length - 8 + i] ^= s[i]; return n; }

function sealAead(cipher: string, key: Buffer, nonce: Buffer, ad: Buffer, pt: Buffer) {
  const c = createCipheriv(cipher as CipherGCMTypes, key, nonce, { authTagLength: 16 });
  c.setAAD(ad);
  return Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]);
}

/** TLS ≤ 1.2 sealer for one direction. */
function tls12Sealer(suite: CipherSuiteInfo, version: number, fromClient: boolean, etm = false) {
  const kb = deriveKeyBlock(suite, version, MASTER, CR, SR);
  const key = fromClient ? kb.clientKey : kb.serverKey;
  const iv = fromClient ? kb.clientIv : kb.serverIv;
  const macKey = fromClient ? kb.clientMac : kb.serverMac;
  let chained = iv;
  return (seq: number, type: number, pt: Buffer): Buffer => {
    if (suite.kind === 'gcm') {
      const explicit = randomBytes(8);
      return Buffer.concat([explicit, sealAead(suite.cipher, key, Buffer.concat([iv, explicit]), aad(seq, type, version, pt.length), pt)]);
    }
    if (suite.kind === 'chacha') return sealAead(suite.cipher, key, xor(iv, seq), aad(seq, type, version, pt.length), pt);
    const block = suite.ivLen;
    const recIv = version >= 0x0302 ? randomBytes(block) : chained;
    const enc = (data: Buffer) => { const c = createCipheriv(suite.cipher, key, recIv); c.setAutoPadding(false); return Buffer.concat([c.update(data), c.final()]); };
    const pad = (len: number) => { const p = block - ((len + 1) % block); return Buffer.alloc(p + 1, p); };
    const mac = (data: Buffer) => createHmac(suite.mac, macKey).update(aad(seq, type, version, data.length)).update(data).digest();
    let out: Buffer;
    if (etm) {
      const ct = enc(Buffer.concat([pt, pad(pt.length)]));
      const ivct = Buffer.concat([version >= 0x0302 ? recIv : Buffer.alloc(0), ct]);
      out = Buffer.concat([ivct, mac(ivct)]);
    } else {
      const body = Buffer.concat([pt, mac(pt)]);
      const ct = enc(Buffer.concat([body, pad(body.length)]));
      out = version >= 0x0302 ? Buffer.concat([recIv, ct]) : ct;
      chained = ct.subarray(ct.length - block);
    }
    return out;
  };
}

function tls12Store() {
  const store = createKeyStore();
  store.addKeyLogText(`CLIENT_RANDOM ${CR.toString('hex')} ${MASTER.toString('hex')}\n`);
  return store;
}

const CASES: [suite: number, version: number, etm: boolean][] = [
  [0xc02f, 0x0303, false], [0xc030, 0x0303, false], [0xcca8, 0x0303, false], [0xc013, 0x0303, false],
  [0xc028, 0x0303, false], [0x000a, 0x0303, false], [0x0041, 0x0303, false], [0xc013, 0x0303, true],
  [0x002f, 0x0301, false], [0x002f, 0x0302, false],
];

for (const [id, version, etm] of CASES) {
  const suite = cipherSuiteInfo(id, version)!;
  test(`TLS ${version.toString(16)} ${suite.name}${etm ? ' (encrypt-then-MAC)' : ''}: records open in order, CCS resets, loss resyncs`, () => {
    const dec = tls12Store().decryptorFor({ clientRandom: CR, serverRandom: SR, cipherSuite: id, version })!;
    assert.ok(dec);
    const seal = tls12Sealer(suite, version, true, etm);
    // Cleartext ClientKeyExchange, then CCS: not encrypted → null, not a failure.
    assert.equal(dec.decrypt(true, 22, version, Buffer.from('10000003020001', 'hex')), null);
    assert.equal(dec.decrypt(true, 20, version, Buffer.of(1)), null);
    const fin = Buffer.from('1400000c' + '11'.repeat(12), 'hex');
    assert.deepEqual(dec.decrypt(true, 22, version, seal(0, 22, fin)), { contentType: 22, plaintext: fin });
    const data = Buffer.from('GET / HTTP/1.1\r\nHost: example\r\n\r\n');
    assert.deepEqual(dec.decrypt(true, 23, version, seal(1, 23, data))?.plaintext, data);
    if (version >= 0x0302) {
      // seq 2 lost in capture; seq 3 resyncs. (TLS 1.0 chains IVs through the lost record: skipped.)
      seal(2, 23, data);
      assert.deepEqual(dec.decrypt(true, 23, version, seal(3, 23, Buffer.from('after gap')))?.plaintext, Buffer.from('after gap'));
    }
    const tampered = seal(version >= 0x0302 ? 4 : 2, 21, Buffer.of(1, 0));
    tampered[tampered.length - 1] ^= 0x80;
    assert.equal(dec.decrypt(true, 21, version, tampered), null);
    assert.equal(dec.stats.failed, 1);
    assert.equal(dec.stats.resynced, version >= 0x0302 ? 1 : 0);
  });
}

test('TLS 1.2: a decoder that never passes CCS still gets the Finished and data decrypted', () => {
  const suite = cipherSuiteInfo(0xc02f, 0x0303)!;
  const dec = tls12Store().decryptorFor({ clientRandom: CR, serverRandom: SR, cipherSuite: 0xc02f, version: 0x0303 })!;
  const seal = tls12Sealer(suite, 0x0303, false);
  const fin = Buffer.from('1400000c' + '22'.repeat(12), 'hex');
  assert.deepEqual(dec.decrypt(false, 22, 0x0303, seal(0, 22, fin))?.plaintext, fin);
  assert.deepEqual(dec.decrypt(false, 21, 0x0303, seal(1, 21, Buffer.of(1, 0)))?.plaintext, Buffer.of(1, 0));
});

test('TLS 1.3 ChaCha20-Poly1305 and SHA-384 suites: handshake → application switch on Finished, then KeyUpdate', () => {
  for (const id of [0x1303, 0x1302]) {
    const suite = cipherSuiteInfo(id, 0x0304)!;
    const hashLen = suite.prfHash === 'sha384' ? 48 : 32;
    const sHs = randomBytes(hashLen), sAp = randomBytes(hashLen);
    const store = createKeyStore();
    store.addKeyLogText(`SERVER_HANDSHAKE_TRAFFIC_SECRET ${CR.toString('hex')} ${sHs.toString('hex')}\nSERVER_TRAFFIC_SECRET_0 ${CR.toString('hex')} ${sAp.toString('hex')}\n`);
    const dec = store.decryptorFor({ clientRandom: CR, serverRandom: SR, cipherSuite: id, version: 0x0304 })!;
    const seal13 = (secret: Buffer, seq: number, type: number, pt: Buffer, pad = 0) => {
      const k = deriveTrafficKeys(suite, secret)!;
      const inner = Buffer.concat([pt, Buffer.of(type), Buffer.alloc(pad)]);
      const len = inner.length + 16;
      return sealAead(suite.cipher, k.key, xor(k.iv, seq), Buffer.of(23, 3, 3, len >> 8, len & 255), inner);
    };
    // EncryptedExtensions in one record, Finished split across two (handshake messages span records).
    const ee = Buffer.from('080000020000', 'hex');
    const finished = Buffer.concat([Buffer.from([20, 0, 0, hashLen]), randomBytes(hashLen)]);
    assert.equal(dec.decrypt(false, 23, 0x0303, seal13(sHs, 0, 22, ee, 7))?.contentType, 22);
    assert.equal(dec.decrypt(false, 23, 0x0303, seal13(sHs, 1, 22, finished.subarray(0, 10)))?.contentType, 22);
    assert.equal(dec.decrypt(false, 23, 0x0303, seal13(sHs, 2, 22, finished.subarray(10)))?.contentType, 22);
    const d0 = dec.decrypt(false, 23, 0x0303, seal13(sAp, 0, 23, Buffer.from('pong'), 30));
    assert.deepEqual(d0, { contentType: 23, plaintext: Buffer.from('pong') }, 'padding stripped (RFC 8446 §5.4)');
    // KeyUpdate (RFC 8446 §4.6.3): the server's next records use application_traffic_secret_1.
    assert.equal(dec.decrypt(false, 23, 0x0303, seal13(sAp, 1, 22, Buffer.from('1800000100', 'hex')))?.contentType, 22);
    const sAp1 = hkdfExpandLabel(suite.prfHash, sAp, 'traffic upd', Buffer.alloc(0), hashLen)!;
    assert.deepEqual(dec.decrypt(false, 23, 0x0303, seal13(sAp1, 0, 21, Buffer.of(1, 0))), { contentType: 21, plaintext: Buffer.of(1, 0) });
    assert.deepEqual(dec.stats, { decrypted: 6, failed: 0, resynced: 0 });
    // Client direction has no secrets: null, never a throw.
    assert.equal(dec.decrypt(true, 23, 0x0303, randomBytes(40)), null);
  }
});

test('decryptors never throw on random or truncated fragments', () => {
  const store = tls12Store();
  store.addKeyLogText(`SERVER_TRAFFIC_SECRET_0 ${CR.toString('hex')} ${'ab'.repeat(32)}\nCLIENT_TRAFFIC_SECRET_0 ${CR.toString('hex')} ${'cd'.repeat(32)}\n`);
  for (const [id, version] of [[0x1301, 0x0304], [0xc02f, 0x0303], [0xc013, 0x0303], [0x002f, 0x0301], [0xcca9, 0x0303]] as const) {
    const dec = store.decryptorFor({ clientRandom: CR, serverRandom: SR, cipherSuite: id, version })!;
    for (let len = 0; len < 80; len++) {
      for (const type of [20, 21, 22, 23, 99]) {
        assert.equal(dec.decrypt(len % 2 === 0, type, version === 0x0304 ? 0x0303 : version, randomBytes(len)), null);
      }
    }
  }
});
