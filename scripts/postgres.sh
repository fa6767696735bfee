#!/usr/bin/env bash
# Start a throw-away PostgreSQL for the test suite: a new cluster in a temporary folder, listening
# on loopback only (127.0.0.1, a free port), owned by a non-root user (the apt package's
# `postgres` user when run as root), trust authentication for that loopback user only.
#
#   source scripts/postgres.sh     # exports MOCAPLAB_TEST_POSTGRES_URL and stops it on exit
#   bash scripts/postgres.sh       # prints the URL; stop it with: pg_ctl -D DIR stop
#
# Needs the apt package `postgresql` (scripts/setup.sh installs it).
_mocaplab_pg_start() {
  local bindir port dir run
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
    echo "postgres.sh: PostgreSQL server not found (apt-get install postgresql, or run scripts/setup.sh)" >&2
    return 1
  fi
  dir=$(mktemp -d "${TMPDIR:-/tmp}/mocaplab-pg.XXXXXX")
  run=()
  if [ "$(id -u)" -eq 0 ]; then
    id -u postgres >/dev/null 2>&1 || { echo "postgres.sh: running as root and no 'postgres' user to run the server" >&2; return 1; }
    chown postgres "$dir"
    run=(runuser -u postgres --)
  fi
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "${run[@]}" "$bindir/initdb" -D "$dir/data" -U mocaplab -A trust --encoding=UTF8 \
    --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; return 1; }
  "${run[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-h 127.0.0.1 -p $port -k $dir -c fsync=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null || { cat "$dir/server.log" >&2; return 1; }
  "${run[@]}" "$bindir/createdb" -h 127.0.0.1 -p "$port" -U mocaplab mocaplab_test || return 1
  export MOCAPLAB_TEST_POSTGRES_URL="postgresql+psycopg://mocaplab@127.0.0.1:$port/mocaplab_test"
  export MOCAPLAB_TEST_POSTGRES_DIR="$dir"
  MOCAPLAB_PG_STOP=("${run[@]}" "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop)
  echo "postgres.sh: PostgreSQL on 127.0.0.1:$port ($dir)" >&2
}

mocaplab_pg_stop() {
  if [ -n "${MOCAPLAB_TEST_POSTGRES_DIR:-}" ]; then
    "${MOCAPLAB_PG_STOP[@]}" >/dev/null 2>&1 || true
    rm -rf "$MOCAPLAB_TEST_POSTGRES_DIR"
    unset MOCAPLAB_TEST_POSTGRES_URL MOCAPLAB_TEST_POSTGRES_DIR
  fi
}

if [[ "${BASH_SOURCE[0]}" != "$0" ]]; then
  if _mocaplab_pg_start; then trap mocaplab_pg_stop EXIT; else return 1; fi
else
  set -euo pipefail
  _mocaplab_pg_start
  echo "$MOCAPLAB_TEST_POSTGRES_URL"
  echo "stop with: ${MOCAPLAB_PG_STOP[*]} && rm -rf $MOCAPLAB_TEST_POSTGRES_DIR" >&2
fi
