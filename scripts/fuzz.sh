#!/usr/bin/env bash
# Runs every fuzz target for FUZZTIME (default 20s). Seeds: each package's testdata/fuzz.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-20s}
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //'); do
    echo "== $pkg $target"
    go run ./cmd/pgenv -- go test "$pkg" -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME"
  done
done
