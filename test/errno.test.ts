// The one errno table (src/errno.ts) and the one Envoy reason table (src/envoy/details.ts):
// numbers and texts across glibc, musl, BSD/macOS and Winsock; the access and debug paths agree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ERRNO_TABLE, errnoByNumber, errnoByText, lookupErrno } from '../src/errno.js';
import { classifyEnvoy } from '../src/envoy/causes.js';
import { classifyMessage } from '../src/envoy/debug-messages.js';
import { parseBody } from '../src/envoy/body.js';
import { summarizeTransport } from '../src/envoy/details.js';

test('every entry resolves by each of its numbers and each of its texts', () => {
  for (const e of ERRNO_TABLE) {
    assert.equal(errnoByNumber(e.linux)?.name, e.name, `linux ${e.linux}`);
    assert.equal(errnoByNumber(e.bsd, e.bsdText)?.name, e.name, `bsd ${e.bsd}`);
    if (e.windows !== null) assert.equal(errnoByNumber(e.windows)?.name, e.name, `windows ${e.windows}`);
    for (const t of [e.glibc, e.musl, e.bsdText, e.windowsText]) {
      if (t === null) continue;
      assert.equal(errnoByText(t)?.name, e.name, t);
      assert.equal(errnoByText(t + '.')?.name, e.name, `${t}.`);
      assert.equal(lookupErrno(t.replace(/ /g, '_'))?.name, e.name, `${t} with underscores`);
    }
    assert.equal(lookupErrno(e.name)?.name, e.name);
  }
});

test('numbers: platform tie-breaks (BSD 61 vs Linux 61), Unknown error, WSA codes', () => {
  assert.deepEqual([errnoByNumber(111)?.name, errnoByNumber(111)?.platform], ['ECONNREFUSED', 'linux']);
  assert.deepEqual([errnoByNumber(61, 'Connection refused')?.name, errnoByNumber(61, 'Connection refused')?.platform], ['ECONNREFUSED', 'bsd']);
  assert.equal(errnoByNumber(61, 'No data available'), undefined, 'Linux 61 is ENODATA, not a socket error');
  assert.equal(errnoByNumber(60, 'Unknown error')?.name, 'ETIMEDOUT');
  assert.equal(errnoByNumber(24)?.platform, 'any');
  assert.equal(errnoByNumber(10061)?.name, 'ECONNREFUSED');
  assert.equal(errnoByNumber(10061)?.platform, 'windows');
  assert.equal(errnoByNumber(7777), undefined);
  assert.equal(errnoByNumber(10999), undefined);
});

test('texts: musl and BSD wording, longer text after a known one, cut Windows messages', () => {
  assert.equal(errnoByText('Operation timed out')?.name, 'ETIMEDOUT');
  assert.equal(errnoByText('Host is unreachable')?.name, 'EHOSTUNREACH');
  assert.equal(errnoByText("Can't assign requested address")?.name, 'EADDRNOTAVAIL');
  assert.equal(errnoByText('Address not available')?.name, 'EADDRNOTAVAIL');
  assert.equal(errnoByText('Too many open files in system')?.name, 'ENFILE');
  assert.equal(errnoByText('Too many open files')?.name, 'EMFILE');
  assert.equal(errnoByText('Network is unreachable|remote address family: IPv6')?.name, 'ENETUNREACH');
  assert.equal(errnoByText('No connection could be made because the target machine actively refused it.')?.cause, 'refused');
  assert.equal(errnoByText('A connection attempt failed because the connected party did not properly respond')?.name, 'ETIMEDOUT');
  assert.equal(errnoByText('the quick brown fox'), undefined);
  assert.equal(lookupErrno('WSAECONNREFUSED')?.errno, 10061);
});

// Access log, debug log and body read the same reason tables: same transport reason, same cause.
const TFRS: Array<[string, string]> = [
  ['delayed connect error: 111', 'refused'],
  ['delayed connect error: Connection refused', 'refused'],
  ['delayed connect error: 110', 'connect_timeout'],
  ['delayed connect error: 113', 'unreachable'],
  ['immediate connect error: 99', 'resource_exhaustion'],
  ['immediate connect error: Network is unreachable|remote address family: IPv6', 'unreachable'],
  ['delayed connect error: 10061', 'refused'],
  ['TLS_error:|268435703:SSL_routines:OPENSSL_internal:WRONG_VERSION_NUMBER:TLS_error_end', 'tls'],
  ['TLS error: 268435581:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED', 'tls'],
  ['TLS_error:|268436566:SSL_routines:OPENSSL_internal:TLSV1_ALERT_NO_APPLICATION_PROTOCOL:TLS_error_end', 'protocol_mismatch'],
];

test('access, debug and body paths agree on every transport failure reason', () => {
  for (const [tfr, cause] of TFRS) {
    assert.equal(summarizeTransport(tfr)?.cause, cause, tfr);
    assert.equal(classifyEnvoy({ flags: ['UF'], code: 503, transportFailureReason: tfr.replace(/ /g, '_') }).cause, cause, `access ${tfr}`);
    assert.equal(classifyMessage(`upstream reset: reset reason: remote connection failure, transport failure reason: ${tfr}`)?.cause, cause, `debug ${tfr}`);
    assert.equal(parseBody(`upstream connect error or disconnect/reset before headers. reset reason: remote connection failure, transport failure reason: ${tfr}`)?.cause, cause, `body ${tfr}`);
  }
});

test('debug connect errors carry the errno as a number, like the access log and nginx', () => {
  assert.equal(classifyMessage('delayed connect error: Connection refused')?.fields.errno, 111);
  assert.equal(classifyMessage('delayed connect error: 111')?.fields.errno, 111);
  assert.equal(classifyMessage('delayed connect error: 7777')?.fields.errno, 7777);
});
