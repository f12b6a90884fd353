# Sourced by the scripts that test a real server (e2e.sh, api-fuzz.sh): free ports, replay servers with their own
# databases under $work, and cleanup of both when the caller exits.
source scripts/lib/wait-for-health.sh
source scripts/lib/free-port.sh
work=$(mktemp -d)
pids=()
cleanup_test_servers() { for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup_test_servers EXIT

# start_server NAME CASSETTE PORT [VAR=value ...]: a server ($SERVER_BIN, the debug build unless set) replaying
# CASSETTE (or recording, per $E2E_LLM_MODE), waited for until /health answers; extra variables go into its
# environment (DATABASE_URL among them, instead of its own SQLite folder).
start_server() {
  local name=$1 cassette=$2 port=$3
  shift 3
  mkdir -p "$work/$name"
  env LLM_MODE="${E2E_LLM_MODE:-replay}" REPLAY_REPEAT=last CASSETTE_NAME="$cassette" DATABASE_PATH="$work/$name" \
    MODEL_NAME=smollm2 ROUTER_MODEL_NAME=smollm2 EVALUATION_MODEL=smollm2 EMBEDDING_MODEL=multilingual-e5-small \
    LOG_LEVEL=warning "$@" "${SERVER_BIN:-.build/debug/vividcrowd-server}" serve --port "$port" --env-file "$work/no.env" \
    >"$work/$name.log" 2>&1 &
  pids+=($!)
  disown "$!"  # no job-control notice when cleanup kills it
  wait_for_health "$name" "$port" "${pids[-1]}" "$work/$name.log"
}
