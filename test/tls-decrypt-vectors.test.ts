// Key schedules against published vectors: RFC 5869 (HKDF), the TLS 1.2 PRF vector circulated on
// the TLS WG list, and RFC 8448 §3 (simple 1-RTT handshake: secrets → keys → records).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  hkdfExtract, hkdfExpand, hkdfExpandLabel, prf12, cipherSuiteInfo, createKeyStore, deriveTrafficKeys,
} from '../src/tls-decrypt/index.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

test('RFC 5869 A.1 (basic, SHA-256)', () => {
  const prk = hkdfExtract('sha256', hex('000102030405060708090a0b0c'), Buffer.alloc(22, 0x0b));
  assert.equal(prk.toString('hex'), '077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5');
  const okm = hkdfExpand('sha256', prk, hex('f0f1f2f3f4f5f6f7f8f9'), 42);
  assert.equal(okm?.toString('hex'), '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865');
});

test('RFC 5869 A.3 (zero-length salt and info)', () => {
  const prk = hkdfExtract('sha256', Buffer.alloc(0), Buffer.alloc(22, 0x0b));
  assert.equal(prk.toString('hex'), '19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04');
  const okm = hkdfExpand('sha256', prk, Buffer.alloc(0), 42);
  assert.equal(okm?.toString('hex'), '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8');
  assert.equal(hkdfExpand('sha256', prk, Buffer.alloc(0), 255 * 32 + 1), null, 'RFC 5869 §2.3: L <= 255*HashLen');
});

test('TLS 1.2 PRF (RFC 5246 §5) P_SHA256 and P_SHA384 vectors', () => {
  const out = prf12('sha256', hex('9bbe436ba940f017b17652849a71db35'), 'test label', hex('a0ba9f936cda311827a6f796ffd5198c'), 100);
  assert.equal(out.toString('hex'),
    'e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab' +
    '4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff70187347b66');
  // Same vector set, SHA-384 (first 48 bytes; `openssl kdf ... TLS1-PRF` agrees).
  const out384 = prf12('sha384', hex('b80b733d6ceefcdc71566ea48e5567df'), 'test label', hex('cd665cf6a8447dd6ff8b27555edb7465'), 48);
  assert.equal(out384.toString('hex'), '7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cde9ca0faa60be9fe34f82b1233c9146a0');
});

