#!/usr/bin/env bash
# A spoken sales-training turn, round trip: a release server replaying corpora/cassettes/spoken-turn.json with one
# seeded customer and the offline speech engines, then `vividcrowd-bench spoken-turn` -> reports/spoken-turn.{md,json}.
#   scripts/voice-latency.sh [bench options]   # replay, offline
#   scripts/voice-latency.sh --record          # re-record the cassette (one turn) against the local models
#                                              # (scripts/local-models.sh install && scripts/local-models.sh start)
set -euo pipefail
cd "$(dirname "$0")/.."
mode=replay
if [ "${1:-}" = "--record" ]; then mode=record; shift; fi
core=${OPENBLAS_CORETYPE:-$(scripts/lib/openblas-core.sh)}
if [ -n "$core" ]; then export OPENBLAS_CORETYPE=$core; fi
swift build -c release --product vividcrowd-server
swift build -c release --product vividcrowd-bench
source scripts/lib/test-servers.sh
# One customer, the one the browser test trains with, under the settings that shaped its recording.
mkdir -p "$work/customers" "$work/data"
cp "corpora/sales/customers/王建国-制造业-生产总监.md" "$work/customers/"
settings=(LLM_MODE=$mode REPLAY_REPEAT=last CASSETTE_NAME=spoken-turn DATABASE_PATH="$work/data" RATE_LIMITS=off
  MODEL_NAME=smollm2 ROUTER_MODEL_NAME=smollm2 EVALUATION_MODEL=smollm2 EMBEDDING_MODEL=multilingual-e5-small
  LLM_LOCAL_SCHEMA=on TWIN_PROMPT_TOKENS=1500 LOG_LEVEL=warning)
bench=()
if [ "$mode" = record ]; then
  eval "$(scripts/local-models.sh env)"
  settings+=(LLM_BASE_URL="$LLM_BASE_URL" EMBEDDING_BASE_URL="$EMBEDDING_BASE_URL")
  rm -f corpora/cassettes/spoken-turn.json
  bench=(--count 1 --warmup 0 --reports "$work/reports")
fi
port=$(free_port)
env "${settings[@]}" .build/release/vividcrowd-server serve --port "$port" --env-file "$work/no.env" \
  --seed-customers "$work/customers" >"$work/server.log" 2>&1 &
pids+=($!)
disown "$!"
wait_for_health "spoken-turn ($mode)" "$port" "${pids[-1]}" "$work/server.log" 1800
.build/release/vividcrowd-bench spoken-turn --url "http://127.0.0.1:$port" "${bench[@]}" "$@"
if [ "$mode" = record ]; then
  kill "${pids[-1]}"
  echo "recorded: corpora/cassettes/spoken-turn.json ($(du -h corpora/cassettes/spoken-turn.json | cut -f1))"
fi
