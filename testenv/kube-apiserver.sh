#!/usr/bin/env bash
# Stop or (re)start the kube-apiserver of a control plane started by
# testenv/kube-up.sh, leaving etcd and the rest running; start waits until
# /readyz answers. The live breaker test uses it.
# Usage: testenv/kube-apiserver.sh STATE_DIR stop|start
set -euo pipefail
STATE_DIR=${1:?usage: kube-apiserver.sh STATE_DIR stop|start}
pidfile=$STATE_DIR/kube-apiserver.pid
case ${2:?usage: kube-apiserver.sh STATE_DIR stop|start} in
stop)
  [ -f "$pidfile" ] || exit 0
  p=$(cat "$pidfile")
  kill "$p" 2>/dev/null || true
  for _ in $(seq 1 150); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$p" 2>/dev/null || true
  mv "$pidfile" "$pidfile.old" ;;
start)
  bash "$STATE_DIR/kube-apiserver.run" &
  echo $! > "$pidfile"
  # Keep its place in the stop order (after the controllers, before etcd):
  # a restarted API server takes the line of the one it replaces.
  if [ -f "$pidfile.old" ]; then
    sed -i "s/^$(cat "$pidfile.old")\$/$!/" "$STATE_DIR/pids"
    rm -f "$pidfile.old"
  else
    echo $! >> "$STATE_DIR/pids"
  fi
  url=https://127.0.0.1:$(cat "$STATE_DIR/kube-port")/readyz
  for _ in $(seq 1 600); do
    curl -sf --cacert "$STATE_DIR/ca.crt" -H "Authorization: Bearer $(cat "$STATE_DIR/token")" "$url" >/dev/null && exit 0
    sleep 0.1
  done
  echo "kube-apiserver not ready after 60s:" >&2; tail -30 "$STATE_DIR/kube-apiserver.log" >&2; exit 1 ;;
*) echo "usage: kube-apiserver.sh STATE_DIR stop|start" >&2; exit 2 ;;
esac
