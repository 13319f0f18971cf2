#!/usr/bin/env bash
# make bench: the raw PostgreSQL INSERT ceiling (pgbench) and our Go benchmarks, in one
# run, on the server in DATABASE_URL (set by cmd/pgenv). Output: docs/bench-raw/.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DATABASE_URL:?run through make bench}"
BENCHTIME=${BENCHTIME:-3s}
PGB_SECONDS=${PGB_SECONDS:-10}
out=docs/bench-raw
mkdir -p "$out"
db=passledger_pgbench_$$
admin="$DATABASE_URL"
psql "$admin" -qc "CREATE DATABASE $db"
trap 'psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"' EXIT
url=$(python3 -c "import sys,urllib.parse as u;p=u.urlparse(sys.argv[1]);print(p._replace(path='/'+sys.argv[2]).geturl())" "$admin" "$db")
psql "$url" -qc "CREATE TABLE bench_raw (position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(), event_id uuid NOT NULL UNIQUE, stream_id text NOT NULL, stream_version bigint NOT NULL, event_type text NOT NULL, payload json NOT NULL, metadata json NOT NULL, recorded_at timestamptz NOT NULL, content_hash bytea NOT NULL, hash bytea NOT NULL, UNIQUE (stream_id, stream_version)); CREATE INDEX ON bench_raw (transaction_id, position);"
{
  echo "# $(date -u +%FT%TZ) $(nproc) cores, $(psql "$admin" -tAc 'show server_version')"
  for c in 1 32; do
    echo "## pgbench raw one-row INSERT, clients=$c, ${PGB_SECONDS}s"
    pgbench -n -c "$c" -j 2 -T "$PGB_SECONDS" -f scripts/pgbench_insert.sql "$url" 2>&1 | grep -E 'tps|latency average'
  done
} | tee "$out/pgbench.txt"
go test ./eventstore -run '^$' -bench . -benchtime "$BENCHTIME" 2>&1 | grep -v '^time=' | tee "$out/eventstore.txt"
# The write path (issue 9): pgbench ceiling and the HTTP load driver (fresh
# Idempotency-Key per redemption) side by side at 1, 8 and 32 clients.
bash scripts/writepath_bench.sh
# Projections (issue 4). The rebuild and report benchmarks use a generated history of
# PASSLEDGER_BENCH_EVENTS events (default 1,000,000), written once into the database
# passledger_bench_<N> (about 90 s) and reused by later runs; drop it to regenerate.
{
  go test ./projections/core -run '^$' -bench Decode -benchmem
  go test ./projections -run '^$' -bench 'BenchmarkRebuild' -benchtime 1x -timeout 60m
  go test ./projections -run '^$' -bench 'BenchmarkEquityReport' -benchtime 300x -timeout 60m
  go test ./projections -run '^$' -bench 'BenchmarkLiveLag' -benchtime 1x -timeout 30m
} 2>&1 | grep -v '^time=' | tee "$out/projections.txt"
# Projections over NATS JetStream (issue 12): partitioned workers against the
# in-process rebuild, live lag over NATS, with the pgbench ceiling of the same run.
bash scripts/nats_bench.sh
