#!/usr/bin/env bash
# Start Debian's HAProxy (apt-get install -y --no-install-recommends haproxy)
# on 127.0.0.1 with an empty backend "workload" (balance roundrobin, so that
# servers can be added and deleted at run time) behind a frontend, and the
# runtime API at admin level on a unix socket and on a loopback TCP port.
# The live integration tests add, drain and delete servers through it.
#
# Usage: testenv/haproxy-up.sh      -> prints STATE_DIR=, HAPROXY_URL=, HAPROXY_SOCK=, HAPROXY_API=
#        testenv/haproxy-down.sh STATE_DIR [--rm]
# Env:   HAPROXY_PORT, HAPROXY_API_PORT (free ports by default)  STATE_DIR (mktemp)
set -euo pipefail
command -v haproxy >/dev/null || {
  echo "no haproxy: apt-get install -y --no-install-recommends haproxy" >&2; exit 1; }
STATE_DIR=${STATE_DIR:-$(mktemp -d /tmp/omnixan-haproxy.XXXXXX)}
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
HAPROXY_PORT=${HAPROXY_PORT:-$(freeport)}
HAPROXY_API_PORT=${HAPROXY_API_PORT:-$(freeport)}
: > "$STATE_DIR/pids"

cat > "$STATE_DIR/haproxy.cfg" <<CFG
global
    stats socket $STATE_DIR/admin.sock mode 600 level admin
    stats socket ipv4@127.0.0.1:$HAPROXY_API_PORT level admin
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend fe
    bind 127.0.0.1:$HAPROXY_PORT
    default_backend workload
backend workload
    balance roundrobin
CFG
haproxy -c -q -f "$STATE_DIR/haproxy.cfg"

# -db: foreground, so that \$! is HAProxy itself.
haproxy -db -f "$STATE_DIR/haproxy.cfg" > "$STATE_DIR/haproxy.log" 2>&1 &
echo $! >> "$STATE_DIR/pids"
for _ in $(seq 1 50); do [ -S "$STATE_DIR/admin.sock" ] && break; sleep 0.1; done
[ -S "$STATE_DIR/admin.sock" ] || { echo "haproxy did not start:" >&2; cat "$STATE_DIR/haproxy.log" >&2; exit 1; }

echo "STATE_DIR=$STATE_DIR"
echo "HAPROXY_URL=http://127.0.0.1:$HAPROXY_PORT"
echo "HAPROXY_SOCK=$STATE_DIR/admin.sock"
echo "HAPROXY_API=127.0.0.1:$HAPROXY_API_PORT"
echo "HAPROXY_BACKEND=workload"
echo "teardown: $(dirname "$0")/haproxy-down.sh $STATE_DIR --rm"
