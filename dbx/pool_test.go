package dbx_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/solarhub/hubdb/dbx"
)

// hold runs n Write transactions that keep their connections until
// release is closed; it returns once all n hold one.
func hold(t *testing.T, d *dbx.DB[dbx.DBTX], n int, release <-chan struct{}) *sync.WaitGroup {
	t.Helper()
	var holding, done sync.WaitGroup
	holding.Add(n)
	done.Add(n)
	for range n {
		go func() {
			defer done.Done()
			err := d.Write(context.Background(), func(ctx context.Context, q dbx.DBTX) error {
				holding.Done()
				<-release
				return nil
			})
			if err != nil {
				t.Errorf("holder: %v", err)
			}
		}()
	}
	holding.Wait()
	return &done
}

func TestPoolTimeout(t *testing.T) {
	t.Parallel()
	const timeout = time.Second
	f := setup(t, dbx.Pool{Size: dbx.Int(2), Overflow: dbx.Int(1), Timeout: timeout})
	release := make(chan struct{})
	done := hold(t, f.d, 3, release)
	defer done.Wait()
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()

	start := time.Now()
	err := f.d.Read(context.Background(), func(ctx context.Context, q dbx.DBTX) error {
		t.Error("the 4th caller got a connection")
		return nil
	})
	waited := time.Since(start)
	if !errors.Is(err, dbx.ErrPoolTimeout) {
		t.Fatalf("err = %v, want ErrPoolTimeout", err)
	}
	if lo, hi := timeout*8/10, timeout*12/10; waited < lo || waited > hi {
		t.Errorf("ErrPoolTimeout after %v, want %v ±20%%", waited, timeout)
	}
	for _, want := range []string{"main", "size 2", "overflow 1", "in use 3", "idle 0", "waiting 1", "timeout 1.00s"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if s := f.d.Status(); s.Timeouts != 1 || s.InUse != 3 {
		t.Errorf("status %+v, want 1 timeout and 3 in use", s)
	}

	// A waiter is served as soon as a holder returns.
	var queued sync.WaitGroup
	queued.Add(1)
	dbx.OnQueue(f.m, "main", func(int) { queued.Done() })
	got := make(chan error, 1)
	go func() {
		got <- f.d.Read(context.Background(), func(ctx context.Context, q dbx.DBTX) error {
			var one int
			return q.QueryRowContext(ctx, "SELECT 1").Scan(&one)
		})
	}()
	queued.Wait()
	close(release)
	if err := <-got; err != nil {
		t.Errorf("after a holder returned: %v", err)
	}
}

func TestGateServesWaitersInOrder(t *testing.T) {
	t.Parallel()
	f := setup(t, dbx.Pool{Size: dbx.Int(1), Overflow: dbx.Int(0), Timeout: 10 * time.Second})
	release := make(chan struct{})
	done := hold(t, f.d, 1, release)
	const n = 5
	queued := make(chan int)
	dbx.OnQueue(f.m, "main", func(waiting int) { queued <- waiting })
	var order []int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := f.d.Write(context.Background(), func(ctx context.Context, q dbx.DBTX) error {
				mu.Lock()
				order = append(order, i)
				mu.Unlock()
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		}()
		if w := <-queued; w != i+1 { // caller i is queued before i+1 starts
			t.Errorf("queue length %d, want %d", w, i+1)
		}
	}
	close(release)
	wg.Wait()
	done.Wait()
	if fmt.Sprint(order) != "[0 1 2 3 4]" {
		t.Errorf("served in order %v, want arrival order", order)
	}
}

func TestPlainCallsPassTheGate(t *testing.T) {
	t.Parallel()
	f := setup(t, dbx.Pool{Size: dbx.Int(1), Overflow: dbx.Int(0), Timeout: 300 * time.Millisecond})
	ctx := context.Background()
	q := f.d.Queries(ctx)
	rows, err := q.QueryContext(ctx, "SELECT k FROM kv ORDER BY k")
	if err != nil {
		t.Fatal(err)
	}
	if s := f.d.Status(); s.InUse != 1 {
		t.Errorf("InUse = %d with rows open, want 1", s.InUse)
	}
	_, err = q.ExecContext(ctx, "UPDATE kv SET v = 1 WHERE k = 1")
	if !errors.Is(err, dbx.ErrPoolTimeout) {
		t.Errorf("Exec while the only connection serves open rows: err = %v, want ErrPoolTimeout", err)
	}
	var one int
	if err := q.QueryRowContext(ctx, "SELECT 1").Scan(&one); !errors.Is(err, dbx.ErrPoolTimeout) {
		t.Errorf("QueryRow while the only connection serves open rows: err = %v, want ErrPoolTimeout", err)
	}
	n := 0
	for rows.Next() {
		n++
	}
	if err := rows.Close(); err != nil || n != 2 {
		t.Fatalf("rows: %d, %v", n, err)
	}
	// The slot goes back as the rows close, not later.
	if s := f.d.Status(); s.InUse != 0 {
		t.Errorf("InUse = %d right after rows.Close, want 0", s.InUse)
	}
	if _, err := q.ExecContext(ctx, "UPDATE kv SET v = 1 WHERE k = 1"); err != nil {
		t.Errorf("Exec after the rows were closed: %v", err)
	}
	// A QueryRow's slot goes back before Scan returns, for a row, for no
	// row and for a failing query.
	for _, query := range []string{"SELECT v FROM kv WHERE k = 1", "SELECT v FROM kv WHERE k = 99", "SELECT nope FROM kv"} {
		var v int
		err := q.QueryRowContext(ctx, query).Scan(&v)
		if s := f.d.Status(); s.InUse != 0 || s.Stats.InUse != 0 {
			t.Errorf("%s (err %v): InUse %d, database/sql InUse %d right after Scan, want 0", query, err, s.InUse, s.Stats.InUse)
		}
	}
}

func TestPrePingReplacesKilledConnection(t *testing.T) {
	t.Parallel()
	srv := server(t)
	schema := newSchema(t, srv)
	var mu sync.Mutex
	var events []dbx.Event
	cfg := oneDB(srv, schema, dbx.Pool{Size: dbx.Int(1), Overflow: dbx.Int(0), PingAfterIdle: time.Nanosecond})
	cfg.OnEvent = func(e dbx.Event) {
		mu.Lock()
		events = append(events, e)
		mu.Unlock()
	}
	m := open(t, cfg)
	d := raw(t, m, "main")
	ctx := context.Background()
	id := idleConnID(t, m, d)
	if _, err := admin(t, srv, "").ExecContext(ctx, fmt.Sprintf("KILL CONNECTION %d", id)); err != nil {
		t.Fatal(err)
	}
	var id2 int64
	err := d.Read(ctx, func(ctx context.Context, q dbx.DBTX) error {
		return q.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&id2)
	})
	if err != nil {
		t.Fatalf("Read after the pooled connection was killed: %v", err)
	}
	if id2 == id {
		t.Errorf("got the killed connection %d back", id)
	}
	if err := m.FlushEvents(ctx); err != nil { // close and invalidation come from a dbx goroutine
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	kinds := map[dbx.EventKind]int{}
	for _, e := range events {
		kinds[e.Kind]++
		if e.DB != "main" {
			t.Errorf("event %v names db %q", e.Kind, e.DB)
		}
	}
	if kinds[dbx.EventInvalidate] != 1 || kinds[dbx.EventOpen] < 2 || kinds[dbx.EventClose] < 1 ||
		kinds[dbx.EventCheckout] != 2 || kinds[dbx.EventCheckin] != 2 {
		t.Errorf("events %v", kinds)
	}
}
