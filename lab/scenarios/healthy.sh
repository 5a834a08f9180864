#!/bin/bash
# healthy: baseline -- keep-alive pool to a Node HTTP/1.1 upstream, every request 200, no RST.
SCEN=healthy
. "$(dirname "$0")/../lib.sh"
net_up
upstream_node ok 8080
capture proxy eth1 "$WORK/proxy.pcap"
nginx_start "  upstream app { server 10.200.3.2:8080; keepalive 4; }" "    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection \"\";
    }"
codes=""
for p in / /products /products/7 /cart /checkout; do codes+="$(client_curl "http://10.200.1.1$p") "; done
codes+=$(client_curl -X POST -d 'sku=7' http://10.200.1.1/cart)
[ "$codes" = "200 200 200 200 200 200" ] || die "expected all 200: $codes"
nginx_stop; stop_captures
[ ! -s "$WORK/nginx/logs/error.log" ] || die "error log not empty: $(cat "$WORK/nginx/logs/error.log")"
CHECK_CMD="tshark -r proxy.pcap -Y 'tcp.flags.reset==1 || tls.alert_message || http.response.code>=500' -T fields -e frame.number"
CHECK_OUT="(no frames)"
[ -z "$(tshark_rows "$WORK/proxy.pcap" 'tcp.flags.reset==1 || tls.alert_message || http.response.code>=500' frame.number)" ] || die "healthy capture has a failure"
nresp=$(tshark_rows "$WORK/proxy.pcap" 'http.response.code==200' frame.number | wc -l)
[ "$nresp" = 6 ] || die "$nresp responses in the capture"
CHECK_OUT="(no frames); 6 x HTTP/1.1 200 from 10.200.3.2:8080"
DESC="Baseline: six requests (5 GET, 1 POST) through nginx with an upstream keepalive pool to a Node HTTP/1.1 upstream; all 200, empty error log, no RST or alert in the capture. The verdict should be 'no incident'."
UPSTREAM=10.200.3.2:8080
EXPECTED_KINDS="nginx.access http.response tcp.flow"
finish
