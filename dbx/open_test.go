package dbx_test

import (
	"context"
	"errors"
	"fmt"
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
	cfg := oneDB(srv, schema, p)

	cfg.StrictChecks = true
	_, err := dbx.Open(context.Background(), cfg)
	if !errors.Is(err, dbx.ErrServerCheck) {
		t.Fatalf("strict: err = %v, want ErrServerCheck", err)
	}
	for _, want := range []string{"main", "recycle 2m0s", "wait_timeout 1m0s"} {
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
}

func TestOpenChecksConnectionBudget(t *testing.T) {
	t.Parallel()
	srv := server(t)
	schema := newSchema(t, srv)
	// Enough default pools (10+20 each) to exceed this server's
	// max_connections minus the default reserve of 10.
	var maxConns int
	if err := admin(t, srv, schema).QueryRow("SELECT @@global.max_connections").Scan(&maxConns); err != nil {
		t.Fatal(err)
	}
	pools := (maxConns-10)/30 + 1
	want := fmt.Sprintf("may open %d connections", pools*30)
	var cfg dbx.Config
	for i := range pools {
		cfg.DBs = append(cfg.DBs, dbx.DBConfig{Name: fmt.Sprintf("db%d", i), Schema: schema, Server: srv})
	}
	cfg.StrictChecks = true
	_, err := dbx.Open(context.Background(), cfg)
	if !errors.Is(err, dbx.ErrServerCheck) {
		t.Fatalf("strict: %d pools of 30 on max_connections %d: err = %v, want ErrServerCheck", pools, maxConns, err)
	}
	if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "reserve 10") {
		t.Errorf("error %q does not explain the budget (%s)", err, want)
	}

	var logs logBuffer
	cfg.StrictChecks = false
	cfg.Logger = logs.logger()
	open(t, cfg)
	if out := logs.String(); !strings.Contains(out, want) {
		t.Errorf("no budget warning logged:\n%s", out)
	}

	cfg.StrictChecks = true
	cfg.Defaults = dbx.Pool{Size: dbx.Int(2), Overflow: dbx.Int(2)} // 4 per pool fits
	open(t, cfg)
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
	user := "dbxtest_u" + schema[len("dbxtest_"):]
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
