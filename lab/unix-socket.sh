#!/bin/bash
# nginx proxying to unix sockets that fail the two ways they do: the socket file is missing (ENOENT) and a socket
# file is left by a process that exited (ECONNREFUSED). Real nginx on 127.0.0.1:18080, curl; writes its error and
# access logs to test/fixtures/unix-socket/ with truth.json (what was made, in order).   bash lab/unix-socket.sh
set -euo pipefail
OUT=$(cd "$(dirname "$0")/.." && pwd)/test/fixtures/unix-socket
W=$(mktemp -d /tmp/rs-unix.XXXXXX)
NGINX_PID=
cleanup() { set +e; [ -n "$NGINX_PID" ] && kill -QUIT "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT INT TERM
mkdir -p "$W/logs"
# A socket file whose process is gone: bind, exit without unlinking.
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$W/stale.sock"
cat >"$W/nginx.conf" <<CONF
user root;
worker_processes 1;
pid $W/nginx.pid;
error_log $W/logs/error.log warn;
events { worker_connections 64; }
http {
  access_log $W/logs/access.log combined;
  client_body_temp_path $W/b; proxy_temp_path $W/p; fastcgi_temp_path $W/f; uwsgi_temp_path $W/u; scgi_temp_path $W/s;
  server {
    listen 127.0.0.1:18080;
    location /missing/ { proxy_pass http://unix:$W/missing.sock:/; }
    location /stale/ { proxy_pass http://unix:$W/stale.sock:/; }
  }
}
CONF
nginx -p "$W" -c "$W/nginx.conf" -g 'daemon off;' >"$W/nginx.out" 2>&1 &
NGINX_PID=$!
for _ in $(seq 1 50); do ss -Hltn 'sport = :18080' | grep -q . && break; sleep 0.1; done
for p in /missing/a /stale/b /missing/c; do curl -s -o /dev/null -w "%{http_code} $p\n" "http://127.0.0.1:18080$p"; sleep 1.1; done
kill -QUIT "$NGINX_PID"; wait "$NGINX_PID" 2>/dev/null || true; NGINX_PID=
mkdir -p "$OUT"
sed "s#$W/#/run/#g" "$W/logs/error.log" >"$OUT/error.log"
sed "s#$W/#/run/#g" "$W/logs/access.log" >"$OUT/access.log"
grep -q 'missing.sock failed (2: No such file or directory)' "$OUT/error.log"
grep -q 'stale.sock failed (111: Connection refused)' "$OUT/error.log"
cat >"$OUT/truth.json" <<JSON
{
  "made_by": "lab/unix-socket.sh: nginx $(nginx -v 2>&1 | sed 's/.*nginx\///') proxy_pass to unix sockets; paths rewritten to /run/",
  "requests": [
    { "path": "/missing/a", "upstream": "unix:/run/missing.sock", "errno": 2, "cause": "refused" },
    { "path": "/stale/b", "upstream": "unix:/run/stale.sock", "errno": 111, "cause": "refused" },
    { "path": "/missing/c", "upstream": "unix:/run/missing.sock", "errno": 2, "cause": "refused" }
  ],
  "verdict": { "cause": "refused", "upstream": "unix:/run/missing.sock" }
}
JSON
cat "$OUT/error.log"
