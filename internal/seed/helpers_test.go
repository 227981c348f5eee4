package seed_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/solarhub/hubdb/dbx"
	"github.com/solarhub/hubdb/hubtest"
)

// seeded lists the databases seed writes.
var seeded = []string{"account", "site", "device", "pv", "ess", "meter", "schedule", "tariff", "alarm", "analysis"}

// fixture is the test's own migrated databases with a dbx Manager on them.
type fixture struct {
	m   *dbx.Manager
	sql map[string]*sql.DB // by logical name, for checks outside dbx
}

func newFixture(t testing.TB) fixture {
	t.Helper()
	d := hubtest.New(t, seeded...)
	dbs := make(map[string]*sql.DB, len(seeded))
	for _, name := range seeded {
		dbs[name] = d.DB(name)
	}
	cfg := d.Config()
	cfg.Defaults = dbx.Pool{Size: dbx.Int(4), Overflow: dbx.Int(4), Timeout: 30 * time.Second}
	cfg.ServerBudget = 0 // the pools alone bound the seeder's concurrency (BenchmarkRun measures it)
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
