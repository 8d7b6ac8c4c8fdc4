#!/usr/bin/env bash
# The gateway benchmark: the same load client (bench_http: tools/call echo,
# one session per connection) in one run against
#   direct  the official TypeScript SDK's everything server, Streamable HTTP;
#   http    mcpkeep serve --upstream-url in front of that same server;
#   stdio   mcpkeep serve --upstream-command running it over stdio (a child
#           per session);
#   shared  the same with --upstream-mode shared (one child for all);
# then the ratios to direct. Through mcpkeep every message is committed
# before it is sent (synchronous=NORMAL).
#
#   tests/bench/run_gateway.sh BUILD_DIR [SECONDS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: run_gateway.sh BUILD_DIR [SECONDS]}" && pwd)
seconds=${2:-10}
connections=16
source "$here/common.sh"
install_node_tools

direct_url=$(start_peer)
http_url=$(start http "$build/mcpkeep" serve --db "$work/http.db" --listen 127.0.0.1:0 \
  --upstream-url "$direct_url" --log-level warning)
stdio_url=$(start stdio "$build/mcpkeep" serve --db "$work/stdio.db" --listen 127.0.0.1:0 \
  --upstream-command "[\"$node\", \"$everything\", \"stdio\"]" --max-upstreams 1000 --log-level warning)
shared_url=$(start shared "$build/mcpkeep" serve --db "$work/shared.db" --listen 127.0.0.1:0 \
  --upstream-command "[\"$node\", \"$everything\", \"stdio\"]" --upstream-mode shared --log-level warning)

echo "Gateway benchmark: tools/call echo, $connections connections, ${seconds}s per run, $(nproc) cores"
direct=$("$build/tests/bench_http" "$direct_url" calls "$connections" "$seconds")
http=$("$build/tests/bench_http" "$http_url" calls "$connections" "$seconds")
stdio=$("$build/tests/bench_http" "$stdio_url" calls "$connections" "$seconds")
shared=$("$build/tests/bench_http" "$shared_url" calls "$connections" "$seconds")
printf '  direct:           %s\n  mcpkeep (http):   %s\n  mcpkeep (stdio):  %s\n  mcpkeep (shared): %s\n' \
  "$direct" "$http" "$stdio" "$shared"
for name in http stdio shared; do
  printf '  %-6s / direct: rate %s, p99 %s\n' "$name" \
    "$(ratio "$(field rate "${!name}")" "$(field rate "$direct")")" \
    "$(difference "$(field p99 "${!name}")" "$(field p99 "$direct")")"
done
