package bench

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"flag"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// envDSN names the server the benchmarks run on.
const envDSN = "HUBDB_TEST_DSN"

// env is the benchmark database on the server.
type env struct {
	srv    *mysql.Config // the server, no database selected; its DialFunc counts dials
	schema string        // bench_<random>
	admin  *sql.DB       // one connection, kept open: setup and the server's counters
}

// dials counts the connections the contenders open: every contender's
// server configuration is a clone of env.srv, whose DialFunc is
// countingDial (dbx wraps a configured DialFunc, so hubdb's dials count
// too). The server's own counter (SHOW GLOBAL STATUS 'Connections') counts
// every client of the server; this one counts only this process's pools.
var dials atomic.Int64

func countingDial(ctx context.Context, network, addr string) (net.Conn, error) {
	dials.Add(1)
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

// counters are the connection counts at one moment.
type counters struct {
	at     time.Time
	server int64 // the server's Connections: connection attempts by any client since it started
	dials  int64 // dials by this process's contenders
}

// counters reads the server's Connections counter on the admin
// connection (open since setup, so reading it opens none) and this
// process's dial count.
func (e *env) counters() (counters, error) {
	var name string
	var n int64
	err := e.admin.QueryRowContext(context.Background(), "SHOW GLOBAL STATUS LIKE 'Connections'").Scan(&name, &n)
	return counters{at: time.Now(), server: n, dials: dials.Load()}, err
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
	e := &env{srv: srv.Clone(), schema: "bench_" + hex.EncodeToString(b)}
	if e.srv.DialFunc == nil {
		e.srv.DialFunc = countingDial
	}

	conn, err := mysql.NewConnector(srv)
	if err != nil {
		tb.Fatal(err)
	}
	admin := sql.OpenDB(conn)
	admin.SetMaxOpenConns(1)
	admin.SetMaxIdleConns(1)
	e.admin = admin
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

// ctxStyles are the two ways the workers pass a context, the ctx=
// element of a benchmark's name: "cancel" gives every operation a
// cancellable context, as an HTTP handler's request context is
// (database/sql then watches it with a goroutine per transaction and per
// open Rows); "background" passes context.Background(), as a batch job
// may (database/sql skips the watchers).
var ctxStyles = []string{"cancel", "background"}

// rounds repeats every setting's contenders, interleaved: round 1 runs
// each contender once, then round 2 runs each again, and so on. On a
// shared, noisy machine the median over rounds (cmd/report takes it) is
// steadier than one long run per contender.
var rounds = flag.Int("rounds", 1, "run each setting's contenders this many times, interleaved")

// BenchmarkCompare runs every workload at every concurrency on every
// contender in both context styles, one contender's pool open at a time
// (at most 64 connections, for raw-default at c=64), named
// Compare/<workload>/c=<n>/<contender>/ctx=<cancel|background>, -rounds
// times per setting (the contenders interleaved; each round opens the
// contender's pool once and runs both context styles on it, in an order
// that alternates between rounds). The point read also runs sysbench's
// oltp_point_select on the same server (Compare/point/c=<n>/sysbench, no
// context style; see sysbench_test.go).
//
// Beside ns/op, B/op and allocs/op each benchmark reports ops/s, the p50
// and p99 latency of single operations in microseconds (p50-us, p99-us),
// the client process's CPU time per operation (cpu-us/op: user+sys from
// getrusage(RUSAGE_SELF) across the timed loop, divided by the
// operations), and the connections opened per second under steady load
// over the timed loop's second half: conns/s from the server's
// Connections counter (every client of the server counts) and dials/s
// from this process's own dial count. It needs HUBDB_TEST_DSN.
func BenchmarkCompare(b *testing.B) {
	e := setup(b)
	sb := &sysbench{e: e}
	b.Cleanup(func() { sb.cleanup(b) })
	for _, w := range workloads {
		b.Run(w.name, func(b *testing.B) {
			for _, c := range concurrencies {
				b.Run(fmt.Sprintf("c=%d", c), func(b *testing.B) {
					for r := range max(*rounds, 1) {
						for _, k := range contenders {
							b.Run(k.name, func(b *testing.B) {
								cl := k.open(b, e)
								defer func() {
									if err := cl.close(); err != nil {
										b.Errorf("%s: close: %v", k.name, err)
									}
								}()
								o := w.op(cl)
								for i := range ctxStyles {
									style := ctxStyles[(i+r)%len(ctxStyles)]
									bg := style == "background"
									warm(b, c, bg, o)
									b.Run("ctx="+style, func(b *testing.B) { measure(b, e, c, bg, o) })
								}
							})
						}
						if w.name == "point" {
							b.Run("sysbench", func(b *testing.B) { sb.measure(b, c) })
						}
					}
				})
			}
		})
	}
}

// warm runs a few operations on c workers so the pool has its
// connections before the clock starts.
func warm(b *testing.B, c int, bg bool, o op) {
	b.Helper()
	if err := runWorkers(c, max(4*c, 32), bg, o, nil, nil); err != nil {
		b.Fatal(err)
	}
}

// measure runs b.N operations on c workers, recording each one's
// duration, and reports ops/s, p50-us, p99-us, cpu-us/op, conns/s and
// dials/s. The connection rates are taken over the second half of the
// operations (from the moment the worker that takes operation b.N/2
// reads the counters to the end), so that the dials of a pool growing to
// the load at the start are not counted as steady load.
func measure(b *testing.B, e *env, c int, bg bool, o op) {
	lat := make([]time.Duration, b.N)
	var half counters
	mid := func() (err error) {
		half, err = e.counters()
		return err
	}
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.ResetTimer()
	err := runWorkers(c, b.N, bg, o, lat, mid)
	b.StopTimer()
	cpu := cpuTime() - cpu0
	if err != nil {
		b.Fatal(err)
	}
	end, err := e.counters()
	if err != nil {
		b.Fatalf("reading the server's Connections: %v", err)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	b.ReportMetric(us(quantile(lat, 0.50)), "p50-us")
	b.ReportMetric(us(quantile(lat, 0.99)), "p99-us")
	b.ReportMetric(us(cpu)/float64(b.N), "cpu-us/op")
	if secs := end.at.Sub(half.at).Seconds(); secs > 0 {
		b.ReportMetric(float64(end.server-half.server)/secs, "conns/s")
		b.ReportMetric(float64(end.dials-half.dials)/secs, "dials/s")
	}
}

// cpuTime returns the CPU time (user+sys) this process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// runWorkers runs n operations on c goroutines, storing operation i's
// duration in lat[i] when lat is not nil, and returns the first error.
// With bg false every worker passes one cancellable context, as an HTTP
// handler's request context is (database/sql watches such a context with
// a goroutine per transaction and per open Rows); with bg true it passes
// context.Background(). When mid is not nil, the worker that takes
// operation n/2 calls it first.
func runWorkers(c, n int, bg bool, o op, lat []time.Duration, mid func() error) error {
	ctx := context.Background()
	if !bg {
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	fail := func(err error) {
		once.Do(func() { first = err })
		next.Store(int64(n)) // stop the others
	}
	for w := range c {
		r := mrand.New(mrand.NewPCG(uint64(time.Now().UnixNano()), uint64(w)))
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				if mid != nil && i == int64(n/2) {
					if err := mid(); err != nil {
						fail(err)
						return
					}
				}
				start := time.Now()
				if err := o(ctx, r); err != nil {
					fail(err)
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
