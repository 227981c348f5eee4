package faults

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/solarhub/hubdb/dbx"
	"github.com/solarhub/hubdb/gen/ess"
	"github.com/solarhub/hubdb/gen/meter"
)

// pairOffset separates the two rows one storm transaction writes.
const pairOffset = 1_000_000_000

// TestCancellationStorm sends 10,000 requests, 16 at a time, each
// cancelled at a random moment (0-25 ms after it starts): transactions
// writing two rows, read transactions and plain queries. Then it runs
// SELECT SLEEP(5) under a 1 s statement timeout, cancels it after 200 ms
// and watches the server's process list.
//
// Promise: afterwards every pool's InUse is 0, no transaction is
// half-applied (both rows or neither), a write that returned nil is
// stored, the goroutine count is back to its baseline once the manager is
// closed; a request fails only once its own cancel has fired (a cancel
// never breaks a connection someone else gets next); a cancelled query is
// stopped on the server within the statement timeout
// (max_statement_time, set by dbx at connect).
func TestCancellationStorm(t *testing.T) {
	s := startServer(t)
	base := baseline()
	h := openHub(t, s.Addr(), dbx.Pool{
		Size: dbx.Int(4), Overflow: dbx.Int(4), Timeout: 5 * time.Second, StatementTimeout: time.Second,
	})
	led, c := newLedger(), newTally()
	const requests, workers = 10_000, 16
	var wg sync.WaitGroup
	var uncancelled, fired atomic.Int64
	sem := make(chan struct{}, workers)
	for i := range int64(requests) {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			timer := time.AfterFunc(rand.N(25*time.Millisecond), cancel)
			defer func() {
				if !timer.Stop() {
					fired.Add(1)
				}
			}()
			start := time.Now()
			var err error
			switch i % 3 {
			case 0: // two rows in one transaction
				err = h.ess.Write(ctx, func(ctx context.Context, q *ess.Queries) error {
					if err := q.InsertBatteryReading(ctx, essRow(i)); err != nil {
						return err
					}
					return q.InsertBatteryReading(ctx, essRow(i+pairOffset))
				})
				led.record(i, err)
			case 1:
				err = h.read(ctx, i-1)
			default: // a plain query: the connection is held until its rows close
				_, err = h.meter.Queries(ctx).ListMeterReadings(ctx, meter.ListMeterReadingsParams{
					DeviceID: i, AfterTs: rowTs.Add(-time.Hour), ToTs: rowTs.Add(time.Hour), Limit: 10,
				})
			}
			if kind := c.add(start, time.Time{}, err); kind != "ok" && ctx.Err() == nil {
				uncancelled.Add(1) // failed, yet its cancel had not fired
				c.mu.Lock()
				if c.examples["uncancelled"] == "" {
					c.examples["uncancelled"] = err.Error()
				}
				c.mu.Unlock()
			}
		})
	}
	wg.Wait()
	c.logExamples(t)
	if n := c.count("other"); n > 0 {
		t.Errorf("%d requests failed with an unclassified error", n)
	}
	if n := uncancelled.Load(); n > 0 {
		t.Errorf("%d requests failed before their cancel fired", n)
	}

	// Every pool gives every connection back (a plain query's lease ends
	// in a goroutine once its rows are closed, and database/sql counts a
	// connection in use until its checkin returns, a moment after dbx's
	// slot is free: poll both, briefly).
	idle := func() bool {
		for _, st := range h.m.Status() {
			if st.InUse != 0 || st.Stats.InUse != 0 {
				return false
			}
		}
		return true
	}
	if !waitFor(5*time.Second, idle) {
		t.Errorf("InUse after the storm: %v", h.m.Status())
	}
	for _, st := range h.m.Status() {
		if st.InUse != 0 || st.Stats.InUse != 0 {
			t.Errorf("%s: InUse %d (database/sql %d) after the storm", st.DB, st.InUse, st.Stats.InUse)
		}
	}

	// Both rows of a transaction, or neither.
	present := s.present(t)
	half := 0
	pairs := 0
	for k := int64(0); k < requests; k += 3 {
		pairs++
		if present[k] != present[k+pairOffset] {
			half++
			if half <= 5 {
				t.Errorf("transaction %d half-applied: row %d %v, row %d %v", k, k, present[k], k+pairOffset, present[k+pairOffset])
			}
		}
	}
	checked, lost := led.check(t, present)

	// A cancelled long query is stopped on the server.
	stopped, stillRunning := longQuery(t, s, h)

	if n := s.openTransactions(t); n != 0 {
		t.Errorf("%d transactions still open on the server", n)
	}
	_ = h.m.Close()
	after := settleGoroutines(t, base)
	figures("cancellation-storm", c.requests, fired.Load(), c, checked+pairs, lost,
		fmt.Sprintf("half_applied=%d pairs_checked=%d in_use_after=%d goroutines_baseline=%d after_close=%d",
			half, pairs, h.inUse(), base, after),
		fmt.Sprintf("long_query_still_running_after_cancel=%v long_query_gone_after=%v(statement_timeout 1s)",
			stillRunning, stopped.Round(time.Millisecond)))
}

// longQuery runs SELECT SLEEP(5) with a 1 s statement timeout, cancels it
// after 200 ms, and returns how long after its start the server stopped it
// and whether it was still running on the server right after the cancel.
func longQuery(t *testing.T, s *server, h *hub) (time.Duration, bool) {
	t.Helper()
	const marker = "faults-long-query"
	running := func() bool {
		var n int
		err := s.admin.QueryRowContext(context.Background(),
			"SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND INFO LIKE ?",
			"%"+marker+"%").Scan(&n)
		if err != nil {
			t.Fatalf("processlist: %v", err)
		}
		return n > 0
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := time.Now()
	done := make(chan error, 1)
	go func() {
		rows, err := h.raw.Queries(ctx).QueryContext(ctx, "SELECT /* "+marker+" */ SLEEP(5)")
		if err == nil {
			for rows.Next() {
			}
			err = errors.Join(rows.Err(), rows.Close())
		}
		done <- err
	}()
	if !waitFor(5*time.Second, running) {
		t.Fatalf("the long query never showed in the process list")
	}
	time.AfterFunc(time.Until(start.Add(200*time.Millisecond)), cancel)
	var err error
	select {
	case err = <-done:
	case <-time.After(5 * time.Second):
		t.Fatalf("the cancelled query did not return within 5 s")
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled query: %v; want context.Canceled", err)
	}
	stillRunning := running()
	if !waitFor(5*time.Second, func() bool { return !running() }) {
		t.Errorf("the cancelled query still runs on the server 5 s later")
	}
	gone := time.Since(start)
	if gone > time.Second+deadlineTolerance {
		t.Errorf("the cancelled query ran %v on the server; the statement timeout is 1 s", gone)
	}
	return gone, stillRunning
}

// openTransactions counts InnoDB transactions open on the server, polling
// up to 5 s for the ones of closing connections to end.
func (s *server) openTransactions(t *testing.T) int {
	t.Helper()
	var n int
	waitFor(5*time.Second, func() bool {
		err := s.admin.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM information_schema.INNODB_TRX").Scan(&n)
		if err != nil {
			t.Fatalf("INNODB_TRX: %v", err)
		}
		return n == 0
	})
	return n
}
