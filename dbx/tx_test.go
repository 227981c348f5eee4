package dbx_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/solarhub/hubdb/dbx"
)

type fixture struct {
	m     *dbx.Manager
	d     *dbx.DB[dbx.DBTX]
	admin *sql.DB
}

func setup(t *testing.T, p dbx.Pool) fixture {
	t.Helper()
	srv := server(t)
	schema := newSchema(t, srv)
	m := open(t, oneDB(srv, schema, p))
	return fixture{m: m, d: raw(t, m, "main"), admin: admin(t, srv, schema)}
}

func TestReadOnlyRejectsWrites(t *testing.T) {
	t.Parallel()
	f := setup(t, small())
	err := f.d.Read(context.Background(), func(ctx context.Context, q dbx.DBTX) error {
		_, err := q.ExecContext(ctx, "UPDATE kv SET v = 1 WHERE k = 1")
		return err
	})
	if !errors.Is(err, dbx.ErrReadOnly) {
		t.Fatalf("err = %v, want ErrReadOnly", err)
	}
	var me *mysql.MySQLError
	if !errors.As(err, &me) || me.Number != 1792 {
		t.Errorf("err = %v, want a *mysql.MySQLError 1792 inside", err)
	}
	if !strings.Contains(err.Error(), "main") {
		t.Errorf("error %q does not name the database", err)
	}
	if v := value(t, f.admin, 1); v != 0 {
		t.Errorf("v = %d after a rejected write", v)
	}
}

