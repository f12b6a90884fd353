#!/usr/bin/env bash
# schemathesis against a real server's /openapi.json, every check on (Tests/api-fuzz/schemathesis.toml names the two
# per-operation exceptions and why), once without and once with ADMIN_TOKEN. The socket operations are upgrades,
# covered by the socket clients in scripts/e2e.sh.
#   scripts/api-fuzz.sh                      # the short, seeded run make test does (20 examples per operation)
#   scripts/api-fuzz.sh --examples 400 --report   # the long run, written to reports/api-fuzz.md
set -euo pipefail
cd "$(dirname "$0")/.."
examples=20
seed=2026
report=""
while [ $# -gt 0 ]; do
  case "$1" in
    --examples) examples=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --report) report=reports/api-fuzz.md; shift ;;
    *) echo "usage: $0 [--examples N] [--seed S] [--report]" >&2; exit 2 ;;
  esac
done
VENV=${API_FUZZ_VENV:-.venv/api-fuzz}
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check schemathesis==4.32.5

swift build --product vividcrowd-server
source scripts/lib/test-servers.sh
open_port=$(free_port); start_server open customer-service "$open_port" RATE_LIMITS=off
token_port=$(free_port); start_server token customer-service "$token_port" RATE_LIMITS=off ADMIN_TOKEN=api-fuzz-token

run() {  # label port [schemathesis options...]
  local label=$1 port=$2
  shift 2
  (cd Tests/api-fuzz && "../../$VENV/bin/schemathesis" run "http://127.0.0.1:$port/openapi.json" -n "$examples" \
    --seed "$seed" --exclude-path-regex '/ws(/[^/]+)?$' --no-color "$@") >"$work/$label.out" 2>&1
  local status=$?
  tail -25 "$work/$label.out"
  return $status
}
status=0
run without-token "$open_port" || status=1
run with-token "$token_port" -H "Authorization: Bearer api-fuzz-token" || status=1
# The server must still be up and answering after everything it was sent.
for port in "$open_port" "$token_port"; do curl -fsS "http://127.0.0.1:$port/health" >/dev/null || status=1; done

if [ -n "$report" ]; then
  operations=$(sed -n 's/^ *Tested: \([0-9]*\).*/\1/p' "$work/without-token.out" | head -1)
  {
    echo "# API fuzzing (schemathesis)"
    echo
    echo "\`scripts/api-fuzz.sh --examples $examples --seed $seed --report\`, $(date -u +%Y-%m-%d), schemathesis 4.32.5, every"
    echo "check on (\`Tests/api-fuzz/schemathesis.toml\`), $operations HTTP operations (the socket upgrades are covered by the"
    echo "socket clients), a replay server with rate limits off; once without a token, once with \`ADMIN_TOKEN\` set and sent."
    for label in without-token with-token; do
      echo
      echo "## $label"
      echo
      echo '```'
      sed -n '/^API Operations:/,$p' "$work/$label.out" | grep -v '^$'
      echo '```'
    done
  } >"$report"
  echo "wrote $report"
fi
exit $status
