#!/usr/bin/env bash
# The reliability suite (Tests/reliability/reliability.py): exact counts under concurrency, kill -9 during imports,
# a flood of silent connections, a canary API key swept for in every output, and memory after 10,000 sockets.
#   scripts/reliability.sh --short              # what make test runs (about two minutes)
#   scripts/reliability.sh --report             # the full suite, written to reports/reliability.{md,json}
#   scripts/reliability.sh --only kill --only canary
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${E2E_VENV:-.venv/e2e}
core=${OPENBLAS_CORETYPE:-$(scripts/lib/openblas-core.sh)}
if [ -n "$core" ]; then export OPENBLAS_CORETYPE=$core; fi
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --short) args+=(--short); shift ;;
    --only) args+=(--only "$2"); shift 2 ;;
    --report) args+=(--report reports/reliability.md); shift ;;
    --report-file) args+=(--report "$2"); shift 2 ;;
    *) echo "usage: $0 [--short] [--only CHECK]... [--report | --report-file FILE]" >&2; exit 2 ;;
  esac
done
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check websockets==17.4
swift build --product vividcrowd-server
exec "$VENV/bin/python" Tests/reliability/reliability.py "${args[@]}"