func TestWriteCommits(t *testing.T) {
	t.Parallel()
	f := setup(t, small())
	ctx := context.Background()
	err := f.d.Write(ctx, func(ctx context.Context, q dbx.DBTX) error {
		_, err := q.ExecContext(ctx, "UPDATE kv SET v = ? WHERE k = 1", 7)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if v := value(t, f.admin, 1); v != 7 {
		t.Errorf("v = %d, want 7 committed", v)
	}
	var got int
	err = f.d.Read(ctx, func(ctx context.Context, q dbx.DBTX) error {
		return q.QueryRowContext(ctx, "SELECT v FROM kv WHERE k = ?", 1).Scan(&got)
	})
	if err != nil || got != 7 {
		t.Errorf("Read: v = %d, err = %v; want 7", got, err)
	}
}

func TestWriteRollsBackOnError(t *testing.T) {
	t.Parallel()
	f := setup(t, small())
	errBoom := errors.New("boom")
	err := f.d.Write(context.Background(), func(ctx context.Context, q dbx.DBTX) error {
		if _, err := q.ExecContext(ctx, "UPDATE kv SET v = 9 WHERE k = 1"); err != nil {
			return err
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("err = %v, want errBoom", err)
	}
	if v := value(t, f.admin, 1); v != 0 {
		t.Errorf("v = %d, want 0 (rolled back)", v)
	}
}

func TestWriteRollsBackOnPanic(t *testing.T) {
	t.Parallel()
	f := setup(t, small())
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Errorf("recovered %v, want the original panic value", r)
			}
		}()
		_ = f.d.Write(context.Background(), func(ctx context.Context, q dbx.DBTX) error {
			if _, err := q.ExecContext(ctx, "UPDATE kv SET v = 9 WHERE k = 1"); err != nil {
				return err
			}
			panic("boom")
		})
		t.Error("Write returned instead of re-panicking")
	}()
	if v := value(t, f.admin, 1); v != 0 {
		t.Errorf("v = %d, want 0 (rolled back)", v)
	}
}

func TestWriteRollsBackOnContextCancel(t *testing.T) {
	t.Parallel()
	f := setup(t, small())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	updated := make(chan struct{})
	go func() {
		<-updated
		cancel()
	}()
	start := time.Now()
	err := f.d.Write(ctx, func(ctx context.Context, q dbx.DBTX) error {
		if _, err := q.ExecContext(ctx, "UPDATE kv SET v = 9 WHERE k = 1"); err != nil {
			return err
		}
		close(updated)
		var x int
		return q.QueryRowContext(ctx, "SELECT SLEEP(5)").Scan(&x)
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("Write took %v: the cancel did not stop it", d)
	}
	if v := value(t, f.admin, 1); v != 0 {
		t.Errorf("v = %d, want 0 (rolled back)", v)
	}
}

func TestWriteCommitAfterContextEndFails(t *testing.T) {
	t.Parallel()
	f := setup(t, small())
	ctx, cancel := context.WithCancel(context.Background())
	err := f.d.Write(ctx, func(ctx context.Context, q dbx.DBTX) error {
		_, err := q.ExecContext(ctx, "UPDATE kv SET v = 9 WHERE k = 1")
		cancel() // fn returns nil, but its context has ended
		return err
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if errors.Is(err, dbx.ErrCommitUnknown) {
		t.Errorf("err = %v: COMMIT was never sent, the outcome is known", err)
	}
	if v := value(t, f.admin, 1); v != 0 {
		t.Errorf("v = %d, want 0 (rolled back)", v)
	}
}

func TestNestedCallsJoin(t *testing.T) {
	t.Parallel()
	f := setup(t, small())
	errLater := errors.New("fail after the nested calls")
	connID := func(ctx context.Context, q dbx.DBTX) (id int64) {
		if err := q.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&id); err != nil {
			t.Error(err)
		}
		return id
	}
	var outerID, innerID, readID, plainID int64
	err := f.d.Write(context.Background(), func(ctx context.Context, q dbx.DBTX) error {
		outerID = connID(ctx, q)
		err := f.d.Write(ctx, func(ctx context.Context, q dbx.DBTX) error {
			innerID = connID(ctx, q)
			_, err := q.ExecContext(ctx, "UPDATE kv SET v = 5 WHERE k = 1")
			return err
		})
		if err != nil {
			return err
		}
		err = f.d.Read(ctx, func(ctx context.Context, q dbx.DBTX) error {
			readID = connID(ctx, q)
			var v int
			if err := q.QueryRowContext(ctx, "SELECT v FROM kv WHERE k = 1").Scan(&v); err != nil {
				return err
			}
			if v != 5 {
				t.Errorf("nested Read sees v = %d, want the outer transaction's 5", v)
			}
			return nil
		})
		if err != nil {
			return err
		}
		plainID = connID(ctx, f.d.Queries(ctx)) // plain call with the tx ctx joins too
		if s := f.d.Status(); s.InUse != 1 {
			t.Errorf("InUse = %d inside nested calls, want 1", s.InUse)
		}
		return errLater
	})
	if !errors.Is(err, errLater) {
		t.Fatalf("err = %v", err)
	}
	if innerID != outerID || readID != outerID || plainID != outerID {
		t.Errorf("connection ids outer %d, nested Write %d, nested Read %d, plain %d: want one transaction",
			outerID, innerID, readID, plainID)
	}
	if v := value(t, f.admin, 1); v != 0 {
		t.Errorf("v = %d: the nested write survived the outer rollback", v)
	}
}

func TestWriteInReadFails(t *testing.T) {
	t.Parallel()
	f := setup(t, small())
	called := false
	err := f.d.Read(context.Background(), func(ctx context.Context, q dbx.DBTX) error {
		return f.d.Write(ctx, func(ctx context.Context, q dbx.DBTX) error {
			called = true
			return nil
		})
	})
	if !errors.Is(err, dbx.ErrWriteInRead) {
		t.Fatalf("err = %v, want ErrWriteInRead", err)
	}
	if called {
		t.Error("the nested Write ran its function")
	}
}

func TestStatementTimeout(t *testing.T) {
	t.Parallel()
	p := small()
	p.StatementTimeout = 300 * time.Millisecond
	f := setup(t, p)
	ctx := context.Background()
	start := time.Now()
	err := f.d.Read(ctx, func(ctx context.Context, q dbx.DBTX) error {
		var x int
		return q.QueryRowContext(ctx, "SELECT SLEEP(5)").Scan(&x)
	})
	if !errors.Is(err, dbx.ErrStatementTimeout) {
		t.Fatalf("err = %v, want ErrStatementTimeout", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("SELECT SLEEP(5) ran %v: the server did not stop it", d)
	}
	// DO SLEEP(5): MariaDB 10.11 stops it after the timeout but reports no
	// error (DO discards the interruption); check that it was stopped.
	start = time.Now()
	err = f.d.Write(ctx, func(ctx context.Context, q dbx.DBTX) error {
		_, err := q.ExecContext(ctx, "DO SLEEP(5)")
		return err
	})
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("DO SLEEP(5) ran %v (err %v): the server did not stop it", d, err)
	}
}

func TestStatementTimeoutOverride(t *testing.T) {
	t.Parallel()
	p := dbx.Pool{Size: dbx.Int(1), Overflow: dbx.Int(0), StatementTimeout: 30 * time.Second}
	f := setup(t, p)
	ctx := context.Background()
	var idIn, idAfter int64
	err := f.d.Read(ctx, func(ctx context.Context, q dbx.DBTX) error {
		if err := q.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&idIn); err != nil {
			return err
		}
		var x int
		// sqlc's queries start with a "-- name:" comment line.
		return q.QueryRowContext(ctx, "-- name: Sleep :one\nSELECT SLEEP(5)").Scan(&x)
	}, dbx.StatementTimeout(200*time.Millisecond))
	if !errors.Is(err, dbx.ErrStatementTimeout) {
		t.Fatalf("err = %v, want ErrStatementTimeout", err)
	}
	var after float64
	q := f.d.Queries(ctx)
	if err := q.QueryRowContext(ctx, "SELECT CONNECTION_ID(), @@session.max_statement_time").Scan(&idAfter, &after); err != nil {
		t.Fatal(err)
	}
	if idAfter != idIn {
		t.Fatalf("pool of size 1 used connections %d and %d", idIn, idAfter)
	}
	if after != 30 {
		t.Errorf("max_statement_time = %v on the returned connection, want the pool's 30", after)
	}
}

// deadlock runs two transactions that lock rows 1 and 2 in opposite order;
// the server kills one of them with 1213.
func deadlock(t *testing.T, d *dbx.DB[dbx.DBTX], opts ...dbx.TxOption) (errs [2]error, calls [2]int) {
	return deadlockThen(t, d, func(_ context.Context, _ dbx.DBTX, err error) error { return err }, opts...)
}

// deadlockThen is deadlock whose functions end with after, given the
// error of their second statement (the victim's is the deadlock).
func deadlockThen(t *testing.T, d *dbx.DB[dbx.DBTX], after func(context.Context, dbx.DBTX, error) error,
	opts ...dbx.TxOption,
) (errs [2]error, calls [2]int) {
	var barrier sync.WaitGroup
	barrier.Add(2)
	var first [2]atomic.Bool
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, b := 1+i, 2-i
			errs[i] = d.Write(context.Background(), func(ctx context.Context, q dbx.DBTX) error {
				calls[i]++
				if _, err := q.ExecContext(ctx, "UPDATE kv SET v = v + 1 WHERE k = ?", a); err != nil {
					return err
				}
				if first[i].CompareAndSwap(false, true) { // only the first attempt meets the other
					barrier.Done()
					barrier.Wait()
				}
				_, err := q.ExecContext(ctx, "UPDATE kv SET v = v + 1 WHERE k = ?", b)
				return after(ctx, q, err)
			}, opts...)
		}()
	}
	wg.Wait()
	return errs, calls
}

