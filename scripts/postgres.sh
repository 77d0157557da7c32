#!/usr/bin/env bash
# A throw-away PostgreSQL server for Sesame's tests.
#
#   scripts/postgres.sh CMD [ARGS…]   start a server, run CMD with it, stop and remove it
#   source scripts/postgres.sh; pg_test_start   (then pg_test_stop, also run at exit)
#
# It installs Debian's `postgresql` package when no server binaries are found (as root,
# or with sudo), creates a temporary data directory owned by an unprivileged user (the
# `postgres` system user when run as root; PostgreSQL refuses to run as root), starts
# the server on a free loopback port (127.0.0.1 only; password authentication over TCP),
# and exports:
#   SESAME_TEST_DATABASE_URL  postgres://sesame:PASSWORD@127.0.0.1:PORT/sesame — a
#                             superuser: the tests create one database per test from it
#   SESAME_TEST_PG_CTL        a script taking stop|start|restart|status, for the tests
#                             that restart the database under load
# Whatever cannot be had is a loud failure: the tests never skip PostgreSQL silently.

pg_test_die() {
  printf 'postgres.sh: FAILED: %s\n' "$*" >&2
  exit 1
}

pg_test_bindir() {
  local d
  if [ -x /usr/lib/postgresql/15/bin/initdb ]; then
    echo /usr/lib/postgresql/15/bin
    return 0
  fi
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/initdb" ]; then
      echo "$d"
      return 0
    fi
  done
  return 1
}

pg_test_install() {
  pg_test_bindir >/dev/null && return 0
  printf '\n==> installing Debian package: postgresql\n'
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || pg_test_die "PostgreSQL is missing and installing it needs root or sudo (apt-get install postgresql)"
    sudo=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -q || pg_test_die "apt-get update failed"
  "${sudo[@]}" apt-get install -y -q --no-install-recommends postgresql \
    || pg_test_die "apt-get install postgresql failed"
  pg_test_bindir >/dev/null || pg_test_die "postgresql installed, but no initdb under /usr/lib/postgresql/*/bin"
}

pg_test_free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

pg_test_start() {
  pg_test_install
  local bin port pw user attempt
  bin=$(pg_test_bindir) || pg_test_die "no PostgreSQL server binaries"
  PG_TEST_DIR=$(mktemp -d /tmp/sesame-pg.XXXXXX) || pg_test_die "mktemp failed"
  chmod 0755 "$PG_TEST_DIR"
  pw=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  printf '%s\n' "$pw" >"$PG_TEST_DIR/pwfile"
  if [ "$(id -u)" -eq 0 ]; then
    user=postgres
    getent passwd "$user" >/dev/null || pg_test_die "running as root, and there is no unprivileged 'postgres' user to run PostgreSQL as"
    chown -R "$user" "$PG_TEST_DIR"
    PG_TEST_AS=(runuser -u "$user" --)
  else
    PG_TEST_AS=()
  fi
  "${PG_TEST_AS[@]}" "$bin/initdb" -D "$PG_TEST_DIR/data" -U sesame --pwfile="$PG_TEST_DIR/pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$PG_TEST_DIR/initdb.log" 2>&1 \
    || { cat "$PG_TEST_DIR/initdb.log" >&2; pg_test_die "initdb failed"; }
  rm -f "$PG_TEST_DIR/pwfile"
  # The tests' own processes and several Sesame nodes at once; durability is not tested
  # against an operating-system crash here, so fsync is off for speed.
  for attempt in 1 2 3; do
    port=$(pg_test_free_port) || pg_test_die "cannot find a free port"
    "${PG_TEST_AS[@]}" sh -c "cat >>'$PG_TEST_DIR/data/postgresql.auto.conf'" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$PG_TEST_DIR'
max_connections = 300
shared_buffers = 32MB
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
    cat >"$PG_TEST_DIR/pgctl" <<EOF
#!/bin/sh
# stop | start | restart | status the tests' PostgreSQL server.
exec ${PG_TEST_AS[*]} "$bin/pg_ctl" -D "$PG_TEST_DIR/data" -l "$PG_TEST_DIR/server.log" -w -t 60 -m fast "\$@"
EOF
    chmod 0755 "$PG_TEST_DIR/pgctl"
    if "$PG_TEST_DIR/pgctl" start >/dev/null; then
      break
    fi
    [ "$attempt" -lt 3 ] || { tail -n 30 "$PG_TEST_DIR/server.log" >&2; pg_test_die "PostgreSQL did not start"; }
  done
  "$bin/psql" -q -h "$PG_TEST_DIR" -p "$port" -U sesame -d postgres -v ON_ERROR_STOP=1 \
    -c 'CREATE DATABASE sesame' || pg_test_die "cannot create the database"
  export SESAME_TEST_DATABASE_URL="postgres://sesame:$pw@127.0.0.1:$port/sesame"
  export SESAME_TEST_PG_CTL="$PG_TEST_DIR/pgctl"
  PG_TEST_STARTED=1
  trap pg_test_stop EXIT
  trap 'exit 130' INT TERM
  printf '==> PostgreSQL %s on 127.0.0.1:%s (data %s)\n' \
    "$("$bin/postgres" --version | awk '{print $3}')" "$port" "$PG_TEST_DIR/data"
}

pg_test_stop() {
  if [ "${PG_TEST_STARTED:-0}" = 1 ] && [ -n "${PG_TEST_DIR:-}" ]; then
    "$PG_TEST_DIR/pgctl" stop -m immediate >/dev/null 2>&1 || true
    rm -rf "$PG_TEST_DIR"
    PG_TEST_STARTED=0
  fi
}

# Executed (not sourced): run the command line with the server up.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  [ $# -gt 0 ] || pg_test_die "usage: scripts/postgres.sh CMD [ARGS…]"
  pg_test_start
  rc=0
  "$@" || rc=$?
  exit "$rc"
fi
