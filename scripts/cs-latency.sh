#!/usr/bin/env bash
# Customer-service WebSocket round trip: a release server replaying the customer-service cassette, qa.csv imported,
# then `vividcrowd-bench ws-latency` against it -> reports/customer-service-ws-latency.{md,json}.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/replay-server.sh
swift build -c release --product vividcrowd-bench
start_replay_server
.build/release/vividcrowd-bench ws-latency --url "ws://127.0.0.1:$port/api/customer-service/ws" "$@"
