#!/usr/bin/env bash
# Projections over NATS JetStream (issue 12), in one run on the server in
# DATABASE_URL: pgbench's one-row INSERT into an events-shaped table (the
# machine's ceiling at 1 and 32 clients, as the other figures of
# docs/benchmarks.md), then BenchmarkNATSCatchUp (rebuild from zero to the head
# with 1, 2 and 3 partitioned workers over an in-process JetStream server, and the
# in-process Rebuild of the same history; BENCH_NATS_EVENTS events, default
# 1,000,000) with a CPU profile of this process (relay, broker and workers) in
# docs/profiles/nats-catchup.pprof, then BenchmarkNATSLiveLag (three partitioned
# workers, BENCH_RATE events/s, default 2,000), then the ceiling again.
# Output: docs/bench-raw/nats.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DATABASE_URL:?run through make bench (cmd/pgenv sets DATABASE_URL)}"
PGB_SECONDS=${PGB_SECONDS:-10}
out=docs/bench-raw
mkdir -p "$out" docs/profiles
db=passledger_pgbench_$$
psql "$DATABASE_URL" -qc "CREATE DATABASE $db"
trap 'psql "$DATABASE_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"' EXIT
url=$(python3 -c "import sys,urllib.parse as u;p=u.urlparse(sys.argv[1]);print(p._replace(path='/'+sys.argv[2]).geturl())" "$DATABASE_URL" "$db")
psql "$url" -qc "CREATE TABLE bench_raw (position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(), event_id uuid NOT NULL UNIQUE, stream_id text NOT NULL, stream_version bigint NOT NULL, event_type text NOT NULL, payload json NOT NULL, metadata json NOT NULL, recorded_at timestamptz NOT NULL, content_hash bytea NOT NULL, hash bytea NOT NULL, UNIQUE (stream_id, stream_version)); CREATE INDEX ON bench_raw (transaction_id, position);"
ceiling() {
  for c in 1 32; do
    echo "pgbench one-row INSERT, clients=$c, ${PGB_SECONDS}s: $(pgbench -n -c "$c" -j 2 -T "$PGB_SECONDS" -f scripts/pgbench_insert.sql "$url" 2>&1 | grep -E '^tps')"
  done
}
{
  echo "# NATS projections, $(date -u +%FT%TZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), PostgreSQL $(psql "$DATABASE_URL" -tAc 'show server_version')"
  ceiling
  BENCH_EVENTS=${BENCH_NATS_EVENTS:-1000000} go test ./projections -run '^$' -bench 'BenchmarkNATSCatchUp' -benchtime 1x \
    -timeout 180m -cpuprofile docs/profiles/nats-catchup.pprof
  rm -f projections.test # left by -cpuprofile
  go test ./projections -run '^$' -bench 'BenchmarkNATSLiveLag' -benchtime 1x -timeout 30m
  ceiling
  echo "# end $(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
} 2>&1 | grep -v '^time=' | tee "$out/nats.txt"
