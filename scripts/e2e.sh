#!/usr/bin/env bash
# End-to-end tests in Python against a real vividcrowd-server: the original README's client examples and the web
# page in headless Chromium. The servers replay LLM calls from corpora/cassettes/{customer-service,group-chat,twins}.json.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${E2E_VENV:-.venv/e2e}

missing=()
for package in chromium chromium-driver; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "the browser test needs: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check pytest==9.0.3 requests==2.34.2 websockets==17.4 selenium==4.51.0

swift build --product vividcrowd-server
# E2E_LLM_MODE=auto (with `eval "$(scripts/local-models.sh env)"`) records what the cassettes miss.
source scripts/lib/test-servers.sh
# The customer-service cassettes were recorded under the configured formula (the original's weights), whose bands
# the page's questions were chosen for; the shipped default calibration is measured by the suites bench.
configured_formula="BM25_WEIGHT=0.6 EMBEDDING_WEIGHT=0.4"
cs_port=$(free_port)
start_server customer-service customer-service "$cs_port" $configured_formula
chat_port=$(free_port)
# Night mode off (equal hours): the tests run on the wall clock at whatever hour CI starts them.
start_server group-chat group-chat "$chat_port" MIN_TYPING_DELAY=0.1 MAX_TYPING_DELAY=0.3 LLM_LOCAL_SCHEMA=on \
  NIGHT_MODE_START_HOUR=0 NIGHT_MODE_END_HOUR=0

twins_port=$(free_port)
start_server twins twins "$twins_port" MIN_TYPING_DELAY=0.1 MAX_TYPING_DELAY=0.3 LLM_LOCAL_SCHEMA=on TWIN_PROMPT_TOKENS=1500

# Short limits, so the slow-client tests finish in seconds: 2 s to send a head, 8 KB heads, 40 connections.
# Sales training: a round cap of one, so five messages walk the five stages.
training_port=$(free_port)
start_server training training-page "$training_port" LLM_LOCAL_SCHEMA=on TWIN_PROMPT_TOKENS=1500 TRAINING_STAGE_ROUND_CAP=1

# The offline demo, started as `make run` starts it: no key, no LLM_MODE, an empty .env (the manifest does the rest).
demo_port=$(free_port)
mkdir -p "$work/demo"
env -u DASHSCOPE_API_KEY -u LLM_MODE -u DEMO DATABASE_PATH="$work/demo" LOG_LEVEL=warning \
  "${SERVER_BIN:-.build/debug/vividcrowd-server}" serve --port "$demo_port" --env-file "$work/no.env" >"$work/demo.log" 2>&1 &
pids+=($!)
disown "$!"
wait_for_health demo "$demo_port" "${pids[-1]}" "$work/demo.log" 300

guarded_port=$(free_port)
start_server guarded customer-service "$guarded_port" $configured_formula HEADER_READ_TIMEOUT=2 IDLE_TIMEOUT=4 MAX_HEADER_BYTES=8192 \
  MAX_CONNECTIONS=40

VIVIDCROWD_URL="http://127.0.0.1:$cs_port" VIVIDCROWD_CHAT_URL="http://127.0.0.1:$chat_port" \
  VIVIDCROWD_TWINS_URL="http://127.0.0.1:$twins_port" VIVIDCROWD_TRAINING_URL="http://127.0.0.1:$training_port" \
  VIVIDCROWD_GUARDED_URL="http://127.0.0.1:$guarded_port" VIVIDCROWD_DEMO_URL="http://127.0.0.1:$demo_port" \
  "$VENV/bin/python" -m pytest -q Tests/e2e "$@" \
  || { for log in "$work"/*.log; do echo "--- $log" >&2; tail -30 "$log" >&2; done; exit 1; }
