# Sourced by scripts/test and scripts/bench-admin: a throwaway PostgreSQL cluster of its own,
# a data directory under /tmp, trust authentication, listening on a free port of 127.0.0.1
# only. `start_postgres` exports TEST_DATABASE_URL; `stop_postgres` (also on exit) removes it.
postgres_dir=""
postgres_run=()
stop_postgres() {
  if [ -n "$postgres_dir" ]; then
    "${postgres_run[@]}" "$postgres_bin/pg_ctl" -D "$postgres_dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$postgres_dir"
    postgres_dir=""
  fi
}
start_postgres() {
  postgres_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$postgres_bin" ] || [ ! -x "$postgres_bin/initdb" ]; then
    echo "test: no PostgreSQL server binaries under /usr/lib/postgresql (scripts/install-deps installs Debian's postgresql)" >&2
    return 1
  fi
  postgres_dir=$(mktemp -d /tmp/relay-test-pg.XXXXXX)
  trap stop_postgres EXIT
  if [ "$(id -u)" -eq 0 ]; then
    # initdb refuses to run as root: the cluster belongs to the postgres user.
    chown postgres: "$postgres_dir"
    postgres_run=(runuser -u postgres --)
  fi
  local port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "${postgres_run[@]}" "$postgres_bin/initdb" -D "$postgres_dir/data" -U postgres --auth=trust -E UTF8 --no-sync \
    >"$postgres_dir/initdb.log" 2>&1 || { cat "$postgres_dir/initdb.log" >&2; return 1; }
  "${postgres_run[@]}" "$postgres_bin/pg_ctl" -D "$postgres_dir/data" -l "$postgres_dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$postgres_dir -c fsync=${POSTGRES_FSYNC:-off}" \
    start >/dev/null || { cat "$postgres_dir/server.log" >&2; return 1; }
  export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
  echo "== PostgreSQL $("$postgres_bin/postgres" --version | awk '{print $3}') for the store tests on 127.0.0.1:$port"
}

