#!/usr/bin/env bash
# Records corpora/cassettes/speech.json against the local OpenAI-compatible speech server
# (`scripts/local-models.sh install-speech` once): a recording server with SPEECH_RECOGNIZER=openai and
# SPEECH_SYNTHESIZER=openai is asked, through its own routes, to transcribe the shipped fixture WAV and to speak
# two lines; Tests/VividCrowdServerTests/RemoteSpeechReplayTests.swift replays the result. The cassette keeps the
# upload as its SHA-256 only and the spoken audio as base64.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/test-servers.sh
swift build --product vividcrowd-server
scripts/local-models.sh start-speech
trap 'scripts/local-models.sh stop-speech; cleanup_test_servers' EXIT
eval "$(scripts/local-models.sh env)"
port=$(free_port)
E2E_LLM_MODE=record start_server speech speech "$port" \
  SPEECH_RECOGNIZER=openai SPEECH_SYNTHESIZER=openai SPEECH_BASE_URL="$SPEECH_BASE_URL" LLM_BASE_URL="$SPEECH_BASE_URL" DEMO=off
base="http://127.0.0.1:$port"
curl -fsS -F file=@Tests/Fixtures/speech/price-of-the-product.wav -F language=en "$base/api/digital-customer/audio/transcribe"; echo
curl -fsS -H 'Content-Type: application/json' -d '{"text":"Thank you, that sounds fair."}' "$base/api/digital-customer/audio/synthesize"; echo
curl -fsS -H 'Content-Type: application/json' -d '{"text":"价格可以再谈。","language":"zh"}' "$base/api/digital-customer/audio/synthesize"; echo
ls -l corpora/cassettes/speech.json
