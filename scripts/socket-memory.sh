#!/usr/bin/env bash
# Resident memory per open WebSocket: a release server replaying the customer-service cassette with qa.csv imported,
# N sockets (default 2,000) opened and held idle, then each used once -> reports/socket-memory.md.
#   scripts/socket-memory.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-2000}
VENV=${E2E_VENV:-.venv/e2e}
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check websockets==17.4
source scripts/lib/replay-server.sh
start_replay_server
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
"$VENV/bin/python" Tests/reliability/socket_memory.py "ws://127.0.0.1:$port/api/customer-service/ws" "$server" "$count" \
  reports/socket-memory.md
