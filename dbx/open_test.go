package dbx_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/solarhub/hubdb/dbx"
)

func TestOpenChecksRecycleAgainstWaitTimeout(t *testing.T) {
	t.Parallel()
	srv := server(t)
	schema := newSchema(t, srv)
	srv.Params = map[string]string{"wait_timeout": "60"} // session scope: only these connections
	p := small()
	p.Recycle = 2 * time.Minute
	p.KeepAlive = -1 // without keepalive, idle connections would die on the server first
	cfg := oneDB(srv, schema, p)

	cfg.StrictChecks = true
	_, err := dbx.Open(context.Background(), cfg)
	if !errors.Is(err, dbx.ErrServerCheck) {
		t.Fatalf("strict: err = %v, want ErrServerCheck", err)
	}
	for _, want := range []string{"main", "recycle 2m0s", "wait_timeout 1m0s", "keepalive is off"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}

	var logs logBuffer
	cfg.StrictChecks = false
	cfg.Logger = logs.logger()
	open(t, cfg)
	if out := logs.String(); !strings.Contains(out, "level=WARN") || !strings.Contains(out, "wait_timeout 1m0s") {
		t.Errorf("no warning logged:\n%s", out)
	}

	p.Recycle = 59 * time.Second
	cfg = oneDB(srv, schema, p)
	cfg.StrictChecks = true
	open(t, cfg) // below wait_timeout: passes

	p.Recycle, p.KeepAlive = 2*time.Minute, 0 // the keepalive pings idle connections before wait_timeout
	cfg = oneDB(srv, schema, p)
	cfg.StrictChecks = true
	open(t, cfg)
}

// TestOpenWithDefaultsWarnsAboutNothing: 18 pools of the default size on
// one server may together exceed max_connections; the budget enforces
// the limit at run time, so Open has nothing to warn about. Only
// guaranteed connections that cannot fit are a problem.
func TestOpenWithDefaultsWarnsAboutNothing(t *testing.T) {
	t.Parallel()
	srv := server(t)
	schema := newSchema(t, srv)
	var maxConns int
	if err := admin(t, srv, schema).QueryRow("SELECT @@global.max_connections").Scan(&maxConns); err != nil {
		t.Fatal(err)
	}
	pools := (maxConns-dbx.DefaultReserve)/(dbx.DefaultSize+dbx.DefaultOverflow) + 1 // their maximums exceed the budget
	var cfg dbx.Config
	for i := range pools {
		cfg.DBs = append(cfg.DBs, dbx.DBConfig{Name: fmt.Sprintf("db%d", i), Schema: schema, Server: srv})
	}
	var logs logBuffer
	cfg.Logger = logs.logger()
	cfg.StrictChecks = true
	m := open(t, cfg)
	if out := logs.String(); strings.Contains(out, "level=WARN") {
		t.Errorf("Open with default pools warned:\n%s", out)
	}
	ss := m.Servers()
	if len(ss) != 1 || ss[0].Ceiling != maxConns-dbx.DefaultReserve || len(ss[0].Pools) != pools {
		t.Errorf("servers %v; want one with budget %d and %d pools", ss, maxConns-dbx.DefaultReserve, pools)
	}

	cfg.Defaults.Guaranteed = maxConns/pools + 1 // guaranteed connections cannot fit
	_, err := dbx.Open(context.Background(), cfg)
	if !errors.Is(err, dbx.ErrServerCheck) || !strings.Contains(err.Error(), "guaranteed") {
		t.Errorf("guaranteed over the budget: %v, want ErrServerCheck", err)
	}
}

func TestOpenFailsFastNamingTheDatabase(t *testing.T) {
	t.Parallel()
	srv := server(t)
	schema := newSchema(t, srv)
	cfg := dbx.Config{DBs: []dbx.DBConfig{
		{Name: "good", Schema: schema, Server: srv, Pool: small()},
		{Name: "missing", Schema: schema + "_nope", Server: srv, Pool: small()},
	}}
	_, err := dbx.Open(context.Background(), cfg)
	if !errors.Is(err, dbx.ErrUnknownDB) || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("err = %v, want ErrUnknownDB naming \"missing\"", err)
	}
	m := open(t, oneDB(srv, schema, small()))
	if _, err := dbx.Bind(m, "typo", func(x dbx.DBTX) dbx.DBTX { return x }); !errors.Is(err, dbx.ErrUnknownDB) ||
		!strings.Contains(err.Error(), "typo") {
		t.Errorf("Bind of an unknown name: err = %v", err)
	}
	if _, err := dbx.Open(context.Background(), dbx.Config{DBs: []dbx.DBConfig{{Name: "x"}}}); !errors.Is(err, dbx.ErrConfig) {
		t.Errorf("nil Server: err = %v, want ErrConfig", err)
	}
}