func TestDeadlockIsTyped(t *testing.T) {
	t.Parallel()
	f := setup(t, small())
	errs, _ := deadlock(t, f.d)
	victims := 0
	for _, err := range errs {
		switch {
		case err == nil:
		case errors.Is(err, dbx.ErrDeadlock):
			victims++
			if !strings.Contains(err.Error(), "main") {
				t.Errorf("error %q does not name the database", err)
			}
		default:
			t.Errorf("unexpected error %v", err)
		}
	}
	if victims != 1 {
		t.Fatalf("%d deadlock victims, want 1 (errors %v)", victims, errs)
	}
	if v1, v2 := value(t, f.admin, 1), value(t, f.admin, 2); v1 != 1 || v2 != 1 {
		t.Errorf("v = %d, %d; want 1, 1 (one transaction committed)", v1, v2)
	}
}

func TestRetryOnDeadlock(t *testing.T) {
	t.Parallel()
	f := setup(t, small())
	errs, calls := deadlock(t, f.d, dbx.Retry(3), dbx.RetryBackoff(time.Millisecond, 10*time.Millisecond))
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("errors %v, want both to succeed with Retry", errs)
	}
	if calls[0]+calls[1] != 3 {
		t.Errorf("fn ran %v times, want 3 (the victim once more)", calls)
	}
	if v1, v2 := value(t, f.admin, 1), value(t, f.admin, 2); v1 != 2 || v2 != 2 {
		t.Errorf("v = %d, %d; want 2, 2 (both committed once)", v1, v2)
	}
}

// TestTransactionEndEvents checks that every Read and Write attempt ends
// with one EventTxEnd carrying its kind, a duration and its outcome, a
// panic included.
func TestTransactionEndEvents(t *testing.T) {
	t.Parallel()
	srv := server(t)
	schema := newSchema(t, srv)
	var mu sync.Mutex
	var ends []dbx.Event
	cfg := oneDB(srv, schema, small())
	cfg.OnEvent = func(ev dbx.Event) {
		if ev.Kind == dbx.EventTxEnd {
			mu.Lock()
			ends = append(ends, ev)
			mu.Unlock()
		}
	}
	m := open(t, cfg)
	d := raw(t, m, "main")
	ctx := context.Background()
	if err := d.Read(ctx, func(ctx context.Context, q dbx.DBTX) error {
		_, err := q.ExecContext(ctx, "DO SLEEP(0.02)")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	failure := errors.New("app failure")
	if err := d.Write(ctx, func(ctx context.Context, q dbx.DBTX) error { return failure }); !errors.Is(err, failure) {
		t.Fatalf("Write: %v, want the app failure", err)
	}
	func() {
		defer func() { _ = recover() }()
		_ = d.Write(ctx, func(ctx context.Context, q dbx.DBTX) error { panic("boom") })
	}()
	mu.Lock()
	defer mu.Unlock()
	if len(ends) != 3 {
		t.Fatalf("%d transaction-end events, want 3: %+v", len(ends), ends)
	}
	if !ends[0].ReadOnly || ends[0].Err != nil || ends[0].Held < 20*time.Millisecond {
		t.Errorf("read: %+v, want read-only, no error, held >= 20ms", ends[0])
	}
	if ends[1].ReadOnly || !errors.Is(ends[1].Err, failure) {
		t.Errorf("failed write: %+v, want read-write with the app failure", ends[1])
	}
	if ends[2].ReadOnly || ends[2].Err == nil || !strings.Contains(ends[2].Err.Error(), "panicked") {
		t.Errorf("panicking write: %+v, want an error saying it panicked", ends[2])
	}
}
