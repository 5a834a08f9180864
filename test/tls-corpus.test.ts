import test from 'node:test';
import assert from 'node:assert/strict';
import { agreement } from './tls-truth.js';

test('corpus: TLS and HTTP/2 events agree with tshark', () => {
  const { totals } = agreement();
  const rows = Object.entries(totals).map(([c, a]) => `${c.padEnd(24)} truth ${String(a.truth).padStart(4)}  matched ${String(a.matched).padStart(4)}  extra ${String(a.extra).padStart(4)}`);
  console.log(rows.join('\n'));
  for (const [c, a] of Object.entries(totals)) {
    if (a.misses.length) console.log(`${c} misses:\n  ${a.misses.slice(0, 15).join('\n  ')}`);
    if (a.extras.length) console.log(`${c} extras:\n  ${a.extras.slice(0, 15).join('\n  ')}`);
  }
  // Every plaintext alert, TCP ClientHello, ServerHello ALPN, GOAWAY and RST_STREAM tshark finds.
  for (const c of ['tls_alert', 'tls_client_hello', 'tls_server_hello_alpn', 'http2_goaway', 'http2_rst_stream'] as const) {
    assert.ok(totals[c].truth > 0, c);
    assert.equal(totals[c].matched, totals[c].truth, `${c}: ${totals[c].misses.slice(0, 5).join(' ')}`);
    assert.equal(totals[c].extra, 0, `${c}: ${totals[c].extras.slice(0, 5).join(' ')}`);
  }
  assert.deepEqual([totals.tls_client_hello.truth, totals.tls_alert.truth, totals.http2_goaway.truth, totals.http2_rst_stream.truth], [637, 9, 7, 14]);
  // Encrypted alerts (a bonus: tshark's tls_encrypted_alerts): all found; one extra known (example2 #2507).
  assert.equal(totals.tls_encrypted_alert.matched, totals.tls_encrypted_alert.truth);
  assert.ok(totals.tls_encrypted_alert.extra <= 1);
});
