#!/bin/bash
# h2c-mismatch: nginx speaks HTTP/1.x to a cleartext-HTTP/2-only upstream (Node http2.createServer).
# Node (nghttp2) sees no connection preface, answers with its SETTINGS + GOAWAY and closes.
# Second half: the other direction, curl --http2-prior-knowledge (h2 preface) to a Node HTTP/1.1 server.
SCEN=h2c-mismatch
. "$(dirname "$0")/../lib.sh"
net_up
upstream_node h2c 8080
upstream_node ok 8081
capture proxy eth1 "$WORK/proxy.pcap"
nginx_start "" "    location / { proxy_pass http://10.200.3.2:8080; proxy_read_timeout 3s; }"
code=$(client_curl --max-time 8 "http://10.200.1.1/grpc-ish")
# nginx falls back to HTTP/0.9 on a reply with no status line: it relays the binary frames with status
# "009" (access log) and curl rejects the HTTP/0.9 reply (000, exit 1 "Received HTTP/0.9 when not allowed").
[ "$code" = 000 ] || die "expected curl to reject the HTTP/0.9 reply (000), got $code"
sleep 0.2
code2=$(X proxy curl -s --http2-prior-knowledge -o /dev/null -w '%{http_code}' http://10.200.3.2:8081/) || true
note "h2 preface -> HTTP/1.1 server: curl got $code2"
nginx_stop; stop_captures
must_grep "$WORK/nginx/logs/error.log" 'upstream sent no valid HTTP/1.0 header while reading response header from upstream' "error log"
must_grep "$WORK/nginx/logs/access.log" '" 009 .* 10\.200\.3\.2:8080 200 ' "access log"
TSHARK_DECODE="-d tcp.port==8080,http2"
FIRST_SOURCE=proxy.pcap FIRST_KIND=http2.goaway FIRST_FILTER='http2.type==7'
check_first "$WORK/proxy.pcap" "$FIRST_FILTER" 10.200.3.2:8080 http2.goaway.error http2.goaway.last_stream_id
# Node 20 reports nghttp2's "bad client magic" as GOAWAY INTERNAL_ERROR (2), not PROTOCOL_ERROR (1)
gerr=$(cut -f9 <<<"$FIRST_ROW")
case $gerr in 1) gname=PROTOCOL_ERROR ;; 2) gname=INTERNAL_ERROR ;; *) die "unexpected GOAWAY error $gerr: $FIRST_ROW" ;; esac
errline='upstream sent no valid HTTP/1.0 header'
DESC="nginx proxies HTTP/1.0 to an h2c-only Node upstream: the upstream replies SETTINGS + GOAWAY($gname, last_stream_id 0) and closes; nginx logs '$errline' and, falling back to HTTP/0.9, relays the binary frames with status 009 (access log; \$upstream_status 200); curl rejects the HTTP/0.9 reply. Then curl --http2-prior-knowledge from the proxy host to a Node HTTP/1.1 server on :8081 (h2 preface to HTTP/1): curl got $code2."
CAUSE=protocol_mismatch ORIGIN=upstream UPSTREAM=10.200.3.2:8080 FIRST_WHO=upstream
TRUTH_EXTRA='{"goaway":{"error_code":'$gerr',"error_name":"'$gname'","last_stream_id":0},"second_flow":{"upstream":"10.200.3.2:8081","what":"HTTP/2 prior-knowledge preface sent to an HTTP/1.1-only server"}}'
EXPECTED_KINDS="http2.goaway nginx.error nginx.access"
finish
