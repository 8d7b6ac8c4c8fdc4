#!/usr/bin/env bash
# The crash loop against two replicas on a fresh database of the tests'
# PostgreSQL server (tests/postgres/server.sh); exit 77 (skipped) when
# there is none.
#   crash_loop_postgres.sh CRASH_LOOP MCPKEEP_BINARY POSTGRES_DIR [crash_loop flags ...]
set -euo pipefail
crash_loop=${1:?usage: crash_loop_postgres.sh CRASH_LOOP MCPKEEP_BINARY POSTGRES_DIR [flags]}
binary=${2:?}
postgres_dir=${3:?}
shift 3
if [ ! -s "$postgres_dir/uri" ]; then echo "no PostgreSQL server installed: skipped"; exit 77; fi
admin=$(cat "$postgres_dir/uri")
name="crash_loop_$$_$RANDOM"
psql -X -q "$admin" -c "CREATE DATABASE $name"
exec "$crash_loop" "$binary" --db "${admin%/*}/$name" --replicas 2 "$@"
