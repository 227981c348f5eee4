package dbx_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/solarhub/hubdb/dbx"
)

// BenchmarkPointReadCPU measures the client CPU (user + system, this
// process only: the server runs apart) of one plain point read through
// dbx on a single pool, the path the server budget adds to (a reservation
// check before database/sql picks a connection, state changes at checkout
// and checkin). Compare it across commits:
//
//	go test -run '^$' -bench PointReadCPU -count 5 ./dbx/
func BenchmarkPointReadCPU(b *testing.B) {
	d, _, _ := benchDB(b, dbx.Pool{Size: dbx.Int(4), Overflow: dbx.Int(0)})
	ctx := context.Background()
	q := d.Queries(ctx)
	var v int
	if err := q.QueryRowContext(ctx, "SELECT v FROM kv WHERE k = ?", 1).Scan(&v); err != nil {
		b.Fatal(err)
	}
	before := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		if err := q.QueryRowContext(ctx, "SELECT v FROM kv WHERE k = ?", 1).Scan(&v); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64((cpuTime()-before).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// cpuTime returns the process's user plus system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
