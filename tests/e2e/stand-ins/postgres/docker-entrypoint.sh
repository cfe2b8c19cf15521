#!/bin/sh
# Test fixture: the smallest entrypoint that behaves like the official image's for our compose file.
set -eu
if [ "$1" = postgres ] && [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA"
  chown postgres:postgres "$PGDATA"
  chmod 0700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi
if [ "$1" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
  user="${POSTGRES_USER:-postgres}"
  db="${POSTGRES_DB:-$user}"
  # POSTGRES_HOST_AUTH_METHOD=trust, as the official image: no password, every network client trusted.
  auth="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}"
  if [ "$auth" = trust ]; then
    initdb -D "$PGDATA" --username="$user" --auth-local=trust --auth-host=trust \
      --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  else
    : "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set (or POSTGRES_HOST_AUTH_METHOD=trust)}"
    pwfile="$(mktemp)"
    printf '%s' "$POSTGRES_PASSWORD" >"$pwfile"
    # UTF8, as the official image initialises (a bare minbase container would give SQL_ASCII).
    initdb -D "$PGDATA" --username="$user" --pwfile="$pwfile" --auth-local=trust --auth-host="$auth" \
      --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$pwfile"
  fi
  echo "host all all all $auth" >>"$PGDATA/pg_hba.conf"
  echo "listen_addresses = '*'" >>"$PGDATA/postgresql.conf"
  # As the official image does on a fresh volume: a temporary server on the unix socket only
  # creates the database and runs the init scripts, then stops. A health check that probes the
  # socket (pg_isready without -h) passes during this window although nothing listens on TCP yet;
  # the init step is held for STAND_IN_INIT_SECONDS (default 5) so that the window is always there.
  pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
  if [ "$db" != postgres ]; then createdb --username="$user" -- "$db"; fi
  echo "stand-in postgres: init step on a unix-socket-only server for ${STAND_IN_INIT_SECONDS:-5} s"
  sleep "${STAND_IN_INIT_SECONDS:-5}"
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  echo "stand-in postgres: initialised $PGDATA (user $user, database $db)"
fi
exec "$@"
