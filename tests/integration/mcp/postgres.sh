# shellcheck shell=bash
# Sourced after lib.sh: start_test_postgres starts a PostgreSQL 15 of its own
# on a reserved loopback port (as the postgres user when we are root: it
# refuses root), sets PG_URL, and leaves its postmaster in PIDS so that
# cleanup's kill -9 ends it with the test.
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then
    setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"
  else
    "$@"
  fi
}

# start_test_postgres: returns 1, saying why, when it does not come up.
start_test_postgres() {
  local data
  # Outside $WORK (0700, the postgres user cannot enter it).
  data=$(mktemp -d "${TMPDIR:-/tmp}/sophia-pg.XXXXXX")
  PG_DATA=$data
  [ "$(id -u)" -ne 0 ] || chown postgres:postgres "$data"
  if ! as_postgres "$PG_BIN/initdb" -D "$data" -A trust -U sophia -E UTF8 --no-locale \
      >"$WORK/postgres.init.log" 2>&1; then
    echo "start_test_postgres: initdb failed: $(tail -n 5 "$WORK/postgres.init.log")" >&2
    return 1
  fi
  reserve_port || return 1
  if ! as_postgres "$PG_BIN/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
      -o "-p $RESERVED_PORT -k $data -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null; then
    echo "start_test_postgres: PostgreSQL did not start: $(tail -n 5 "$data/server.log")" >&2
    return 1
  fi
  PIDS+=("$(head -n 1 "$data/postmaster.pid")")
  PG_URL="postgresql://sophia@127.0.0.1:$RESERVED_PORT/postgres"
}
