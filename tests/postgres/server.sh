#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests, from the Debian package:
#   server.sh start DIR   initdb + pg_ctl start (as the postgres user when
#                         run as root), on 127.0.0.1 and a free port; writes
#                         the admin URI to DIR/uri. About 1 s. The server's
#                         own files are in a fresh folder under /tmp (the
#                         postgres user may not reach DIR), named in
#                         DIR/server.
#   server.sh stop DIR    stops it (immediate) and removes its folder and DIR.
#   server.sh restart DIR pg_ctl restart -m fast (for fault tests).
# With no PostgreSQL server installed, `start` writes no DIR/uri and says so;
# the tests that need it then report skipped.
set -euo pipefail
command=$1
dir=$2
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  local port
  for port in $(shuf -i 20000-60000 -n 50); do
    if ! (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null; then echo "$port"; return; fi
  done
  echo "no free port found" >&2
  return 1
}

server() { cat "$dir/server"; }

case "$command" in
  start)
    [ -f "$dir/server" ] && "$0" stop "$dir"
    rm -rf "$dir"
    mkdir -p "$dir"
    if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
      echo "no PostgreSQL server installed (apt-get install postgresql-15): tests on it are skipped"
      exit 0
    fi
    home=$(mktemp -d /tmp/mcpkeep-pg.XXXXXX)
    echo "$home" > "$dir/server"
    [ "$(id -u)" = 0 ] && chown postgres "$home"
    as_postgres "$bin/initdb" -D "$home/data" -U mcpkeep --auth=trust -E UTF8 --no-sync >"$home/initdb.log"
    port=$(free_port)
    cat >>"$home/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$home'
max_connections = 300
fsync = off
full_page_writes = off
log_min_messages = warning
CONF
    as_postgres "$bin/pg_ctl" -D "$home/data" -l "$home/server.log" -w -t 30 start >/dev/null
    echo "postgresql://mcpkeep@127.0.0.1:$port/postgres" >"$dir/uri"
    echo "PostgreSQL on 127.0.0.1:$port ($home)"
    ;;
  restart)
    as_postgres "$bin/pg_ctl" -D "$(server)/data" -l "$(server)/server.log" -w -t 30 -m fast restart >/dev/null
    ;;
  stop)
    if [ -f "$dir/server" ]; then
      home=$(server)
      if [ -f "$home/data/postmaster.pid" ]; then
        as_postgres "$bin/pg_ctl" -D "$home/data" -m immediate -w stop >/dev/null || true
      fi
      rm -rf "$home"
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start|stop|restart DIR" >&2
    exit 2
    ;;
esac