func TestNoPasswordInErrorsOrLogs(t *testing.T) {
	t.Parallel()
	srv := server(t)
	schema := newSchema(t, srv)
	const secret = "Hunter2-very-secret-pw"
	bad := srv.Clone()
	bad.User = "dbxtest_nobody"
	bad.Passwd = secret
	var logs logBuffer
	cfg := oneDB(bad, schema, small())
	cfg.Logger = logs.logger()
	_, err := dbx.Open(context.Background(), cfg)
	if err == nil {
		t.Fatal("Open with a wrong password succeeded")
	}
	if !strings.Contains(err.Error(), "main") {
		t.Errorf("error %q does not name the database", err)
	}
	texts := []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err), logs.String()}

	// A user whose password is secret, on a working pool: errors,
	// statuses and debug logs.
	user := uniqueUser()
	root := admin(t, srv, "")
	ctx := context.Background()
	for _, q := range []string{
		"CREATE USER '" + user + "'@'%' IDENTIFIED BY '" + secret + "'",
		"GRANT ALL ON " + schema + ".* TO '" + user + "'@'%'",
	} {
		if _, err := root.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { _, _ = root.ExecContext(context.Background(), "DROP USER '"+user+"'@'%'") })
	good := srv.Clone()
	good.User, good.Passwd = user, secret
	cfg = oneDB(good, schema, dbx.Pool{Size: dbx.Int(1), Overflow: dbx.Int(0), Timeout: 50 * time.Millisecond})
	cfg.Logger = logs.logger()
	m := open(t, cfg)
	d := raw(t, m, "main")
	err = d.Write(context.Background(), func(ctx context.Context, q dbx.DBTX) error {
		_, err := q.ExecContext(ctx, "INSERT INTO kv VALUES (1, 0)")
		return err
	})
	if !errors.Is(err, dbx.ErrDuplicateKey) {
		t.Errorf("err = %v, want ErrDuplicateKey", err)
	}
	texts = append(texts, err.Error(), m.Status().String(), logs.String())
	for _, s := range texts {
		if strings.Contains(s, secret) {
			t.Fatalf("password leaked: %s", s)
		}
	}
}

// TestWarmUp opens a pool's guaranteed connections at Open, before any
// call, and leaves them idle.
func TestWarmUp(t *testing.T) {
	t.Parallel()
	srv := server(t)
	p := small()
	p.Size, p.Guaranteed, p.WarmUp = dbx.Int(3), 3, true
	m := open(t, oneDB(srv, newSchema(t, srv), p))
	eventually(t, "3 warmed connections idle", func() bool {
		st, _ := m.StatusOf("main")
		return st.Idle >= 3 && st.InUse == 0 && m.Servers()[0].Open >= 3
	})
}

// TestCloseWakesBudgetWaiters: a caller waiting for the server's budget
// gets ErrClosed when the Manager closes, not a pool timeout later.
func TestCloseWakesBudgetWaiters(t *testing.T) {
	t.Parallel()
	srv := server(t)
	schema := newSchema(t, srv)
	cfg := dbx.Config{ServerBudget: 1, Logger: slog.New(slog.DiscardHandler), DBs: []dbx.DBConfig{
		{Name: "a", Schema: schema, Server: srv, Pool: dbx.Pool{Timeout: time.Minute}},
		{Name: "b", Schema: schema, Server: srv, Pool: dbx.Pool{Timeout: time.Minute}},
	}}
	m, err := dbx.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	a, b := raw(t, m, "a"), raw(t, m, "b")
	ctx := context.Background()
	held, release := make(chan struct{}), make(chan struct{})
	aDone := make(chan error, 1)
	go func() {
		aDone <- a.Read(ctx, func(context.Context, dbx.DBTX) error { close(held); <-release; return nil })
	}()
	<-held // a holds the budget's only connection
	bDone := make(chan error, 1)
	go func() { bDone <- b.Read(ctx, func(context.Context, dbx.DBTX) error { return nil }) }()
	eventually(t, "b waiting for the budget", func() bool { return m.Servers()[0].BudgetWaiting > 0 })
	if err := m.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	select {
	case err := <-bDone:
		if !errors.Is(err, dbx.ErrClosed) {
			t.Errorf("waiting caller: %v, want ErrClosed", err)
		}
	case <-time.After(30 * time.Second):
		t.Error("the waiting caller was not woken by Close")
	}
	close(release)
	if err := <-aDone; err != nil {
		t.Errorf("the running Read: %v", err)
	}
}
