# shellcheck shell=bash
# Shared helpers for the resetscope incident lab. Sourced by lab/scenarios/*.sh.
#
# Topology (four network namespaces, created per scenario, deleted on exit):
#
#   client 10.200.1.2 ── 10.200.1.1 proxy 10.200.2.1 ── 10.200.2.2 router 10.200.3.1 ── 10.200.3.2 upstream
#          (eth0)          (eth0)         (eth1)           (eth0)          (eth1)           (eth0)
#
# nginx runs in "proxy", the upstreams (node / openssl s_server) in "upstream", curl in
# "client", nftables rules for the middlebox cases in "router" (which forwards, TTL-1).
# The proxy's capture is taken on its upstream-facing interface (eth1) -> proxy.pcap.
set -euo pipefail

LAB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$LAB/.." && pwd)
SCEN=${SCEN:?set SCEN before sourcing lib.sh}
OUT=$REPO/samples/incidents/$SCEN
WORK=$(mktemp -d "/tmp/rslab-$SCEN.XXXXXX")
ID=$$
declare -A NS=([client]="rsl$ID-c" [proxy]="rsl$ID-p" [router]="rsl$ID-r" [upstream]="rsl$ID-u")
declare -A IP=([client]=10.200.1.2 [proxy]=10.200.2.1 [proxy_front]=10.200.1.1 [router]=10.200.2.2 [router_up]=10.200.3.1 [upstream]=10.200.3.2)
PIDS=()          # background processes we started, stopped in reverse order
CAPS=()          # tcpdump PIDs
NGINX_PID=
TZ_LAB=${TZ_LAB:-UTC}
HOW=$WORK/how.txt
: >"$HOW"

