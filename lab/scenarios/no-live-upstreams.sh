#!/bin/bash
# no-live-upstreams: an upstream group of two servers, nothing listening on either. The first request is
# refused by both (RST+ACK to each SYN) and nginx marks both down (max_fails=1); the requests after it fail
# at once with "no live upstreams", without a packet. The root cause is the refusal, not nginx's bookkeeping.
SCEN=no-live-upstreams
. "$(dirname "$0")/../lib.sh"
net_up
capture proxy eth1 "$WORK/proxy.pcap"
nginx_start "  upstream backend {
    server 10.200.3.2:8080 max_fails=1 fail_timeout=30s;
    server 10.200.3.2:8081 max_fails=1 fail_timeout=30s;
  }" "    location / { proxy_pass http://backend; }"
for p in /orders /orders/7 /healthz; do
  code=$(client_curl "http://10.200.1.1$p")
  [ "$code" = 502 ] || die "expected 502 for $p, got $code"
done
nginx_stop; stop_captures
must_grep "$WORK/nginx/logs/error.log" 'connect\(\) failed \(111: Connection refused\) while connecting to upstream.*upstream: "http://10\.200\.3\.2:8080/orders"' "error log (8080 refused)"
must_grep "$WORK/nginx/logs/error.log" 'connect\(\) failed \(111: Connection refused\) while connecting to upstream.*upstream: "http://10\.200\.3\.2:8081/orders"' "error log (8081 refused)"
must_grep "$WORK/nginx/logs/error.log" 'no live upstreams while connecting to upstream.*upstream: "http://backend/orders/7"' "error log (no live upstreams)"
[ "$(tshark_rows "$WORK/proxy.pcap" 'tcp.flags.syn==1 && tcp.flags.ack==0' frame.number | wc -l)" = 2 ] || die "expected 2 SYNs (the first request only)"
FIRST_SOURCE=proxy.pcap FIRST_KIND=tcp.rst FIRST_FILTER='tcp.flags.reset==1'
check_first "$WORK/proxy.pcap" "$FIRST_FILTER" 10.200.3.2:8080
DESC="Upstream group 'backend' = 10.200.3.2:8080 and :8081 (max_fails=1), nothing listening on either. The first GET is refused by both (RST+ACK to each SYN) and both are marked down; the next two fail with 'no live upstreams' and send no packet. All three get 502."
CAUSE=refused ORIGIN=upstream UPSTREAM=10.200.3.2:8080 FIRST_WHO=upstream
EXPECTED_KINDS="tcp.rst nginx.error nginx.access"
finish
