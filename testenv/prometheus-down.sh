#!/usr/bin/env bash
# Stop what testenv/prometheus-up.sh started, by the PIDs it recorded,
# newest first; --rm also deletes the state folder.
set -euo pipefail
STATE_DIR=${1:?usage: prometheus-down.sh STATE_DIR [--rm]}
if [ -f "$STATE_DIR/pids" ]; then
  for pid in $(tac "$STATE_DIR/pids"); do
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
  : > "$STATE_DIR/pids"
fi
[ "${2:-}" = "--rm" ] && rm -rf "$STATE_DIR"
exit 0
