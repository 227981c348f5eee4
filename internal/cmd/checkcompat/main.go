// Command checkcompat checks that the queries of an earlier release still
// prepare against the schema of this checkout, as they must during a
// rolling deploy, when the previous release's code runs against the new
// schema (`make check-compat`; issue 14).
//
//	go run ./internal/cmd/checkcompat [-base REV]... [-dsn DSN] [-migrate]
//
// The base revision's queries are read from its generated code
// (gen/<db>/*.sql.go) in a temporary git worktree, and prepared, each in
// its database, against scratch copies of this build's migrations
// (schema/, the working tree's) that the test kit's machinery makes on the
// test server and drops afterwards. A query that names a column or table
// the new schema lacks is printed with the fix (expand/contract, see
// docs/schema-conventions.md#expand-contract) and the exit status is 1.
//
// The default base is the merge base of HEAD with main (else origin/main);
// when that is HEAD itself (CI on main), HEAD's parent HEAD^, the release
// before the change at HEAD. -base names another revision, e.g. the tag of
// the release in production; it may be repeated. A shallow clone needs its
// history: git fetch --unshallow.
//
// The server is -dsn, else HUBDB_TEST_DSN, else the test kit's private
// MariaDB; like the kit, it refuses a server that is not on this machine
// unless HUBDB_TEST_ALLOW names it.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/solarhub/hubdb/internal/compat"
	"github.com/solarhub/hubdb/internal/testdb"
)

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx)
	stop()
	os.Exit(code)
}

func run(ctx context.Context) int {
	var bases multiFlag
	flag.Var(&bases, "base", "base `REV`ision whose queries are checked: a tag, branch or commit (repeatable; "+
		"default: the merge base of HEAD with main, or HEAD^ when that is HEAD)")
	dsn := flag.String("dsn", "", "test server `DSN` without a database (default $"+testdb.EnvDSN+"; unset: the test kit's private MariaDB)")
	migrate := flag.Bool("migrate", false, "migrate the scratch databases instead of copying the kit's templates")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: checkcompat [-base REV]... [-dsn DSN] [-migrate]")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 0 {
		flag.Usage()
		return 2
	}
	logf := func(format string, args ...any) { fmt.Fprintf(os.Stderr, "checkcompat: "+format+"\n", args...) }
	if *dsn == "" {
		*dsn = os.Getenv(testdb.EnvDSN)
	}
	start := time.Now()
	server, err := testdb.Resolve(ctx, *dsn, os.Getenv(testdb.EnvAllow), logf)
	if err != nil {
		logf("%v", err)
		return 1
	}
	findings, err := compat.Run(ctx, compat.Options{Bases: bases, Server: server, Migrate: *migrate}, os.Stdout)
	if err != nil {
		logf("%v", err)
		return 1
	}
	if len(findings) > 0 {
		logf("%s of the base would fail during a rolling deploy (%s)", plural(len(findings)), time.Since(start).Round(time.Millisecond))
		return 1
	}
	return 0
}

func plural(n int) string {
	if n == 1 {
		return "1 query"
	}
	return fmt.Sprintf("%d queries", n)
}
