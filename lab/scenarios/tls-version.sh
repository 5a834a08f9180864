#!/bin/bash
# tls-version: the upstream speaks TLS 1.3 only, nginx is pinned to TLS 1.2 -> protocol_version alert.
SCEN=tls-version
TZ_LAB=Asia/Tokyo
. "$(dirname "$0")/../lib.sh"
net_up
make_cert "$WORK/cert" upstream.lab
capture proxy eth1 "$WORK/proxy.pcap"
s_server -accept 8443 -tls1_3 -cert "$WORK/cert/cert.pem" -key "$WORK/cert/key.pem"
nginx_start "" "    location / {
      proxy_pass https://10.200.3.2:8443;
      proxy_ssl_protocols TLSv1.2;
      proxy_ssl_server_name on;
      proxy_ssl_name upstream.lab;
    }"
code=$(client_curl "http://10.200.1.1/login")
[ "$code" = 502 ] || die "expected 502, got $code"
nginx_stop; stop_captures
must_grep "$WORK/nginx/logs/error.log" 'SSL_do_handshake\(\) failed .*alert protocol version.* while SSL handshaking to upstream' "error log"
TSHARK_DECODE="-d tcp.port==8443,tls"
FIRST_SOURCE=proxy.pcap FIRST_KIND=tls.alert FIRST_FILTER='tls.alert_message'
check_first "$WORK/proxy.pcap" "$FIRST_FILTER" 10.200.3.2:8443 tls.alert_message.desc tls.handshake.extensions_server_name
[ "$(cut -f9 <<<"$FIRST_ROW")" = 70 ] || die "alert is not protocol_version (70): $FIRST_ROW"
DESC="openssl s_server -tls1_3 upstream; nginx proxy_ssl_protocols TLSv1.2 -> the upstream answers the ClientHello with a fatal protocol_version alert (70); 502. nginx ran with TZ=Asia/Tokyo (error log in JST, no zone)."
CAUSE=tls ORIGIN=upstream UPSTREAM=10.200.3.2:8443 FIRST_WHO=upstream
TRUTH_EXTRA='{"tls_reason":"version","alert":{"level":2,"description":70,"description_name":"protocol_version"},"sni":"upstream.lab"}'
EXPECTED_KINDS="tls.client_hello tls.alert nginx.error nginx.access"
finish
