#!/bin/bash
# tls-to-plaintext: nginx speaks TLS (proxy_pass https://) to a plain HTTP/1.1 upstream.
SCEN=tls-to-plaintext
. "$(dirname "$0")/../lib.sh"
net_up
upstream_node ok 8080
capture proxy eth1 "$WORK/proxy.pcap"
nginx_start "" "    location / { proxy_pass https://10.200.3.2:8080; }"
code=$(client_curl "http://10.200.1.1/")
[ "$code" = 502 ] || die "expected 502, got $code"
nginx_stop; stop_captures
must_grep "$WORK/nginx/logs/error.log" 'SSL_do_handshake\(\) failed .*wrong version number.* while SSL handshaking to upstream' "error log"
FIRST_SOURCE=proxy.pcap FIRST_KIND=tcp.data FIRST_FILTER='tcp.srcport==8080 && tcp.len>0'
check_first "$WORK/proxy.pcap" "$FIRST_FILTER" 10.200.3.2:8080 tcp.payload
payload=$(cut -f9 <<<"$FIRST_ROW" | tr -d ':')
[[ $payload == 485454502f312e31* ]] || die "first upstream bytes are not 'HTTP/1.1': $payload"
[ -n "$(TSHARK_DECODE='-d tcp.port==8080,tls' tshark_rows "$WORK/proxy.pcap" 'tls.handshake.type==1' frame.number)" ] || die "no ClientHello"
DESC="nginx proxy_pass https:// to a plain HTTP/1.1 Node upstream: the upstream answers the TLS ClientHello with 'HTTP/1.1 400 Bad Request' in clear text and closes; nginx logs SSL 'wrong version number' and returns 502."
CAUSE=tls ORIGIN=proxy UPSTREAM=10.200.3.2:8080 FIRST_WHO=upstream
TRUTH_EXTRA='{"tls_reason":"plaintext","note":"origin is the proxy: its configuration speaks TLS to a plaintext port; the first anomalous packet is the upstream'"'"'s clear-text reply"}'
EXPECTED_KINDS="tls.client_hello http.response nginx.error nginx.access"
finish
