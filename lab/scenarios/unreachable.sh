#!/bin/bash
# unreachable: the router answers SYNs to the upstream with ICMP host-unreachable (a route or firewall that
# rejects instead of dropping); nginx's connect() fails with 113 at once -> 502.
SCEN=unreachable
. "$(dirname "$0")/../lib.sh"
net_up
upstream_node ok 8080
X router nft add table inet lab
X router nft add chain inet lab filt '{ type filter hook forward priority 0; policy accept; }'
X router nft add rule inet lab filt ip daddr 10.200.3.2 tcp dport 8080 counter reject with icmp type host-unreachable
capture proxy eth1 "$WORK/proxy.pcap"
capture upstream eth0 "$WORK/upstream.pcap"
nginx_start "" "    location / { proxy_pass http://10.200.3.2:8080; }"
for p in /checkout /cart; do
  code=$(client_curl "http://10.200.1.1$p")
  [ "$code" = 502 ] || die "expected 502, got $code"
done
nginx_stop; stop_captures
must_grep "$WORK/nginx/logs/error.log" 'connect\(\) failed \(113: (No route to host|Host is unreachable)\) while connecting to upstream' "error log"
must_grep "$WORK/nginx/logs/access.log" '" 502 .* 10\.200\.3\.2:8080 502 ' "access log"
FIRST_SOURCE=proxy.pcap FIRST_KIND=icmp.unreachable FIRST_FILTER='icmp.type==3 && icmp.code==1'
# ip.src of an ICMP error lists the outer sender, then the quoted packet's source.
check_first "$WORK/proxy.pcap" "$FIRST_FILTER" '10.200.2.2,10.200.2.1:*'
[ -z "$(tshark_rows "$WORK/proxy.pcap" 'tcp.flags.syn==1 && tcp.flags.ack==1' frame.number)" ] || die "a SYN was answered"
[ -z "$(tshark_rows "$WORK/upstream.pcap" 'tcp' frame.number)" ] || die "a packet reached the upstream"
DESC="nftables in the router rejects every packet to 10.200.3.2:8080 with ICMP host-unreachable (the upstream is up); each of nginx's SYNs is answered by the router's ICMP, connect() fails with 113 -> 502. upstream.pcap (on the upstream host) is empty."
CAUSE=unreachable ORIGIN=network UPSTREAM=10.200.3.2:8080 FIRST_WHO=router
EXPECTED_KINDS="icmp.unreachable nginx.error nginx.access"
finish
