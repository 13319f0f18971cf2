# passledger — the two commands that matter: `make run` and `make test`.
# PostgreSQL: DATABASE_URL if set, else the local server, else a private cluster
# started from the machine's PostgreSQL binaries (see internal/pgserver).

GO       ?= go
ADDR     ?= :8080
PKGS     ?= ./...
BENCHTIME ?= 3s

.PHONY: run test bench fuzz vet fmt build tools sqlc sqlc-check

## run: serve the ledger on $(ADDR) (migrates first)
run:
	$(GO) run ./cmd/passledger serve --addr $(ADDR)

## test: every test, against a real PostgreSQL found or started once for all packages.
## `tools` installs what tests need from Debian when missing: xmllint (SEPA XSD
## validation) and chromium-headless-shell (the web pages' browser tests).
## Packages run two at a time (`go test -p 2`): each has databases of its own,
## copied from the template cmd/pgenv migrates or reused (internal/pgtest: renamed,
## checked and emptied; cmd/pgenv drops them at the end), each NATS test its own in-process
## server on a free port, each server a free port. The event store's gap-free
## reading watermark is cluster-wide: a transaction in one package's database
## holds back the readers of another for its duration, so the tests wait for
## visibility, never assume it. On this 2-core machine the suite is CPU-bound;
## running one package at a time (flock on a lock file, tried until 2026-12-06)
## left a core idle whenever a package waited (sleeps, a stopped database, a
## browser) and took 70-74 s against 53-56 s (docs/benchmarks.md).
## `sqlc-check` first: the generated SQL code must be what the .sql files give.
## Within a package, the tests that own their databases (t.Parallel: the
## projections package's simulated histories, NATS workers and crash tests, the
## api and eventstore tests on a database of their own, the outage test beside
## the kill test, the browser tests, each with its tab in the one Chromium) run
## TEST_PARALLEL at once.
## TEST_BUILDFLAGS: -trimpath keeps source paths out of the compiled packages, so
## a fresh clone in another folder reuses the build cache's packages (vet and the
## test builds of a new clone took 20 s and 33 s, 1.5 s and 25 s with it); -s -w
## leave the symbol table and DWARF out of the ~20 test binaries, which are
## linked anew each run (linking them all: 9.0-9.7 s of CPU with -w, 8.6 s with
## -s -w; stack traces and profiles still name functions, from pclntab).
## TMPDIR: the run's temporary files — Go's build folders and the test binaries
## it links, and every test's temporary folders (NATS stores, private PostgreSQL
## clusters, Chromium profiles) — go to a folder of its own in /dev/shm (memory)
## when the machine has it, removed at the end (TEST_TMPDIR names another folder,
## kept). On this machine's ext4 without a journal, every file created scans the
## inodes deleted in the last minutes (the kernel's recently_deleted check), and
## the run creates and deletes thousands: with them in memory, the PostgreSQL
## server's own file creations get cheaper too (alternated runs, 2026-12-06:
## 71.4 and 70.4 s against 67.7 and 65.7 s; machine CPU 134 and 131 s against 127
## and 124 s; docs/benchmarks.md "Temporary files in memory"). cmd/pgenv also
## puts the run's test databases there, in a tablespace of the run's own
## (memoryTablespace; dropped at the end): a copy of the template took 380-420
## ms on that ext4 after a few runs, 23-35 ms in memory (docs/benchmarks.md
## "Browser, template copies in memory").
## TEST_GOGC: the Go processes of the run (the go command, the compiler and
## linker, the test binaries and the servers they start) collect garbage when
## their heap has grown by 200 % rather than Go's default 100 %: about half the
## collections, for more memory (the projections package's test process peaks
## at 1.37 GB resident instead of 0.99 GB; the machine has 24 GB). Alternated
## runs, 2026-12-06: default 70.7, 66.5, 73.1 s (130, 125, 136 s of machine
## CPU); GOGC=200 68.6, 62.5, 63.0, 67.4, 63.1 s (126, 114, 119, 127, 117 s);
## GOGC=400 no better than 200 (docs/benchmarks.md "Temporary files in memory").
## TEST_LINKCACHE: go test, and the go commands that tests run (cmd/passledger's
## build of the server), run their tools through cmd/linkcache (-toolexec in
## GOFLAGS), which keeps each linked binary in ~/.cache/linkcache, keyed by the
## link's action ID, and copies it when the same link comes again (Go links
## every test binary anew on every run: ~10 % of the run's CPU here;
## docs/benchmarks.md "Test binaries kept"). 0 links everything, as go test does.
TEST_LINKCACHE ?= 1
TEST_GOGC ?= 200
TEST_P ?= 2
TEST_PARALLEL ?= 2
TEST_BUILDFLAGS ?= -trimpath -ldflags="-s -w"
TEST_TMPDIR ?=
test: tools sqlc-check
	$(GO) vet $(TEST_BUILDFLAGS) ./...
	@tmp="$(TEST_TMPDIR)"; \
	if [ -z "$$tmp" ]; then \
		tmp=$$(mktemp -d -p /dev/shm passledger-test.XXXXXX 2>/dev/null || mktemp -d) || exit 1; \
		chmod 755 "$$tmp"; trap 'rm -rf "$$tmp"' EXIT INT TERM; fi; \
	toolexec=; \
	if [ "$(TEST_LINKCACHE)" = 1 ]; then \
		TMPDIR="$$tmp" $(GO) build -o "$$tmp/linkcache" ./cmd/linkcache || exit 1; toolexec="-toolexec=$$tmp/linkcache"; fi; \
	set -x; \
	TMPDIR="$$tmp" GOGC=$(TEST_GOGC) GOFLAGS="$$GOFLAGS $$toolexec" $(GO) run ./cmd/pgenv -- $(GO) test $(TEST_BUILDFLAGS) -p $(TEST_P) -parallel $(TEST_PARALLEL) -count=1 -timeout 30m $(PKGS)

## bench: Go benchmarks plus the pgbench ceiling; figures go to docs/benchmarks.md
bench:
	$(GO) run ./cmd/pgenv -- bash scripts/bench.sh

## fuzz: run each fuzz target for a while (seeds live in testdata/)
fuzz:
	bash scripts/fuzz.sh

vet:
	$(GO) vet ./...

## sqlc: regenerate the Go code of the SQL in */internal/dbsqlc/*.sql (sqlc.yaml;
## schema: the migrations). sqlc-check: fail when the committed code differs.
sqlc:
	$(GO) tool sqlc generate

sqlc-check:
	$(GO) tool sqlc diff

fmt:
	gofmt -w $$(git ls-files '*.go')

build:
	$(GO) build -o bin/passledger ./cmd/passledger

## tools: what the tests need besides Go and PostgreSQL: xmllint validates the SEPA
## files (pain.001) against the ISO 20022 schemas (Debian package libxml2-utils);
## the browser tests run Debian's chromium-headless-shell (Chromium's headless
## build: the web package's tests cost less than half the CPU they cost in the
## full chromium, web/browser_test.go chromiumPath), and fall back to chromium.
tools:
	@command -v xmllint >/dev/null || (apt-get update && apt-get install -y libxml2-utils)
	@{ command -v chromium >/dev/null && command -v chromium-headless-shell >/dev/null; } || \
		(apt-get update && apt-get install -y chromium chromium-headless-shell)
