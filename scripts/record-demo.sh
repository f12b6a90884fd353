#!/usr/bin/env bash
# Re-records the offline demo (corpora/cassettes/demo.json) against the local model servers (`make local-models`
# first): a recording server seeded as the manifest says and run under its settings, every question of the manifest
# asked through Tests/e2e/demo_driver.py, then the demo itself started as `make run` starts it (no key, no LLM_MODE)
# and asked the same questions, which must all replay. DEMO_RECORD_MODE=auto keeps what the cassette holds and
# records only what it misses (after a change of questions, say).
set -euo pipefail
cd "$(dirname "$0")/.."
manifest=${DEMO_MANIFEST:-corpora/demo/manifest.json}
VENV=${E2E_VENV:-.venv/e2e}
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check requests==2.34.2 websockets==17.4
source scripts/lib/test-servers.sh
swift build --product vividcrowd-server

# The manifest's settings (request-shaping ones and defaults) and seeds, as the demo applies them.
mapfile -t settings < <(python3 -c '
import json, sys
m = json.load(open(sys.argv[1], encoding="utf-8"))
for key, value in {**m.get("defaults", {}), **m["environment"]}.items(): print(f"{key}={value}")' "$manifest")
mapfile -t seeds < <(python3 -c '
import json, sys
s = json.load(open(sys.argv[1], encoding="utf-8"))["seed"]
if s.get("knowledge_base"): print("--import-csv"); print(s["knowledge_base"])
if s.get("twins"): print("--seed-twins"); print(s["twins"])
if s.get("customers"): print("--seed-customers"); print(s["customers"])
for m in s.get("sales_materials") or []: print("--seed-materials"); print(m)' "$manifest")
cassette=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["cassette"])' "$manifest")

eval "$(scripts/local-models.sh env)"
port=$(free_port)
mkdir -p "$work/record"
echo "recording $cassette against $LLM_BASE_URL (a small model on one thread: several minutes)"
env "${settings[@]}" LLM_MODE="${DEMO_RECORD_MODE:-record}" CASSETTE_NAME="$cassette" DATABASE_PATH="$work/record" LOG_LEVEL=warning \
  LLM_BASE_URL="$LLM_BASE_URL" EMBEDDING_BASE_URL="$EMBEDDING_BASE_URL" \
  .build/debug/vividcrowd-server serve --port "$port" --env-file "$work/no.env" "${seeds[@]}" >"$work/record.log" 2>&1 &
pids+=($!)
wait_for_health record "$port" "${pids[-1]}" "$work/record.log" 1800
"$VENV/bin/python" Tests/e2e/demo_driver.py "http://127.0.0.1:$port" "$manifest"
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true

echo "replaying as the demo"
port=$(free_port)
mkdir -p "$work/demo"
env -u DASHSCOPE_API_KEY -u LLM_MODE -u LLM_BASE_URL -u EMBEDDING_BASE_URL -u MODEL_NAME -u ROUTER_MODEL_NAME \
  -u EVALUATION_MODEL -u EMBEDDING_MODEL -u LLM_LOCAL_SCHEMA DEMO_MANIFEST="$manifest" DATABASE_PATH="$work/demo" \
  LOG_LEVEL=warning .build/debug/vividcrowd-server serve --port "$port" --env-file "$work/no.env" >"$work/demo.log" 2>&1 &
pids+=($!)
wait_for_health demo "$port" "${pids[-1]}" "$work/demo.log" 300
"$VENV/bin/python" Tests/e2e/demo_driver.py "http://127.0.0.1:$port" "$manifest"
echo "recorded: corpora/cassettes/$cassette.json ($(du -h "corpora/cassettes/$cassette.json" | cut -f1))"
