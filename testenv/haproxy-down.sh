#!/usr/bin/env bash
# Stop what testenv/haproxy-up.sh started. Usage: testenv/haproxy-down.sh STATE_DIR [--rm]
exec "$(dirname "$0")/stop-pids.sh" "$@"
