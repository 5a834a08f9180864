#!/bin/bash
# Captures of a refused connection carried by overlay tunnels, taken on the underlay interface as a capture on a
# Kubernetes node's NIC sees pod traffic, into test/fixtures/tunnels/<kind>.pcap, with tshark's view of the inner
# RSTs in <kind>.truth.json.
#   sudo bash lab/tunnels.sh            # vxlan made with the kernel's own device, the rest re-wrapped from it
#   sudo bash lab/tunnels.sh gre ipip   # made with the kernel's devices where it has them
# The sandbox kernel these were made on has only the vxlan module: geneve, ipip, gre, gretap and erspan are the
# VXLAN capture's inner frames re-wrapped by lab/re-encap.mjs (tshark decodes each independently).
# Two namespaces joined by a veth (underlay 192.168.100.1 <-> .2), a tunnel device on each side (overlay
# 10.244.0.1 <-> .2); curl from the first to 10.244.0.2:8080, where nothing listens: RST+ACK to the SYN.
set -euo pipefail
LAB=$(cd "$(dirname "$0")" && pwd)
OUT=$LAB/../test/fixtures/tunnels
A="rst$$-a"; B="rst$$-b"
CAP=
cleanup() {
  set +e
  [ -n "$CAP" ] && kill -INT "$CAP" 2>/dev/null && wait "$CAP" 2>/dev/null
  ip netns del "$A" 2>/dev/null; ip netns del "$B" 2>/dev/null
}
trap cleanup EXIT INT TERM

one() {
  local kind=$1; shift
  ip netns add "$A"; ip netns add "$B"
  ip -n "$A" link set lo up; ip -n "$B" link set lo up
  ip link add eth0 netns "$A" type veth peer name eth0 netns "$B"
  ip -n "$A" addr add 192.168.100.1/24 dev eth0; ip -n "$B" addr add 192.168.100.2/24 dev eth0
  ip -n "$A" link set eth0 up; ip -n "$B" link set eth0 up
  for n in "$A" "$B"; do ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1; done
  local la=192.168.100.1 lb=192.168.100.2
  case $kind in
    vxlan)  ip -n "$A" link add tun0 type vxlan id 42 local $la remote $lb dstport 4789 dev eth0
            ip -n "$B" link add tun0 type vxlan id 42 local $lb remote $la dstport 4789 dev eth0 ;;
    geneve) ip -n "$A" link add tun0 type geneve id 42 remote $lb
            ip -n "$B" link add tun0 type geneve id 42 remote $la ;;
    ipip)   ip -n "$A" link add tun0 type ipip local $la remote $lb
            ip -n "$B" link add tun0 type ipip local $lb remote $la ;;
    gre)    ip -n "$A" link add tun0 type gre local $la remote $lb key 7
            ip -n "$B" link add tun0 type gre local $lb remote $la key 7 ;;
    gretap) ip -n "$A" link add tun0 type gretap local $la remote $lb
            ip -n "$B" link add tun0 type gretap local $lb remote $la ;;
  esac
  ip -n "$A" addr add 10.244.0.1/24 dev tun0; ip -n "$B" addr add 10.244.0.2/24 dev tun0
  ip -n "$A" link set tun0 up; ip -n "$B" link set tun0 up
  # Neighbour resolution over the overlay before the capture (a refused probe), so the capture holds the failure only.
  ip netns exec "$A" curl -s -m 3 -o /dev/null http://10.244.0.2:8080/ || true
  ip netns exec "$A" tcpdump -i eth0 --immediate-mode -U -Z root -w "$OUT/$kind.pcap" 2>"$OUT/.tcpdump.err" &
  CAP=$!
  for _ in $(seq 1 50); do grep -q 'listening on' "$OUT/.tcpdump.err" 2>/dev/null && break; sleep 0.1; done
  for p in /orders /cart; do ip netns exec "$A" curl -s -m 3 -o /dev/null "http://10.244.0.2:8080$p" || true; done
  sleep 0.3
  kill -INT "$CAP"; wait "$CAP" 2>/dev/null || true; CAP=
  rm -f "$OUT/.tcpdump.err"
  ip netns del "$A"; ip netns del "$B"
  truth "$kind" "made with the kernel's $kind device"
  echo "$kind: $(grep -c '"frame"' "$OUT/$kind.truth.json") RST(s)"
}

# truth KIND HOW : tshark's view of the inner RSTs of KIND.pcap (frame, inner addresses and ports).
truth() {
  local kind=$1 how=$2
  tshark -r "$OUT/$kind.pcap" -Y 'tcp.flags.reset==1' -T fields -e frame.number -e ip.src -e tcp.srcport -e ip.dst -e tcp.dstport 2>/dev/null \
    | node -e '
      const rows = require("fs").readFileSync(0, "utf8").trim().split("\n").filter(Boolean).map((l) => l.split("\t"));
      const last = (v) => v.split(",").pop(); // ip.src lists the outer address first, the inner last
      const rst = rows.map(([f, s, sp, d, dp]) => ({ frame: +f, src: `${last(s)}:${sp}`, dst: `${last(d)}:${dp}` }));
      process.stdout.write(JSON.stringify({ kind: process.argv[1], made_by: process.argv[2] + " (lab/tunnels.sh, Linux " + require("os").release() + ")", truth: "tshark -Y tcp.flags.reset==1 -T fields -e frame.number -e ip.src -e tcp.srcport -e ip.dst -e tcp.dstport", rst }, null, 1) + "\n");
    ' "$kind" "$how" > "$OUT/$kind.truth.json"
}

mkdir -p "$OUT"
if [ $# -gt 0 ]; then
  for k in "$@"; do one "$k"; done
else
  one vxlan
  node "$LAB/re-encap.mjs" "$OUT/vxlan.pcap" "$OUT"
  for k in geneve ipip gre gretap erspan; do truth "$k" "vxlan.pcap's inner frames re-wrapped by lab/re-encap.mjs"; echo "$k: re-wrapped"; done
fi
