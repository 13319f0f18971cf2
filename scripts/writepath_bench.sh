#!/usr/bin/env bash
# The write path's benchmark (issue 9): in one run, on the server in DATABASE_URL,
# pgbench's one-row INSERT into an events-shaped table (the machine's ceiling) and
# the HTTP load driver (POST /v1/redemptions, a fresh Idempotency-Key per request)
# at 1, 8 and 32 clients, each loadgen run right after the pgbench run it is
# compared with. The driver runs twice per client count: with the seven
# projections live in the same process (as `passledger serve` runs them), and
# without (the command path alone, projections elsewhere). Output: a markdown
# table in docs/bench-raw/writepath.md.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DATABASE_URL:?run through make bench (cmd/pgenv sets DATABASE_URL)}"
PGB_SECONDS=${PGB_SECONDS:-8}
REDEMPTIONS=${LOAD_REDEMPTIONS:-5000}
CLIENTS=${WRITEPATH_CLIENTS:-"1 8 32"}
out=docs/bench-raw
mkdir -p "$out"
db=passledger_pgbench_$$
psql "$DATABASE_URL" -qc "CREATE DATABASE $db"
trap 'psql "$DATABASE_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"' EXIT
url=$(python3 -c "import sys,urllib.parse as u;p=u.urlparse(sys.argv[1]);print(p._replace(path='/'+sys.argv[2]).geturl())" "$DATABASE_URL" "$db")
psql "$url" -qc "CREATE TABLE bench_raw (position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(), event_id uuid NOT NULL UNIQUE, stream_id text NOT NULL, stream_version bigint NOT NULL, event_type text NOT NULL, payload json NOT NULL, metadata json NOT NULL, recorded_at timestamptz NOT NULL, content_hash bytea NOT NULL, hash bytea NOT NULL, UNIQUE (stream_id, stream_version)); CREATE INDEX ON bench_raw (transaction_id, position);"
go build -o /tmp/passledger-loadgen ./cmd/loadgen
{
  echo "# write path, $(date -u +%FT%TZ), $(nproc) cores, PostgreSQL $(psql "$DATABASE_URL" -tAc 'show server_version'), fsync=$(psql "$DATABASE_URL" -tAc 'show fsync'), synchronous_commit=$(psql "$DATABASE_URL" -tAc 'show synchronous_commit')"
  echo
  echo "| clients | pgbench INSERT tps | projections | redemptions/s | ratio | p50 ms | p95 ms | p99 ms | CPU µs/redemption (Go process) | CPU µs/redemption (PostgreSQL) |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  for c in $CLIENTS; do
    for live in false true; do
      tps=$(pgbench -n -c "$c" -j 2 -T "$PGB_SECONDS" -f scripts/pgbench_insert.sql "$url" 2>&1 | sed -n 's/^tps = \([0-9.]*\).*/\1/p')
      line=$(/tmp/passledger-loadgen -redemptions "$REDEMPTIONS" -clients "$c" -projections="$live" 2>/dev/null | grep '^SUMMARY')
      eval "$(echo "$line" | sed 's/^SUMMARY //' | tr ' ' '\n' | sed 's/^/L_/')"
      ratio=$(python3 -c "print(f'{100*$L_rate/$tps:.1f} %')")
      echo "| $c | ${tps%.*} | $([ "$live" = true ] && echo live || echo off) | $L_rate | $ratio | $L_p50_ms | $L_p95_ms | $L_p99_ms | $L_cpu_process_us | $L_cpu_postgres_us |"
    done
  done
} | tee "$out/writepath.md"