log() { printf '[%s %s] %s\n' "$SCEN" "$(date +%T.%3N)" "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }

cleanup() {
  local rc=$?
  set +e
  [ -n "$NGINX_PID" ] && kill -QUIT "$NGINX_PID" 2>/dev/null
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do kill -TERM "${PIDS[i]}" 2>/dev/null; done
  for p in "${CAPS[@]}"; do kill -INT "$p" 2>/dev/null; done
  for p in $NGINX_PID "${PIDS[@]}" "${CAPS[@]}"; do
    for _ in $(seq 1 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null
  done
  for n in "${NS[@]}"; do ip netns del "$n" 2>/dev/null; done
  [ -n "${KEEP_WORK:-}" ] && log "kept $WORK" || rm -rf "$WORK"
  [ $rc -ne 0 ] && log "exit $rc"
  exit $rc
}
trap cleanup EXIT INT TERM

# X ROLE CMD... : run CMD inside ROLE's namespace, and record it in truth.json's "how".
X() { local role=$1; shift; printf '[%s] %s\n' "$role" "$*" >>"$HOW"; ip netns exec "${NS[$role]}" "$@"; }
# Q ROLE CMD... : same, not recorded (plumbing).
Q() { local role=$1; shift; ip netns exec "${NS[$role]}" "$@"; }
# note TEXT : record a step that is not a command.
note() { printf '%s\n' "$*" >>"$HOW"; }

# BG ROLE LOGFILE CMD... : start CMD in the background inside ROLE's namespace.
BG() {
  local role=$1 out=$2; shift 2
  printf '[%s] %s &\n' "$role" "$*" >>"$HOW"
  ip netns exec "${NS[$role]}" "$@" >"$out" 2>&1 &
  PIDS+=($!)
  LAST_PID=$!
}

net_up() {
  local c=${NS[client]} p=${NS[proxy]} r=${NS[router]} u=${NS[upstream]}
  for n in "$c" "$p" "$r" "$u"; do ip netns add "$n"; ip -n "$n" link set lo up; done
  ip link add eth0 netns "$c" type veth peer name eth0 netns "$p"
  ip link add eth1 netns "$p" type veth peer name eth0 netns "$r"
  ip link add eth1 netns "$r" type veth peer name eth0 netns "$u"
  ip -n "$c" addr add 10.200.1.2/24 dev eth0
  ip -n "$p" addr add 10.200.1.1/24 dev eth0
  ip -n "$p" addr add 10.200.2.1/24 dev eth1
  ip -n "$r" addr add 10.200.2.2/24 dev eth0
  ip -n "$r" addr add 10.200.3.1/24 dev eth1
  ip -n "$u" addr add 10.200.3.2/24 dev eth0
  ip -n "$c" link set eth0 up
  ip -n "$p" link set eth0 up; ip -n "$p" link set eth1 up
  ip -n "$r" link set eth0 up; ip -n "$r" link set eth1 up
  ip -n "$u" link set eth0 up
  ip -n "$c" route add default via 10.200.1.1
  ip -n "$p" route add default via 10.200.2.2
  ip -n "$u" route add default via 10.200.3.1
  ip netns exec "$r" sysctl -qw net.ipv4.ip_forward=1
  ip netns exec "$p" sysctl -qw net.ipv4.ip_forward=0
  # No IPv6 chatter (router solicitations, MLD) in the captures.
  for n in "$c" "$p" "$r" "$u"; do ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1; done
  Q proxy ip route get 10.200.3.2 >/dev/null || die "no route proxy -> upstream"
  note "topology: client 10.200.1.2 -> proxy 10.200.1.1|10.200.2.1 -> router 10.200.2.2|10.200.3.1 -> upstream 10.200.3.2 (network namespaces + veth, lab/lib.sh net_up)"
}

# net_up_ip6 : also IPv6 from the proxy on: proxy fd00:200:2::1 -> router fd00:200:2::2|fd00:200:3::1 -> upstream
# fd00:200:3::2 (the client side stays IPv4). Addresses without DAD, so they work at once; the captures'
# default filter (tcp or icmp) keeps neighbour discovery and router solicitations (ICMPv6) out.
net_up_ip6() {
  local p=${NS[proxy]} r=${NS[router]} u=${NS[upstream]}
  for n in "$p" "$r" "$u"; do ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0 net.ipv6.conf.eth0.disable_ipv6=0; done
  ip netns exec "$p" sysctl -qw net.ipv6.conf.eth1.disable_ipv6=0
  ip netns exec "$r" sysctl -qw net.ipv6.conf.eth1.disable_ipv6=0 net.ipv6.conf.all.forwarding=1
  ip -n "$p" -6 addr add fd00:200:2::1/64 dev eth1 nodad
  ip -n "$r" -6 addr add fd00:200:2::2/64 dev eth0 nodad
  ip -n "$r" -6 addr add fd00:200:3::1/64 dev eth1 nodad
  ip -n "$u" -6 addr add fd00:200:3::2/64 dev eth0 nodad
  ip -n "$p" -6 route add default via fd00:200:2::2
  ip -n "$u" -6 route add default via fd00:200:3::1
  Q proxy ip -6 route get fd00:200:3::2 >/dev/null || die "no IPv6 route proxy -> upstream"
  note "IPv6 from the proxy on: proxy fd00:200:2::1 -> router fd00:200:2::2|fd00:200:3::1 -> upstream fd00:200:3::2 (lab/lib.sh net_up_ip6)"
}

# capture ROLE IFACE FILE [BPF] : tcpdump in ROLE's namespace, waits until it listens.
capture() {
  local role=$1 ifc=$2 file=$3 bpf=${4:-tcp or icmp}
  printf '[%s] tcpdump -i %s --immediate-mode -U -w %s %s &\n' "$role" "$ifc" "$(basename "$file")" "$bpf" >>"$HOW"
  ip netns exec "${NS[$role]}" tcpdump -i "$ifc" --immediate-mode -U -Z root -w "$file" $bpf 2>"$file.err" &
  CAPS+=($!)
  for _ in $(seq 1 50); do grep -q 'listening on' "$file.err" 2>/dev/null && return 0; sleep 0.1; done
  die "tcpdump did not start: $(cat "$file.err")"
}
stop_captures() {
  sleep 0.3
  for p in "${CAPS[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  for p in "${CAPS[@]}"; do wait "$p" 2>/dev/null || true; done
  CAPS=()
}

# wait_port ROLE HOST PORT : bounded wait until something listens.
wait_port() {
  for _ in $(seq 1 50); do Q "$1" nc -z -w1 "$2" "$3" 2>/dev/null && return 0; sleep 0.1; done
  die "nothing listening on $2:$3"
}
# wait_line FILE TEXT : bounded wait for a server's ready line.
wait_line() {
  for _ in $(seq 1 50); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  die "no '$2' in $1: $(cat "$1")"
}

# upstream_node MODE PORT [ARG] : one of lab/servers/upstream.js's behaviours in the upstream ns.
upstream_node() {
  local out=$WORK/upstream-$1-$2.log
  BG upstream "$out" node "$LAB/servers/upstream.js" "$@"
  wait_line "$out" listening
}

# log formats
LOGFMT_LAB='$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $upstream_addr $upstream_status $request_time $upstream_connect_time $upstream_header_time $request_id'
ACCESS_FORMAT=${ACCESS_FORMAT:-lab}   # lab | combined
ERROR_LEVEL=${ERROR_LEVEL:-warn}

# nginx_start HTTP_BLOCK_EXTRA SERVER_BODY : nginx in the proxy ns, TZ=$TZ_LAB, listening on 10.200.1.1:80.
nginx_start() {
  local http_extra=$1 server_body=$2 d=$WORK/nginx
  mkdir -p "$d/logs"
  cat >"$d/nginx.conf" <<EOF
# resetscope lab: $SCEN (nginx $(nginx -v 2>&1 | sed 's/.*nginx\///'), TZ=$TZ_LAB)
user root;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/logs/error.log $ERROR_LEVEL;
events { worker_connections 256; }
http {
  log_format lab '$LOGFMT_LAB';
  access_log $d/logs/access.log $ACCESS_FORMAT;
  client_body_temp_path $d/tmp_body;
  proxy_temp_path $d/tmp_proxy;
  fastcgi_temp_path $d/tmp_fcgi;
  uwsgi_temp_path $d/tmp_uwsgi;
  scgi_temp_path $d/tmp_scgi;
$http_extra
  server {
    listen 10.200.1.1:80;
    server_name lab.resetscope.test;
    proxy_set_header X-Request-ID \$request_id;
$server_body
  }
}
EOF
  cp "$d/nginx.conf" "$WORK/nginx.conf.used"
  printf '[proxy] TZ=%s nginx -c nginx.conf -g "daemon off;" &   (config: nginx.conf in this folder)\n' "$TZ_LAB" >>"$HOW"
  ip netns exec "${NS[proxy]}" env TZ="$TZ_LAB" nginx -p "$d" -c "$d/nginx.conf" -g 'daemon off;' >"$WORK/nginx.out" 2>&1 &
  NGINX_PID=$!
  # readiness by socket table, not by connecting: a probe would be a client connection in nginx's logs
  for _ in $(seq 1 50); do
    [ -n "$(Q proxy ss -Hltn 'sport = :80')" ] && return 0
    kill -0 "$NGINX_PID" 2>/dev/null || break; sleep 0.1
  done
  die "nginx did not start: $(cat "$WORK/nginx.out" "$d/logs/error.log" 2>/dev/null)"
}
nginx_stop() {
  [ -n "$NGINX_PID" ] || return 0
  kill -QUIT "$NGINX_PID" 2>/dev/null || true
  wait "$NGINX_PID" 2>/dev/null || true
  NGINX_PID=
}

# client_curl ARGS... : curl in the client ns; prints the status code, never fails the script.
client_curl() {
  local code
  code=$(X client curl -s -o /dev/null -w '%{http_code}' "$@") || true
  echo "${code:-000}"
}

# tshark_rows FILE FILTER FIELDS... : tab-separated rows.
tshark_rows() {
  local f=$1 filt=$2; shift 2
  local args=()
  for e in "$@"; do args+=(-e "$e"); done
  tshark -r "$f" ${TSHARK_DECODE:-} -Y "$filt" -T fields "${args[@]}" 2>/dev/null
}

FIELDS_SHOWN=(frame.number frame.time_epoch ip.src tcp.srcport ip.dst tcp.dstport ip.ttl tcp.flags.str)

# check_first FILE FILTER EXPECT_SRC [EXTRA_FIELDS...] : the first frame matching FILTER must come from
# EXPECT_SRC (ip:port, or "ip:*"). Sets FIRST_FRAME, FIRST_EPOCH, FIRST_ROW, CHECK_CMD, CHECK_OUT.
check_first() {
  local f=$1 filt=$2 want=$3; shift 3
  local fields=("${FIELDS_SHOWN[@]}" "$@")
  local rows
  rows=$(tshark_rows "$f" "$filt" "${fields[@]}")
  CHECK_CMD="tshark -r $(basename "$f") ${TSHARK_DECODE:-}${TSHARK_DECODE:+ }-Y '$filt' -T fields$(printf ' -e %s' "${fields[@]}")"
  CHECK_OUT=$(printf '%s\n' "$rows" | head -5)
  [ -n "$rows" ] || die "tshark found no frame matching '$filt' in $f"
  FIRST_ROW=$(printf '%s\n' "$rows" | head -1)
  FIRST_FRAME=$(cut -f1 <<<"$FIRST_ROW")
  FIRST_EPOCH=$(cut -f2 <<<"$FIRST_ROW")
  local src
  src="$(cut -f3 <<<"$FIRST_ROW"):$(cut -f4 <<<"$FIRST_ROW")"
  case $want in
    *:\*) [[ $src == "${want%:*}":* ]] || die "first '$filt' frame $FIRST_FRAME is from $src, expected $want" ;;
    *) [ "$src" = "$want" ] || die "first '$filt' frame $FIRST_FRAME is from $src, expected $want" ;;
  esac
  log "tshark agrees: frame $FIRST_FRAME from $src ($filt)"
}

