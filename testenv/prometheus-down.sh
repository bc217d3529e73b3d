#!/usr/bin/env bash
# Stop what testenv/prometheus-up.sh started, by the PIDs it recorded,
# newest first; --rm also deletes the state folder.
# Usage: testenv/prometheus-down.sh STATE_DIR [--rm]
exec "$(dirname "$0")/stop-pids.sh" "$@"
