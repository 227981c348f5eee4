package migration_test

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/solarhub/hubdb/hubtest"
	"github.com/solarhub/hubdb/internal/testdb"
	"github.com/solarhub/hubdb/migration"
)

// sqlFS builds a source with one database directory from file name to SQL.
func sqlFS(db string, files map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for name, body := range files {
		fsys[db+"/"+name] = &fstest.MapFile{Data: []byte(body)}
	}
	return fsys
}

// emptyDemo gives the test its own empty database for "demo" of fsys,
// dropped when the test ends.
func emptyDemo(t *testing.T, fsys fs.FS) *hubtest.Databases {
	t.Helper()
	return (&hubtest.Kit{Source: fsys}).Empty(t, "demo")
}

// goodFS is a database "demo" with two working migrations.
func goodFS() fstest.MapFS {
	return sqlFS("demo", map[string]string{
		"000001_a.up.sql":   "CREATE TABLE IF NOT EXISTS a (id BIGINT NOT NULL PRIMARY KEY) ENGINE=InnoDB;",
		"000001_a.down.sql": "DROP TABLE IF EXISTS a;",
		"000002_b.up.sql":   "CREATE TABLE IF NOT EXISTS b (id BIGINT NOT NULL PRIMARY KEY) ENGINE=InnoDB;",
		"000002_b.down.sql": "DROP TABLE IF EXISTS b;",
	})
}

// wantError checks that err is a one-line *migration.Error matching cause
// whose message contains each of parts.
func wantError(t *testing.T, err, cause error, parts ...string) {
	t.Helper()
	var me *migration.Error
	if !errors.As(err, &me) || !errors.Is(err, cause) {
		t.Fatalf("error = %v (%T); want a *migration.Error matching %v", err, err, cause)
	}
	msg := err.Error()
	t.Logf("%s", msg)
	if strings.Contains(msg, "never-shown-pw") {
		t.Errorf("message %q shows the password", msg)
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("message has more than one line: %q", msg)
	}
	for _, p := range parts {
		if !strings.Contains(msg, p) {
			t.Errorf("message %q lacks %q", msg, p)
		}
	}
}

// TestBrokenMigration runs a migration whose second statement fails: the
// first statement stays applied (MySQL commits DDL), the database is dirty
// at that version, the error names the database, the version and the force
// command, and later runs are refused with the same advice until the
// database is forced back; then up succeeds.
func TestBrokenMigration(t *testing.T) {
	fsys := goodFS()
	fsys["demo/000002_b.up.sql"] = &fstest.MapFile{Data: []byte(
		"CREATE TABLE IF NOT EXISTS b (id BIGINT NOT NULL PRIMARY KEY) ENGINE=InnoDB;\n" +
			"CREATE TABLE c (id BIGINT NOT NULL PRIMARY KEY, x NO_SUCH_TYPE) ENGINE=InnoDB;")}
	m := migration.Migrator{Source: fsys}
	d := emptyDemo(t, fsys)
	target := d.Target("demo")
	ctx := context.Background()

	err := m.Up(ctx, target)
	wantError(t, err, migration.ErrFailed, "migrate up demo", "(database "+target.Schema+")",
		"migration 000002", "NO_SUCH_TYPE", `hubdb migrate force 1 --db demo`)
	wantStatus(t, &m, target, true, 2, true)
	if got := tables(testdb.Snapshot(t, d.DB("demo"), target.Schema)); strings.Join(got, ",") != "a,b,schema_migrations,schema_migrations_history" {
		t.Errorf("tables after the failure: %v; want a, b (the first statement), the version and history tables", got)
	}

	for _, op := range []struct {
		name string
		run  func() error
	}{
		{"up", func() error { return m.Up(ctx, target) }},
		{"down", func() error { return m.Down(ctx, target) }},
		{"steps -1", func() error { return m.Steps(ctx, target, -1) }},
		{"goto 1", func() error { return m.Goto(ctx, target, 1) }},
	} {
		wantError(t, op.run(), migration.ErrDirty, "migrate "+op.name+" demo", "dirty at version 2",
			`hubdb migrate force 1 --db demo`)
	}

	// The way out: repair, force the last good version, migrate again.
	m.Source = goodFS()
	if err := m.Force(ctx, target, 1); err != nil {
		t.Fatalf("force 1: %v", err)
	}
	wantStatus(t, &m, target, true, 1, false)
	if err := m.Up(ctx, target); err != nil {
		t.Fatalf("up after force: %v", err)
	}
	wantStatus(t, &m, target, true, 2, false)
}

