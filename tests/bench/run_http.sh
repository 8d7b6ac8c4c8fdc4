#!/usr/bin/env bash
# The HTTP benchmark: the same load client (bench_http) against `mcpkeep
# serve` and, in the same run, the official TypeScript SDK's everything
# server (streamable HTTP, its echo tool), then the ratios.
#
#   tests/bench/run_http.sh BUILD_DIR [SECONDS]
#
# With BASELINE=PATH_TO_AN_OLDER_MCPKEEP, that binary runs the same loads in
# the same run too (a regression check between two builds).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: run_http.sh BUILD_DIR [SECONDS]}" && pwd)
seconds=${2:-10}
connections=16
idle=1000
source "$here/common.sh"
install_node_tools

# The sessions run creates thousands a second: lift the session limit (the
# peer has none).
mcpkeep_url=$(start mcpkeep "$build/mcpkeep" serve --db "$work/bench.db" --listen 127.0.0.1:0 \
  --max-sessions 100000000)
peer_url=$(start_peer)

if [ -n "${BASELINE:-}" ]; then
  baseline_url=$(start baseline "$BASELINE" serve --db "$work/baseline.db" --listen 127.0.0.1:0 \
    --max-sessions 100000000)
fi

run() {  # title, bench_http arguments after the URL
  local title=$1; shift
  local ours theirs
  ours=$("$build/tests/bench_http" "$mcpkeep_url" "$@")
  theirs=$("$build/tests/bench_http" "$peer_url" "$@")
  printf '%s\n  mcpkeep: %s\n  peer:    %s\n' "$title" "$ours" "$theirs"
  printf '  mcpkeep/peer: rate %s, p99 %s\n' \
    "$(ratio "$(field rate "$ours")" "$(field rate "$theirs")")" \
    "$(ratio "$(field p99 "$ours")" "$(field p99 "$theirs")")"
  if [ -n "${baseline_url:-}" ]; then
    local before
    before=$("$build/tests/bench_http" "$baseline_url" "$@")
    printf '  baseline: %s\n  mcpkeep/baseline: rate %s, p99 %s\n' "$before" \
      "$(ratio "$(field rate "$ours")" "$(field rate "$before")")" \
      "$(ratio "$(field p99 "$ours")" "$(field p99 "$before")")"
  fi
}

echo "HTTP benchmark: $connections connections, ${seconds}s per run, $(nproc) cores"
echo "mcpkeep: $mcpkeep_url (synchronous=NORMAL, every event committed before it is sent)"
echo "peer:    $peer_url (@modelcontextprotocol/server-everything, in-memory)"
run "tools/call echo" calls "$connections" "$seconds"
run "sessions created (initialize + initialized)" sessions "$connections" "$seconds"
run "tools/call echo with $idle idle SSE streams open" calls "$connections" "$seconds" "$idle"
