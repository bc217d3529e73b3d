#!/usr/bin/env bash
# Stop the processes listed in STATE_DIR/pids, one at a time, newest first
# (kube-apiserver before etcd): SIGTERM, up to STOP_TIMEOUT seconds (15),
# then SIGKILL. Never kills by name. --rm also deletes STATE_DIR.
# Usage: testenv/stop-pids.sh STATE_DIR [--rm]
set -uo pipefail
STATE_DIR=${1:?usage: stop-pids.sh STATE_DIR [--rm]}
STOP_TIMEOUT=${STOP_TIMEOUT:-15}
if [ -f "$STATE_DIR/pids" ]; then
  for p in $(tac "$STATE_DIR/pids"); do
    kill "$p" 2>/dev/null || continue
    for _ in $(seq 1 $((STOP_TIMEOUT * 10))); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$p" 2>/dev/null; then
      echo "pid $p still alive after ${STOP_TIMEOUT}s: SIGKILL" >&2
      kill -9 "$p" 2>/dev/null || true
    fi
  done
  : > "$STATE_DIR/pids"
fi
[ "${2:-}" = "--rm" ] && rm -rf "$STATE_DIR"
exit 0
