# hubdb: the Go data layer of SolarHub's 18 MySQL databases.
#
#   make demo       migrate and seed the 18 databases, serve the example API, run the
#                   pool-exhaustion scenario, print its table and draw docs/scenario.svg
#                   (Ctrl-C to stop serving)
#   make bench      compare hubdb with database/sql, GORM, sqlx and sysbench; writes BENCHMARKS.md
#                   and docs/bench.svg
#   make test       everything CI runs: freshness of gen/, vet, staticcheck, every query
#                   prepared on the server, and go test -race against a real MariaDB
#   make generate   regenerate gen/ from schema/ and queries/ (sqlc + the typed registry)
#   make check      fail if gen/ is stale, go vet, staticcheck, lint-migrations, and prepare every query
#   make lint-migrations  flag migration statements that lock or rebuild a table (hubdb migrate lint)
#   make check-compat  the previous release's queries prepared against this schema (COMPAT_BASE=rev; docs/schema-conventions.md)
#   make fuzz       a short run of each fuzz target (FUZZTIME=20000x executions)
#   make chromium   install Debian's chromium (as root) for the pool page's browser test
#   make test-stress  make test 3 times in a row beside two CPU-bound loops
#   make test-cluster  the cluster suite: a private GTID replica set and Galera cluster
#                   on loopback, replica routing, read-your-writes, failover, migrations
#   make new-db NAME=x  scaffold database x (migrations, queries, sqlc.yaml entry, querytest) and regenerate
#
# `make test` also runs `fuzz`.
# Targets that need a server run through internal/cmd/withdb: it uses the server at
# HUBDB_TEST_DSN / HUBDB_DSN (default root@tcp(127.0.0.1:3306)/) and, when none answers,
# starts a private MariaDB (installing Debian's mariadb-server if needed) for the run.
# Tools (sqlc, staticcheck) are pinned in tools/go.mod and run with `go tool`.

GO          ?= go
WITHDB      := $(GO) run ./internal/cmd/withdb
SQLC        := CGO_ENABLED=0 $(GO) tool -modfile=tools/go.mod sqlc
STATICCHECK := $(GO) tool -modfile=tools/go.mod staticcheck
HUBDB       := $(GO) run ./cmd/hubdb


.PHONY: new-db
new-db:
	$(GO) run ./internal/cmd/newdb -name '$(NAME)'

.PHONY: all demo bench test test-stress test-go test-example test-faults fuzz check gofmt check-offline check-generate \
        check-prepare generate compile vet staticcheck tools clean-demo

all: check

# DEMO_ARGS=--exit stops after the scenario table instead of serving the API.
demo:
	$(WITHDB) -env HUBDB_DSN -keep $(CURDIR)/.hubdb/mariadb -- $(HUBDB) demo $(DEMO_ARGS)

# raw database/sql (defaults, tuned, prepared statements, pool 5+10), hubdb, GORM,
# sqlx and sysbench on the same server, in both context styles, with client CPU per
# operation and connections opened per second; and the scoped pattern at N=2000 on
# hubdb and database/sql, idle and beside two CPU-bound loops; the ingest; and the test
# kit (hubtest: a test's databases copied, migrated or made ahead, on this server and on
# the kit's private one). Writes BENCHMARKS.md and its chart, docs/bench.svg.
# cmd/report installs Debian's sysbench with apt-get when it is missing (as root).
# GORM and sqlx live only in bench/go.mod.
bench:
	$(WITHDB) -- sh -c 'cd bench && $(GO) run ./cmd/report'

test:
	$(WITHDB) -- $(MAKE) --no-print-directory check-offline check-prepare check-compat test-go test-example test-faults test-cluster fuzz

test-go: chromium
	$(GO) test -race -count=1 ./...

# The cluster suite (issue 13): package clustertest's cases 1-7 on a private
# GTID replica set and 3-node Galera cluster on loopback (internal/cluster starts
# them; it needs no server from withdb), the harness's own tests, and dbx's
# cluster tests. One package at a time (-p 1): two clusters' worth of servers at
# once would starve a 2-core machine and Galera's failure detector with it.
# Galera's needs (cluster.GaleraPreflight) are installed with apt-get when
# missing (as root); where that cannot be done it says so and the Galera tests
# fail naming the package.
.PHONY: test-cluster
test-cluster:
	@if [ ! -f /usr/lib/galera/libgalera_smm.so ] || ! command -v rsync >/dev/null 2>&1 || ! command -v ss >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "test-cluster: installing Debian's galera-4, rsync and iproute2 for the Galera cluster" && \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends galera-4 rsync iproute2; \
	  else \
	    echo "test-cluster: Galera needs /usr/lib/galera/libgalera_smm.so, rsync and ss: apt-get install -y --no-install-recommends galera-4 rsync iproute2 (as root); the Galera tests will fail naming what is missing"; \
	  fi; \
	fi
	HUBDB_TEST_CLUSTER=1 $(GO) test -race -count=1 -v -p 1 -timeout 15m ./clustertest/ ./internal/cluster/
	HUBDB_TEST_CLUSTER=1 $(GO) test -race -count=1 -v -timeout 15m -run 'TestReplica|TestGalera' ./dbx/

