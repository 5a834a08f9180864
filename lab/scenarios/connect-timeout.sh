#!/bin/bash
# connect-timeout: a firewall in the router drops SYNs to the upstream; nginx gives up after 1s.
SCEN=connect-timeout
. "$(dirname "$0")/../lib.sh"
net_up
upstream_node ok 8080
X router nft add table inet lab
X router nft add chain inet lab filt '{ type filter hook forward priority 0; policy accept; }'
X router nft add rule inet lab filt ip daddr 10.200.3.2 tcp dport 8080 counter drop
capture proxy eth1 "$WORK/proxy.pcap"
capture upstream eth0 "$WORK/upstream.pcap"
nginx_start "" "    location / { proxy_pass http://10.200.3.2:8080; proxy_connect_timeout 1s; }"
code=$(client_curl "http://10.200.1.1/inventory")
[ "$code" = 504 ] || die "expected 504, got $code"
nginx_stop; stop_captures
must_grep "$WORK/nginx/logs/error.log" 'upstream timed out \(110: Connection timed out\) while connecting to upstream' "error log"
must_grep "$WORK/nginx/logs/access.log" '" 504 .* 10\.200\.3\.2:8080 504 ' "access log"
FIRST_SOURCE=proxy.pcap FIRST_KIND=tcp.syn_timeout FIRST_FILTER='tcp.flags.syn==1 && tcp.flags.ack==0'
check_first "$WORK/proxy.pcap" "$FIRST_FILTER" '10.200.2.1:*'
[ -z "$(tshark_rows "$WORK/proxy.pcap" 'tcp.flags.syn==1 && tcp.flags.ack==1' frame.number)" ] || die "a SYN was answered"
[ -z "$(tshark_rows "$WORK/upstream.pcap" 'tcp' frame.number)" ] || die "a packet reached the upstream"
DESC="nftables in the router drops every packet to 10.200.3.2:8080 (the upstream is up); nginx's SYN (and its retransmission) go unanswered, proxy_connect_timeout 1s -> 504. upstream.pcap (on the upstream host) is empty."
CAUSE=connect_timeout ORIGIN=network UPSTREAM=10.200.3.2:8080 FIRST_WHO=proxy
EXPECTED_KINDS="tcp.syn_timeout nginx.error nginx.access"
finish
