#!/usr/bin/env bash
# Stop what testenv/kube-up.sh started, by recorded PID, newest first (the API
# server before etcd). Usage: testenv/kube-down.sh STATE_DIR [--rm]
exec "$(dirname "$0")/stop-pids.sh" "$@"
