package faults

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/solarhub/hubdb/dbx"
	"github.com/solarhub/hubdb/gen/audit"
	"github.com/solarhub/hubdb/gen/ess"
)

// boom is the value the transaction functions panic with.
type boom struct{ k int64 }

// TestPanicInTransaction panics inside 300 transactions, 4 at a time: a
// Write after its INSERT, a Read, and a Write on ess nested in a Write on
// audit (both with an INSERT) whose inner function panics. Then it writes
// 150 rows normally.
//
// Promise: each panic is re-raised to the caller with its own value; the
// transaction is rolled back (no row of a panicked transaction is stored,
// no transaction stays open on the server); the connection goes back to
// its pool (InUse 0, and connections are reused, not leaked or
// discarded); the pools serve normally afterwards.
func TestPanicInTransaction(t *testing.T) {
	s := startServer(t)
	// A fixed pool (no overflow connections, which are closed when they
	// come back): every connection opened beyond the first few would be
	// one a panic lost.
	h := openHub(t, s.Addr(), dbx.Pool{Size: dbx.Int(4), Overflow: dbx.Int(0), Timeout: 5 * time.Second})
	led, c := newLedger(), newTally()
	var mu sync.Mutex
	panicked := map[int64]bool{} // keys whose rows must be absent
	var wrongValue, notRaised int
	const n = 300
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i := range int64(n) {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			k := 3 * i // an ess key (k%3 == 0); k+2 is an audit key
			r := catch(func() {
				ctx := context.Background()
				switch i % 3 {
				case 0:
					_ = h.ess.Write(ctx, func(ctx context.Context, q *ess.Queries) error {
						if err := q.InsertBatteryReading(ctx, essRow(k)); err != nil {
							return err
						}
						panic(boom{k})
					})
				case 1:
					_ = h.ess.Read(ctx, func(ctx context.Context, q *ess.Queries) error {
						panic(boom{k})
					})
				default:
					_ = h.audit.Write(ctx, func(ctx context.Context, aq *audit.Queries) error {
						if err := h.write(ctx, k+2); err != nil { // joins this transaction
							return err
						}
						return h.ess.Write(ctx, func(ctx context.Context, q *ess.Queries) error {
							if err := q.InsertBatteryReading(ctx, essRow(k)); err != nil {
								return err
							}
							panic(boom{k})
						})
					})
				}
			})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case r == nil:
				notRaised++
			case r != boom{k}:
				wrongValue++
				t.Errorf("recovered %v, want %v", r, boom{k})
			}
			panicked[k] = true
			if i%3 == 2 {
				panicked[k+2] = true
			}
			c.addKind("panic_reraised")
		})
	}
	wg.Wait()
	if notRaised > 0 {
		t.Errorf("%d panics were not re-raised", notRaised)
	}
	if !waitFor(5*time.Second, func() bool { return h.inUse() == 0 }) {
		t.Errorf("InUse after the panics: %v", h.m.Status())
	}
	if n := s.openTransactions(t); n != 0 {
		t.Errorf("%d transactions still open on the server after the panics", n)
	}
	opened := h.events.get(dbx.EventOpen)
	if maxOpen := int64(len(loadDBs) * 4); opened > maxOpen {
		t.Errorf("%d connections opened for %d panicking transactions: connections are discarded or leaked, not returned", opened, n)
	}

	// The pools serve normally afterwards.
	for i := range int64(150) {
		k := 10_000 + i
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		dl, _ := ctx.Deadline()
		start := time.Now()
		err := h.write(ctx, k)
		cancel()
		led.record(k, err)
		c.add(start, dl, err)
	}
	present := s.present(t)
	stored := 0
	for k := range panicked {
		if present[k] {
			stored++
			if stored <= 5 {
				t.Errorf("row %d of a panicked transaction is stored", k)
			}
		}
	}
	checked, lost := led.check(t, present)
	if n := c.errors() - n; n > 0 {
		t.Errorf("%d writes failed after the panics (%s)", n, c)
	}
	figures("panic", c.requests, n, c, checked+len(panicked), lost,
		fmt.Sprintf("panics_reraised=%d wrong_value=%d rows_of_panicked_tx_stored=%d in_use_after=%d connections_opened=%d open_tx_after=0",
			n-notRaised-wrongValue, wrongValue, stored, h.inUse(), opened))
}

// catch runs fn and returns what it panicked with, or nil.
func catch(fn func()) (r any) {
	defer func() { r = recover() }()
	fn()
	return nil
}
