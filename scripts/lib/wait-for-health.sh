# wait_for_health NAME PORT PID LOG [SECONDS]: waits (120 s unless given) for a started server's /health; on failure
# prints its log.
wait_for_health() {
  local name=$1 port=$2 pid=$3 log=$4 seconds=${5:-120}
  for _ in $(seq 1 "$seconds"); do
    curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; return 1; }
    sleep 1
  done
  echo "$name server did not start" >&2
  return 1
}
