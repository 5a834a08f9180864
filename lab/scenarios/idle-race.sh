#!/bin/bash
# idle-race: nginx keeps idle upstream connections (keepalive); the upstream (Node, keepAliveTimeout 300 ms,
# which Node 20.20 applies as ~1.3 s) closes them when idle. The router drops the upstream's FINs, standing in for a FIN still in flight, so
# nginx reuses the closed connection deterministically: its request meets the upstream's RST.
#   GET  -> nginx retries on a new connection (idempotent): 200, $upstream_status "502, 200"
#   POST -> not retried (non-idempotent): 502
SCEN=idle-race
. "$(dirname "$0")/../lib.sh"
net_up
upstream_node ok 8080 300
X router nft add table inet lab
X router nft add chain inet lab filt '{ type filter hook forward priority 0; policy accept; }'
X router nft add rule inet lab filt ip saddr 10.200.3.2 tcp sport 8080 'tcp flags & fin == fin' counter drop
capture proxy eth1 "$WORK/proxy.pcap"
capture upstream eth0 "$WORK/upstream.pcap"
nginx_start "  upstream app { server 10.200.3.2:8080; keepalive 4; }" "    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection \"\";
    }"
c1=$(client_curl http://10.200.1.1/cart)
X client sleep 1.8
c2=$(client_curl http://10.200.1.1/cart/items)
X client sleep 1.8
c3=$(client_curl -X POST -d 'sku=42&qty=1' http://10.200.1.1/cart/items)
[ "$c1 $c2 $c3" = "200 200 502" ] || KEEP_WORK=1 die "expected 200 200 502, got $c1 $c2 $c3"
nginx_stop; stop_captures
must_grep "$WORK/nginx/logs/error.log" 'recv\(\) failed \(104: Connection reset by peer\) while reading response header from upstream' "error log"
must_grep "$WORK/nginx/logs/access.log" '"GET /cart/items HTTP/1.1" 200 .* 10\.200\.3\.2:8080, 10\.200\.3\.2:8080 502, 200 ' "access log (retried GET)"
must_grep "$WORK/nginx/logs/access.log" '"POST /cart/items HTTP/1.1" 502 .* 10\.200\.3\.2:8080 502 ' "access log (POST)"
# Ground truth on the upstream host: its FIN (idle close) leaves before the proxy's next request arrives.
FIRST_SOURCE=upstream.pcap FIRST_KIND=tcp.fin FIRST_FILTER='tcp.flags.fin==1'
check_first "$WORK/upstream.pcap" "$FIRST_FILTER" 10.200.3.2:8080
fin_stream_port=$(tshark_rows "$WORK/upstream.pcap" "frame.number==$FIRST_FRAME" tcp.dstport)
req_after=$(tshark_rows "$WORK/upstream.pcap" "tcp.dstport==8080 && tcp.srcport==$fin_stream_port && tcp.len>0 && frame.number>$FIRST_FRAME" frame.number | head -1)
[ -n "$req_after" ] || die "no request on the connection after the upstream's FIN"
# Proxy side: the same connection carries two requests; the second is answered by RST; no FIN was seen.
prx_rst=$(tshark_rows "$WORK/proxy.pcap" "tcp.flags.reset==1 && ip.src==10.200.3.2 && tcp.dstport==$fin_stream_port" frame.number frame.time_epoch | head -1)
[ -n "$prx_rst" ] || die "no RST on the reused connection in proxy.pcap"
[ -z "$(tshark_rows "$WORK/proxy.pcap" "tcp.flags.fin==1 && ip.src==10.200.3.2 && tcp.dstport==$fin_stream_port" frame.number)" ] || die "proxy saw the FIN"
nreq=$(tshark_rows "$WORK/proxy.pcap" "tcp.srcport==$fin_stream_port && tcp.len>0" frame.number | wc -l)
[ "$nreq" -ge 2 ] || die "connection was not reused ($nreq requests)"
idle_ms=$(tshark_rows "$WORK/upstream.pcap" "frame.number==$req_after" frame.time_epoch | awk -v f="$FIRST_EPOCH" '{printf "%d", ($1-f)*1000}')
DESC="nginx upstream keepalive vs Node keepAliveTimeout 300 ms (closes ~1.3 s after a response on Node 20.20): the upstream closes the idle pooled connection (FIN, dropped by the router to hold the race open); ${idle_ms} ms later nginx reuses it, the upstream answers RST; the GET is retried on a new connection (200, upstream_status '502, 200'), the POST is not (502)."
CAUSE=idle_race ORIGIN=upstream UPSTREAM=10.200.3.2:8080 FIRST_WHO=upstream
TRUTH_EXTRA="{\"proxy_side_first\":{\"source\":\"proxy.pcap\",\"kind\":\"tcp.rst\",\"frame\":$(cut -f1 <<<"$prx_rst"),\"note\":\"the upstream's RST to the request sent on the reused connection; its FIN never reached the proxy\"},\"fin_to_request_ms\":$idle_ms,\"upstream_keepalive_timeout_ms\":300,\"note\":\"the router drops every FIN from the upstream (nft) so that the race is won by the request every time\"}"
EXPECTED_KINDS="tcp.rst tcp.flow nginx.error nginx.access"
finish
