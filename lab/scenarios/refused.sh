#!/bin/bash
# refused: nothing listens on the upstream port; the upstream host's kernel answers the SYN with RST+ACK.
SCEN=refused
. "$(dirname "$0")/../lib.sh"
net_up
capture proxy eth1 "$WORK/proxy.pcap"
nginx_start "" "    location / { proxy_pass http://10.200.3.2:8080; }"
for p in / /api/orders /healthz; do
  code=$(client_curl "http://10.200.1.1$p")
  [ "$code" = 502 ] || die "expected 502 for $p, got $code"
done
finish_checks() {
  must_grep "$WORK/nginx/logs/error.log" 'connect\(\) failed \(111: Connection refused\) while connecting to upstream' "error log"
  must_grep "$WORK/nginx/logs/access.log" '" 502 .* 10\.200\.3\.2:8080 502 ' "access log"
}
nginx_stop; stop_captures; finish_checks
FIRST_SOURCE=proxy.pcap FIRST_KIND=tcp.rst FIRST_FILTER='tcp.flags.reset==1'
check_first "$WORK/proxy.pcap" "$FIRST_FILTER" 10.200.3.2:8080
# it must be a reply to a SYN: the RST+ACK acknowledges the SYN (ack 1) and no data flowed
[ "$(tshark_rows "$WORK/proxy.pcap" "tcp.len>0" frame.number | wc -l)" = 0 ] || die "data flowed, not a refusal"
[ "$(tshark_rows "$WORK/proxy.pcap" "frame.number==$FIRST_FRAME && tcp.flags.ack==1 && tcp.ack==1" frame.number)" = "$FIRST_FRAME" ] || die "RST is not the reply to a SYN"
DESC="Upstream 10.200.3.2:8080 has nothing listening; three GETs through nginx each get RST+ACK in reply to the SYN and a 502."
CAUSE=refused ORIGIN=upstream UPSTREAM=10.200.3.2:8080 FIRST_WHO=upstream
EXPECTED_KINDS="tcp.rst nginx.error nginx.access"
finish
