package bench

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"flag"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// envDSN names the server the benchmarks run on.
const envDSN = "HUBDB_TEST_DSN"

// env is the benchmark database on the server.
type env struct {
	srv    *mysql.Config // the server, no database selected
	schema string        // bench_<random>
}

// setup creates bench_<random> with the tables of Schema and Rows seeded
// readings, and drops it when tb ends. It touches no other database.
func setup(tb testing.TB) *env {
	tb.Helper()
	dsn := os.Getenv(envDSN)
	if dsn == "" {
		tb.Fatalf("%s is not set: run `make bench` (it starts a private MariaDB when none answers), "+
			"or set %s='root@tcp(127.0.0.1:3306)/'", envDSN, envDSN)
	}
	srv, err := mysql.ParseDSN(dsn)
	if err != nil {
		tb.Fatalf("%s is not a valid DSN", envDSN) // it may hold a password: not printed
	}
	srv.DBName = ""
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	e := &env{srv: srv, schema: "bench_" + hex.EncodeToString(b)}

	conn, err := mysql.NewConnector(srv)
	if err != nil {
		tb.Fatal(err)
	}
	admin := sql.OpenDB(conn)
	admin.SetMaxOpenConns(1)
	tb.Cleanup(func() { _ = admin.Close() })
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+e.schema+
		" CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), "DROP DATABASE "+e.schema); err != nil {
			tb.Errorf("drop %s: %v", e.schema, err)
		}
	})
	stmts := make([]string, 0, len(Schema)+1)
	for _, s := range Schema {
		stmts = append(stmts, strings.Replace(s, "CREATE TABLE ", "CREATE TABLE "+e.schema+".", 1))
	}
	var ins strings.Builder
	ins.WriteString("INSERT INTO " + e.schema + ".readings (id, site_id, soc_pct, power_w, updated_at) VALUES ")
	for i := 1; i <= Rows; i++ {
		if i > 1 {
			ins.WriteByte(',')
		}
		fmt.Fprintf(&ins, "(%d, %d, %d.5, %d.25, '2026-01-01 00:00:00.000000')", i, i%Sites, i%100, i%5000)
	}
	stmts = append(stmts, ins.String())
	for _, s := range stmts {
		if _, err := admin.ExecContext(ctx, s); err != nil {
			tb.Fatal(err)
		}
	}
	return e
}

// op is one operation of a workload; r is the worker's own generator.
type op func(ctx context.Context, r *mrand.Rand) error

// workload turns a client into its op.
type workload struct {
	name string
	op   func(c client) op
}

var workloads = []workload{
	{"point", func(c client) op {
		return func(ctx context.Context, r *mrand.Rand) error { return c.point(ctx, 1+r.Int64N(Rows)) }
	}},
	{"readtx", func(c client) op {
		return func(ctx context.Context, r *mrand.Rand) error {
			id := 1 + r.Int64N(Rows)
			return c.readTx(ctx, id, id%Sites)
		}
	}},
	{"writetx", func(c client) op {
		return func(ctx context.Context, r *mrand.Rand) error {
			return c.writeTx(ctx, 1+r.Int64N(Rows), r.Float64()*100, r.Float64()*5000, time.Now().UTC())
		}
	}},
}

// concurrencies are the worker counts each workload runs at.
var concurrencies = []int{1, 16, 64}

// rounds repeats every setting's contenders, interleaved: round 1 runs
// each contender once, then round 2 runs each again, and so on. On a
// shared, noisy machine the median over rounds (cmd/report takes it) is
// steadier than one long run per contender.
var rounds = flag.Int("rounds", 1, "run each setting's contenders this many times, interleaved")

// BenchmarkCompare runs every workload at every concurrency on every
// contender, one contender's pool open at a time (at most 64 connections,
// for raw-default at c=64), named Compare/<workload>/c=<n>/<contender>,
// -rounds times per setting (the contenders interleaved).
// Beside ns/op, B/op and allocs/op it reports ops/s and the p50 and p99
// latency of single operations in microseconds. It needs HUBDB_TEST_DSN.
func BenchmarkCompare(b *testing.B) {
	e := setup(b)
	for _, w := range workloads {
		b.Run(w.name, func(b *testing.B) {
			for _, c := range concurrencies {
				b.Run(fmt.Sprintf("c=%d", c), func(b *testing.B) {
					for range max(*rounds, 1) {
						for _, k := range contenders {
							cl := k.open(b, e)
							o := w.op(cl)
							warm(b, c, o)
							b.Run(k.name, func(b *testing.B) { measure(b, c, o) })
							if err := cl.close(); err != nil {
								b.Errorf("%s: close: %v", k.name, err)
							}
						}
					}
				})
			}
		})
	}
}

// warm runs a few operations on c workers so the pool has its
// connections before the clock starts.
func warm(b *testing.B, c int, o op) {
	b.Helper()
	if err := runWorkers(c, max(4*c, 32), o, nil); err != nil {
		b.Fatal(err)
	}
}

// measure runs b.N operations on c workers, recording each one's
// duration, and reports ops/s, p50-us and p99-us.
func measure(b *testing.B, c int, o op) {
	lat := make([]time.Duration, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	err := runWorkers(c, b.N, o, lat)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	b.ReportMetric(us(quantile(lat, 0.50)), "p50-us")
	b.ReportMetric(us(quantile(lat, 0.99)), "p99-us")
}

// runWorkers runs n operations on c goroutines, storing operation i's
// duration in lat[i] when lat is not nil, and returns the first error.
// Every worker passes a cancellable context, as an HTTP handler's request
// context is (database/sql watches such a context with a goroutine per
// transaction and per open Rows; with context.Background it does not).
func runWorkers(c, n int, o op, lat []time.Duration) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var next atomic.Int64
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for w := range c {
		r := mrand.New(mrand.NewPCG(uint64(time.Now().UnixNano()), uint64(w)))
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				start := time.Now()
				if err := o(ctx, r); err != nil {
					once.Do(func() { first = err })
					next.Store(int64(n)) // stop the others
					return
				}
				if lat != nil {
					lat[i] = time.Since(start)
				}
			}
		})
	}
	wg.Wait()
	return first
}

// quantile returns the q-quantile of sorted durations (nearest rank).
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*q+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