# first_line FILE REGEX : the first failure is a log line (no packet). Sets FIRST_* (time converted from TZ_LAB to UTC).
first_line() {
  local f=$1 re=$2
  FIRST_SOURCE=$(basename "$f") FIRST_KIND=nginx.error
  FIRST_LINE=$(line_of "$f" "$re")
  [ -n "$FIRST_LINE" ] || die "no /$re/ in $f"
  FIRST_TEXT=$(sed -n "${FIRST_LINE}p" "$f")
  local stamp=${FIRST_TEXT:0:19}
  FIRST_TIME=$(date -u -d "TZ=\"$TZ_LAB\" ${stamp//\//-}" +%Y-%m-%dT%H:%M:%SZ)
  FIRST_FRAME= FIRST_EPOCH=
}

# must_grep FILE REGEX WHAT : fail unless FILE has a line matching REGEX.
must_grep() { grep -Eq -- "$2" "$1" || die "$3: no /$2/ in $(basename "$1"): $(head -c 2000 "$1")"; }
# line_of FILE REGEX : 1-based number of the first line matching.
line_of() { grep -En -- "$2" "$1" | head -1 | cut -d: -f1; }

# finish : copy artefacts to samples/incidents/$SCEN and write truth.json + README.md.
# Reads: DESC CAUSE ORIGIN UPSTREAM EXPECTED_KINDS FIRST_* CHECK_* README_LINE, extra JSON in TRUTH_EXTRA.
finish() {
  nginx_stop
  stop_captures
  sed -i "s#$WORK/##g; s#$REPO/##g" "$HOW"
  rm -rf "$OUT"; mkdir -p "$OUT"
  [ -f "$WORK/nginx/logs/error.log" ] && cp "$WORK/nginx/logs/error.log" "$OUT/error.log"
  [ -f "$WORK/nginx/logs/access.log" ] && cp "$WORK/nginx/logs/access.log" "$OUT/access.log"
  [ -f "$WORK/nginx.conf.used" ] && sed "s#$WORK/nginx/##g; s#$WORK/#WORK/#g" "$WORK/nginx.conf.used" >"$OUT/nginx.conf"
  for f in "$WORK"/*.pcap; do [ -e "$f" ] && cp "$f" "$OUT/"; done
  [ -n "${EXTRA_FILES:-}" ] && for f in $EXTRA_FILES; do cp "$WORK/$f" "$OUT/"; done
  SCEN="$SCEN" OUT="$OUT" HOW="$HOW" TZ_LAB="$TZ_LAB" ACCESS_FORMAT="$ACCESS_FORMAT" LOGFMT_LAB="$LOGFMT_LAB" \
    DESC="$DESC" CAUSE="${CAUSE:-}" ORIGIN="${ORIGIN:-}" UPSTREAM="$UPSTREAM" EXPECTED_KINDS="$EXPECTED_KINDS" \
    FIRST_SOURCE="${FIRST_SOURCE:-}" FIRST_FRAME="${FIRST_FRAME:-}" FIRST_EPOCH="${FIRST_EPOCH:-}" \
    FIRST_LINE="${FIRST_LINE:-}" FIRST_KIND="${FIRST_KIND:-}" FIRST_FILTER="${FIRST_FILTER:-}" FIRST_TEXT="${FIRST_TEXT:-}" \
    FIRST_WHO="${FIRST_WHO:-}" FIRST_TIME="${FIRST_TIME:-}" SCENARIO_TITLE="${SCENARIO_TITLE:-}" \
    CHECK_CMD="${CHECK_CMD:-}" CHECK_OUT="${CHECK_OUT:-}" TRUTH_EXTRA="${TRUTH_EXTRA:-{\}}" README_LINE="${README_LINE:-}" \
    ERROR_LEVEL="$ERROR_LEVEL" TSHARK_DECODE="${TSHARK_DECODE:-}" \
    node "$LAB/truth.mjs"
  log "wrote $OUT ($(du -sh "$OUT" | cut -f1))"
}

# make_cert DIR CN : throwaway self-signed RSA cert (key.pem, cert.pem) for TLS upstreams; never committed.
make_cert() {
  mkdir -p "$1"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$1/key.pem" -out "$1/cert.pem" -days 2 -subj "/CN=$2" \
    -addext "subjectAltName=DNS:$2" 2>/dev/null
  note "openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 2 -subj /CN=$2   (self-signed, not kept)"
}
# s_server ARGS... : openssl s_server in the upstream ns (-www answers GETs with a status page).
s_server() {
  local out=$WORK/s_server.log
  BG upstream "$out" stdbuf -oL openssl s_server -www "$@"
  wait_line "$out" ACCEPT   # not a TCP probe: a probe would show up in the capture as a failed handshake
}
