#!/bin/bash
# client-abort: curl --max-time 1 gives up on a slow upstream (3 s); nginx logs 499 and closes the upstream
# connection. Captures on both sides of the proxy: client.pcap (client-facing) and proxy.pcap (upstream-facing).
SCEN=client-abort
ACCESS_FORMAT=combined
ERROR_LEVEL=info
. "$(dirname "$0")/../lib.sh"
net_up
upstream_node slow 8080 3000
capture proxy eth0 "$WORK/client.pcap"
capture proxy eth1 "$WORK/proxy.pcap"
nginx_start "" "    location / { proxy_pass http://10.200.3.2:8080; }"
code=$(client_curl --max-time 1 "http://10.200.1.1/reports/annual.pdf")
[ "$code" = 000 ] || die "curl should time out, got $code"
sleep 0.3
nginx_stop; stop_captures
must_grep "$WORK/nginx/logs/access.log" '"GET /reports/annual.pdf HTTP/1.1" 499 ' "access log"
must_grep "$WORK/nginx/logs/error.log" '\[info\] .*client prematurely closed connection' "error log"
FIRST_SOURCE=client.pcap FIRST_KIND=tcp.fin FIRST_FILTER='tcp.flags.fin==1'
check_first "$WORK/client.pcap" "$FIRST_FILTER" '10.200.1.2:*'
# proxy side: nginx (not the upstream) closes the upstream connection after the client left
up_first=$(tshark_rows "$WORK/proxy.pcap" 'tcp.flags.fin==1 || tcp.flags.reset==1' ip.src | head -1)
[ "$up_first" = 10.200.2.1 ] || die "first close on the upstream side is from $up_first, expected the proxy"
DESC="curl --max-time 1 against a 3 s upstream: the client closes (FIN in client.pcap), nginx logs 499 and '[info] epoll_wait() reported that client prematurely closed connection, so upstream connection is closed too' (error_log level info) and closes the upstream connection (proxy.pcap). Access log in the stock combined format."
CAUSE=client_abort ORIGIN=client UPSTREAM=10.200.3.2:8080 FIRST_WHO=client
TRUTH_EXTRA='{"captures":{"client.pcap":"proxy host, client-facing interface","proxy.pcap":"proxy host, upstream-facing interface"}}'
EXPECTED_KINDS="tcp.flow nginx.error nginx.access"
finish
