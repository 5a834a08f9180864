#!/bin/bash
# goaway: nginx (grpc_pass, HTTP/2 cleartext upstream) sends a request; the Node http2 upstream answers the
# connection with GOAWAY(NO_ERROR, last_stream_id 0) -- a drain that does not cover stream 1 -- and closes.
SCEN=goaway
. "$(dirname "$0")/../lib.sh"
net_up
upstream_node goaway 8080 0
capture proxy eth1 "$WORK/proxy.pcap"
nginx_start "" "    location / { grpc_pass grpc://10.200.3.2:8080; }"
code=$(client_curl "http://10.200.1.1/orders.v1.Orders/List")
[ "$code" = 502 ] || die "expected 502, got $code"
nginx_stop; stop_captures
must_grep "$WORK/nginx/logs/error.log" 'upstream sent goaway with error 0 while reading response header from upstream' "error log"
TSHARK_DECODE="-d tcp.port==8080,http2"
FIRST_SOURCE=proxy.pcap FIRST_KIND=http2.goaway FIRST_FILTER='http2.type==7'
check_first "$WORK/proxy.pcap" "$FIRST_FILTER" 10.200.3.2:8080 http2.goaway.error http2.goaway.last_stream_id
[ "$(cut -f9,10 <<<"$FIRST_ROW")" = "$(printf '0\t0')" ] || die "expected GOAWAY NO_ERROR last_stream_id 0: $FIRST_ROW"
DESC="nginx grpc_pass (h2c) to a Node http2 upstream that sends GOAWAY(NO_ERROR, last_stream_id=0) as soon as the connection opens and closes it 50 ms later (a draining server: the request on stream 1 is not processed); nginx logs 'upstream sent goaway with error 0', 502."
CAUSE=upstream_close ORIGIN=upstream UPSTREAM=10.200.3.2:8080 FIRST_WHO=upstream
TRUTH_EXTRA='{"goaway":{"error_code":0,"error_name":"NO_ERROR","last_stream_id":0},"cause_note":"graceful GOAWAY that excludes the request: the upstream went away before the response (upstream_close); a GOAWAY PROTOCOL_ERROR would be protocol_mismatch (see h2c-mismatch)"}'
EXPECTED_KINDS="http2.goaway nginx.error nginx.access"
finish
