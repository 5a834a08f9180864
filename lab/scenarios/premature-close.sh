#!/bin/bash
# premature-close: the upstream reads the request and closes (FIN) without a response.
SCEN=premature-close
. "$(dirname "$0")/../lib.sh"
net_up
upstream_node close 8080
capture proxy eth1 "$WORK/proxy.pcap"
nginx_start "" "    location / { proxy_pass http://10.200.3.2:8080; }"
for p in /report /report?page=2; do
  code=$(client_curl "http://10.200.1.1$p")
  [ "$code" = 502 ] || die "expected 502, got $code"
done
nginx_stop; stop_captures
must_grep "$WORK/nginx/logs/error.log" 'upstream prematurely closed connection while reading response header from upstream' "error log"
FIRST_SOURCE=proxy.pcap FIRST_KIND=tcp.fin FIRST_FILTER='tcp.flags.fin==1'
check_first "$WORK/proxy.pcap" "$FIRST_FILTER" 10.200.3.2:8080
[ -z "$(tshark_rows "$WORK/proxy.pcap" 'tcp.srcport==8080 && tcp.len>0' frame.number)" ] || die "upstream sent data"
DESC="Upstream reads the request and closes the connection (FIN) without answering; nginx logs 'upstream prematurely closed connection' and returns 502."
CAUSE=upstream_close ORIGIN=upstream UPSTREAM=10.200.3.2:8080 FIRST_WHO=upstream
EXPECTED_KINDS="tcp.flow nginx.error nginx.access"
finish
