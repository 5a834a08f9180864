#!/bin/bash
# upstream-reset: the upstream accepts, reads the request, then aborts with RST (SO_LINGER 0 via
# Node's socket.resetAndDestroy()) before sending a byte of response.
SCEN=upstream-reset
. "$(dirname "$0")/../lib.sh"
net_up
upstream_node reset 8080
capture proxy eth1 "$WORK/proxy.pcap"
nginx_start "" "    location / { proxy_pass http://10.200.3.2:8080; }"
for p in /checkout /checkout; do
  code=$(client_curl "http://10.200.1.1$p")
  [ "$code" = 502 ] || die "expected 502, got $code"
done
nginx_stop; stop_captures
must_grep "$WORK/nginx/logs/error.log" 'recv\(\) failed \(104: Connection reset by peer\) while reading response header from upstream' "error log"
must_grep "$WORK/nginx/logs/access.log" '" 502 .* 10\.200\.3\.2:8080 502 ' "access log"
FIRST_SOURCE=proxy.pcap FIRST_KIND=tcp.rst FIRST_FILTER='tcp.flags.reset==1'
check_first "$WORK/proxy.pcap" "$FIRST_FILTER" 10.200.3.2:8080
# established phase: the proxy's request (data) precedes the RST on that connection
stream=$(tshark_rows "$WORK/proxy.pcap" "frame.number==$FIRST_FRAME" tcp.stream)
req=$(tshark_rows "$WORK/proxy.pcap" "tcp.stream==$stream && tcp.len>0 && ip.src==10.200.2.1 && frame.number<$FIRST_FRAME" frame.number | head -1)
[ -n "$req" ] || die "no request before the RST: not an established-phase reset"
DESC="Upstream accepts, reads the HTTP request and resets the connection (SO_LINGER 0) before any response; nginx logs errno 104 and returns 502 twice."
CAUSE=upstream_reset ORIGIN=upstream UPSTREAM=10.200.3.2:8080 FIRST_WHO=upstream
EXPECTED_KINDS="tcp.rst nginx.error nginx.access"
finish
