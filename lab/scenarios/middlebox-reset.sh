#!/bin/bash
# middlebox-reset: the router (a firewall between proxy and upstream) answers the proxy's request packet with a
# forged RST (nft "reject with tcp reset"), claiming to be the upstream. Two captures of the same traffic:
# proxy.pcap (proxy host) shows the RST; upstream.pcap (upstream host) shows the upstream never sent one.
SCEN=middlebox-reset
. "$(dirname "$0")/../lib.sh"
net_up
upstream_node ok 8080
capture proxy eth1 "$WORK/proxy.pcap"
capture upstream eth0 "$WORK/upstream.pcap"
nginx_start "" "    location / { proxy_pass http://10.200.3.2:8080; }"
c1=$(client_curl http://10.200.1.1/search?q=warmup)
[ "$c1" = 200 ] || die "warm-up request: $c1"
X router nft add table inet lab
X router nft add chain inet lab filt '{ type filter hook forward priority 0; policy accept; }'
X router nft add rule inet lab filt ip saddr 10.200.2.1 ip daddr 10.200.3.2 tcp dport 8080 'ip length > 100' counter reject with tcp reset
c2=$(client_curl http://10.200.1.1/search?q=report)
[ "$c2" = 502 ] || die "expected 502, got $c2"
nginx_stop; stop_captures
must_grep "$WORK/nginx/logs/error.log" '(recv|writev|send)\(\) failed \(104: Connection reset by peer\)' "error log"
FIRST_SOURCE=proxy.pcap FIRST_KIND=tcp.rst FIRST_FILTER='tcp.flags.reset==1'
check_first "$WORK/proxy.pcap" "$FIRST_FILTER" 10.200.3.2:8080 ip.id
rst_ttl=$(cut -f7 <<<"$FIRST_ROW"); rst_id=$(cut -f9 <<<"$FIRST_ROW")
up_ttl=$(tshark_rows "$WORK/proxy.pcap" 'ip.src==10.200.3.2 && tcp.flags.reset==0' ip.ttl | sort -u | tr '\n' ' ')
[ "$rst_ttl" = 64 ] && [ "${up_ttl% }" = 63 ] || die "TTLs: RST $rst_ttl, upstream's own packets $up_ttl"
[ -z "$(tshark_rows "$WORK/upstream.pcap" 'tcp.flags.reset==1 && ip.src==10.200.3.2' frame.number)" ] || die "the upstream did send a RST"
port=$(cut -f6 <<<"$FIRST_ROW")
[ -z "$(tshark_rows "$WORK/upstream.pcap" "tcp.srcport==$port && tcp.len>0" frame.number)" ] || die "the request reached the upstream"
[ -n "$(tshark_rows "$WORK/upstream.pcap" "tcp.srcport==$port && tcp.flags.syn==1" frame.number)" ] || die "upstream.pcap lacks the connection"
DESC="Router nftables 'reject with tcp reset' on the proxy's request packet: the proxy receives a RST claiming to be 10.200.3.2:8080 with TTL $rst_ttl (the upstream's own packets arrive with TTL 63), nginx logs errno 104 and returns 502. upstream.pcap, taken on the upstream host, shows the handshake but neither the request nor any RST. A warm-up request before the rule got 200."
CAUSE=middlebox_reset ORIGIN=network UPSTREAM=10.200.3.2:8080 FIRST_WHO=router
TRUTH_EXTRA="{\"rst\":{\"ttl\":$rst_ttl,\"ip_id\":\"$rst_id\",\"claimed_src\":\"10.200.3.2:8080\",\"real_sender\":\"router 10.200.2.2\"},\"upstream_ttl_at_proxy\":63,\"captures\":{\"proxy.pcap\":\"proxy host, upstream-facing interface\",\"upstream.pcap\":\"upstream host\"}}"
EXPECTED_KINDS="tcp.rst nginx.error nginx.access"
finish
