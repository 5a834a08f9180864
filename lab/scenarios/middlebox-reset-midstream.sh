#!/bin/bash
# middlebox-reset-midstream: a firewall in the router cuts a download half-way. After a byte quota of the
# proxy's packets on the connection (its request and ACKs), nft "reject with tcp reset" answers the proxy's next
# packet with a RST claiming to be the upstream: mid-response, on an established connection.
SCEN=middlebox-reset-midstream
. "$(dirname "$0")/../lib.sh"
net_up
upstream_node stream 8080 1024
capture proxy eth1 "$WORK/proxy.pcap"
capture upstream eth0 "$WORK/upstream.pcap"
nginx_start "" "    location / { proxy_pass http://10.200.3.2:8080; proxy_buffering off; }"
X router nft add table inet lab
X router nft add chain inet lab filt '{ type filter hook forward priority 0; policy accept; }'
X router nft add rule inet lab filt ip saddr 10.200.2.1 ip daddr 10.200.3.2 tcp dport 8080 quota over 512 bytes counter reject with tcp reset
code=$(client_curl http://10.200.1.1/export.bin)
note "curl got HTTP $code and a cut body"
nginx_stop; stop_captures
must_grep "$WORK/nginx/logs/error.log" 'recv\(\) failed \(104: Connection reset by peer\) while (reading upstream|reading response header from upstream|sending to client)' "error log"
FIRST_SOURCE=proxy.pcap FIRST_KIND=tcp.rst FIRST_FILTER='tcp.flags.reset==1'
check_first "$WORK/proxy.pcap" "$FIRST_FILTER" 10.200.3.2:8080 ip.id
rst_ttl=$(cut -f7 <<<"$FIRST_ROW"); rst_id=$(cut -f9 <<<"$FIRST_ROW")
up_ttl=$(tshark_rows "$WORK/proxy.pcap" 'ip.src==10.200.3.2 && tcp.flags.reset==0' ip.ttl | sort -u | tr '\n' ' ')
[ "$rst_ttl" = 64 ] && [ "${up_ttl% }" = 63 ] || die "TTLs: RST $rst_ttl, upstream's own packets $up_ttl"
# mid-response: the upstream had already sent data on this connection before the RST
[ -n "$(tshark_rows "$WORK/proxy.pcap" "ip.src==10.200.3.2 && tcp.len>0 && frame.number < $FIRST_FRAME" frame.number)" ] || die "no response data before the RST"
[ -z "$(tshark_rows "$WORK/upstream.pcap" 'tcp.flags.reset==1 && ip.src==10.200.3.2' frame.number)" ] || die "the upstream did send a RST"
DESC="The upstream streams a 1 MiB body; after 512 bytes of the proxy's packets on the connection (request and ACKs), router nftables 'reject with tcp reset' answers the proxy's next ACK with a RST claiming to be 10.200.3.2:8080 (TTL $rst_ttl; the upstream's own packets arrive with TTL 63). nginx logs errno 104 while reading the upstream; the client (HTTP $code) gets a cut body. upstream.pcap shows the upstream never sent a RST."
CAUSE=middlebox_reset ORIGIN=network UPSTREAM=10.200.3.2:8080 FIRST_WHO=router
TRUTH_EXTRA="{\"rst\":{\"ttl\":$rst_ttl,\"ip_id\":\"$rst_id\",\"claimed_src\":\"10.200.3.2:8080\",\"real_sender\":\"router 10.200.2.2\",\"phase\":\"established\"},\"upstream_ttl_at_proxy\":63}"
EXPECTED_KINDS="tcp.rst nginx.error nginx.access"
finish
