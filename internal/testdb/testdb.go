// Package testdb gives tests their own freshly migrated databases on the
// server named by the HUBDB_TEST_DSN environment variable.
//
// Every database a test creates has a unique prefix (t<random>_), so tests
// run in parallel and never touch anything else on the server; each is
// dropped when the test ends. `make test` always sets HUBDB_TEST_DSN,
// starting a private MariaDB when none answers. Without it a test is skipped
// under `go test -short` and fails otherwise.
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/solarhub/hubdb/migration"
)

// EnvDSN is the environment variable that names the test server, as a
// go-sql-driver/mysql DSN without a database, e.g. root@tcp(127.0.0.1:3306)/.
const EnvDSN = "HUBDB_TEST_DSN"

// Server returns the test server's configuration from HUBDB_TEST_DSN.
func Server(t testing.TB) *mysql.Config {
	t.Helper()
	dsn := os.Getenv(EnvDSN)
	if dsn == "" {
		if testing.Short() {
			t.Skipf("%s is not set; skipped under -short", EnvDSN)
		}
		t.Fatalf("%s is not set: run `make test` (it starts a private MariaDB when none answers), "+
			"or start MariaDB and set %s='root@tcp(127.0.0.1:3306)/'", EnvDSN, EnvDSN)
	}
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatalf("%s is not a valid DSN", EnvDSN) // the DSN may hold a password: not printed
	}
	cfg.DBName = ""
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	return cfg
}

// Prefix returns a new unique database-name prefix such as "t1a2b3c4d_".
func Prefix() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return "t" + hex.EncodeToString(b) + "_"
}

// Target returns the migration target for the logical database name under
// prefix on the test server.
func Target(t testing.TB, prefix, name string) migration.Target {
	return migration.Target{Name: name, Schema: prefix + name, Server: Server(t)}
}

// New creates a uniquely named physical copy of the logical database name
// (e.g. "ess"), migrates it up with the embedded migrations, drops it when
// the test ends, and returns a *sql.DB opened on it with parseTime=true and
// loc=UTC.
func New(t testing.TB, name string) *sql.DB {
	t.Helper()
	dbs := Migrated(t, Prefix(), name)
	return dbs[name]
}

// Migrated creates and migrates each logical database under prefix, drops
// them when the test ends, and returns a *sql.DB per logical name.
func Migrated(t testing.TB, prefix string, names ...string) map[string]*sql.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var m migration.Migrator
	out := make(map[string]*sql.DB, len(names))
	for _, name := range names {
		target := Target(t, prefix, name)
		DropOnCleanup(t, target.Schema)
		if err := m.Up(ctx, target); err != nil {
			t.Fatalf("migrate %s: %v", name, err)
		}
		out[name] = Open(t, target.Schema)
	}
	return out
}

// Open returns a *sql.DB on the named physical database of the test server,
// closed when the test ends.
func Open(t testing.TB, schema string) *sql.DB {
	t.Helper()
	cfg := Server(t)
	cfg.DBName = schema
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		t.Fatalf("connector: %v", err)
	}
	db := sql.OpenDB(connector)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// DropOnCleanup drops the physical database when the test ends. It refuses
// names that do not look like a test database, so a mistake cannot drop
// anything else.
func DropOnCleanup(t testing.TB, schema string) {
	t.Helper()
	if !strings.HasPrefix(schema, "t") || !strings.Contains(schema, "_") {
		t.Fatalf("testdb: refusing to manage %q: not a test database name", schema)
	}
	t.Cleanup(func() {
		if os.Getenv("HUBDB_TEST_KEEP") != "" {
			t.Logf("keeping database %s (HUBDB_TEST_KEEP is set)", schema)
			return
		}
		cfg := Server(t)
		connector, err := mysql.NewConnector(cfg)
		if err != nil {
			t.Errorf("drop %s: %v", schema, err)
			return
		}
		db := sql.OpenDB(connector)
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+schema+"`"); err != nil {
			t.Errorf("drop %s: %v", schema, err)
		}
	})
}
