package faults

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/solarhub/hubdb/dbx"
)

// TestQueryNameInSlowQueryLog: the sqlc name comment dbx leaves at the
// start of each statement reaches the server's slow query log, for a
// statement sent as text and for one run from the statement cache, so an
// operator reading the log knows which query it was. (A private server:
// the slow log is a global setting.)
func TestQueryNameInSlowQueryLog(t *testing.T) {
	s := budgetServer(t, "--slow-query-log=1", "--long-query-time=0.1", "--log-output=TABLE")
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		cache int
	}{{"CachedSleep", 0}, {"TextSleep", -1}} {
		m, err := dbx.Open(ctx, dbx.Config{
			DBs: []dbx.DBConfig{{Name: "ess", Schema: "budget_ess", Server: appConfig(s.Addr()),
				Pool: dbx.Pool{StatementCache: tc.cache}}},
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		})
		if err != nil {
			t.Fatal(err)
		}
		d, err := dbx.Bind(m, "ess", func(x dbx.DBTX) dbx.DBTX { return x })
		if err != nil {
			t.Fatal(err)
		}
		var x int
		if err := d.Queries(ctx).QueryRowContext(ctx, "-- name: "+tc.name+" :one\nSELECT SLEEP(?)", 0.3).Scan(&x); err != nil {
			t.Fatal(err)
		}
		_ = m.Close()
		var text string
		if !waitFor(10*time.Second, func() bool {
			err := s.admin.QueryRowContext(ctx,
				"SELECT CONVERT(sql_text USING utf8mb4) FROM mysql.slow_log WHERE sql_text LIKE ? LIMIT 1", "%"+tc.name+"%").Scan(&text)
			return err == nil
		}) {
			t.Fatalf("%s: no slow-log entry naming it", tc.name)
		}
		if !strings.Contains(text, "-- name: "+tc.name+" :one") {
			t.Errorf("%s: slow log has %q; want the -- name: comment", tc.name, text)
		}
	}
}
