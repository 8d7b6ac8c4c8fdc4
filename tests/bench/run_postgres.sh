#!/usr/bin/env bash
# SQLite against PostgreSQL, side by side in one run: tools/call and replay
# rates of `mcpkeep serve` on a file, on PostgreSQL with one replica, and
# with two replicas behind a round-robin client (each connection's requests
# alternate between them); then the cross-replica path (bench_replicas).
# PostgreSQL is a throwaway server (tests/postgres/server.sh: fsync off, as
# SQLite's synchronous=NORMAL does not sync at commit either).
#
#   tests/bench/run_postgres.sh BUILD_DIR [SECONDS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: run_postgres.sh BUILD_DIR [SECONDS]}" && pwd)
seconds=${2:-5}
connections=16
source "$here/common.sh"
pg="/tmp/mcpkeep-bench-pg-$$"
trap 'kill $(cat "$work/pids" 2>/dev/null) 2>/dev/null || true; "$here/../postgres/server.sh" stop "$pg"; rm -rf "$work"' EXIT
"$here/../postgres/server.sh" start "$pg" > /dev/null
[ -s "$pg/uri" ] || { echo "no PostgreSQL server installed"; exit 1; }
admin=$(cat "$pg/uri")
database() { psql -X -q "$admin" -c "CREATE DATABASE $1"; echo "${admin%/*}/$1"; }

serve() {  # name, db
  start "$1" "$build/mcpkeep" serve --db "$2" --listen 127.0.0.1:0 --log-level warning --max-sessions 100000000
}

row() {  # label, urls
  local calls replay
  calls=$("$build/tests/bench_http" "$2" calls "$connections" "$seconds")
  replay=$("$build/tests/bench_http" "$2" replay "$connections" "$seconds")
  printf '  %-26s tools/call %6s/s p99 %6s ms | replay %6s/s p99 %6s ms\n' "$1" \
    "$(field rate "$calls")" "$(field p99 "$calls")" "$(field rate "$replay")" "$(field p99 "$replay")"
}

echo "SQLite and PostgreSQL: $connections connections, ${seconds}s per run, $(nproc) cores"
row "SQLite file" "$(serve sqlite "$work/bench.db")"
row "PostgreSQL, 1 replica" "$(serve pg1 "$(database one)")"
two=$(database two)
row "PostgreSQL, 2 replicas" "$(serve pg2a "$two"),$(serve pg2b "$two")"
echo "A notification from replica B to a stream on A, one at a time:"
"$build/tests/bench_replicas" "$(database trips)" 1000 | sed 's/^/  /'