// ---- RFC 8448 §3, TLS_AES_128_GCM_SHA256 ----
const R = {
  clientRandom: 'cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7',
  serverRandom: 'a6af06a4121860dc5e6e60249cd34c95930c8ac5cb1434dac155772ed3e26928',
  handshakeSecret: '1dc826e93606aa6fdc0aadc12f741b01046aa6b99f691ed221a9f0ca043fbeac',
  cHsTraffic: 'b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21',
  sHsTraffic: 'b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38',
  cApTraffic: '9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5',
  sApTraffic: 'a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643',
  serverHsKey: '3fce516009c21727d0f2e4e86ee403bc', serverHsIv: '5d313eb2671276ee13000b30',
  clientHsKey: 'dbfaa693d1762c5b666af5d950258d01', clientHsIv: '5bd3c71b836e0b76bb73265f',
  serverApKey: '9f02283b6c9c07efc26bb9f2ac92e356', serverApIv: 'cf782b88dd83549aadf1e984',
  clientApKey: '17422dda596ed5d9acd890e3c63f5051', clientApIv: '5b78923dee08579033e523d9',
  serverFlightPlain:
    '080000240022000a00140012001d00170018001901000101010201030104001c00024001000000000b0001b9000001b50001b0308201ac30820115a003020102020102300d06092a864886f70d01010b0500300e310c300a06035504031303727361301e170d3136303733303031323335395a170d3236303733303031323335395a300e310c300a0603550403130372736130819f300d06092a864886f70d010101050003818d0030818902818100b4bb498f8279303d980836399b36c6988c0c68de55e1bdb826d3901a2461eafd2de49a91d015abbc9a95137ace6c1af19eaa6af98c7ced43120998e187a80ee0ccb0524b1b018c3e0b63264d449a6d38e22a5fda430846748030530ef0461c8ca9d9efbfae8ea6d1d03e2bd193eff0ab9a8002c47428a6d35a8d88d79f7f1e3f0203010001a31a301830090603551d1304023000300b0603551d0f0404030205a0300d06092a864886f70d01010b05000381810085aad2a0e5b9276b908c65f73a7267170618a54c5f8a7b337d2df7a594365417f2eae8f8a58c8f8172f9319cf36b7fd6c55b80f21a03015156726096fd335e5e67f2dbf102702e608ccae6bec1fc63a42a99be5c3eb7107c3c54e9b9eb2bd5203b1c3b84e0a8b2f759409ba3eac9d91d402dcc0cc8f8961229ac9187b42b4de100000f000084080400805a747c5d88fa9bd2e55ab085a61015b7211f824cd484145ab3ff52f1fda8477b0b7abc90db78e2d33a5c141a078653fa6bef780c5ea248eeaaa785c4f394cab6d30bbe8d4859ee511f602957b15411ac027671459e46445c9ea58c181e818e95b8c3fb0bf3278409d3be152a3da5043e063dda65cdf5aea20d53dfacd42f74f3140000209b9b141d906337fbd2cbdce71df4deda4ab42c309572cb7fffee5454b78f0718',
  serverFlightRecord:
    '17030302a2d1ff334a56f5bff6594a07cc87b580233f500f45e489e7f33af35edf7869fcf40aa40aa2b8ea73f848a7ca07612ef9f945cb960b4068905123ea78b111b429ba9191cd05d2a389280f526134aadc7fc78c4b729df828b5ecf7b13bd9aefb0e57f271585b8ea9bb355c7c79020716cfb9b1183ef3ab20e37d57a6b9d7477609aee6e122a4cf51427325250c7d0e509289444c9b3a648f1d71035d2ed65b0e3cdd0cbae8bf2d0b227812cbb360987255cc744110c453baa4fcd610928d809810e4b7ed1a8fd991f06aa6248204797e36a6a73b70a2559c09ead686945ba246ab66e5edd8044b4c6de3fcf2a89441ac66272fd8fb330ef8190579b3684596c960bd596eea520a56a8d650f563aad27409960dca63d3e688611ea5e22f4415cf9538d51a200c27034272968a264ed6540c84838d89f72c24461aad6d26f59ecaba9acbbb317b66d902f4f292a36ac1b639c637ce343117b659622245317b49eeda0c6258f100d7d961ffb138647e92ea330faeea6dfa31c7a84dc3bd7e1b7a6c7178af36879018e3f252107f243d243dc7339d5684c8b0378bf30244da8c87c843f5e56eb4c5e8280a2b48052cf93b16499a66db7cca71e4599426f7d461e66f99882bd89fc50800becca62d6c74116dbd2972fda1fa80f85df881edbe5a37668936b335583b599186dc5c6918a396fa48a181d6b6fa4f9d62d513afbb992f2b992f67f8afe67f76913fa388cb5630c8ca01e0c65d11c66a1e2ac4c85977b7c7a6999bbf10dc35ae69f5515614636c0b9b68c19ed2e31c0b3b66763038ebba42f3b38edc0399f3a9f23faa63978c317fc9fa66a73f60f0504de93b5b845e275592c12335ee340bbc4fddd502784016e4b3be7ef04dda49f4b440a30cb5d2af939828fd4ae3794e44f94df5a631ede42c1719bfdabf0253fe5175be898e750edc53370d2b',
  clientFinishedPlain: '14000020a8ec436d677634ae525ac1fcebe11a039ec17694fac6e98527b642f2edd5ce61',
  clientFinishedRecord: '170303003575ec4dc238cce60b298044a71e219c56cc77b0517fe9b93c7a4bfc44d87f38f80338ac98fc46deb384bd1caeacab6867d726c40546',
  appData: '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031',
  clientDataRecord: '1703030043a23f7054b62c94d0affafe8228ba55cbefacea42f914aa66bcab3f2b9819a8a5b46b395bd54a9a20441e2b62974e1f5a6292a2977014bd1e3deae63aeebb21694915e4',
  serverDataRecord: '17030300432e937e11ef4ac740e538ad36005fc4a46932fc3225d05f82aa1b36e30efaf97d90e6dffc602dcb501a59a8fcc49c4bf2e5f0a21c0047c2abf332540dd032e167c2955d',
  clientAlertRecord: '1703030013c9872760655666b74d7ff1153efd6db6d0b0e3',
  serverAlertRecord: '1703030013b58fd67166ebf599d24720cfbe7efa7a8864a9',
};

const SUITE_1301 = cipherSuiteInfo(0x1301, 0x0304)!;

test('RFC 8448 §3: HKDF-Expand-Label derives "c hs traffic"/"s hs traffic" from the handshake secret', () => {
  // Derive-Secret(Handshake Secret, label, ClientHello...ServerHello) with the transcript hash from RFC 8448.
  const transcript = hex('860c06edc07858ee8e78f0e7428c58edd6b43f2ca3e6e95f02ed063cf0e1cad8');
  assert.equal(hkdfExpandLabel('sha256', hex(R.handshakeSecret), 'c hs traffic', transcript, 32)?.toString('hex'), R.cHsTraffic);
  assert.equal(hkdfExpandLabel('sha256', hex(R.handshakeSecret), 's hs traffic', transcript, 32)?.toString('hex'), R.sHsTraffic);
});

