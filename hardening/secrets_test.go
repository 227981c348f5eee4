package hardening_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/solarhub/hubdb/config"
	"github.com/solarhub/hubdb/dbx"
	"github.com/solarhub/hubdb/gen/maintenance"
	"github.com/solarhub/hubdb/hubtest"
	"github.com/solarhub/hubdb/migration"
)

// captures collects everything the code under test printed, returned or
// logged, for the final grep.
type captures struct {
	mu    sync.Mutex
	items []capture
}

type capture struct{ what, text string }

func (c *captures) add(what, text string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.items = append(c.items, capture{what, text})
}

func (c *captures) addErr(what string, err error) {
	if err == nil {
		c.add(what, "<nil>")
		return
	}
	c.add(what, err.Error())
}

// lockedBuffer is a bytes.Buffer safe for the concurrent writes of a
// slog handler.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestNoSecretInOutputs creates real users with distinctive passwords
// ("hubdb grants --apply"), then drives every output path with them and
// with a wrong password: the CLI's stdout and stderr (grants, migrate up
// and status, wrong password, unreachable server, bad DSN, bad file),
// config and migration errors, dbx errors (wrong password, unreachable
// server, pool timeout, a failed statement), Status strings, everything
// dbx logged at debug level through a JSON slog handler, and the value of
// a panic raised inside a transaction. No captured text may contain any of
// the passwords.
func TestNoSecretInOutputs(t *testing.T) {
	// The test's own names, no database yet: the admin user's migrate up
	// below creates maintenance; ess is never created, unless a refusal
	// below fails.
	d := hubtest.Reserve(t, "maintenance", "ess")
	server := d.Server()
	root := serverDB(t, server)
	ctx := context.Background()
	suffix := randomHex(t)
	admin, app := "hubdb_t"+suffix+"a", "hubdb_t"+suffix+"b"
	adminPw, appPw, wrongPw := "Adm1nSekr3t"+suffix, "AppSekr3t"+suffix, "Wr0ngSekr3t"+suffix
	secrets := []string{adminPw, appPw, wrongPw}
	t.Cleanup(func() {
		for _, u := range []string{admin, app} {
			if _, err := root.ExecContext(context.Background(), "DROP USER IF EXISTS '"+u+"'@'%'"); err != nil {
				t.Errorf("drop user %s: %v", u, err)
			}
		}
	})
	prefix := d.Prefix()
	closed := closedAddr(t)
	dsn := func(user, pw, addr string) string {
		c := mysql.NewConfig()
		c.User, c.Passwd, c.Net, c.Addr = user, pw, "tcp", addr
		return c.FormatDSN()
	}
	var c captures

	// The CLI, as a process.
	rootEnv := d.Env()
	users := []string{"--admin-user", admin, "--app-user", app, "--db", "maintenance"}
	cli := func(what string, wantCode int, env []string, args ...string) {
		t.Helper()
		r := runHubdb(t, env, args...)
		c.add(what+": stdout", r.out)
		c.add(what+": stderr", r.errOut)
		if r.code != wantCode {
			t.Fatalf("%s: exit %d, want %d\n%s%s", what, r.code, wantCode, r.out, r.errOut)
		}
	}
	cli("grants --apply", 0, append([]string{"HUBDB_ADMIN_PASSWORD=" + adminPw, "HUBDB_APP_PASSWORD=" + appPw}, rootEnv...),
		append([]string{"grants", "--apply"}, users...)...)
	adminEnv := []string{"HUBDB_DSN=" + dsn(admin, adminPw, server.Addr), "HUBDB_DB_PREFIX=" + prefix}
	cli("migrate up as admin", 0, adminEnv, "migrate", "up", "--db", "maintenance")
	cli("migrate status as admin", 0, adminEnv, "migrate", "status", "--db", "maintenance")
	cli("migrate status, wrong password", 1, []string{"HUBDB_DSN=" + dsn(app, wrongPw, server.Addr), "HUBDB_DB_PREFIX=" + prefix},
		"migrate", "status")
	cli("migrate up as the app user", 1, []string{"HUBDB_DSN=" + dsn(app, appPw, server.Addr), "HUBDB_DB_PREFIX=" + prefix},
		"migrate", "up", "--db", "maintenance", "--db", "ess")
	cli("migrate up, unreachable", 1, []string{"HUBDB_DSN=" + dsn(admin, adminPw, closed) + "?timeout=2s"}, "migrate", "up", "--db", "ess")
	cli("migrate, bad DSN", 1, []string{"HUBDB_DSN=" + admin + ":" + adminPw + "@tcp(" + closed}, "migrate", "status")
	cli("migrate, DSN naming a database", 1, []string{"HUBDB_ESS_DSN=" + admin + ":" + adminPw + "@tcp(h)/" + appPw}, "migrate", "status")
	cli("grants --apply as the app user", 1, []string{"HUBDB_ADMIN_PASSWORD=" + adminPw, "HUBDB_APP_PASSWORD=" + appPw,
		"HUBDB_DSN=" + dsn(app, appPw, server.Addr), "HUBDB_DB_PREFIX=" + prefix}, append([]string{"grants", "--apply"}, users...)...)
	file := filepath.Join(t.TempDir(), "hubdb.yaml")
	if err := os.WriteFile(file, []byte("dsn: \""+dsn(admin, adminPw, server.Addr)+"\"\npool: {size: \""+appPw+"\"}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cli("migrate, bad config file", 1, nil, "migrate", "status", "--config", file)

	// Config errors, in-process.
	for _, env := range [][]string{
		{"HUBDB_DSN=app:" + appPw + "@tcp(db1:3306"},
		{"HUBDB_DSN=app:" + appPw + "@tcp(db1)/?parseTime=" + wrongPw},
		{"HUBDB_DSN=app:" + appPw + "@tcp(db1)/?tls=" + wrongPw},
		{"HUBDB_DSN=app:" + appPw + "@bogus(db1)/"},
		{"HUBDB_DSN=app:" + appPw + "@tcp(db1)/?tls=skip-verify", "HUBDB_TLS_CA=/nonexistent/ca.pem"},
	} {
		_, err := config.Load("", env)
		c.addErr("config.Load", err)
		if err == nil {
			t.Errorf("config.Load(%d variables) succeeded", len(env))
		}
	}
	if cfg, err := config.Load("", []string{"HUBDB_DSN=" + dsn(app, appPw, server.Addr)}); err == nil {
		d, _ := cfg.Database("maintenance")
		c.add("config.Redact", config.Redact(d.Server))
	}

	// Migration errors, in-process.
	var m migration.Migrator
	for what, cfgDSN := range map[string]string{
		"wrong password": dsn(app, wrongPw, server.Addr),
		"no privilege":   dsn(app, appPw, server.Addr),
		"unreachable":    dsn(admin, adminPw, closed) + "?timeout=2s",
	} {
		srv, err := mysql.ParseDSN(cfgDSN)
		if err != nil {
			t.Fatal(err)
		}
		target := migration.Target{Name: "ess", Schema: d.Schema("ess"), Server: srv}
		err = m.Up(ctx, target)
		c.addErr("migration up, "+what, err)
		if err == nil {
			t.Errorf("migration up, %s: succeeded", what)
		}
		_, err = m.Status(ctx, target)
		c.addErr("migration status, "+what, err)
	}

	// dbx: errors, status, logs and a panic.
	logs := &lockedBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	open := func(pw, addr string, pool dbx.Pool) (*dbx.Manager, error) {
		srv, err := mysql.ParseDSN(dsn(app, pw, addr))
		if err != nil {
			t.Fatal(err)
		}
		return dbx.Open(ctx, dbx.Config{Logger: logger, Defaults: pool,
			DBs: []dbx.DBConfig{{Name: "maintenance", Schema: d.Schema("maintenance"), Server: srv}}})
	}
	_, err := open(wrongPw, server.Addr, dbx.Pool{})
	c.addErr("dbx.Open, wrong password", err)
	if err == nil {
		t.Fatal("dbx.Open with the wrong password succeeded")
	}
	_, err = open(appPw, closed, dbx.Pool{ConnectTimeout: 2 * time.Second})
	c.addErr("dbx.Open, unreachable", err)
	if err == nil {
		t.Fatal("dbx.Open of a closed port succeeded")
	}
	mgr, err := open(appPw, server.Addr, dbx.Pool{Size: dbx.Int(1), Overflow: dbx.Int(0), Timeout: 300 * time.Millisecond,
		LeakThreshold: 100 * time.Millisecond, IdleInTxThreshold: 50 * time.Millisecond})
	if err != nil {
		t.Fatalf("dbx.Open as the app user: %v", err)
	}
	defer mgr.Close()
	db, err := dbx.Bind(mgr, "maintenance", func(d dbx.DBTX) *maintenance.Queries { return maintenance.New(d) })
	if err != nil {
		t.Fatal(err)
	}
	err = db.Write(ctx, func(ctx context.Context, q *maintenance.Queries) error {
		if _, err := q.CreateWorkOrder(ctx, maintenance.CreateWorkOrderParams{OrgID: 1, SiteID: 1, Title: "t",
			Priority: maintenance.WorkOrdersPriorityLow, CreatedBy: 1}); err != nil {
			return err
		}
		// The only connection is held: a call outside the transaction
		// waits for the pool timeout.
		_, err := db.Queries(context.Background()).GetWorkOrder(context.Background(), 1)
		if !errors.Is(err, dbx.ErrPoolTimeout) {
			t.Errorf("a second call on a full pool: %v, want ErrPoolTimeout", err)
		}
		c.addErr("dbx pool timeout", err)
		c.add("dbx Status inside", db.Status().String()+"\n"+mgr.Status().String()+fmt.Sprintf("\n%+v", db.Status()))
		return nil
	})
	if err != nil {
		t.Fatalf("write: %v", err)
	}
	_, err = db.Queries(ctx).GetWorkOrder(ctx, -1)
	c.addErr("dbx no rows", err)
	err = db.Write(ctx, func(ctx context.Context, q *maintenance.Queries) error {
		_, err := q.AssignWorkOrder(ctx, maintenance.AssignWorkOrderParams{TechnicianID: 1, ID: 1})
		if err != nil {
			return err
		}
		return errors.New("application error")
	})
	c.addErr("dbx write error", err)
	panicked := func() (v any) {
		defer func() { v = recover() }()
		_ = db.Write(ctx, func(ctx context.Context, q *maintenance.Queries) error {
			_, err := db.Queries(ctx).GetWorkOrder(ctx, -1)
			panic(fmt.Errorf("panic in a transaction after: %w", err))
		})
		return nil
	}()
	if panicked == nil {
		t.Fatal("the panic inside Write was swallowed")
	}
	c.add("dbx panic value", fmt.Sprintf("%v / %+v", panicked, panicked))
	c.add("dbx Status after", mgr.Status().String())
	if st := db.Status(); st.InUse != 0 {
		t.Errorf("after the panic, in use %d", st.InUse)
	}
	if err := mgr.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	c.add("dbx slog JSON", logs.String())
	for _, want := range []string{`"msg":"dbx: connection opened"`, `"msg":"dbx: pool timeout"`, `"msg":"dbx: connection checked out"`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the captured log lacks %s: logging was not captured", want)
		}
	}

	// The grep.
	bytes, found := 0, 0
	for _, item := range c.items {
		bytes += len(item.text)
		for _, s := range secrets {
			if strings.Contains(item.text, s) {
				found++
				t.Errorf("%s shows a password:\n%s", item.what, item.text)
			}
		}
	}
	t.Logf("grepped %d captured outputs (%d bytes, %d log lines) for %d passwords: %d found",
		len(c.items), bytes, strings.Count(logs.String(), "\n"), len(secrets), found)
}

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}
