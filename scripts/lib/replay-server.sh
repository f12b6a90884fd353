# Sourced by scripts that measure a release server: builds it, starts it replaying the customer-service cassette with
# qa.csv imported, and waits until it answers. Sets $port and $server; the caller's EXIT trap should kill $server.
# Rate limits are off: every simulated user comes from 127.0.0.1, and the measurement is of the server, not its limits.
start_replay_server() {
  local core=${OPENBLAS_CORETYPE:-$(scripts/lib/openblas-core.sh)}
  if [ -n "$core" ]; then export OPENBLAS_CORETYPE=$core; fi
  swift build -c release --product vividcrowd-server
  work=$(mktemp -d)
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  env RATE_LIMITS=off LLM_MODE=replay REPLAY_REPEAT=last CASSETTE_NAME=customer-service DATABASE_PATH="$work" \
    MODEL_NAME=smollm2 ROUTER_MODEL_NAME=smollm2 EVALUATION_MODEL=smollm2 EMBEDDING_MODEL=multilingual-e5-small \
    LOG_LEVEL=warning .build/release/vividcrowd-server serve --port "$port" --env-file "$work/no.env" \
    --import-csv corpora/seed/qa.csv >"$work/server.log" 2>&1 &
  server=$!
  trap 'kill -9 $server 2>/dev/null || true; rm -rf "$work"' EXIT
  source scripts/lib/wait-for-health.sh
  wait_for_health replay "$port" "$server" "$work/server.log"
}
