#!/usr/bin/env bash
# A private PostgreSQL cluster for tests and local runs: a temporary folder, a free loopback port, no systemd.
#   scripts/postgres.sh run CMD...   start a cluster, run CMD with VIVIDCROWD_TEST_POSTGRES_URL (and
#                                    VIVIDCROWD_REQUIRE_POSTGRES=1) set, stop the cluster however CMD ends
#   scripts/postgres.sh start        start one and print the lines to eval (export VIVIDCROWD_TEST_POSTGRES_URL=…)
#   scripts/postgres.sh stop DIR     stop the cluster in DIR and remove it
#   scripts/postgres.sh outage DIR S stop the server in DIR (fast), wait S seconds, start it again on its port
# Installs Debian's postgresql when it is missing (as root). The cluster trusts loopback connections: it is for
# tests, and it lives only as long as the command.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
  scripts/ensure-system-packages.sh postgresql
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi

as_owner() {
  # initdb refuses to run as root; the package creates the postgres user for this.
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

source scripts/lib/free-port.sh

start() {
  local dir port
  dir=$(mktemp -d "${TMPDIR:-/tmp}/vividcrowd-pg.XXXXXX")
  chmod 755 "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
  as_owner "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
    cat "$dir/initdb.log" >&2; return 1; }
  port=$(free_port)
  # TLS with a throwaway self-signed certificate, so sslmode=require is tested against a real handshake.
  local tls=""
  if command -v openssl >/dev/null; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=vividcrowd-test" \
      -keyout "$dir/server.key" -out "$dir/server.crt" >/dev/null 2>&1
    chmod 600 "$dir/server.key"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$dir/server.key" "$dir/server.crt"
    tls="-c ssl=on -c ssl_cert_file=$dir/server.crt -c ssl_key_file=$dir/server.key"
  fi
  echo "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off -c synchronous_commit=off -c full_page_writes=off $tls ${PG_OPTIONS:-}" >"$dir/options"
  # Durability settings off: a test cluster is thrown away; the figures in reports/ come from a normal one.
  as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o "$(cat "$dir/options")" \
    start >/dev/null || { cat "$dir/server.log" >&2; return 1; }
  echo "export VIVIDCROWD_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
  echo "export VIVIDCROWD_POSTGRES_DIR=$dir"
}

stop() {
  local dir=$1
  [ -d "$dir/data" ] && as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}

outage() {
  local dir=$1 seconds=$2
  as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
  sleep "$seconds"
  as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o "$(cat "$dir/options")" start >/dev/null
}

case "${1:-}" in
  start) start ;;
  outage) outage "${2:?usage: scripts/postgres.sh outage DIR SECONDS}" "${3:?seconds}" ;;
  stop) stop "${2:?usage: scripts/postgres.sh stop DIR}" ;;
  run)
    shift
    eval "$(start)"
    trap 'stop "$VIVIDCROWD_POSTGRES_DIR"' EXIT
    echo "PostgreSQL test cluster on ${VIVIDCROWD_TEST_POSTGRES_URL}"
    VIVIDCROWD_REQUIRE_POSTGRES=1 "$@"
    ;;
  *) sed -n '2,10p' "$0" >&2; exit 2 ;;
esac
