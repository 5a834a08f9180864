#!/bin/bash
# Rebuild samples/incidents/* with real software (see lab/README.md).
#   bash lab/make-all.sh              # every scenario, one after the other
#   bash lab/make-all.sh refused goaway
# Needs root (network namespaces), nginx, node >= 20, openssl, curl, tcpdump, tshark, nft, iproute2.
set -uo pipefail
LAB=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$LAB/.." && pwd)
ALL=(refused refused-ipv6 upstream-reset premature-close connect-timeout tls-version tls-alpn tls-cert tls-to-plaintext
     h2c-mismatch goaway rst-stream idle-race middlebox-reset middlebox-reset-midstream middlebox-reset-ipv6 port-exhaustion client-abort read-timeout unreachable no-live-upstreams healthy)

[ "$(id -u)" = 0 ] || { echo "make-all: needs root (ip netns, tcpdump, nft)" >&2; exit 2; }
missing=()
for t in nginx node openssl curl tcpdump tshark nft ip ss nc sysctl; do command -v "$t" >/dev/null || missing+=("$t"); done
[ ${#missing[@]} = 0 ] || { echo "make-all: missing tools: ${missing[*]} (apt-get install -y nginx nodejs openssl curl tcpdump tshark nftables iproute2 netcat-openbsd)" >&2; exit 2; }

list=("$@"); [ ${#list[@]} -gt 0 ] || list=("${ALL[@]}")
failed=()
for s in "${list[@]}"; do
  [ -f "$LAB/scenarios/$s.sh" ] || { echo "make-all: no scenario $s" >&2; failed+=("$s"); continue; }
  start=$(date +%s.%N)
  if timeout 120 bash "$LAB/scenarios/$s.sh"; then
    printf 'ok    %-18s %5.1fs\n' "$s" "$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{print b-a}')"
  else
    printf 'FAIL  %s\n' "$s"; failed+=("$s")
  fi
done
size=$(du -sk "$REPO/samples/incidents" | cut -f1)
echo "samples/incidents: ${size} KB"
[ "$size" -lt 5000 ] || { echo "make-all: samples/incidents is over 5 MB" >&2; failed+=(size); }
[ ${#failed[@]} = 0 ] || { echo "make-all: failed: ${failed[*]}" >&2; exit 1; }
