#!/usr/bin/env bash
# 1,000 concurrent customer-service users over WebSocket against a release server replaying the customer-service
# cassette with qa.csv imported -> reports/sim-load.{md,json}. Extra arguments go to `vividcrowd-sim load`.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product vividcrowd-server
swift build -c release --product vividcrowd-sim
work=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
env LLM_MODE=replay REPLAY_REPEAT=last CASSETTE_NAME=customer-service DATABASE_PATH="$work" \
  MODEL_NAME=smollm2 ROUTER_MODEL_NAME=smollm2 EVALUATION_MODEL=smollm2 EMBEDDING_MODEL=multilingual-e5-small \
  LOG_LEVEL=warning .build/release/vividcrowd-server serve --port "$port" --env-file "$work/no.env" \
  --import-csv corpora/seed/qa.csv >"$work/server.log" 2>&1 &
server=$!
trap 'kill -9 $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
  sleep 1
done
.build/release/vividcrowd-sim load --server "http://127.0.0.1:$port" --server-pid "$server" "$@"
