#!/bin/bash
# tls-cert: nginx verifies the upstream certificate (proxy_ssl_verify on) against a CA that did not sign it.
SCEN=tls-cert
ACCESS_FORMAT=combined
. "$(dirname "$0")/../lib.sh"
net_up
make_cert "$WORK/cert" upstream.lab
make_cert "$WORK/ca" other-ca.lab
capture proxy eth1 "$WORK/proxy.pcap"
# TLS 1.2 so the certificate is visible in the capture (TLS 1.3 encrypts it). nginx verifies the
# certificate after the handshake (SSL_VERIFY_NONE + SSL_get_verify_result), so on the wire the
# handshake completes and the proxy closes at once with an encrypted alert (close_notify).
s_server -accept 8443 -tls1_2 -cert "$WORK/cert/cert.pem" -key "$WORK/cert/key.pem"
nginx_start "" "    location / {
      proxy_pass https://10.200.3.2:8443;
      proxy_ssl_verify on;
      proxy_ssl_trusted_certificate $WORK/ca/cert.pem;
      proxy_ssl_server_name on;
      proxy_ssl_name upstream.lab;
    }"
code=$(client_curl "http://10.200.1.1/account")
[ "$code" = 502 ] || die "expected 502, got $code"
nginx_stop; stop_captures
must_grep "$WORK/nginx/logs/error.log" 'upstream SSL certificate verify error: \(18:self.signed certificate\) while SSL handshaking to upstream' "error log"
TSHARK_DECODE="-d tcp.port==8443,tls"
FIRST_SOURCE=proxy.pcap FIRST_KIND=tls.alert FIRST_FILTER='tls.record.content_type==21'
check_first "$WORK/proxy.pcap" "$FIRST_FILTER" '10.200.2.1:*' tls.record.content_type
[ -n "$(tshark_rows "$WORK/proxy.pcap" 'tls.handshake.type==11 && ip.src==10.200.3.2' frame.number)" ] || die "no Certificate from upstream"
DESC="Upstream (openssl s_server, TLS 1.2) presents a self-signed certificate; nginx has proxy_ssl_verify on with another CA. nginx verifies after the handshake, so the wire shows a complete handshake and then the proxy's encrypted alert (close_notify) and FIN; the reason ('18:self-signed certificate') is only in the error log; 502. Access log in the stock combined format."
CAUSE=tls ORIGIN=proxy UPSTREAM=10.200.3.2:8443 FIRST_WHO=proxy
TRUTH_EXTRA='{"tls_reason":"certificate","alert":{"encrypted":true,"note":"close_notify from the proxy after a completed handshake"},"sni":"upstream.lab"}'
EXPECTED_KINDS="tls.client_hello tls.server_hello tls.alert nginx.error nginx.access"
finish
