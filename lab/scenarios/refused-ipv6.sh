#!/bin/bash
# refused-ipv6: refused over IPv6 (nothing listens on [fd00:200:3::2]:8080): the upstream host's kernel answers
# each SYN with RST+ACK. The same failure as `refused`, with IPv6 addresses in the logs and the capture.
SCEN=refused-ipv6
. "$(dirname "$0")/../lib.sh"
net_up
net_up_ip6
# Neighbour discovery along the path before the capture starts (a refused probe connection): otherwise the
# first SYN waits ~2 s for it and is retransmitted twice.
X proxy nc -6 -z -w 5 fd00:200:3::2 8080 || true
capture proxy eth1 "$WORK/proxy.pcap"
nginx_start "" "    location / { proxy_pass http://[fd00:200:3::2]:8080; }"
for p in /v6/a /v6/b; do
  code=$(client_curl "http://10.200.1.1$p")
  [ "$code" = 502 ] || die "expected 502 for $p, got $code"
done
nginx_stop; stop_captures
must_grep "$WORK/nginx/logs/error.log" 'connect\(\) failed \(111: Connection refused\) while connecting to upstream.*upstream: "http://\[fd00:200:3::2\]:8080/v6/a"' "error log"
must_grep "$WORK/nginx/logs/access.log" '" 502 .* \[fd00:200:3::2\]:8080 502 ' "access log"
FIRST_SOURCE=proxy.pcap FIRST_KIND=tcp.rst FIRST_FILTER='tcp.flags.reset==1'
FIELDS_SHOWN=(frame.number frame.time_epoch ipv6.src tcp.srcport ipv6.dst tcp.dstport ipv6.hlim tcp.flags.str)
check_first "$WORK/proxy.pcap" "$FIRST_FILTER" 'fd00:200:3::2:8080'
[ "$(tshark_rows "$WORK/proxy.pcap" "tcp.len>0" frame.number | wc -l)" = 0 ] || die "data flowed, not a refusal"
[ "$(tshark_rows "$WORK/proxy.pcap" "frame.number==$FIRST_FRAME && tcp.flags.ack==1 && tcp.ack==1" frame.number)" = "$FIRST_FRAME" ] || die "RST is not the reply to a SYN"
DESC="Upstream [fd00:200:3::2]:8080 (IPv6) has nothing listening; two GETs through nginx each get RST+ACK in reply to the SYN and a 502."
CAUSE=refused ORIGIN=upstream UPSTREAM='[fd00:200:3::2]:8080' FIRST_WHO=upstream
EXPECTED_KINDS="tcp.rst nginx.error nginx.access"
finish
