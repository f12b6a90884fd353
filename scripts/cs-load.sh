#!/usr/bin/env bash
# 1,000 concurrent customer-service users over WebSocket against a release server replaying the customer-service
# cassette with qa.csv imported -> reports/sim-load.{md,json}. Extra arguments go to `vividcrowd-sim load`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/replay-server.sh
swift build -c release --product vividcrowd-sim
start_replay_server
.build/release/vividcrowd-sim load --server "http://127.0.0.1:$port" --server-pid "$server" "$@"
