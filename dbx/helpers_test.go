package dbx_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"log/slog"
	"runtime"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/solarhub/hubdb/dbx"
	"github.com/solarhub/hubdb/hubtest"
)

// server returns the test server's configuration (hubtest's: the server at
// HUBDB_TEST_DSN, else the kit's private MariaDB), with parseTime and UTC
// for the connections of admin.
func server(t testing.TB) *mysql.Config {
	t.Helper()
	cfg := hubtest.Server(t)
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	return cfg
}

// admin opens an unpooled-by-dbx connection to the test server.
func admin(t testing.TB, srv *mysql.Config, schema string) *sql.DB {
	t.Helper()
	c := srv.Clone()
	c.DBName = schema
	conn, err := mysql.NewConnector(c)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(conn)
	t.Cleanup(func() { db.Close() })
	return db
}

// kvKit makes the dbx tests' databases: "kv", a table kv(k INT PRIMARY
// KEY, v INT) holding the rows (1,0) and (2,0), migrated once per run into
// the kit's template and copied for each test.
var kvKit = hubtest.Kit{Source: fstest.MapFS{
	"kv/000001_kv.up.sql": {Data: []byte("CREATE TABLE kv (k INT PRIMARY KEY, v INT NOT NULL) ENGINE=InnoDB;\n" +
		"INSERT INTO kv VALUES (1, 0), (2, 0);\n")},
	"kv/000001_kv.down.sql": {Data: []byte("DROP TABLE kv;\n")},
}}

// newSchema gives the test its own database with table kv (see kvKit) on
// srv's server, from the test kit, and returns its name; it is dropped
// when the test ends (kept if it failed).
func newSchema(t testing.TB, srv *mysql.Config) string {
	t.Helper()
	d := kvKit.New(t, "kv")
	if got := d.Server(); got.Addr != srv.Addr || got.Net != srv.Net {
		t.Fatalf("the kit's server %s is not the test's %s", got.Addr, srv.Addr)
	}
	return d.Schema("kv")
}

// uniqueUser returns a new MySQL user name for a test, dbxtest_<random>.
func uniqueUser() string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	return "dbxtest_" + hex.EncodeToString(b)
}

// small returns pool settings that keep tests light on the shared server.
func small() dbx.Pool {
	return dbx.Pool{Size: dbx.Int(2), Overflow: dbx.Int(1), Timeout: 5 * time.Second}
}

// open opens a Manager and, when the test ends, checks that no connection
// is checked out on any pool (in dbx's gate and in database/sql), then
// closes it.
func open(t testing.TB, cfg dbx.Config) *dbx.Manager {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	m, err := dbx.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := dbx.WaitIdle(ctx, m); err != nil {
			t.Errorf("connections still checked out: %v\n%s", err, m.Status())
		}
		for _, s := range m.Status() {
			if s.InUse != 0 || s.Stats.InUse != 0 {
				t.Errorf("%s: InUse %d, database/sql InUse %d after the test", s.DB, s.InUse, s.Stats.InUse)
			}
		}
		if err := m.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return m
}

// oneDB configures a single database "main" on schema.
func oneDB(srv *mysql.Config, schema string, p dbx.Pool) dbx.Config {
	return dbx.Config{DBs: []dbx.DBConfig{{Name: "main", Schema: schema, Server: srv, Pool: p}}}
}

// raw binds DBTX itself as the "queries" type, for tests without sqlc code.
func raw(t testing.TB, m *dbx.Manager, name string) *dbx.DB[dbx.DBTX] {
	t.Helper()
	d, err := dbx.Bind(m, name, func(x dbx.DBTX) dbx.DBTX { return x })
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// idleConnID returns the server's id of the connection a query on d
// used, once it is back in the pool (with a pool of one: the pooled
// connection a test then kills or watches).
func idleConnID(t testing.TB, m *dbx.Manager, d *dbx.DB[dbx.DBTX]) int64 {
	t.Helper()
	ctx := context.Background()
	var id int64
	if err := d.Queries(ctx).QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&id); err != nil {
		t.Fatal(err)
	}
	if err := dbx.WaitIdle(ctx, m); err != nil {
		t.Fatal(err)
	}
	return id
}

// value reads kv.v for key k outside dbx.
func value(t testing.TB, db *sql.DB, k int) int {
	t.Helper()
	var v int
	if err := db.QueryRowContext(context.Background(), "SELECT v FROM kv WHERE k = ?", k).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// logBuffer collects slog output safely from many goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// nextLine returns the file and the line after the caller's.
func nextLine() (string, int) {
	_, file, line, _ := runtime.Caller(1)
	return file, line + 1
}
