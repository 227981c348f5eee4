package dbx

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

func TestKindOf(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want error
	}{
		{&mysql.MySQLError{Number: 1040}, ErrTooManyConnections},
		{&mysql.MySQLError{Number: 1792}, ErrReadOnly},
		{&mysql.MySQLError{Number: 1213}, ErrDeadlock},
		{&mysql.MySQLError{Number: 1205}, ErrLockWaitTimeout},
		{&mysql.MySQLError{Number: 1062}, ErrDuplicateKey},
		{&mysql.MySQLError{Number: 1049}, ErrUnknownDB},
		{&mysql.MySQLError{Number: 1969}, ErrStatementTimeout},
		{&mysql.MySQLError{Number: 3024}, ErrStatementTimeout},
		{&mysql.MySQLError{Number: 2013}, ErrServerGone},
		{&mysql.MySQLError{Number: 2006}, ErrServerGone},
		{fmt.Errorf("x: %w", driver.ErrBadConn), ErrServerGone},
		{mysql.ErrInvalidConn, ErrServerGone},
		{context.DeadlineExceeded, nil},
		{&mysql.MySQLError{Number: 1146}, nil},
		{errors.New("other"), nil},
	} {
		t.Run(tc.err.Error(), func(t *testing.T) {
			err := wrap("ess", "exec", tc.err)
			if got := kindOf(tc.err); got != tc.want {
				t.Errorf("kindOf = %v, want %v", got, tc.want)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("errors.Is(%v, %v) = false", err, tc.want)
			}
			if !errors.Is(err, tc.err) {
				t.Errorf("the cause is not reachable from %v", err)
			}
		})
	}
}

func TestCommitErrorClassification(t *testing.T) {
	p := &pool{name: "ess"}
	ctx := context.Background()
	for _, tc := range []struct {
		name             string
		err              error
		unknown, retries bool
	}{
		{"lost during commit", mysql.ErrInvalidConn, true, false},
		{"not sent", driver.ErrBadConn, false, true},
		{"deadlock on commit", &mysql.MySQLError{Number: 1213}, false, true},
		{"rolled back by ctx", sql.ErrTxDone, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := p.commitError(ctx, tc.err)
			if errors.Is(err, ErrCommitUnknown) != tc.unknown {
				t.Errorf("%v: ErrCommitUnknown = %v, want %v", err, !tc.unknown, tc.unknown)
			}
			if retryable(err) != tc.retries {
				t.Errorf("%v: retryable = %v, want %v", err, !tc.retries, tc.retries)
			}
		})
	}
}

func TestGateTimeoutAndClose(t *testing.T) {
	g := newGate(1)
	if g.acquire(context.Background(), 0, nil) != admitted {
		t.Fatal("first caller not admitted")
	}
	var in, waiting int
	start := time.Now()
	if r := g.acquire(context.Background(), 50*time.Millisecond, func(i, w int) { in, waiting = i, w }); r != timedOut {
		t.Fatalf("result %v, want timedOut", r)
	}
	if time.Since(start) < 50*time.Millisecond || in != 1 || waiting != 1 {
		t.Errorf("timed out after %v with in use %d, waiting %d", time.Since(start), in, waiting)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if r := g.acquire(ctx, time.Minute, nil); r != ctxDone {
		t.Errorf("result %v, want ctxDone", r)
	}
	res := make(chan gateResult)
	g.onQueue = func(int) { g.close() }
	go func() { res <- g.acquire(context.Background(), 0, nil) }()
	if r := <-res; r != gateClosed {
		t.Errorf("result %v, want gateClosed", r)
	}
	g.release()
	if in, w, _, timeouts := g.counts(); in != 0 || w != 0 || timeouts != 1 {
		t.Errorf("counts %d %d %d", in, w, timeouts)
	}
}

func TestFuncPackage(t *testing.T) {
	for fn, want := range map[string]string{
		"github.com/solarhub/hubdb/dbx.(*DB[...]).Read":        "github.com/solarhub/hubdb/dbx",
		"github.com/solarhub/hubdb/dbx_test.TestX.func1":       "github.com/solarhub/hubdb/dbx_test",
		"github.com/solarhub/hubdb/gen/ess.(*Queries).GetSite": "github.com/solarhub/hubdb/gen/ess",
		"main.main": "main",
	} {
		if got := funcPackage(fn); got != want {
			t.Errorf("funcPackage(%q) = %q, want %q", fn, got, want)
		}
	}
}
