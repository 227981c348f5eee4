# hubdb: the Go data layer of SolarHub's 18 MySQL databases.
#
#   make demo       migrate all 18 databases on the default server and print their status
#   make test       everything CI runs: freshness of gen/, vet, staticcheck, every query
#                   prepared on the server, and go test -race against a real MariaDB
#   make generate   regenerate gen/ from schema/ and queries/ (sqlc + the typed registry)
#   make check      fail if gen/ is stale, go vet, staticcheck, and prepare every query
#   make fuzz       a short run of each fuzz target (FUZZTIME=10s)
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

.PHONY: all demo test test-go check check-offline check-generate check-prepare \
        generate compile vet staticcheck tools clean-demo

all: check

demo:
	$(WITHDB) -env HUBDB_DSN -keep $(CURDIR)/.hubdb/mariadb -- \
		sh -c '$(HUBDB) migrate up --all && $(HUBDB) migrate status'

test:
	$(WITHDB) -- $(MAKE) --no-print-directory check-offline check-prepare test-go fuzz

test-go:
	$(GO) test -race -count=1 ./...

# A short run of every fuzz target; a crash found is saved under testdata/fuzz
# and becomes a regression case of the normal test run.
FUZZTIME ?= 10s
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME) ./config/
	$(GO) test -run '^$$' -fuzz '^FuzzRedact$$' -fuzztime $(FUZZTIME) ./config/

check:
	$(WITHDB) -- $(MAKE) --no-print-directory check-offline check-prepare

check-offline: check-generate vet staticcheck

check-generate:
	$(GO) run ./internal/cmd/generate -check

# Every generated query is prepared against freshly migrated databases.
check-prepare:
	$(GO) test -count=1 -run '^TestEveryQueryPrepares$$' ./querytest/

generate:
	$(GO) generate ./...

compile:
	$(SQLC) compile

vet:
	$(GO) vet ./...

staticcheck:
	$(STATICCHECK) ./...

# Builds the pinned tools (the first sqlc build takes a few minutes).
tools:
	$(SQLC) version
	$(STATICCHECK) -version

clean-demo:
	-[ -f .hubdb/mariadb/mariadbd.pid ] && kill $$(cat .hubdb/mariadb/mariadbd.pid)
	rm -rf .hubdb
