#!/usr/bin/env bash
# The idle-streams benchmark: N idle sessions each holding its GET SSE
# stream open (N = 0, 1000, 5000, 10000 by default), then the tools/call
# load, against `mcpkeep serve` and the official TypeScript SDK's
# everything server side by side; each server fresh for each N. Prints
# req/s, p99, the server's threads and RSS at the end of the load, and per
# N: mcpkeep against its own N=0 figures and against the peer.
#
#   tests/bench/run_idle.sh BUILD_DIR [SECONDS] [N...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: run_idle.sh BUILD_DIR [SECONDS] [N...]}" && pwd)
seconds=${2:-10}
shift $(( $# > 1 ? 2 : 1 ))
counts=("$@")
[ $# -gt 0 ] || counts=(0 1000 5000 10000)
connections=16
source "$here/common.sh"
install_node_tools
ulimit -n "$(ulimit -Hn)"

stop() { kill "$(cat "$work/$1.pid")" 2>/dev/null || true; wait "$(cat "$work/$1.pid")" 2>/dev/null || true; }

echo "idle-streams benchmark: $connections connections of tools/call echo, ${seconds}s per run, $(nproc) cores"
base_rate=""; base_p99=""; base_rss=""
for n in "${counts[@]}"; do
  rm -f "$work/idle.db"*
  url=$(start mcpkeep bash -c "ulimit -n \$(ulimit -Hn); exec '$build/mcpkeep' serve --db '$work/idle.db' --listen 127.0.0.1:0")
  ours=$(SERVER_PID=$(cat "$work/mcpkeep.pid") "$build/tests/bench_http" "$url" calls "$connections" "$seconds" "$n")
  stop mcpkeep
  peer_url=$(start_peer)
  theirs=$(SERVER_PID=$(cat "$work/peer.pid") "$build/tests/bench_http" "$peer_url" calls "$connections" "$seconds" "$n")
  stop peer
  printf '%s idle streams\n  mcpkeep: %s\n  peer:    %s\n' "$n" "$ours" "$theirs"
  printf '  mcpkeep/peer: rate %s, p99 %s\n' \
    "$(ratio "$(field rate "$ours")" "$(field rate "$theirs")")" \
    "$(ratio "$(field p99 "$ours")" "$(field p99 "$theirs")")"
  if [ -z "$base_rate" ]; then
    base_rate=$(field rate "$ours"); base_p99=$(field p99 "$ours"); base_rss=$(field rss "$ours")
  elif [ "$n" -gt 0 ]; then
    printf '  mcpkeep vs its first run: rate %s, p99 %s, RSS %s KB per idle stream\n' \
      "$(ratio "$(field rate "$ours")" "$base_rate")" "$(ratio "$(field p99 "$ours")" "$base_p99")" \
      "$(awk -v a="$(field rss "$ours")" -v b="$base_rss" -v n="$n" 'BEGIN { printf "%.1f", (a - b) * 1024 / n }')"
  fi
done
