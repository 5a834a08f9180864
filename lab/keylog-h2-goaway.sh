#!/bin/bash
# samples/keylog/h2-goaway: an encrypted HTTP/2 RST_STREAM and GOAWAY that only a key log reveals.
# curl --http2 (SSLKEYLOGFILE set) asks a Node h2 server on 127.0.0.1 for /ok, then /reset on the
# same connection; the server resets that stream (RST_STREAM INTERNAL_ERROR) and sends GOAWAY
# (ENHANCE_YOUR_CALM, last stream = the reset one). tcpdump captures it on lo (port-filtered).
# truth.json: what was made, plus tshark's view with and without the key log (corpus schema,
# made by /work/shared/corpus/pcap/tools/make_truth.sh). Loopback only; stops what it starts by PID.
#   sudo bash lab/keylog-h2-goaway.sh          (tcpdump needs root or CAP_NET_RAW)
set -euo pipefail
LAB=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$LAB/.." && pwd)
OUT="$REPO/samples/keylog/h2-goaway"
MAKE_TRUTH=${MAKE_TRUTH:-$REPO/../shared/corpus/pcap/tools/make_truth.sh}
PORT=${PORT:-18443}
for t in node openssl curl tcpdump tshark capinfos ss; do command -v "$t" >/dev/null || { echo "keylog-h2-goaway: missing $t" >&2; exit 2; }; done
[ -f "$MAKE_TRUTH" ] || { echo "keylog-h2-goaway: no $MAKE_TRUTH" >&2; exit 2; }
if ss -Htln "( sport = :$PORT )" | grep -q .; then echo "keylog-h2-goaway: port $PORT busy (PORT=...)" >&2; exit 2; fi

WORK=$(mktemp -d /tmp/rskeylog-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  [ -n "${KEEP_WORK:-}" ] && echo "work: $WORK" >&2 || rm -rf "$WORK"
}
trap cleanup EXIT
cd "$WORK"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout key.pem -out cert.pem -days 3650 \
  -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null
cat > server.mjs <<'JS'
import http2 from 'node:http2';
import fs from 'node:fs';
const { NGHTTP2_INTERNAL_ERROR, NGHTTP2_ENHANCE_YOUR_CALM } = http2.constants;
const server = http2.createSecureServer({ key: fs.readFileSync('key.pem'), cert: fs.readFileSync('cert.pem') });
server.on('stream', (stream, headers) => {
  stream.on('error', () => {}); // our own RST_STREAM surfaces as a stream error
  if (headers[':path'] === '/reset') {
    stream.close(NGHTTP2_INTERNAL_ERROR);                       // RST_STREAM, error 2
    stream.session.goaway(NGHTTP2_ENHANCE_YOUR_CALM, stream.id); // GOAWAY, error 11, last_stream_id = this stream
  } else {
    stream.respond({ ':status': 200, 'content-type': 'text/plain' });
    stream.end('ok\n');
  }
});
server.listen(Number(process.argv[2]), '127.0.0.1', () => console.log('listening'));
JS
node server.mjs "$PORT" > server.out 2>&1 & pids+=($!)
tcpdump -i lo -U --immediate-mode -n -w capture.pcap "tcp port $PORT" 2> tcpdump.err & TCPDUMP=$!; pids+=($TCPDUMP)
for _ in $(seq 100); do grep -q listening server.out && grep -q 'listening on' tcpdump.err && break; sleep 0.1; done
grep -q listening server.out || { cat server.out >&2; exit 1; }

set +e
SSLKEYLOGFILE="$WORK/keylog.txt" curl --http2 -k -sS --max-time 10 \
  -o /dev/null "https://127.0.0.1:$PORT/ok" -o /dev/null "https://127.0.0.1:$PORT/reset" 2> curl.err
curl_rc=$?
set -e
sleep 1
kill -INT "$TCPDUMP"; wait "$TCPDUMP" 2>/dev/null || true
echo "curl exit $curl_rc: $(tr '\n' ' ' < curl.err)"
[ "$curl_rc" != 0 ] || { echo "keylog-h2-goaway: curl succeeded; expected the reset stream to fail it" >&2; exit 1; }

# tshark's view, with and without the key log, in the corpus truth schema.
mkdir corpus
cp capture.pcap keylog.txt corpus/
printf 'capture\tkind\tkey_file\tnote\ncapture.pcap\tnss-keylog\tkeylog.txt\t-\n' > corpus/KEYS.tsv
bash "$MAKE_TRUTH" "$WORK/corpus" capture.pcap > /dev/null

node - "$WORK" "$PORT" "$curl_rc" <<'JS' > truth.json
const fs = require('node:fs');
const [work, port, curlRc] = process.argv.slice(2);
const clean = (t) => JSON.parse(JSON.stringify(t).split(work + '/corpus/').join(''));
const keys = clean(JSON.parse(fs.readFileSync(`${work}/corpus/truth/capture.pcap.json`, 'utf8')));
const nokeys = clean(JSON.parse(fs.readFileSync(`${work}/corpus/truth/capture.pcap.nokeys.json`, 'utf8')));
const fail = (m) => { console.error('keylog-h2-goaway: ' + m); process.exit(1); };
const fromServer = (r) => String(r.sport) === port;
// What was made, checked against tshark with the key log.
const g = keys.http2_goaway.filter(fromServer);
const r = keys.http2_rst_stream.filter(fromServer);
if (g.length !== 1 || g[0].error_code !== 11 || g[0].last_stream_id !== 3) fail('tshark with keys: expected one GOAWAY ENHANCE_YOUR_CALM last_stream 3 from the server: ' + JSON.stringify(g));
if (r.length !== 1 || r[0].stream_id !== 3 || r[0].error_code !== 2) fail('tshark with keys: expected RST_STREAM INTERNAL_ERROR on stream 3 from the server: ' + JSON.stringify(r));
if (!keys.tls_server_hello_alpn.some((a) => a.alpn.includes('h2') && a.handshake_types.includes(8))) fail('tshark with keys: no EncryptedExtensions ALPN h2');
if (nokeys.http2_goaway.length || nokeys.http2_rst_stream.length) fail('tshark without keys sees HTTP/2 frames');
console.log(JSON.stringify({
  name: 'h2-goaway',
  made: {
    how: 'curl --http2 -k with SSLKEYLOGFILE asks a Node http2.createSecureServer on 127.0.0.1 for /ok then /reset on one TLS 1.3 connection; the server answers /reset with stream.close(NGHTTP2_INTERNAL_ERROR) and session.goaway(NGHTTP2_ENHANCE_YOUR_CALM, stream.id); tcpdump -i lo "tcp port ' + port + '"',
    server_port: Number(port),
    rst_stream: { stream_id: 3, error_code: 2, error_name: 'INTERNAL_ERROR', from: 'server' },
    goaway: { last_stream_id: 3, error_code: 11, error_name: 'ENHANCE_YOUR_CALM', from: 'server' },
    curl_exit: Number(curlRc),
  },
  capture: 'capture.pcap',
  keylog: 'keylog.txt',
  checked_with: 'tshark -o tls.keylog_file:keylog.txt (keys) and without (nokeys), via corpus/pcap/tools/make_truth.sh',
  keys,
  nokeys,
}, null, 2));
JS
mkdir -p "$OUT"
cp capture.pcap keylog.txt truth.json "$OUT/"
echo "wrote $OUT: $(capinfos -c capture.pcap | awk '/Number of packets/ {print $NF}') packets, GOAWAY frame $(node -e 'const t=require(process.argv[1]);console.log(t.keys.http2_goaway.map(g=>g.frame).join(","))' "$WORK/truth.json")"
