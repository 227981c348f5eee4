package clustertest

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/solarhub/hubdb/dbx"
	"github.com/solarhub/hubdb/internal/cluster"
)

// BenchmarkCausal measures what read-your-writes and the replica health
// poller cost, on the shared replica set (one primary, two replicas):
//
//   - read-after-write/plain and read-after-write/token: one op is a Write
//     (an UPDATE on the primary) then a Read of the row on a replica,
//     without a token and with a fresh token from the Write. The
//     difference in ns/op is the extra latency of a causal read;
//     read-p50-us and read-p99-us are the Read's own latency, wait-p50-us
//     and wait-p99-us the causal wait (MASTER_GTID_WAIT, 0 for a read
//     served by a replica known to have the write) per read; stale/op the
//     reads that missed their write; known/op, waits/op and fallbacks/op
//     how the causal reads were served. Default settings (ReplicaPoll 1 s,
//     CausalWait 50 ms).
//   - point-read/poll=1s, poll=50ms and no-replicas: point reads (a Read of
//     one row by primary key) from 8 goroutines, on the replicas polled
//     every 1 s or 50 ms, or on the primary alone (no replicas configured,
//     no poller); reads/s is their throughput. polls/s is how often the
//     poller polled replica1 and poll-queries/s the statements it sent it
//     (replica1's Questions before and after an idle stretch of a few
//     polls, less the two reads of Questions themselves).
//
// Run it with HUBDB_TEST_CLUSTER=1 go test -run '^$' -bench '^BenchmarkCausal$' -benchtime 2000x ./clustertest/.
func BenchmarkCausal(b *testing.B) {
	rs := sharedReplicaSet(b)
	const name = "ct_bench"
	replicaDB(b, rs, name, 64)

	for _, withToken := range []bool{false, true} {
		sub := "read-after-write/plain"
		if withToken {
			sub = "read-after-write/token"
		}
		b.Run(sub, func(b *testing.B) {
			m, d := openReplicaManager(b, rs, name, dbx.Pool{}, waitTracer{})
			defer m.Close()
			benchPairs(b, m, d, name, withToken)
		})
	}
	for _, c := range []struct {
		name     string
		poll     time.Duration
		replicas bool
	}{{"poll=1s", time.Second, true}, {"poll=50ms", 50 * time.Millisecond, true}, {"no-replicas", 0, false}} {
		b.Run("point-read/"+c.name, func(b *testing.B) {
			var m *dbx.Manager
			var d *dbx.DB[dbx.DBTX]
			if c.replicas {
				m, d = openReplicaManager(b, rs, name, dbx.Pool{ReplicaPoll: c.poll}, nil)
			} else {
				m, d = openManager(b, dbx.Config{Logger: slog.New(slog.DiscardHandler), DBs: []dbx.DBConfig{{
					Name: name, Server: rs.Primary().Config(),
				}}}, name)
			}
			defer m.Close()
			benchPointReads(b, d)
			if b.N > 1 { // the real run, not testing's first N=1 probe
				pollCost(b, m, name, rs.Replicas()[0], c.replicas, c.poll)
			}
		})
	}
}

// benchPairs runs b.N write-then-read pairs on row 1.
func benchPairs(b *testing.B, m *dbx.Manager, d *dbx.DB[dbx.DBTX], name string, withToken bool) {
	var reads, waits durations
	var stale int
	before := replication(b, m, name)
	base := time.Now().UnixNano() // values no earlier run wrote
	b.ResetTimer()
	for i := range b.N {
		ctx := context.Background()
		if withToken {
			ctx = dbx.WithToken(ctx, dbx.NewToken())
		}
		want := base + int64(i)
		if err := d.Write(ctx, func(ctx context.Context, q dbx.DBTX) error {
			_, err := q.ExecContext(ctx, "UPDATE kv SET v = ? WHERE k = 1", want)
			return err
		}); err != nil {
			b.Fatal(err)
		}
		rctx, rw := withReadWait(ctx)
		var got int64
		start := time.Now()
		if err := d.Read(rctx, func(ctx context.Context, q dbx.DBTX) error {
			return q.QueryRowContext(ctx, "SELECT v FROM kv WHERE k = 1").Scan(&got)
		}); err != nil {
			b.Fatal(err)
		}
		reads.add(time.Since(start))
		waits.add(time.Duration(rw.nanos.Load()))
		if got != want {
			stale++
		}
	}
	b.StopTimer()
	after := replication(b, m, name)
	n := float64(b.N)
	us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
	b.ReportMetric(us(reads.quantile(0.5)), "read-p50-us")
	b.ReportMetric(us(reads.quantile(0.99)), "read-p99-us")
	b.ReportMetric(float64(stale)/n, "stale/op")
	if withToken {
		b.ReportMetric(us(waits.quantile(0.5)), "wait-p50-us")
		b.ReportMetric(us(waits.quantile(0.99)), "wait-p99-us")
		b.ReportMetric(float64(after.CausalKnown-before.CausalKnown)/n, "known/op")
		b.ReportMetric(float64(after.CausalWaits-before.CausalWaits)/n, "waits/op")
		b.ReportMetric(float64(after.CausalFallbacks-before.CausalFallbacks)/n, "fallbacks/op")
		if stale != 0 {
			b.Errorf("%d of %d reads with a token were stale", stale, b.N)
		}
	}
}

// benchPointReads runs b.N point reads from 8 goroutines.
func benchPointReads(b *testing.B, d *dbx.DB[dbx.DBTX]) {
	var k atomic.Int64
	b.SetParallelism(4) // 4 per GOMAXPROCS: 8 on 2 cores
	start := time.Now()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			key := 1 + k.Add(1)%64
			var v int64
			if err := d.Read(context.Background(), func(ctx context.Context, q dbx.DBTX) error {
				return q.QueryRowContext(ctx, "SELECT v FROM kv WHERE k = ?", key).Scan(&v)
			}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "reads/s")
}

// pollCost reports how often the poller polls replica r, idle, and how
// many statements a second it sends it: r's Questions over a stretch of
// polls (4 at 1 s, 40 at 50 ms), waited for by watching the status's
// Polled time change. Without replicas there is no poller: 0.
func pollCost(b *testing.B, m *dbx.Manager, name string, r *cluster.Node, replicas bool, every time.Duration) {
	if !replicas {
		b.ReportMetric(0, "polls/s")
		b.ReportMetric(0, "poll-queries/s")
		return
	}
	ctx := context.Background()
	questions := func() int64 {
		st, err := r.Status(ctx, "Questions")
		if err != nil {
			b.Fatal(err)
		}
		n, _ := strconv.ParseInt(st["questions"], 10, 64)
		return n
	}
	polled := func() time.Time {
		return replication(b, m, name).Replicas[0].Polled
	}
	want := 4
	if every < time.Second {
		want = 40
	}
	last := polled()
	q0, t0 := questions(), time.Now()
	polls := 0
	waitFor(b, fmt.Sprintf("%d polls", want), time.Minute, func() (bool, string) {
		if p := polled(); !p.Equal(last) {
			polls++
			last = p
		}
		return polls >= want, fmt.Sprintf("%d polls", polls)
	})
	q1, elapsed := questions(), time.Since(t0)
	b.ReportMetric(float64(polls)/elapsed.Seconds(), "polls/s")
	b.ReportMetric(float64(q1-q0-2)/elapsed.Seconds(), "poll-queries/s")
}
