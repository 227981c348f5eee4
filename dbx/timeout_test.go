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
