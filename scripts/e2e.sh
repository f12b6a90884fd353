#!/usr/bin/env bash
# End-to-end tests in Python against a real vividcrowd-server: the original README's client examples and the web
# page in headless Chromium. The server replays LLM calls from corpora/cassettes/customer-service.json.
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
work=$(mktemp -d)
port=$("$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
env LLM_MODE=replay REPLAY_REPEAT=last CASSETTE_NAME=customer-service DATABASE_PATH="$work" \
  MODEL_NAME=smollm2 ROUTER_MODEL_NAME=smollm2 EVALUATION_MODEL=smollm2 EMBEDDING_MODEL=multilingual-e5-small \
  LOG_LEVEL=warning .build/debug/vividcrowd-server serve --port "$port" --env-file "$work/no.env" >"$work/server.log" 2>&1 &
server=$!
cleanup() { kill -9 "$server" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
for _ in $(seq 1 60); do
  curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
  sleep 1
done
VIVIDCROWD_URL="http://127.0.0.1:$port" "$VENV/bin/python" -m pytest -q Tests/e2e "$@" \
  || { echo "--- server log" >&2; tail -50 "$work/server.log" >&2; exit 1; }
