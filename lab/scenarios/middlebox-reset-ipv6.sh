#!/bin/bash
# middlebox-reset-ipv6: `middlebox-reset` over IPv6. The router answers the proxy's request packet with a forged
# RST (nft "reject with tcp reset") claiming to be the upstream; its hop limit does not fit the upstream's own
# packets. upstream.pcap (upstream host) shows the upstream never sent it.
SCEN=middlebox-reset-ipv6
. "$(dirname "$0")/../lib.sh"
net_up
net_up_ip6
note "the upstream listens on :: (BIND=:: in its environment)"
BIND=:: upstream_node ok 8080
# Neighbour discovery along the path before the capture starts (one probe connection, answered by the upstream).
X proxy nc -6 -z -w 5 fd00:200:3::2 8080 || die "no IPv6 path to the upstream"
capture proxy eth1 "$WORK/proxy.pcap"
capture upstream eth0 "$WORK/upstream.pcap"
nginx_start "" "    location / { proxy_pass http://[fd00:200:3::2]:8080; }"
c1=$(client_curl http://10.200.1.1/search?q=warmup)
[ "$c1" = 200 ] || die "warm-up request: $c1"
X router nft add table inet lab
X router nft add chain inet lab filt '{ type filter hook forward priority 0; policy accept; }'
X router nft add rule inet lab filt ip6 saddr fd00:200:2::1 ip6 daddr fd00:200:3::2 tcp dport 8080 'ip6 length > 80' counter reject with tcp reset
c2=$(client_curl http://10.200.1.1/search?q=report)
[ "$c2" = 502 ] || die "expected 502, got $c2"
nginx_stop; stop_captures
must_grep "$WORK/nginx/logs/error.log" '(recv|writev|send)\(\) failed \(104: Connection reset by peer\)' "error log"
FIRST_SOURCE=proxy.pcap FIRST_KIND=tcp.rst FIRST_FILTER='tcp.flags.reset==1'
FIELDS_SHOWN=(frame.number frame.time_epoch ipv6.src tcp.srcport ipv6.dst tcp.dstport ipv6.hlim tcp.flags.str)
check_first "$WORK/proxy.pcap" "$FIRST_FILTER" 'fd00:200:3::2:8080'
rst_hlim=$(cut -f7 <<<"$FIRST_ROW")
up_hlim=$(tshark_rows "$WORK/proxy.pcap" 'ipv6.src==fd00:200:3::2 && tcp.flags.reset==0' ipv6.hlim | sort -u | tr '\n' ' ')
[ "$rst_hlim" != "${up_hlim% }" ] && [ "$(wc -w <<<"$up_hlim")" = 1 ] || die "hop limits: RST $rst_hlim, upstream's own packets $up_hlim"
[ -z "$(tshark_rows "$WORK/upstream.pcap" 'tcp.flags.reset==1 && ipv6.src==fd00:200:3::2' frame.number)" ] || die "the upstream did send a RST"
DESC="IPv6. Router nftables 'reject with tcp reset' on the proxy's request packet: the proxy receives a RST claiming to be [fd00:200:3::2]:8080 with hop limit $rst_hlim (the upstream's own packets arrive with hop limit ${up_hlim% }), nginx logs errno 104 and returns 502. upstream.pcap, taken on the upstream host, shows no RST from the upstream. A warm-up request before the rule got 200."
CAUSE=middlebox_reset ORIGIN=network UPSTREAM='[fd00:200:3::2]:8080' FIRST_WHO=router
TRUTH_EXTRA="{\"rst\":{\"hop_limit\":$rst_hlim,\"claimed_src\":\"[fd00:200:3::2]:8080\",\"real_sender\":\"router fd00:200:2::2\"},\"upstream_hop_limit_at_proxy\":${up_hlim% }}"
EXPECTED_KINDS="tcp.rst nginx.error nginx.access"
finish
