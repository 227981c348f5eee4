package dbx_test

import (
	"context"
	"database/sql/driver"
	"errors"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/solarhub/hubdb/dbx"
)

// eventually polls cond until it holds or 30 s pass (a bound for a
// broken test, not a timing assertion).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not reached within 30 s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestPreparedStatementHoldsItsConnection: a statement prepared on the
// pool holds a gate slot until it is closed: Status shows it, WaitIdle
// waits for it, and the next caller gets ErrPoolTimeout after
// Pool.Timeout instead of waiting inside database/sql.
func TestPreparedStatementHoldsItsConnection(t *testing.T) {
	t.Parallel()
	f := setup(t, dbx.Pool{Size: dbx.Int(1), Overflow: dbx.Int(0), Timeout: 200 * time.Millisecond})
	ctx := context.Background()
	q := f.d.Queries(ctx)
	stmt, err := q.PrepareContext(ctx, "SELECT k FROM kv ORDER BY k")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := stmt.QueryContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s := f.d.Status(); s.InUse != 1 {
		t.Errorf("in use %d while a prepared statement's rows are open, want 1", s.InUse)
	}
	wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var v int
	if err := q.QueryRowContext(wctx, "SELECT 1").Scan(&v); !errors.Is(err, dbx.ErrPoolTimeout) {
		t.Errorf("second caller: %v, want ErrPoolTimeout (Pool.Timeout 200ms < ctx 2s)", err)
	}
	short, cancel2 := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel2()
	if err := f.m.WaitIdle(short); err == nil {
		t.Error("WaitIdle returned while a prepared statement holds the connection")
	}
	n := 0
	for rows.Next() {
		n++
	}
	if err := rows.Err(); err != nil || n != 2 {
		t.Errorf("rows: %d, %v", n, err)
	}
	_ = rows.Close()
	// the statement still runs on its connection until closed
	if err := stmt.QueryRowContext(ctx).Scan(&v); err != nil {
		t.Errorf("second execution: %v", err)
	}
	if err := stmt.Close(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "slot back after Stmt.Close", func() bool { return f.d.Status().InUse == 0 })
	if err := q.QueryRowContext(ctx, "SELECT 1").Scan(&v); err != nil {
		t.Errorf("after Close: %v", err)
	}
}

