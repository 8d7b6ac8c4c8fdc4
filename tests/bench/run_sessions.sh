#!/usr/bin/env bash
# Sessions on file: initialize (session creation) and tools/call rates with
# 0, 100,000 and 1,000,000 idle sessions already in the database (filled with
# SQL: a session row and its standalone stream each), and the server's RSS.
# With BASELINE=PATH_TO_AN_OLDER_MCPKEEP, that binary runs the same loads on
# copies of the same files, in the same run.
#
#   tests/bench/run_sessions.sh BUILD_DIR [SECONDS] [COUNTS...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: run_sessions.sh BUILD_DIR [SECONDS] [COUNTS...]}" && pwd)
seconds=${2:-5}
shift $(( $# < 2 ? $# : 2 ))
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(0 100000 1000000)
connections=16
source "$here/common.sh"

# A database with `n` idle sessions, active now (they do not expire during the
# run), made by the baseline when there is one (a newer binary migrates it).
fill() {  # file, n
  "${BASELINE:-$build/mcpkeep}" demo --db "$1" > /dev/null
  sqlite3 "$1" "
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $2)
    INSERT INTO sessions (id, created_at, last_active, initialized, protocol_version)
      SELECT printf('%032x', i), unixepoch() * 1000, unixepoch() * 1000, 1, '2025-11-25' FROM n WHERE $2 > 0;
    INSERT INTO streams (session_id, kind, created_at)
      SELECT id, 'standalone', created_at FROM sessions
       WHERE id NOT IN (SELECT session_id FROM streams WHERE kind = 'standalone');"
}

rss() { awk '/VmRSS/ { print $2 / 1024 " MiB" }' "/proc/$1/status"; }

run() {  # label, binary, file
  local url pid sessions calls
  url=$(start "$1" "$2" serve --db "$3" --listen 127.0.0.1:0 --max-sessions 100000000 --session-timeout 86400 \
    --log-level warning)
  pid=$(cat "$work/$1.pid")
  sessions=$("$build/tests/bench_http" "$url" sessions "$connections" "$seconds")
  calls=$("$build/tests/bench_http" "$url" calls "$connections" "$seconds")
  printf '  %-8s initialize %6s/s p99 %6s ms | tools/call %6s/s p99 %6s ms | RSS %s\n' "$1" \
    "$(field rate "$sessions")" "$(field p99 "$sessions")" "$(field rate "$calls")" "$(field p99 "$calls")" "$(rss "$pid")"
  kill "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done  # not our child: it was started in $(...)
}

echo "Sessions on file: $connections connections, ${seconds}s per run, $(nproc) cores"
for n in "${counts[@]}"; do
  fill "$work/n$n.db" "$n"
  echo "$n idle sessions on file ($(du -h "$work/n$n.db" | cut -f1))"
  if [ -n "${BASELINE:-}" ]; then
    cp "$work/n$n.db" "$work/b$n.db"
    run baseline "$BASELINE" "$work/b$n.db"
    rm -f "$work/b$n.db"*
  fi
  run mcpkeep "$build/mcpkeep" "$work/n$n.db"
  rm -f "$work/n$n.db"*
done
