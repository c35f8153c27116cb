#!/usr/bin/env bash
# Start a throw-away PostgreSQL on 127.0.0.1:55432 for the test suite (idempotent).
set -euo pipefail
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
DATA=${PGDATA_DIR:-/tmp/newsmon-pg}
if [ -f "$DATA/postmaster.pid" ] && su postgres -s /bin/sh -c "$PGBIN/pg_ctl -D $DATA status" >/dev/null 2>&1; then
  exit 0
fi
rm -rf "$DATA"; mkdir -p "$DATA"; chown postgres:postgres "$DATA"
su postgres -s /bin/sh -c "$PGBIN/initdb -D $DATA -A trust -U postgres >/dev/null"
su postgres -s /bin/sh -c "$PGBIN/pg_ctl -D $DATA -o '-p 55432 -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off' -l $DATA/log -w start >/dev/null"
psql -h 127.0.0.1 -p 55432 -U postgres -qc "CREATE ROLE newsmon LOGIN PASSWORD 'newsmon'" >/dev/null
psql -h 127.0.0.1 -p 55432 -U postgres -qc "CREATE DATABASE newsmon_test OWNER newsmon" >/dev/null
echo "ci: PostgreSQL ready on 127.0.0.1:55432"
