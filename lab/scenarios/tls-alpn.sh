#!/bin/bash
# tls-alpn: an HTTP/2-only TLS upstream (Node http2.createSecureServer, allowHTTP1 false, ALPN h2)
# meets a client that offers only http/1.1 in ALPN -> fatal no_application_protocol alert (120).
# The client is curl run on the proxy host (nginx 1.22 sends no ALPN upstream, so it cannot make
# this alert); a request through nginx follows, to show what nginx logs against the same upstream.
SCEN=tls-alpn
. "$(dirname "$0")/../lib.sh"
net_up
make_cert "$WORK/cert" upstream.lab
upstream_node h2tls 8443 "$WORK/cert"
capture proxy eth1 "$WORK/proxy.pcap"
code=$(X proxy curl -s -k --http1.1 --resolve upstream.lab:8443:10.200.3.2 -o /dev/null -w '%{http_code}' https://upstream.lab:8443/api) || true
[ "$code" = 000 ] || die "curl --http1.1 should fail, got $code"
sleep 0.2
nginx_start "" "    location / {
      proxy_pass https://10.200.3.2:8443;
      proxy_ssl_server_name on;
      proxy_ssl_name upstream.lab;
      proxy_read_timeout 3s;
    }"
code=$(client_curl --max-time 8 "http://10.200.1.1/api")
note "nginx -> upstream answered $code"
nginx_stop; stop_captures
TSHARK_DECODE="-d tcp.port==8443,tls"
FIRST_SOURCE=proxy.pcap FIRST_KIND=tls.alert FIRST_FILTER='tls.alert_message'
check_first "$WORK/proxy.pcap" "$FIRST_FILTER" 10.200.3.2:8443 tls.alert_message.desc tls.handshake.extensions_alpn_str
[ "$(cut -f9 <<<"$FIRST_ROW")" = 120 ] || die "alert is not no_application_protocol (120): $FIRST_ROW"
alpn=$(tshark_rows "$WORK/proxy.pcap" 'tls.handshake.type==1' tls.handshake.extensions_alpn_str | head -1)
[ "$alpn" = http/1.1 ] || die "ClientHello ALPN is '$alpn', expected http/1.1"
DESC="HTTP/2-only TLS upstream (Node, ALPN h2, allowHTTP1 false); curl --http1.1 on the proxy host offers ALPN http/1.1 and gets a fatal no_application_protocol alert (120). Then nginx (which offers no ALPN) proxies to it: Node answers over HTTP/1.1 with $code (its unknownProtocol default), so nginx logs no error, only the access-log line with upstream_status $code."
CAUSE=protocol_mismatch ORIGIN=upstream UPSTREAM=10.200.3.2:8443 FIRST_WHO=upstream
TRUTH_EXTRA='{"tls_reason":"alpn","alert":{"level":2,"description":120,"description_name":"no_application_protocol"},"client_alpn":["http/1.1"],"server_alpn":["h2"],"sni":"upstream.lab"}'
EXPECTED_KINDS="tls.client_hello tls.alert nginx.error nginx.access"
finish
