#!/bin/bash
# read-timeout: proxy_read_timeout 1s vs an upstream that answers after 3 s -> 504 "upstream timed out".
# Not a reset: the proxy gives up and closes (FIN) the upstream connection.
SCEN=read-timeout
TZ_LAB=America/New_York
. "$(dirname "$0")/../lib.sh"
net_up
upstream_node slow 8080 3000
capture proxy eth1 "$WORK/proxy.pcap"
nginx_start "" "    location / { proxy_pass http://10.200.3.2:8080; proxy_read_timeout 1s; }"
code=$(client_curl --max-time 5 "http://10.200.1.1/search?q=slow")
[ "$code" = 504 ] || die "expected 504, got $code"
nginx_stop; stop_captures
must_grep "$WORK/nginx/logs/error.log" 'upstream timed out \(110: Connection timed out\) while reading response header from upstream' "error log"
must_grep "$WORK/nginx/logs/access.log" '" 504 .* 10\.200\.3\.2:8080 504 1\.[0-9]+ ' "access log"
FIRST_SOURCE=proxy.pcap FIRST_KIND=tcp.fin FIRST_FILTER='tcp.flags.fin==1'
check_first "$WORK/proxy.pcap" "$FIRST_FILTER" '10.200.2.1:*'
[ -z "$(tshark_rows "$WORK/proxy.pcap" 'tcp.srcport==8080 && tcp.len>0' frame.number)" ] || die "upstream answered"
req_t=$(tshark_rows "$WORK/proxy.pcap" 'tcp.dstport==8080 && tcp.len>0' frame.time_epoch | head -1)
wait_ms=$(awk -v a="$req_t" -v b="$FIRST_EPOCH" 'BEGIN{printf "%d", (b-a)*1000}')
[ "$wait_ms" -ge 950 ] && [ "$wait_ms" -le 1500 ] || die "proxy closed ${wait_ms} ms after the request"
DESC="Upstream takes 3 s, nginx proxy_read_timeout 1s: ${wait_ms} ms after sending the request nginx closes the upstream connection (FIN), logs 'upstream timed out (110) while reading response header' and returns 504. nginx ran with TZ=America/New_York (error log local time without zone; access log -0500)."
CAUSE=timeout ORIGIN=upstream UPSTREAM=10.200.3.2:8080 FIRST_WHO=proxy
TRUTH_EXTRA="{\"proxy_read_timeout_ms\":1000,\"request_to_fin_ms\":$wait_ms,\"origin_note\":\"the upstream is slow (origin); the first packet of the failure is the proxy's FIN when it gives up\"}"
EXPECTED_KINDS="tcp.flow nginx.error nginx.access"
finish
