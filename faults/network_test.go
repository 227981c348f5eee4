package faults

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/solarhub/hubdb/dbx"
	"github.com/solarhub/hubdb/gen/ess"
)

// TestNetworkFaults puts an in-process toxiproxy between dbx and the
// server and injects, one after the other: 800 ms of latency (calls have a
// 300 ms deadline); a reset (reset_peer) upstream in the middle of a
// transaction; resets upstream and downstream while COMMIT is in flight; a
// black hole (timeout toxic, both ways) for queries, new connections and
// a COMMIT.
//
// Promise: deadlines fire (no call runs past its ctx deadline by more
// than the tolerance) and nothing hangs; a connection lost before COMMIT
// was sent is retried (opt-in dbx.Retry) and its rows stored once; a
// connection lost while COMMIT was in flight yields
// dbx.ErrCommitUnknown and is never retried, whatever the outcome; the
// pools serve again once the toxic is gone; after Close, no goroutine is
// left behind.
func TestNetworkFaults(t *testing.T) {
	s := startServer(t)
	base := baseline()
	tp := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.New(io.Discard))
	proxy := toxiproxy.NewProxy(tp, "mariadb", "127.0.0.1:0", s.Addr())
	if err := proxy.Start(); err != nil {
		t.Fatalf("start proxy: %v", err)
	}
	proxyStopped := false
	defer func() {
		if !proxyStopped {
			proxy.Stop()
		}
	}()
	h := openHub(t, proxy.Listen, dbx.Pool{
		Size: dbx.Int(2), Overflow: dbx.Int(2), Timeout: 2 * time.Second, ConnectTimeout: time.Second,
		ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second,
	})
	led, c := newLedger(), newTally()
	var faults int64
	var notes []string
	var keys atomic.Int64

	addToxic := func(name, typ, stream string, attrs string) {
		t.Helper()
		js := fmt.Sprintf(`{"name":%q,"type":%q,"stream":%q,"attributes":%s}`, name, typ, stream, attrs)
		if _, err := proxy.Toxics.AddToxicJson(strings.NewReader(js)); err != nil {
			t.Fatalf("add toxic %s: %v", name, err)
		}
		faults++
	}
	removeToxic := func(name string) {
		t.Helper()
		if err := proxy.Toxics.RemoveToxic(context.Background(), name); err != nil {
			t.Fatalf("remove toxic %s: %v", name, err)
		}
	}
	// call runs one write (odd i) or read under a deadline, and fails the
	// test if it has not returned 5 s after its deadline: a hang.
	call := func(i int, timeout time.Duration, opts ...dbx.TxOption) string {
		k := keys.Add(1)
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		dl, _ := ctx.Deadline()
		start := time.Now()
		done := make(chan error, 1)
		go func() {
			if i%2 == 1 {
				err := h.write(ctx, k, opts...)
				led.record(k, err)
				done <- err
				return
			}
			done <- h.read(ctx, k, opts...)
		}()
		select {
		case err := <-done:
			return c.add(start, dl, err)
		case <-time.After(timeout + 5*time.Second):
			t.Errorf("a call hung: no answer %v after its deadline", 5*time.Second)
			return "hung"
		}
	}
	recover := func(what string) {
		t.Helper()
		took, ok := h.probeAll(t, 10*time.Second)
		if !ok {
			t.Fatalf("%s: pools did not serve within 10 s of removing the toxic", what)
		}
		notes = append(notes, fmt.Sprintf("%s_recovery=%v", what, took.Round(time.Millisecond)))
	}
	concurrent := func(n int, timeout time.Duration) map[string]int {
		var mu sync.Mutex
		kinds := map[string]int{}
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				kind := call(i, timeout)
				mu.Lock()
				kinds[kind]++
				mu.Unlock()
			})
		}
		wg.Wait()
		return kinds
	}
	expectOnly := func(what string, kinds map[string]int, allowed ...string) {
		t.Helper()
		for k, n := range kinds {
			if !contains(allowed, k) {
				t.Errorf("%s: %d calls ended %s; want only %v", what, n, k, allowed)
			}
		}
	}

	// 1. Latency beyond the deadline.
	addToxic("latency", "latency", "downstream", `{"latency":800}`)
	kinds := concurrent(12, 300*time.Millisecond)
	expectOnly("latency", kinds, "deadline")
	removeToxic("latency")
	recover("latency")

	// 2. Reset upstream in the middle of a transaction: the connection is
	// lost before COMMIT was sent, so dbx.Retry runs the function again.
	k := keys.Add(1)
	attempts := 0
	retriesBefore := h.events.get(dbx.EventRetry)
	err := h.ess.Write(context.Background(), func(ctx context.Context, q *ess.Queries) error {
		attempts++
		if err := q.InsertBatteryReading(ctx, essRow(k)); err != nil {
			return err
		}
		if attempts == 1 {
			addToxic("reset-mid", "reset_peer", "upstream", `{"timeout":0}`)
			defer removeToxic("reset-mid")
		}
		return q.InsertBatteryReading(ctx, essRow(k+1_000_000))
	}, dbx.Retry(3))
	led.record(k, err)
	c.add(time.Now(), time.Time{}, err)
	if err != nil || attempts != 2 || h.events.get(dbx.EventRetry)-retriesBefore != 1 {
		t.Errorf("reset mid-transaction: err %v after %d attempts; want nil after 2 (one retry)", err, attempts)
	}
	notes = append(notes, fmt.Sprintf("reset_mid_tx_attempts=%d", attempts))

	// 3 and 4. Reset while COMMIT is in flight, upstream (COMMIT never
	// reaches the server) and downstream (the server commits, the answer
	// is lost): both are ErrCommitUnknown and neither is retried.
	for _, stream := range []string{"upstream", "downstream"} {
		k := keys.Add(1)
		attempts := 0
		retriesBefore := h.events.get(dbx.EventRetry)
		err := h.ess.Write(context.Background(), func(ctx context.Context, q *ess.Queries) error {
			attempts++
			if err := q.InsertBatteryReading(ctx, essRow(k)); err != nil {
				return err
			}
			addToxic("reset-commit", "reset_peer", stream, `{"timeout":0}`)
			return nil
		}, dbx.Retry(3))
		removeToxic("reset-commit")
		led.record(k, err)
		kind := c.add(time.Now(), time.Time{}, err)
		if kind != "commit_unknown" || attempts != 1 || h.events.get(dbx.EventRetry) != retriesBefore {
			t.Errorf("reset %s during COMMIT: %s (%v) after %d attempts; want commit_unknown after 1", stream, kind, err, attempts)
		}
		committed := s.present(t)[k]
		notes = append(notes, fmt.Sprintf("reset_commit_%s=%s/committed=%v", stream, kind, committed))
		recover("reset_commit_" + stream)
	}

	// 5. Black hole: nothing comes back, nothing is closed.
	addToxic("hole-down", "timeout", "downstream", `{"timeout":0}`)
	addToxic("hole-up", "timeout", "upstream", `{"timeout":0}`)
	faults-- // one black hole, two toxics
	kinds = concurrent(8, 400*time.Millisecond)
	expectOnly("black hole", kinds, "deadline")
	removeToxic("hole-down")
	removeToxic("hole-up")
	recover("blackhole")

	// 6. Black hole while COMMIT is in flight: the caller's deadline
	// must still fire.
	k = keys.Add(1)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	dl, _ := ctx.Deadline()
	start := time.Now()
	done := make(chan error, 1)
	go func() {
		done <- h.ess.Write(ctx, func(ctx context.Context, q *ess.Queries) error {
			if err := q.InsertBatteryReading(ctx, essRow(k)); err != nil {
				return err
			}
			addToxic("hole-commit", "timeout", "downstream", `{"timeout":0}`)
			return nil
		})
	}()
	select {
	case err = <-done:
	case <-time.After(20 * time.Second):
		t.Fatalf("COMMIT into a black hole hung for 20 s")
	}
	cancel()
	removeToxic("hole-commit")
	led.record(k, err)
	kind := c.add(start, dl, err)
	took := time.Since(start)
	notes = append(notes, fmt.Sprintf("blackhole_commit=%s/committed=%v/after=%v(deadline 1s)", kind, s.present(t)[k], took.Round(time.Millisecond)))
	if kind != "commit_unknown" {
		t.Errorf("COMMIT into a black hole: %s (%v); want commit_unknown", kind, err)
	}
	recover("blackhole_commit")

	if c.overdue > 0 {
		t.Errorf("%d calls ran past their deadline by more than %v (max %v)", c.overdue, deadlineTolerance, c.maxOver)
	}
	c.logExamples(t)
	checked, lost := led.check(t, s.present(t))
	if n := h.inUse(); n != 0 {
		t.Errorf("InUse %d after the faults", n)
	}
	_ = h.m.Close()
	proxy.Stop()
	proxyStopped = true
	after := settleGoroutines(t, base)
	figures("network", c.requests, faults, c, checked, lost,
		append(notes, fmt.Sprintf("max_over_deadline=%v goroutines_baseline=%d after_close=%d",
			c.maxOver.Round(time.Millisecond), base, after))...)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
