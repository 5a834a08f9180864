#!/bin/bash
# port-exhaustion: the proxy host has only 4 ephemeral ports (ip_local_port_range 40000-40003 in the proxy
# namespace); 8 concurrent requests to a slow upstream -> connect() fails with errno 99 before any packet.
SCEN=port-exhaustion
. "$(dirname "$0")/../lib.sh"
net_up
upstream_node slow 8080 1500
X proxy sysctl -w net.ipv4.ip_local_port_range="40000 40003" >/dev/null
capture proxy eth1 "$WORK/proxy.pcap"
nginx_start "" "    location / { proxy_pass http://10.200.3.2:8080; }"
note "[client] 8 x curl -s -o /dev/null -w %{http_code} --max-time 5 http://10.200.1.1/export/N & (concurrently)"
cpids=()
for i in 1 2 3 4 5 6 7 8; do
  Q client curl -s -o /dev/null -w '%{http_code}\n' --max-time 5 "http://10.200.1.1/export/$i" >"$WORK/code.$i" 2>/dev/null &
  cpids+=($!)
done
for p in "${cpids[@]}"; do wait "$p" || true; done
codes=$(cat "$WORK"/code.* | tr '\n' ' ' | sed 's/ *$//')
n200=$(grep -c '^200$' <(cat "$WORK"/code.*; echo) || true)
n502=$(grep -c '^502$' <(cat "$WORK"/code.*; echo) || true)
note "client status codes: $codes"
[ "$n502" -ge 1 ] && [ "$n200" -ge 1 ] && [ $((n200 + n502)) = 8 ] || die "expected a mix of 200 and 502, got: $codes"
nginx_stop; stop_captures
must_grep "$WORK/nginx/logs/error.log" '\[crit\] .*connect\(\) to 10\.200\.3\.2:8080 failed \(99: Cannot assign requested address\) while connecting to upstream' "error log"
first_line "$WORK/nginx/logs/error.log" 'failed \(99: Cannot assign requested address\)'
# tshark: one SYN per successful request, all from the 4 allowed ports; nothing for the failed ones.
syn_ports=$(tshark_rows "$WORK/proxy.pcap" 'tcp.flags.syn==1 && tcp.flags.ack==0' tcp.srcport | sort -u | tr '\n' ' ' | sed 's/ *$//')
nsyn=$(tshark_rows "$WORK/proxy.pcap" 'tcp.flags.syn==1 && tcp.flags.ack==0' frame.number | wc -l)
[ "$nsyn" = "$n200" ] || die "$nsyn SYNs for $n200 successful requests"
for p in $syn_ports; do [ "$p" -ge 40000 ] && [ "$p" -le 40003 ] || die "SYN from port $p"; done
[ -z "$(tshark_rows "$WORK/proxy.pcap" 'tcp.flags.reset==1' frame.number)" ] || die "unexpected RST"
CHECK_CMD="tshark -r proxy.pcap -Y 'tcp.flags.syn==1 && tcp.flags.ack==0' -T fields -e frame.number -e frame.time_epoch -e tcp.srcport"
CHECK_OUT=$(tshark_rows "$WORK/proxy.pcap" 'tcp.flags.syn==1 && tcp.flags.ack==0' frame.number frame.time_epoch tcp.srcport)
DESC="net.ipv4.ip_local_port_range=40000 40003 in the proxy's namespace; 8 concurrent GETs to an upstream that takes 1.5 s: $n200 get a port and 200, $n502 fail in connect() with errno 99 (EADDRNOTAVAIL, logged at [crit]) and 502 -- no packet is sent for those; the capture shows only $nsyn SYNs, from ports $syn_ports."
CAUSE=resource_exhaustion ORIGIN=proxy UPSTREAM=10.200.3.2:8080 FIRST_WHO=proxy
TRUTH_EXTRA="{\"ip_local_port_range\":\"40000 40003\",\"status_codes\":\"$codes\",\"syn_ports\":\"$syn_ports\"}"
EXPECTED_KINDS="nginx.error nginx.access"
finish