test('RFC 8448 §3: traffic keys and IVs (RFC 8446 §7.3)', () => {
  const pairs: [string, string, string][] = [
    [R.sHsTraffic, R.serverHsKey, R.serverHsIv], [R.cHsTraffic, R.clientHsKey, R.clientHsIv],
    [R.sApTraffic, R.serverApKey, R.serverApIv], [R.cApTraffic, R.clientApKey, R.clientApIv],
  ];
  for (const [secret, key, iv] of pairs) {
    const k = deriveTrafficKeys(SUITE_1301, hex(secret));
    assert.equal(k?.key.toString('hex'), key);
    assert.equal(k?.iv.toString('hex'), iv);
  }
});

function rfc8448Store() {
  const store = createKeyStore();
  const log = store.addKeyLogText([
    '# RFC 8448 §3 secrets in NSS key log form',
    `CLIENT_HANDSHAKE_TRAFFIC_SECRET ${R.clientRandom} ${R.cHsTraffic}`,
    `SERVER_HANDSHAKE_TRAFFIC_SECRET ${R.clientRandom} ${R.sHsTraffic}`,
    `CLIENT_TRAFFIC_SECRET_0 ${R.clientRandom} ${R.cApTraffic}`,
    `SERVER_TRAFFIC_SECRET_0 ${R.clientRandom} ${R.sApTraffic}`,
  ].join('\n'));
  assert.equal(log.entries, 4);
  return store;
}
const params = { clientRandom: hex(R.clientRandom), serverRandom: hex(R.serverRandom), cipherSuite: 0x1301, version: 0x0304 };
/** Split a complete record into the decrypt() arguments. */
const rec = (h: string) => { const b = hex(h); return [b[0], b.readUInt16BE(1), b.subarray(5)] as const; };

test('RFC 8448 §3: decrypt every protected record and compare with the listed plaintext', () => {
  const dec = rfc8448Store().decryptorFor(params);
  assert.ok(dec);
  const serverFlight = dec.decrypt(false, ...rec(R.serverFlightRecord));
  assert.deepEqual(serverFlight && { t: serverFlight.contentType, p: serverFlight.plaintext.toString('hex') }, { t: 22, p: R.serverFlightPlain });
  const fin = dec.decrypt(true, ...rec(R.clientFinishedRecord));
  assert.deepEqual(fin && { t: fin.contentType, p: fin.plaintext.toString('hex') }, { t: 22, p: R.clientFinishedPlain });
  // Both Finished seen: the next records use application traffic keys (switch is internal).
  const c = dec.decrypt(true, ...rec(R.clientDataRecord));
  assert.deepEqual(c && { t: c.contentType, p: c.plaintext.toString('hex') }, { t: 23, p: R.appData });
  const s = dec.decrypt(false, ...rec(R.serverDataRecord));
  assert.deepEqual(s && { t: s.contentType, p: s.plaintext.toString('hex') }, { t: 23, p: R.appData });
  for (const [fromClient, r] of [[true, R.clientAlertRecord], [false, R.serverAlertRecord]] as const) {
    const a = dec.decrypt(fromClient, ...rec(r));
    assert.deepEqual(a && { t: a.contentType, p: a.plaintext.toString('hex') }, { t: 21, p: '0100' }, 'close_notify alert');
  }
  // RFC 8448 §3's server sends a NewSessionTicket (server application seq 0) that this test does
  // not pass, so the server's data record opens at seq 1: exactly one resync.
  assert.deepEqual(dec.stats, { decrypted: 6, failed: 0, resynced: 1 });
});

test('RFC 8448 §3: a tampered record is null and the decryptor stays usable; missing records resync', () => {
  const dec = rfc8448Store().decryptorFor(params)!;
  const [t, v, frag] = rec(R.serverFlightRecord);
  const bad = Buffer.from(frag);
  bad[10] ^= 1;
  assert.equal(dec.decrypt(false, t, v, bad), null);
  assert.equal(dec.decrypt(false, t, v, frag)?.contentType, 22);
  // Client Finished never passed (capture loss): its first application record still opens.
  const c = dec.decrypt(true, ...rec(R.clientDataRecord));
  assert.equal(c?.plaintext.toString('hex'), R.appData);
  assert.deepEqual(dec.stats, { decrypted: 2, failed: 1, resynced: 1 });
  // Not-encrypted records (TLS 1.3 ChangeCipherSpec) are not counted as failures.
  assert.equal(dec.decrypt(true, 20, 0x0303, Buffer.of(1)), null);
  assert.equal(dec.stats.failed, 1);
});

test('RFC 8448 §3: no key log entry for the client random → no decryptor', () => {
  const store = rfc8448Store();
  assert.equal(store.decryptorFor({ ...params, clientRandom: Buffer.alloc(32) }), null);
  assert.equal(store.decryptorFor({ ...params, cipherSuite: 0x1304 }), null, 'CCM suite unsupported');
  assert.deepEqual(store.stats, { decryptors: 0, noKeys: 1, unsupported: 1 });
});
