package dbx_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/solarhub/hubdb/dbx"
)

var errBusiness = errors.New("business rule says no")

// TestNestedWriteUsesASavepoint: a nested Write whose fn fails is rolled
// back to its savepoint and the outer decides; one that succeeds commits
// with the outer.
func TestNestedWriteUsesASavepoint(t *testing.T) {
	t.Parallel()
	f := setup(t, small())
	ctx := context.Background()
	set := func(ctx context.Context, q dbx.DBTX, k, v int) error {
		_, err := q.ExecContext(ctx, "UPDATE kv SET v = ? WHERE k = ?", v, k)
		return err
	}
	var inner error
	err := f.d.Write(ctx, func(ctx context.Context, q dbx.DBTX) error {
		if err := set(ctx, q, 1, 10); err != nil {
			return err
		}
		inner = f.d.Write(ctx, func(ctx context.Context, q dbx.DBTX) error {
			if err := set(ctx, q, 2, 20); err != nil {
				return err
			}
			return errBusiness // the helper believes its work is undone
		})
		// the outer carries on: a second nested Write that succeeds
		return f.d.Write(ctx, func(ctx context.Context, q dbx.DBTX) error {
			return set(ctx, q, 1, 11)
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(inner, errBusiness) {
		t.Errorf("inner Write returned %v, want the business error", inner)
	}
	if v1, v2 := value(t, f.admin, 1), value(t, f.admin, 2); v1 != 11 || v2 != 0 {
		t.Errorf("v = %d, %d; want 11, 0 (the failed nested Write rolled back to its savepoint)", v1, v2)
	}

	// the outer returns the inner error: everything is rolled back
	err = f.d.Write(ctx, func(ctx context.Context, q dbx.DBTX) error {
		if err := set(ctx, q, 1, 99); err != nil {
			return err
		}
		return f.d.Write(ctx, func(ctx context.Context, q dbx.DBTX) error { return errBusiness })
	})
	if !errors.Is(err, errBusiness) {
		t.Fatalf("err = %v, want the business error", err)
	}
	if v := value(t, f.admin, 1); v != 11 {
		t.Errorf("v = %d after the outer rolled back, want 11", v)
	}
}

// TestNestedCallRejectsOptions: options cannot apply to a nested call.
func TestNestedCallRejectsOptions(t *testing.T) {
	t.Parallel()
	f := setup(t, small())
	ctx := context.Background()
	var inner error
	err := f.d.Write(ctx, func(ctx context.Context, q dbx.DBTX) error {
		inner = f.d.Write(ctx, func(ctx context.Context, q dbx.DBTX) error {
			t.Error("fn of a nested Write with options ran")
			return nil
		}, dbx.Retry(3))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(inner, dbx.ErrNestedOption) || !strings.Contains(inner.Error(), "Retry") {
		t.Errorf("nested Write with Retry: %v, want ErrNestedOption naming Retry", inner)
	}
}

// TestSwallowedDeadlockDoesNotCommit: after a deadlock InnoDB has rolled
// the whole transaction back; a fn that ignores the error must not commit
// what it does next as if nothing happened.
func TestSwallowedDeadlockDoesNotCommit(t *testing.T) {
	t.Parallel()
	f := setup(t, small())
	errs, _ := deadlockThen(t, f.d, func(ctx context.Context, q dbx.DBTX, err error) error {
		if errors.Is(err, dbx.ErrDeadlock) {
			_, _ = q.ExecContext(ctx, "UPDATE kv SET v = 77 WHERE k = 1")
			return nil // swallowed
		}
		return err
	})
	deadlocked := 0
	for _, err := range errs {
		if errors.Is(err, dbx.ErrDeadlock) {
			deadlocked++
		} else if err != nil {
			t.Errorf("unexpected error %v", err)
		}
	}
	if deadlocked != 1 {
		t.Errorf("errors %v; want the victim's Write to fail with ErrDeadlock although fn returned nil", errs)
	}
	if v := value(t, f.admin, 1); v == 77 {
		t.Errorf("the statement run after the swallowed deadlock was committed")
	}
}

// TestFinishedTransactionLeavesTheContext: once Read returned, the ctx it
// handed out carries no transaction: InTx is false and a Write with it
// (made uncancellable, as a goroutine started inside would) runs a
// transaction of its own instead of failing as nested in a Read.
func TestFinishedTransactionLeavesTheContext(t *testing.T) {
	t.Parallel()
	f := setup(t, small())
	var handed context.Context
	err := f.d.Read(context.Background(), func(ctx context.Context, q dbx.DBTX) error {
		handed = ctx
		if !f.d.InTx(ctx) || !f.m.InTx(ctx, "main") {
			t.Error("InTx false inside Read")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if f.d.InTx(handed) || f.m.InTx(handed, "main") {
		t.Error("InTx true on the ctx of a Read that has returned")
	}
	err = f.d.Write(context.WithoutCancel(handed), func(ctx context.Context, q dbx.DBTX) error {
		_, err := q.ExecContext(ctx, "UPDATE kv SET v = 5 WHERE k = 1")
		return err
	})
	if err != nil {
		t.Fatalf("Write with the finished Read's ctx: %v", err)
	}
	if v := value(t, f.admin, 1); v != 5 {
		t.Errorf("v = %d, want 5", v)
	}
}

// TestTwoManagersDoNotShareTransactions: two Managers that both have a
// database "main" on different schemas; inside m1's Write, m2's calls run
// on m2's own connections and schema, and Detach keeps a call out of m1's
// transaction.
func TestTwoManagersDoNotShareTransactions(t *testing.T) {
	t.Parallel()
	f1 := setup(t, small())
	f2 := setup(t, small())
	ctx := context.Background()
	err := f1.d.Write(ctx, func(ctx context.Context, q dbx.DBTX) error {
		if f2.d.InTx(ctx) {
			t.Error("m2's main reports m1's transaction as its own")
		}
		if _, err := q.ExecContext(ctx, "UPDATE kv SET v = 1 WHERE k = 1"); err != nil {
			return err
		}
		// plain call of m2: autocommit on m2's schema
		if _, err := f2.d.Queries(ctx).ExecContext(ctx, "UPDATE kv SET v = 2 WHERE k = 1"); err != nil {
			return err
		}
		// a Write of m2: its own transaction on m2's schema
		if err := f2.d.Write(ctx, func(ctx context.Context, q dbx.DBTX) error {
			_, err := q.ExecContext(ctx, "UPDATE kv SET v = 3 WHERE k = 2")
			return err
		}); err != nil {
			return err
		}
		// detached: a call of m1 outside m1's transaction
		if _, err := f1.d.Queries(dbx.Detach(ctx)).ExecContext(dbx.Detach(ctx), "UPDATE kv SET v = 4 WHERE k = 2"); err != nil {
			return err
		}
		if f1.d.InTx(dbx.Detach(ctx)) {
			t.Error("a detached ctx still carries the transaction")
		}
		return errBusiness // roll m1's transaction back
	})
	if !errors.Is(err, errBusiness) {
		t.Fatalf("err = %v", err)
	}
	if v1, v2 := value(t, f1.admin, 1), value(t, f1.admin, 2); v1 != 0 || v2 != 4 {
		t.Errorf("m1: v = %d, %d; want 0 (rolled back), 4 (detached, committed)", v1, v2)
	}
	if v1, v2 := value(t, f2.admin, 1), value(t, f2.admin, 2); v1 != 2 || v2 != 3 {
		t.Errorf("m2: v = %d, %d; want 2, 3 (m2's calls ran on m2, outside m1's transaction)", v1, v2)
	}
}

// TestTransactionQueriesFromTwoGoroutines: two handles of one database
// take the transaction's queries from two goroutines at once (go test
// -race reported the cache), and both run on the one transaction.
func TestTransactionQueriesFromTwoGoroutines(t *testing.T) {
	t.Parallel()
	f := setup(t, small())
	// a handle with another Q type: the transaction's cached Q is replaced
	// from both goroutines
	other, err := dbx.Bind(f.m, "main", func(x dbx.DBTX) wrapQ { return wrapQ{x} })
	if err != nil {
		t.Fatal(err)
	}
	err = f.d.Write(context.Background(), func(ctx context.Context, q dbx.DBTX) error {
		var wg sync.WaitGroup
		qs := make([]dbx.DBTX, 2)
		wg.Go(func() { qs[0] = other.Queries(ctx) })
		wg.Go(func() { qs[1] = f.d.Queries(ctx) })
		wg.Wait()
		for i, q := range qs { // one statement at a time: one connection
			if _, err := q.ExecContext(ctx, "UPDATE kv SET v = ? WHERE k = ?", 10+i, 1+i); err != nil {
				return err
			}
		}
		return errBusiness // both statements were in this transaction: both roll back
	})
	if !errors.Is(err, errBusiness) {
		t.Fatal(err)
	}
	if v1, v2 := value(t, f.admin, 1), value(t, f.admin, 2); v1 != 0 || v2 != 0 {
		t.Errorf("v = %d, %d after the rollback, want 0, 0", v1, v2)
	}
}

// TestStatementWhileRowsOpenIsRefused: a transaction's connection runs
// one statement at a time; one sent while rows are open is refused with
// ErrConnBusy before anything reaches the server, and the transaction
// goes on (the driver would break the connection).
func TestStatementWhileRowsOpenIsRefused(t *testing.T) {
	t.Parallel()
	f := setup(t, small())
	err := f.d.Write(context.Background(), func(ctx context.Context, q dbx.DBTX) error {
		rows, err := q.QueryContext(ctx, "SELECT k FROM kv ORDER BY k")
		if err != nil {
			return err
		}
		_, err = q.ExecContext(ctx, "UPDATE kv SET v = 1 WHERE k = 1")
		if !errors.Is(err, dbx.ErrConnBusy) || !strings.Contains(err.Error(), "main") {
			t.Errorf("statement while rows are open: %v, want ErrConnBusy", err)
		}
		for rows.Next() {
		}
		if err := rows.Close(); err != nil {
			return err
		}
		_, err = q.ExecContext(ctx, "UPDATE kv SET v = 2 WHERE k = 1")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if v := value(t, f.admin, 1); v != 2 {
		t.Errorf("v = %d, want 2", v)
	}
}

// TestReadValue returns a value out of a transaction.
func TestReadValue(t *testing.T) {
	t.Parallel()
	f := setup(t, small())
	ctx := context.Background()
	n, err := dbx.WriteValue(ctx, f.d, func(ctx context.Context, q dbx.DBTX) (int64, error) {
		res, err := q.ExecContext(ctx, "UPDATE kv SET v = 8")
		if err != nil {
			return 0, err
		}
		return res.RowsAffected()
	})
	if err != nil || n != 2 {
		t.Fatalf("WriteValue = %d, %v; want 2 rows", n, err)
	}
	v, err := dbx.ReadValue(ctx, f.d, func(ctx context.Context, q dbx.DBTX) (int, error) {
		var v int
		err := q.QueryRowContext(ctx, "SELECT SUM(v) FROM kv").Scan(&v)
		return v, err
	})
	if err != nil || v != 16 {
		t.Errorf("ReadValue = %d, %v; want 16", v, err)
	}
	v, err = dbx.ReadValue(ctx, f.d, func(ctx context.Context, q dbx.DBTX) (int, error) { return 3, errBusiness })
	if v != 0 || !errors.Is(err, errBusiness) {
		t.Errorf("failed ReadValue = %d, %v; want 0 and the error", v, err)
	}
}

// wrapQ is a second "queries" type over DBTX.
type wrapQ struct{ dbx.DBTX }
