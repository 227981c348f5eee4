package dbx_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/solarhub/hubdb/dbx"
)

// BenchmarkCPUPerOp measures the client CPU (cpu-ns/op, user + system of
// this process) of a point read, a one-statement Read and a one-statement
// Write at c=1, through dbx with its defaults and through raw database/sql
// with statements prepared once and reused (the fastest hand-tuned raw
// mode), with context.Background() as a batch job calls them. This is the
// benchmark to profile:
//
//	go test -run '^$' -bench CPUPerOp -count 5 -cpuprofile cpu.out ./dbx/
//	go tool pprof -top dbx.test cpu.out
func BenchmarkCPUPerOp(b *testing.B) {
	const (
		point  = "SELECT v FROM kv WHERE k = ?"
		update = "UPDATE kv SET v = v + 1 WHERE k = ?"
	)
	ctx := context.Background()
	b.Run("dbx", func(b *testing.B) {
		d, _, _ := benchDB(b, dbx.Pool{Size: dbx.Int(2), Overflow: dbx.Int(0)})
		var v int
		b.Run("point", func(b *testing.B) {
			cpuLoop(b, func() error { return d.Queries(ctx).QueryRowContext(ctx, point, 1).Scan(&v) })
		})
		b.Run("read", func(b *testing.B) {
			cpuLoop(b, func() error {
				return d.Read(ctx, func(ctx context.Context, q dbx.DBTX) error {
					return q.QueryRowContext(ctx, point, 1).Scan(&v)
				})
			})
		})
		b.Run("write", func(b *testing.B) {
			cpuLoop(b, func() error {
				return d.Write(ctx, func(ctx context.Context, q dbx.DBTX) error {
					_, err := q.ExecContext(ctx, update, 2)
					return err
				})
			})
		})
	})
	b.Run("raw-prepared", func(b *testing.B) {
		srv := server(b)
		c := srv.Clone()
		c.DBName = newSchema(b, srv)
		c.InterpolateParams = true
		db := admin(b, c, c.DBName)
		db.SetMaxOpenConns(2)
		db.SetMaxIdleConns(2)
		sel, err := db.PrepareContext(ctx, point)
		if err != nil {
			b.Fatal(err)
		}
		upd, err := db.PrepareContext(ctx, update)
		if err != nil {
			b.Fatal(err)
		}
		var v int
		b.Run("point", func(b *testing.B) {
			cpuLoop(b, func() error { return sel.QueryRowContext(ctx, 1).Scan(&v) })
		})
		b.Run("read", func(b *testing.B) {
			cpuLoop(b, func() error {
				tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
				if err != nil {
					return err
				}
				if err := tx.StmtContext(ctx, sel).QueryRowContext(ctx, 1).Scan(&v); err != nil {
					_ = tx.Rollback()
					return err
				}
				return tx.Commit()
			})
		})
		b.Run("write", func(b *testing.B) {
			cpuLoop(b, func() error {
				tx, err := db.BeginTx(ctx, nil)
				if err != nil {
					return err
				}
				if _, err := tx.StmtContext(ctx, upd).ExecContext(ctx, 2); err != nil {
					_ = tx.Rollback()
					return err
				}
				return tx.Commit()
			})
		})
	})
}

// cpuLoop runs op b.N times and reports its client CPU per operation.
func cpuLoop(b *testing.B, op func() error) {
	if err := op(); err != nil {
		b.Fatal(err)
	}
	before := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		if err := op(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64((cpuTime()-before).Nanoseconds())/float64(b.N), "cpu-ns/op")
}