# Debian's chromium, for the browser test of the pool page (dbx/dbxpage
# TestBrowser), installed with apt-get when missing; where that cannot be
# done (not root, no apt-get) it says so and the test skips.
.PHONY: chromium
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	{ [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  echo "chromium: installing Debian's chromium for dbx/dbxpage's browser test" && \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; } || \
	echo "chromium: not installed and could not be (it needs root and apt-get): dbx/dbxpage's TestBrowser will skip"

# A module outside hubdb's (examples/sitecheck) tested the way an application
# team would: copied out of the repository into a temporary directory, hubdb
# required through a replace of this checkout's absolute path, twenty
# parallel tests on the test kit under -race, with no server given, so the
# kit starts (or finds) its private MariaDB itself.
test-example:
	@dir=$$(mktemp -d) && cp -R examples/sitecheck/. "$$dir" && cd "$$dir" && \
	$(GO) mod edit -replace github.com/solarhub/hubdb=$(CURDIR) && \
	echo "test-example: examples/sitecheck copied to $$dir" && \
	env -u HUBDB_TEST_DSN $(GO) test -race -count=1 -parallel 20 ./...; \
	rc=$$?; rm -rf "$$dir"; exit $$rc

# The fault suite: its own module (toxiproxy stays out of hubdb's go.mod); every
# case starts its own private MariaDB, so it needs no server from withdb.
test-faults:
	cd faults && $(GO) test -race -count=1 -v ./...

# A short run of every fuzz target; a crash found is saved under testdata/fuzz
# and becomes a regression case of the normal test run. The budget is a count
# of executions, not a duration: a duration races the fuzz coordinator's own
# deadline and, on a starved machine, ends with a spurious "context deadline
# exceeded" (golang/go#56238 and its kin); a count only gets slower.
FUZZTIME ?= 20000x
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME) -parallel 2 ./config/
	$(GO) test -run '^$$' -fuzz '^FuzzRedact$$' -fuzztime $(FUZZTIME) -parallel 2 ./config/

# make test three times in a row while two CPU-bound loops run beside it: CI
# runs on a busy 2-core machine, and a test that fails there is a bug.
STRESS_RUNS ?= 3
test-stress:
	@set -e; pids=""; \
	for i in 1 2; do sh -c 'while :; do :; done' & pids="$$pids $$!"; done; \
	trap 'kill $$pids 2>/dev/null || true' EXIT INT TERM; \
	for i in $$(seq $(STRESS_RUNS)); do \
		echo "== make test under load: run $$i of $(STRESS_RUNS)"; \
		start=$$(date +%s); $(MAKE) --no-print-directory test; \
		echo "== run $$i passed in $$(( $$(date +%s) - start )) s"; \
	done

check:
	$(WITHDB) -- $(MAKE) --no-print-directory check-offline check-prepare

check-offline: check-generate gofmt vet staticcheck lint-migrations

# Statements of the migrations that lock or rebuild a table on MariaDB 10.11
# (package migration/lint); needs no server. A reviewed statement is accepted
# with a comment line "-- hubdb:lint-accept <rule> <why>" before it.
.PHONY: lint-migrations
lint-migrations:
	$(HUBDB) migrate lint --all

# Every Go file is gofmt'd (gen/ included: the generator writes gofmt'd code).
gofmt:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "not gofmt'd (run gofmt -w):"; echo "$$out"; exit 1; fi

check-generate:
	$(GO) run ./internal/cmd/generate -check

# Every generated query is prepared against freshly migrated databases.
check-prepare:
	$(GO) test -count=1 -run '^TestEveryQueryPrepares$$' ./querytest/

# Rolling deploys: every query of the base revision (COMPAT_BASE, default the merge base
# of HEAD with main, or HEAD^ on main) prepared against this checkout's schema.
.PHONY: check-compat
check-compat:
	$(GO) run ./internal/cmd/checkcompat $(if $(COMPAT_BASE),-base '$(COMPAT_BASE)')

generate:
	$(GO) generate ./...

compile:
	$(SQLC) compile

# vet and staticcheck cover the main module and the faults, bench and example modules.
vet:
	$(GO) vet ./...
	cd faults && $(GO) vet ./...
	cd bench && $(GO) vet ./...
	cd examples/sitecheck && $(GO) vet ./...

staticcheck:
	$(STATICCHECK) ./...
	cd faults && $(GO) tool -modfile=../tools/go.mod staticcheck ./...
	cd bench && $(GO) tool -modfile=../tools/go.mod staticcheck ./...
	cd examples/sitecheck && $(GO) tool -modfile=../../tools/go.mod staticcheck ./...

# Builds the pinned tools (the first sqlc build takes a few minutes).
tools:
	$(SQLC) version
	$(STATICCHECK) -version

clean-demo:
	-[ -f .hubdb/mariadb/mariadbd.pid ] && kill $$(cat .hubdb/mariadb/mariadbd.pid)
	rm -rf .hubdb