// TestNoIdleWarningWhileRowsStream: a query inside a transaction runs
// until its rows are closed; reading them slowly is not idleness.
func TestNoIdleWarningWhileRowsStream(t *testing.T) {
	t.Parallel()
	p := small()
	p.IdleInTxThreshold = 50 * time.Millisecond
	srv := server(t)
	cfg := oneDB(srv, newSchema(t, srv), p)
	var idle atomic.Int64
	cfg.OnEvent = func(e dbx.Event) {
		if e.Kind == dbx.EventIdleInTx {
			idle.Add(1)
		}
	}
	d := raw(t, open(t, cfg), "main")
	err := d.Read(context.Background(), func(ctx context.Context, q dbx.DBTX) error {
		rows, err := q.QueryContext(ctx, "SELECT seq FROM seq_1_to_4")
		if err != nil {
			return err
		}
		for rows.Next() {
			time.Sleep(4 * p.IdleInTxThreshold) // the workload: a slow consumer of the rows
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if n := idle.Load(); n != 0 {
			t.Errorf("%d idle-in-transaction warnings while rows were open", n)
		}
		// now the transaction does sit idle
		eventually(t, "idle warning after the rows closed", func() bool { return idle.Load() > 0 })
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestNegativeRetryBackoff does not panic: a zero or negative maximum
// means no wait.
func TestNegativeRetryBackoff(t *testing.T) {
	t.Parallel()
	f := setup(t, small())
	errs, calls := deadlock(t, f.d, dbx.Retry(3), dbx.RetryBackoff(-time.Millisecond, -time.Second))
	if errs[0] != nil || errs[1] != nil || calls[0]+calls[1] != 3 {
		t.Errorf("errors %v, calls %v; want both to commit after one retry", errs, calls)
	}
}

// TestRetryOnlyForItsOwnTransaction: a lost server reported by another
// database's call inside fn does not make dbx run fn again (that call may
// have been applied).
func TestRetryOnlyForItsOwnTransaction(t *testing.T) {
	t.Parallel()
	srv := server(t)
	refusing := srv.Clone()
	var refuse atomic.Bool
	refusing.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if refuse.Load() {
			return nil, &net.OpError{Op: "dial", Net: network, Err: syscall.ECONNREFUSED}
		}
		var nd net.Dialer
		return nd.DialContext(ctx, network, addr)
	}
	p := small()
	p.Size, p.Overflow = dbx.Int(0), dbx.Int(1) // no idle connection: every call dials
	p.OverflowIdleTime = -1
	cfg := dbx.Config{DBs: []dbx.DBConfig{
		{Name: "main", Schema: newSchema(t, srv), Server: srv, Pool: small()},
		{Name: "other", Schema: newSchema(t, srv), Server: refusing, Pool: p},
	}}
	m := open(t, cfg)
	main, other := raw(t, m, "main"), raw(t, m, "other")
	refuse.Store(true)
	calls := 0
	err := main.Write(context.Background(), func(ctx context.Context, q dbx.DBTX) error {
		calls++
		_, err := other.Queries(ctx).ExecContext(ctx, "UPDATE kv SET v = v + 1 WHERE k = 1")
		return err
	}, dbx.Retry(3), dbx.RetryBackoff(time.Millisecond, time.Millisecond))
	if !errors.Is(err, dbx.ErrServerGone) || !strings.Contains(err.Error(), "other") {
		t.Fatalf("err = %v, want the other database's ErrServerGone", err)
	}
	if calls != 1 {
		t.Errorf("fn ran %d times, want 1: the failure was not this transaction's", calls)
	}
}

// panicValuer panics when database/sql (or dbx) asks for its value.
type panicValuer struct{}

func (panicValuer) Value() (driver.Value, error) { panic("valuer exploded") }

// TestPanickingValuerLeaksNothing: a driver.Valuer that panics in a plain
// query or inside a transaction leaves no gate slot, connection or lock
// held.
func TestPanickingValuerLeaksNothing(t *testing.T) {
	t.Parallel()
	f := setup(t, dbx.Pool{Size: dbx.Int(1), Overflow: dbx.Int(0), Timeout: 2 * time.Second})
	ctx := context.Background()
	mustPanic := func(what string, fn func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s: no panic", what)
			}
		}()
		fn()
	}
	var v int
	mustPanic("plain QueryRow", func() {
		_ = f.d.Queries(ctx).QueryRowContext(ctx, "SELECT v FROM kv WHERE k = ?", panicValuer{}).Scan(&v)
	})
	mustPanic("Write", func() {
		_ = f.d.Write(ctx, func(ctx context.Context, q dbx.DBTX) error {
			_, err := q.ExecContext(ctx, "UPDATE kv SET v = ? WHERE k = 1", panicValuer{})
			return err
		})
	})
	if s := f.d.Status(); s.InUse != 0 || s.Stats.InUse != 0 {
		t.Errorf("after the panics: in use %d (database/sql %d), want 0", s.InUse, s.Stats.InUse)
	}
	if err := f.d.Queries(ctx).QueryRowContext(ctx, "SELECT v FROM kv WHERE k = 1").Scan(&v); err != nil {
		t.Errorf("the only connection is not usable after the panics: %v", err)
	}
}

// TestCallsRacingCloseMatchErrClosed: every call made while Close runs
// either succeeds or fails with ErrClosed (round after round, callers
// contending for one connection, Close once some calls have finished).
func TestCallsRacingCloseMatchErrClosed(t *testing.T) {
	t.Parallel()
	srv := server(t)
	schema := newSchema(t, srv)
	for round := 0; round < 20 && !t.Failed(); round++ {
		raceClose(t, srv, schema)
	}
}

func raceClose(t *testing.T, srv *mysql.Config, schema string) {
	m, err := dbx.Open(context.Background(), oneDB(srv, schema, dbx.Pool{Size: dbx.Int(1), Overflow: dbx.Int(0), Timeout: 5 * time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	d := raw(t, m, "main")
	ctx := context.Background()
	const callers, calls = 16, 50
	var wg sync.WaitGroup
	var done atomic.Int64
	errs := make(chan error, callers*calls)
	for i := range callers {
		wg.Go(func() {
			for range calls {
				var err error
				if i%2 == 0 {
					var v int
					err = d.Queries(ctx).QueryRowContext(ctx, "SELECT v FROM kv WHERE k = 1").Scan(&v)
				} else {
					err = d.Read(ctx, func(ctx context.Context, q dbx.DBTX) error {
						_, err := q.ExecContext(ctx, "SELECT 1")
						return err
					})
				}
				done.Add(1)
				if err != nil {
					errs <- err
				}
			}
		})
	}
	eventually(t, "20 calls done", func() bool { return done.Load() >= 20 })
	if err := m.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if !errors.Is(err, dbx.ErrClosed) {
			t.Errorf("call racing Close: %v, want ErrClosed", err)
		}
	}
}

// TestSlowHookDoesNotStallCheckin: a hook that blocks on a connection's
// close event does not hold the caller whose checkin closes it.
func TestSlowHookDoesNotStallCheckin(t *testing.T) {
	t.Parallel()
	srv := server(t)
	release := make(chan struct{})
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	var blocking atomic.Bool
	cfg := oneDB(srv, newSchema(t, srv), dbx.Pool{Size: dbx.Int(1), Overflow: dbx.Int(1), Timeout: 5 * time.Second})
	cfg.OnEvent = func(e dbx.Event) {
		if e.Kind == dbx.EventClose && blocking.Load() {
			<-release
		}
	}
	m := open(t, cfg)
	t.Cleanup(unblock) // before open's cleanup, which waits for the events
	d := raw(t, m, "main")
	ctx := context.Background()
	held := make(chan struct{})
	done := make(chan error, 1)
	go func() { // holds the first connection
		done <- d.Read(ctx, func(ctx context.Context, q dbx.DBTX) error {
			held <- struct{}{}
			<-held
			return nil
		})
	}()
	<-held
	rows, err := d.Queries(ctx).QueryContext(ctx, "SELECT 1") // opens the overflow connection
	if err != nil {
		t.Fatal(err)
	}
	held <- struct{}{}
	if err := <-done; err != nil { // the first connection is idle now: the pool is full
		t.Fatal(err)
	}
	blocking.Store(true)
	closed := make(chan error, 1)
	go func() { closed <- rows.Close() }() // checkin of the overflow connection closes it
	select {
	case err := <-closed:
		if err != nil {
			t.Error(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Rows.Close is stalled by the event hook")
	}
	unblock()
}

// TestPoolTimeoutWarningsAreRateLimited: every pool timeout is an event,
// but the log gets at most one warning per PoolTimeoutLogInterval.
func TestPoolTimeoutWarningsAreRateLimited(t *testing.T) {
	t.Parallel()
	var logs logBuffer
	srv := server(t)
	cfg := oneDB(srv, newSchema(t, srv), dbx.Pool{Size: dbx.Int(1), Overflow: dbx.Int(0), Timeout: time.Millisecond})
	cfg.Logger = logs.logger()
	var events atomic.Int64
	cfg.OnEvent = func(e dbx.Event) {
		if e.Kind == dbx.EventPoolTimeout {
			events.Add(1)
		}
	}
	d := raw(t, open(t, cfg), "main")
	ctx := context.Background()
	const calls = 30
	start := time.Now()
	err := d.Read(ctx, func(context.Context, dbx.DBTX) error { // hold the only connection
		for range calls {
			var v int
			if err := d.Queries(ctx).QueryRowContext(ctx, "SELECT 1").Scan(&v); !errors.Is(err, dbx.ErrPoolTimeout) {
				t.Errorf("err = %v, want ErrPoolTimeout", err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	if n := events.Load(); n != calls {
		t.Errorf("%d pool timeout events, want %d", n, calls)
	}
	lines := strings.Count(logs.String(), "msg=\"dbx: pool timeout\"")
	if most := 1 + int(elapsed/dbx.PoolTimeoutLogInterval); lines < 1 || lines > most {
		t.Errorf("%d pool timeout warnings in %v, want 1 to %d", lines, elapsed, most)
	}
}
