#!/usr/bin/env bash
# libFuzzer over the parsers of outside input (Sources/Fuzz/FuzzTargets.swift; Tests/Fuzz/README.md).
#   scripts/fuzz.sh                          # every target for 30 s: what make test runs
#   scripts/fuzz.sh --seconds 600 --report   # ten minutes per target, written to reports/fuzz.md
#   scripts/fuzz.sh --target csv --target sse --seconds 60
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=30
report=""
targets=(csv sse cassette persona json labelled multipart frames pdf wav)
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --target) if [ -z "${picked:-}" ]; then targets=(); picked=1; fi; targets+=("$2"); shift 2 ;;
    --report) report=reports/fuzz.md; shift ;;
    --report-file) report=$2; shift 2 ;;
    *) echo "usage: $0 [--seconds N] [--target NAME]... [--report | --report-file FILE]" >&2; exit 2 ;;
  esac
done

# Inputs that once crashed a target, replayed through the ordinary build first.
swift build --product vividcrowd-fuzz
for target in "${targets[@]}"; do
  if compgen -G "Tests/Fuzz/crashes/$target/*" >/dev/null; then
    VIVIDCROWD_FUZZ_TARGET=$target .build/debug/vividcrowd-fuzz Tests/Fuzz/crashes/"$target"/*
  fi
done

# The instrumented build has its own folder: every module is compiled with libFuzzer's coverage.
swift build --product vividcrowd-fuzz --scratch-path .build-fuzz -Xswiftc -sanitize=fuzzer -Xswiftc -DFUZZING
binary=.build-fuzz/debug/vividcrowd-fuzz
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rows=()
status=0
for target in "${targets[@]}"; do
  mkdir -p "$work/$target/corpus"
  cp Tests/Fuzz/seeds/"$target"/* "$work/$target/corpus/"
  set +e
  # Swift's own crash backtracer would take the signal before libFuzzer could save the input that caused it.
  SWIFT_BACKTRACE=enable=no VIVIDCROWD_FUZZ_TARGET=$target "$binary" "$work/$target/corpus" -max_total_time="$seconds" -max_len=65536 \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/$target/" >"$work/$target.log" 2>&1
  code=$?
  set -e
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/$target.log" | grep -o '[0-9]*$' || echo 0)
  crashes=$(find "$work/$target" -maxdepth 1 -name 'crash-*' -o -maxdepth 1 -name 'timeout-*' -o -maxdepth 1 -name 'oom-*' | wc -l)
  echo "$target: $runs executions in ${seconds} s, exit $code, $crashes crash/timeout/oom inputs"
  rows+=("| $target | $seconds | $runs | $crashes |")
  if [ "$code" -ne 0 ] || [ "$crashes" -ne 0 ]; then
    status=1
    tail -40 "$work/$target.log" >&2
    mkdir -p "Tests/Fuzz/crashes/$target"
    find "$work/$target" -maxdepth 1 \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' \) -exec cp {} "Tests/Fuzz/crashes/$target/" \;
    echo "the failing inputs are in Tests/Fuzz/crashes/$target/: fix the parser, keep the inputs" >&2
  fi
done

if [ -n "$report" ]; then
  {
    echo "# Fuzzing (libFuzzer)"
    echo
    echo "\`scripts/fuzz.sh --seconds $seconds --report\`, $(date -u +%Y-%m-%d), $(swift --version 2>/dev/null | head -1 | sed 's/ (.*//'),"
    echo "one target at a time, starting from \`Tests/Fuzz/seeds/\`."
    echo
    echo "| target | seconds | executions | crashes, timeouts, out-of-memory |"
    echo "|---|---|---|---|"
    printf '%s\n' "${rows[@]}"
  } >"$report"
  echo "wrote $report"
fi
exit $status
