package dbx_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/solarhub/hubdb/dbx"
)

// TestTimeoutsToldApart: the transaction's own limit, the caller's
// deadline, a fn that returns after the limit and a cancel before any
// statement each say what happened.
func TestTimeoutsToldApart(t *testing.T) {
	t.Parallel()
	f := setup(t, small())
	sleep := func(ctx context.Context, q dbx.DBTX) error {
		var x int
		return q.QueryRowContext(ctx, "SELECT SLEEP(3)").Scan(&x)
	}

	t.Run("TxTimeout expired", func(t *testing.T) {
		err := f.d.Write(context.Background(), sleep, dbx.TxTimeout(150*time.Millisecond))
		var te *dbx.TxTimeoutError
		if !errors.Is(err, dbx.ErrTxTimeout) || !errors.As(err, &te) {
			t.Fatalf("err = %v, want ErrTxTimeout", err)
		}
		if te.Limit != 150*time.Millisecond || te.Ran < te.Limit {
			t.Errorf("limit %v ran %v; want 150ms and at least that", te.Limit, te.Ran)
		}
		if msg := err.Error(); !strings.Contains(msg, "transaction timeout 150ms") || !strings.Contains(msg, "main") {
			t.Errorf("message %q does not name the limit and the database", msg)
		}
	})
	t.Run("caller's deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
		defer cancel()
		err := f.d.Read(ctx, sleep)
		if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, dbx.ErrTxTimeout) {
			t.Fatalf("err = %v, want context.DeadlineExceeded and not ErrTxTimeout", err)
		}
	})
	t.Run("fn returned after the limit", func(t *testing.T) {
		err := f.d.Read(context.Background(), func(ctx context.Context, q dbx.DBTX) error {
			<-ctx.Done()
			return nil
		}, dbx.TxTimeout(100*time.Millisecond))
		if !errors.Is(err, dbx.ErrTxTimeout) {
			t.Fatalf("err = %v, want ErrTxTimeout", err)
		}
		if strings.Contains(err.Error(), "committed") {
			t.Errorf("a Read says %q", err)
		}
	})
	t.Run("cancel before any statement", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := f.d.Write(ctx, func(ctx context.Context, q dbx.DBTX) error { return nil })
		if !errors.Is(err, context.Canceled) || strings.Contains(err.Error(), ": connect:") {
			t.Errorf("err = %v, want context.Canceled, not a connect failure", err)
		}
	})
}

// TestTxTimeoutFreesTheServerWithoutCancellableContext: called with
// context.Background(), a transaction whose fn is stuck in a slow call
// (not in a statement) past its TxTimeout no longer holds its row locks on
// the server: another transaction gets the row while fn is still stuck.
// The statement fn runs after is refused as a timeout (not a lost server),
// and Retry does not run fn again.
func TestTxTimeoutFreesTheServerWithoutCancellableContext(t *testing.T) {
	t.Parallel()
	f := setup(t, small())
	locked, release := make(chan struct{}), make(chan struct{})
	calls := 0
	done := make(chan error, 1)
	go func() {
		done <- f.d.Write(context.Background(), func(ctx context.Context, q dbx.DBTX) error {
			calls++
			if _, err := q.ExecContext(ctx, "UPDATE kv SET v = v + 1 WHERE k = ?", 1); err != nil {
				return err
			}
			close(locked)
			<-release // a slow call made while holding the transaction
			_, err := q.ExecContext(ctx, "UPDATE kv SET v = v + 1 WHERE k = ?", 2)
			return err
		}, dbx.TxTimeout(200*time.Millisecond), dbx.Retry(3), dbx.RetryBackoff(time.Millisecond, time.Millisecond))
	}()
	<-locked
	// The row is locked until the server drops the stuck transaction;
	// the admin's own lock wait (innodb_lock_wait_timeout, 50 s by
	// default) is far beyond the limit.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := f.admin.ExecContext(ctx, "UPDATE kv SET v = 100 WHERE k = 1"); err != nil {
		t.Fatalf("the row stayed locked after the transaction's limit: %v", err)
	}
	close(release)
	err := <-done
	if !errors.Is(err, dbx.ErrTxTimeout) || errors.Is(err, dbx.ErrServerGone) {
		t.Fatalf("err = %v, want ErrTxTimeout and not ErrServerGone", err)
	}
	if calls != 1 {
		t.Errorf("fn ran %d times; a timeout is not retried", calls)
	}
	if v := value(t, f.admin, 1); v != 100 {
		t.Errorf("k=1 is %d, want 100: the timed-out update was not rolled back", v)
	}
}
