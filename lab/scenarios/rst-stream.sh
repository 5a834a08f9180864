#!/bin/bash
# rst-stream: the Node http2 upstream refuses every stream with RST_STREAM(REFUSED_STREAM) -- what a server at
# its max concurrent streams does.
SCEN=rst-stream
. "$(dirname "$0")/../lib.sh"
net_up
upstream_node refused 8080
capture proxy eth1 "$WORK/proxy.pcap"
nginx_start "" "    location / { grpc_pass grpc://10.200.3.2:8080; }"
for i in 1 2; do
  code=$(client_curl "http://10.200.1.1/orders.v1.Orders/Get")
  [ "$code" = 502 ] || die "expected 502, got $code"
done
nginx_stop; stop_captures
must_grep "$WORK/nginx/logs/error.log" 'upstream rejected request with error 7 while reading response header from upstream' "error log"
TSHARK_DECODE="-d tcp.port==8080,http2"
FIRST_SOURCE=proxy.pcap FIRST_KIND=http2.rst_stream FIRST_FILTER='http2.type==3'
check_first "$WORK/proxy.pcap" "$FIRST_FILTER" 10.200.3.2:8080 http2.rst_stream.error http2.streamid
[ "$(cut -f9 <<<"$FIRST_ROW")" = 7 ] || die "RST_STREAM error is not REFUSED_STREAM (7): $FIRST_ROW"
DESC="nginx grpc_pass (h2c) to a Node http2 upstream that resets every stream with RST_STREAM(REFUSED_STREAM=7) (stream.close(NGHTTP2_REFUSED_STREAM)); nginx logs 'upstream rejected request with error 7', 502 twice."
CAUSE=pool_overflow ORIGIN=upstream UPSTREAM=10.200.3.2:8080 FIRST_WHO=upstream
TRUTH_EXTRA='{"rst_stream":{"error_code":7,"error_name":"REFUSED_STREAM","stream_id":1}}'
EXPECTED_KINDS="http2.rst_stream nginx.error nginx.access"
finish
