package dbxpage

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/solarhub/hubdb/dbx"
)

// TestBuckets checks that every duration falls in a bucket whose bounds
// hold it, at most a quarter above it.
func TestBuckets(t *testing.T) {
	for _, us := range []uint64{0, 1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 100, 999, 1000, 1 << 20, 1<<20 + 12345, 1 << 36} {
		i := bucketOf(us)
		lo := uint64(0)
		if i > 0 {
			lo = bucketUpper(i - 1)
		}
		hi := bucketUpper(i)
		if us < lo || us >= hi {
			t.Errorf("%d µs in bucket %d [%d, %d)", us, i, lo, hi)
		}
		if us >= sub && float64(hi-lo) > 0.25*float64(lo)+0.5 {
			t.Errorf("bucket %d [%d, %d) is wider than a quarter of its lower bound", i, lo, hi)
		}
	}
	if i := bucketOf(1 << 62); i != numBuckets-1 {
		t.Errorf("a huge duration is in bucket %d, want the last (%d)", i, numBuckets-1)
	}
}

func TestQueryAggregates(t *testing.T) {
	r := NewRecorder(RecorderOptions{QueryNames: 3})
	for i := 1; i <= 100; i++ {
		r.Observe(dbx.Event{Kind: dbx.EventQuery, DB: "ess", Query: "Fast", Held: time.Duration(i) * time.Millisecond})
	}
	r.Observe(dbx.Event{Kind: dbx.EventQuery, DB: "ess", Query: "Slow", Held: 3 * time.Second, Err: errors.New("boom")})
	r.Observe(dbx.Event{Kind: dbx.EventSlowQuery, DB: "ess", Query: "Slow", Held: 3 * time.Second})
	r.Observe(dbx.Event{Kind: dbx.EventQuery, DB: "pv", Held: time.Millisecond})
	r.Observe(dbx.Event{Kind: dbx.EventQuery, DB: "pv", Query: "Beyond", Held: time.Millisecond})
	r.Observe(dbx.Event{Kind: dbx.EventQuery, DB: "pv", Query: "Beyond2", Held: 2 * time.Millisecond})
	got := r.Queries()
	var names []string
	for _, q := range got {
		names = append(names, q.DB+"."+q.Name)
	}
	if want := "ess.Slow ess.Fast pv.(other) pv.(unnamed)"; strings.Join(names, " ") != want {
		t.Fatalf("queries %q, want %q", strings.Join(names, " "), want)
	}
	slow, fast, other := got[0], got[1], got[2]
	if slow.Count != 1 || slow.Errors != 1 || slow.Slow != 1 || slow.Max != 3*time.Second || slow.P99 != 3*time.Second {
		t.Errorf("Slow: %+v", slow)
	}
	if fast.Count != 100 || fast.Max != 100*time.Millisecond || fast.Mean != 50500*time.Microsecond {
		t.Errorf("Fast: %+v", fast)
	}
	// the 99th of 1..100 ms is 99 ms: its bucket's upper bound, within a quarter
	if fast.P99 < 99*time.Millisecond || fast.P99 > 100*time.Millisecond {
		t.Errorf("Fast p99 %v, want in [99ms, 100ms]", fast.P99)
	}
	if other.Count != 2 || other.Max != 2*time.Millisecond {
		t.Errorf("(other): %+v", other)
	}
}

func TestWarningRing(t *testing.T) {
	r := NewRecorder(RecorderOptions{Warnings: 3})
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := range 5 {
		r.Observe(dbx.Event{Kind: dbx.EventLeak, DB: fmt.Sprint("db", i), Time: t0.Add(time.Duration(i) * time.Second),
			Site: "app/x.go:1", Held: time.Minute})
	}
	r.Observe(dbx.Event{Kind: dbx.EventCheckout, DB: "ignored"})
	r.Observe(dbx.Event{Kind: dbx.EventPoolTimeout, DB: "ess", Wait: time.Second,
		Err: errors.New("dbx: pool timeout, via app:s3cret@tcp(db1:3306)/ess")})
	ws := r.Warnings()
	var dbs []string
	for _, w := range ws {
		dbs = append(dbs, w.DB)
	}
	if strings.Join(dbs, " ") != "ess db4 db3" {
		t.Errorf("warnings of %v, want the newest three, newest first", dbs)
	}
	if ws[0].Duration != time.Second || ws[1].Duration != time.Minute || ws[1].Site != "app/x.go:1" {
		t.Errorf("warnings %+v", ws[:2])
	}
	if m := ws[0].Message; strings.Contains(m, "s3cret") || strings.Contains(m, "app:") || !strings.Contains(m, "***@tcp(db1:3306)") {
		t.Errorf("message %q: credentials not masked", m)
	}
	tot := r.WarningTotals()
	if tot["leak"] != 5 || tot["pool timeout"] != 1 || tot["slow query"] != 0 {
		t.Errorf("totals %v", tot)
	}
}

// TestObserveAllocates nothing for a known query name: it runs on the
// goroutine of every statement.
func TestObserveAllocates(t *testing.T) {
	r := NewRecorder(RecorderOptions{})
	ev := dbx.Event{Kind: dbx.EventQuery, DB: "ess", Query: "GetLatestBatteryReading", Held: time.Millisecond}
	r.Observe(ev)
	if n := testing.AllocsPerRun(1000, func() { r.Observe(ev) }); n != 0 {
		t.Errorf("Observe allocates %v times per query event, want 0", n)
	}
}

func BenchmarkObserveQuery(b *testing.B) {
	r := NewRecorder(RecorderOptions{})
	ev := dbx.Event{Kind: dbx.EventQuery, DB: "ess", Query: "GetLatestBatteryReading", Held: time.Millisecond}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r.Observe(ev)
		}
	})
}
