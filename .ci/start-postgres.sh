#!/usr/bin/env bash
# Installs PostgreSQL from Debian's packages if missing, starts a throwaway cluster on
# 127.0.0.1:${PGPORT:-54329} owned by the postgres user, and prints the URL tests use.
# The cluster is for tests only: durability is off (fsync, synchronous_commit, full_page_writes),
# which makes the per-test CREATE DATABASE and every commit cheap; its data is gone at reboot anyway.
set -euo pipefail
port="${PGPORT:-54329}"
dir="${PGDATA_DIR:-/tmp/dojang-pg}"
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
run_as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
if ! run_as_pg "$bin/pg_isready -h 127.0.0.1 -p $port" >/dev/null 2>&1; then
  rm -rf "$dir"; mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  run_as_pg "$bin/initdb -D $dir/data -U postgres --auth=trust -E UTF8 --locale=C.UTF-8" >&2
  run_as_pg "$bin/pg_ctl -D $dir/data -l $dir/log -o '-h 127.0.0.1 -p $port -k /tmp -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300' -w start" >&2
fi
run_as_pg "$bin/psql -h 127.0.0.1 -p $port -U postgres -tAc \"SELECT 1 FROM pg_roles WHERE rolname='dojang'\"" | grep -q 1 \
  || run_as_pg "$bin/psql -h 127.0.0.1 -p $port -U postgres -c \"CREATE ROLE dojang LOGIN CREATEDB PASSWORD 'dojang'\"" >&2
run_as_pg "$bin/psql -h 127.0.0.1 -p $port -U postgres -tAc \"SELECT 1 FROM pg_database WHERE datname='dojang'\"" | grep -q 1 \
  || run_as_pg "$bin/psql -h 127.0.0.1 -p $port -U postgres -c 'CREATE DATABASE dojang OWNER dojang'" >&2
echo "postgres://dojang:dojang@127.0.0.1:$port/dojang"
