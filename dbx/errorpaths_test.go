package dbx_test

import (
	"context"
	"database/sql"
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/solarhub/hubdb/dbx"
)

// downDialer dials the real server until down is set; then every dial
// waits until its context (which the driver bounds by ConnectTimeout)
// ends and fails as net.Dialer does with such a context: "dial tcp: i/o
// timeout", an error that also matches context.DeadlineExceeded.
type downDialer struct{ down atomic.Bool }

func (d *downDialer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	if d.down.Load() {
		<-ctx.Done()
	}
	var nd net.Dialer
	return nd.DialContext(ctx, network, addr)
}

// wantDBError checks that err is a *DBError naming the database main and
// matching every one of want.
func wantDBError(t *testing.T, what string, err error, want ...error) {
	t.Helper()
	var de *dbx.DBError
	if !errors.As(err, &de) || de.DB != "main" || !strings.Contains(err.Error(), "main") {
		t.Errorf("%s: %v (%T) is not a *dbx.DBError naming main", what, err, err)
	}
	for _, w := range want {
		if !errors.Is(err, w) {
			t.Errorf("%s: %v does not match %v", what, err, w)
		}
	}
}

// TestErrorsClassifyOnEveryPath: a statement timeout reported by Row.Scan
// or Rows.Err of a plain query, and a duplicate key reported by Row.Scan
// inside Write, match the dbx conditions and name the database.
func TestErrorsClassifyOnEveryPath(t *testing.T) {
	t.Parallel()
	p := small()
	p.StatementTimeout = 200 * time.Millisecond
	f := setup(t, p)
	ctx := context.Background()
	q := f.d.Queries(ctx)

	var x int
	err := q.QueryRowContext(ctx, "SELECT SLEEP(5)").Scan(&x)
	wantDBError(t, "plain QueryRow", err, dbx.ErrStatementTimeout)
	var me *mysql.MySQLError
	if !errors.As(err, &me) {
		t.Errorf("plain QueryRow: %v: the *mysql.MySQLError is not reachable", err)
	}

	rows, err := q.QueryContext(ctx, "SELECT k, SLEEP(5) FROM kv")
	if err == nil {
		for rows.Next() {
		}
		err = rows.Err()
		_ = rows.Close()
	}
	wantDBError(t, "plain Query, rows.Err", err, dbx.ErrStatementTimeout)

	_, err = q.ExecContext(ctx, "INSERT INTO kv VALUES (1, 0)")
	wantDBError(t, "plain Exec", err, dbx.ErrDuplicateKey)

	// database/sql's own ErrNoRows still comes back as it is
	if err := q.QueryRowContext(ctx, "SELECT v FROM kv WHERE k = 99").Scan(&x); !errors.Is(err, sql.ErrNoRows) {
		t.Errorf("no rows: %v, want sql.ErrNoRows", err)
	}

	err = f.d.Write(ctx, func(ctx context.Context, q dbx.DBTX) error {
		var k int
		err := q.QueryRowContext(ctx, "INSERT INTO kv VALUES (1, 5) RETURNING k").Scan(&k)
		wantDBError(t, "QueryRow in Write", err, dbx.ErrDuplicateKey)
		return err
	})
	wantDBError(t, "Write", err, dbx.ErrDuplicateKey)

	err = f.d.Read(ctx, func(ctx context.Context, q dbx.DBTX) error {
		rows, err := q.QueryContext(ctx, "SELECT k, SLEEP(5) FROM kv")
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
		}
		return rows.Err()
	})
	wantDBError(t, "rows.Err in Read", err, dbx.ErrStatementTimeout)
	if err := f.m.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

// TestDialFailuresAreTyped: with ConnectTimeout 100 ms and a server that
// stops answering dials, every call fails with ErrConnect and
// ErrServerGone, never with the caller's context.DeadlineExceeded (the
// caller's ctx has no deadline), and Retry does run the Write again.
func TestDialFailuresAreTyped(t *testing.T) {
	t.Parallel()
	p := small()
	p.ConnectTimeout = 100 * time.Millisecond
	p.Size = dbx.Int(0) // keep no idle connection: every call dials
	p.OverflowIdleTime = -1
	p.Overflow = dbx.Int(2)
	var retries atomic.Int64
	srv := server(t).Clone()
	dd := &downDialer{}
	srv.DialFunc = dd.dial
	cfg := oneDB(srv, newSchema(t, srv), p)
	cfg.OnEvent = func(e dbx.Event) {
		if e.Kind == dbx.EventRetry {
			retries.Add(1)
		}
	}
	d := raw(t, open(t, cfg), "main")
	dd.down.Store(true)
	ctx := context.Background()

	var x int
	err := d.Queries(ctx).QueryRowContext(ctx, "SELECT 1").Scan(&x)
	wantDBError(t, "plain QueryRow", err, dbx.ErrConnect, dbx.ErrServerGone)
	if errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("plain QueryRow: %v matches context.DeadlineExceeded: the caller set no deadline", err)
	}
	if !strings.Contains(err.Error(), "connect timeout") {
		t.Errorf("plain QueryRow: %v does not name the connect timeout", err)
	}
	const writes = 10
	for i := range writes {
		err := d.Write(ctx, func(ctx context.Context, q dbx.DBTX) error { return nil },
			dbx.Retry(2), dbx.RetryBackoff(time.Millisecond, time.Millisecond))
		wantDBError(t, "Write", err, dbx.ErrConnect, dbx.ErrServerGone)
		if errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Write %d: %v matches context.DeadlineExceeded", i, err)
		}
	}
	if n := retries.Load(); n != writes {
		t.Errorf("%d retries for %d Writes with Retry(2), want %d", n, writes, writes)
	}
	dd.down.Store(false)
	if err := d.Queries(ctx).QueryRowContext(ctx, "SELECT 1").Scan(&x); err != nil {
		t.Errorf("after the server is back: %v", err)
	}
}

// TestRefusedLoginIsConnectNotServerGone: a wrong password is ErrConnect
// only (retrying cannot help).
func TestRefusedLoginIsConnectNotServerGone(t *testing.T) {
	t.Parallel()
	srv := server(t).Clone()
	schema := newSchema(t, srv)
	ctx := context.Background()
	a := admin(t, srv, schema)
	user := uniqueUser()
	for _, q := range []string{
		"CREATE USER '" + user + "'@'%' IDENTIFIED BY 'right'",
		"GRANT ALL ON " + schema + ".* TO '" + user + "'@'%'",
	} {
		if _, err := a.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { _, _ = a.ExecContext(context.Background(), "DROP USER '"+user+"'@'%'") })
	bad := srv.Clone()
	bad.User, bad.Passwd = user, "wrong"
	_, err := dbx.Open(ctx, oneDB(bad, schema, small()))
	if !errors.Is(err, dbx.ErrConnect) || errors.Is(err, dbx.ErrServerGone) {
		t.Errorf("wrong password: %v; want ErrConnect and not ErrServerGone", err)
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Errorf("the error shows the password: %v", err)
	}
}
