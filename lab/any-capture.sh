#!/bin/bash
# `tcpdump -i any` on a host that forwards the traffic (a Kubernetes node, a router): every packet is captured
# on its way in and on its way out, the second copy with the TTL one lower. Three namespaces (client 10.9.1.2,
# the forwarding host, server 10.9.2.2); in the middle one, tcpdump -i any while the client makes two refused
# connections (to :8080, nothing listens) and one that works (:8081, a one-shot Python server).
# Writes test/fixtures/any/forwarding.pcap and forwarding.truth.json (tshark's RSTs).   sudo bash lab/any-capture.sh
OUT=$(cd "$(dirname "$0")/.." && pwd)/test/fixtures/any
mkdir -p "$OUT"
CAP=
A=anyA$$; R=anyR$$; B=anyB$$
cleanup() { set +e; [ -n "$CAP" ] && kill -INT $CAP 2>/dev/null; sleep 0.3; ip netns del $A; ip netns del $R; ip netns del $B; }
trap cleanup EXIT
for n in $A $R $B; do ip netns add $n; ip -n $n link set lo up; ip netns exec $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1; done
ip link add eth0 netns $A type veth peer name ra netns $R
ip link add eth0 netns $B type veth peer name rb netns $R
ip -n $A addr add 10.9.1.2/24 dev eth0; ip -n $R addr add 10.9.1.1/24 dev ra
ip -n $B addr add 10.9.2.2/24 dev eth0; ip -n $R addr add 10.9.2.1/24 dev rb
for x in "$A eth0" "$R ra" "$R rb" "$B eth0"; do set -- $x; ip -n $1 link set $2 up; done
ip -n $A route add default via 10.9.1.1; ip -n $B route add default via 10.9.2.1
ip netns exec $R sysctl -qw net.ipv4.ip_forward=1
ip netns exec $A curl -s -m 2 -o /dev/null http://10.9.2.2:8080/ || true
ip netns exec $R tcpdump -i any --immediate-mode -U -Z root -w "$OUT/forwarding.pcap" 2>"$OUT/.tcpdump.err" & CAP=$!
for _ in $(seq 1 30); do grep -q listening "$OUT/.tcpdump.err" && break; sleep 0.1; done
ip netns exec $B python3 -c 'import socket,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("10.9.2.2",8081)); s.listen(); c,_=s.accept(); c.recv(100); c.send(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"); time.sleep(0.2); c.close()' & SRV=$!
sleep 0.3
ip netns exec $A curl -s -m 2 -o /dev/null http://10.9.2.2:8080/a || true
ip netns exec $A curl -s -m 2 -o /dev/null http://10.9.2.2:8081/ok || true
ip netns exec $A curl -s -m 2 -o /dev/null http://10.9.2.2:8080/b || true
sleep 0.5; kill -INT $CAP; wait $CAP 2>/dev/null; CAP=
wait $SRV 2>/dev/null || true
rm -f "$OUT/.tcpdump.err"
tshark -r "$OUT/forwarding.pcap" -Y 'tcp.flags.reset==1' -T fields -e frame.number -e ip.src -e tcp.srcport -e ip.ttl -e tcp.seq_raw 2>/dev/null \
  | node -e '
    const rows = require("fs").readFileSync(0, "utf8").trim().split("\n").map((l) => l.split("\t"));
    const rst = rows.map(([f, s, sp, ttl, seq]) => ({ frame: +f, src: `${s}:${sp}`, ttl: +ttl, seq: +seq }));
    process.stdout.write(JSON.stringify({ made_by: "lab/any-capture.sh (tcpdump -i any in the forwarding namespace)", truth: "tshark -Y tcp.flags.reset==1 -T fields -e frame.number -e ip.src -e tcp.srcport -e ip.ttl -e tcp.seq_raw", rst }, null, 1) + "\n");
  ' > "$OUT/forwarding.truth.json"
cat "$OUT/forwarding.truth.json"
