package seed_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/solarhub/hubdb/dbx"
	"github.com/solarhub/hubdb/internal/testdb"
)

// seeded lists the databases seed writes.
var seeded = []string{"account", "site", "device", "pv", "ess", "meter", "schedule", "tariff", "alarm", "analysis"}

// fixture is a set of freshly migrated databases under one prefix with a
// dbx Manager on them.
type fixture struct {
	m   *dbx.Manager
	sql map[string]*sql.DB // by logical name, for checks outside dbx
}

func newFixture(t testing.TB) fixture {
	t.Helper()
	prefix := testdb.Prefix()
	dbs := testdb.Migrated(t, prefix, seeded...)
	cfg := dbx.Config{Defaults: dbx.Pool{Size: dbx.Int(4), Overflow: dbx.Int(4), Timeout: 30 * time.Second}}
	for _, name := range seeded {
		cfg.DBs = append(cfg.DBs, dbx.DBConfig{Name: name, Schema: prefix + name, Server: testdb.Server(t)})
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	m, err := dbx.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("dbx.Open: %v", err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return fixture{m: m, sql: dbs}
}

// count returns SELECT COUNT(*) FROM table in database db.
func (f fixture) count(t testing.TB, db, table string) int {
	t.Helper()
	var n int
	if err := f.sql[db].QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
		t.Fatalf("count %s.%s: %v", db, table, err)
	}
	return n
}