// TestBadSource checks the source errors that are found before any
// connection is made: the target's server is a closed port, so reaching it
// would give a different error.
func TestBadSource(t *testing.T) {
	server := closedPort(t)
	tests := []struct {
		name  string
		fsys  fstest.MapFS
		db    string
		cause error
		parts []string
	}{
		{
			name: "missing down file",
			fsys: sqlFS("demo", map[string]string{"000001_a.up.sql": "SELECT 1;"}),
			db:   "demo", cause: migration.ErrMissingDown,
			parts: []string{"demo/000001_a.up.sql has no .down.sql", "NNNNNN_title.down.sql"},
		},
		{
			name: "missing up file",
			fsys: sqlFS("demo", map[string]string{"000001_a.up.sql": "SELECT 1;", "000001_a.down.sql": "SELECT 1;", "000002_b.down.sql": "SELECT 1;"}),
			db:   "demo", cause: migration.ErrMissingUp,
			parts: []string{"demo/000002_b.down.sql has no .up.sql"},
		},
		{
			name: "file name without a direction",
			fsys: sqlFS("demo", map[string]string{"000001_a.up.sql": "SELECT 1;", "000001_a.down.sql": "SELECT 1;", "000002_b.sql": "SELECT 1;"}),
			db:   "demo", cause: migration.ErrBadFileName,
			parts: []string{"demo/000002_b.sql", "NNNNNN_title.up.sql"},
		},
		{
			name: "file name without a version",
			fsys: sqlFS("demo", map[string]string{"000001_a.up.sql": "SELECT 1;", "000001_a.down.sql": "SELECT 1;", "V2__b.up.sql": "SELECT 1;"}),
			db:   "demo", cause: migration.ErrBadFileName,
			parts: []string{"demo/V2__b.up.sql"},
		},
		{
			name: "unknown database",
			fsys: goodFS(), db: "nope", cause: migration.ErrUnknownDatabase,
			parts: []string{`"nope"`, "use one of: demo"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := migration.Migrator{Source: tt.fsys}
			target := migration.Target{Name: tt.db, Schema: "t0_" + tt.db, Server: server}
			wantError(t, m.Up(context.Background(), target), tt.cause, append([]string{"migrate up " + tt.db}, tt.parts...)...)
			_, err := m.Status(context.Background(), target)
			wantError(t, err, tt.cause, "migrate status "+tt.db)
		})
	}
}

// TestNoSuchVersion asks for versions that are not among the migrations.
func TestNoSuchVersion(t *testing.T) {
	m := migration.Migrator{Source: goodFS()}
	target := emptyDemo(t, m.Source).Target("demo")
	ctx := context.Background()
	if err := m.Up(ctx, target); err != nil {
		t.Fatal(err)
	}
	wantError(t, m.Goto(ctx, target, 3), migration.ErrNoSuchVersion, "migrate goto 3 demo", "available: 1, 2")
	wantError(t, m.Force(ctx, target, 7), migration.ErrNoSuchVersion, "migrate force 7 demo", "available: 1, 2", "0 for none")
	wantError(t, m.Steps(ctx, target, 1), migration.ErrNoSuchVersion, "migrate steps 1 demo", "no migration that far")
	wantStatus(t, &m, target, true, 2, false) // nothing changed
	if err := m.Goto(ctx, target, 1); err != nil {
		t.Fatalf("goto 1: %v", err)
	}
	wantStatus(t, &m, target, true, 1, false)
}

// TestMissingDatabase: down, goto, force and up --no-create refuse a
// database that does not exist, saying how to create it, and create
// nothing; status reports it as missing.
func TestMissingDatabase(t *testing.T) {
	m := migration.Migrator{Source: goodFS(), NoCreate: true}
	// Reserved: it does not exist, and is dropped if a refusal creates it.
	target := (&hubtest.Kit{Source: m.Source}).Reserve(t, "demo").Target("demo")
	ctx := context.Background()
	for op, err := range map[string]error{
		"down":     m.Down(ctx, target),
		"goto 1":   m.Goto(ctx, target, 1),
		"force 1":  m.Force(ctx, target, 1),
		"up":       m.Up(ctx, target),
		"steps 1":  m.Steps(ctx, target, 1),
		"steps -1": m.Steps(ctx, target, -1),
	} {
		wantError(t, err, migration.ErrMissingDatabase, "migrate "+op+" demo", target.Schema, `hubdb migrate up --db demo`)
	}
	wantStatus(t, &m, target, false, 0, false)
}

// TestUnreachable: a server that refuses connections gives an error that
// names the database, the address and what to do.
func TestUnreachable(t *testing.T) {
	server := closedPort(t)
	m := migration.Migrator{Source: goodFS()}
	target := migration.Target{Name: "demo", Schema: "t0_demo", Server: server}
	wantError(t, m.Up(context.Background(), target), migration.ErrUnreachable,
		"migrate up demo", "cannot reach the MySQL server at "+server.Addr, "connection refused", "HUBDB_DEMO_DSN")
	_, err := m.Status(context.Background(), target)
	wantError(t, err, migration.ErrUnreachable, "migrate status demo", server.Addr)
}

// closedPort returns a server configuration for a loopback port nothing
// listens on, with a password that must never show.
func closedPort(t *testing.T) *mysql.Config {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net, cfg.Addr = "app", "never-shown-pw", "tcp", addr
	cfg.Timeout = 2 * time.Second
	return cfg
}
