package dbx_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/solarhub/hubdb/dbx"
)

func benchDB(b *testing.B, p dbx.Pool) (*dbx.DB[dbx.DBTX], *mysql.Config, string) {
	b.Helper()
	srv := server(b)
	schema := newSchema(b, srv)
	return raw(b, open(b, oneDB(srv, schema, p)), "main"), srv, schema
}

// BenchmarkInterpolateParams compares a one-argument SELECT with client-side
// interpolation (dbx's default, one round trip) and with server-side
// prepared statements (Pool.ServerPrepare: prepare, execute, close).
func BenchmarkInterpolateParams(b *testing.B) {
	for _, tc := range []struct {
		name          string
		serverPrepare bool
	}{{"interpolate", false}, {"serverPrepare", true}} {
		b.Run(tc.name, func(b *testing.B) {
			d, _, _ := benchDB(b, dbx.Pool{Size: dbx.Int(1), Overflow: dbx.Int(0), ServerPrepare: tc.serverPrepare})
			ctx := context.Background()
			q := d.Queries(ctx)
			var v int
			for b.Loop() {
				if err := q.QueryRowContext(ctx, "SELECT v FROM kv WHERE k = ?", 1).Scan(&v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkStatementTimeoutOverride measures a one-statement Read with the
// pool's statement timeout and with a per-transaction override (SET before
// BEGIN, restore at checkin).
func BenchmarkStatementTimeoutOverride(b *testing.B) {
	d, _, _ := benchDB(b, dbx.Pool{Size: dbx.Int(1), Overflow: dbx.Int(0)})
	ctx := context.Background()
	read := func(opts ...dbx.TxOption) {
		var v int
		err := d.Read(ctx, func(ctx context.Context, q dbx.DBTX) error {
			return q.QueryRowContext(ctx, "SELECT v FROM kv WHERE k = 1").Scan(&v)
		}, opts...)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.Run("pool", func(b *testing.B) {
		for b.Loop() {
			read()
		}
	})
	b.Run("override", func(b *testing.B) {
		for b.Loop() {
			read(dbx.StatementTimeout(2 * time.Second))
		}
	})
}

// BenchmarkGate compares a plain call through dbx (gate, lease, sql.Conn,
// call site) with the same call on a bare *sql.DB.
func BenchmarkGate(b *testing.B) {
	d, srv, schema := benchDB(b, dbx.Pool{Size: dbx.Int(4), Overflow: dbx.Int(0)})
	ctx := context.Background()
	c := srv.Clone()
	c.DBName, c.InterpolateParams = schema, true
	conn, err := mysql.NewConnector(c)
	if err != nil {
		b.Fatal(err)
	}
	bare := sql.OpenDB(conn)
	defer bare.Close()
	bare.SetMaxOpenConns(4)
	bare.SetMaxIdleConns(4)
	for _, tc := range []struct {
		name string
		q    dbx.DBTX
	}{{"bare", bare}, {"dbx", d.Queries(ctx)}} {
		b.Run(tc.name+"/exec", func(b *testing.B) {
			for b.Loop() {
				if _, err := tc.q.ExecContext(ctx, "DO 1"); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(tc.name+"/queryrow", func(b *testing.B) {
			var v int
			for b.Loop() {
				if err := tc.q.QueryRowContext(ctx, "SELECT v FROM kv WHERE k = ?", 1).Scan(&v); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(tc.name+"/parallel", func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := tc.q.ExecContext(ctx, "DO 1"); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
