package hubtest

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/solarhub/hubdb/dbx"
	"github.com/solarhub/hubdb/gen"
	"github.com/solarhub/hubdb/internal/testdb"
	"github.com/solarhub/hubdb/migration"
	"github.com/solarhub/hubdb/schema"
)

// TB is the part of testing.TB the kit uses; *testing.T, *testing.B and
// *testing.F satisfy it.
type TB interface {
	Cleanup(func())
	Errorf(format string, args ...any)
	Failed() bool
	Fatalf(format string, args ...any)
	Helper()
	Logf(format string, args ...any)
	Name() string
}

// Fixture seeds a test's hub through the generated queries, e.g. an
// organisation and a site that every test of a package starts from.
type Fixture func(ctx context.Context, hub *gen.Hub) error

// Defaults of [Kit].
const (
	// DefaultBudget is the most connections one test's hub holds on the
	// server (dbx.Config.ServerBudget): twenty parallel tests then fit in
	// MariaDB's default max_connections of 151 with room to spare.
	DefaultBudget = 4
	// DefaultTimeout bounds making a test's databases (a first run builds
	// the templates: a migration run per database).
	DefaultTimeout = 2 * time.Minute
)

// Kit makes per-test databases. The zero value is ready to use: the
// package's functions [New], [Hub] and [Empty] use one.
type Kit struct {
	// DSN is the test server, a go-sql-driver/mysql DSN without a database.
	// Default: the environment variable HUBDB_TEST_DSN; when that is unset
	// too, a private MariaDB that the kit starts and that stops itself when
	// no test has used it for about 20 s.
	DSN string
	// AllowServer lets the kit use a server that is not on a loopback
	// address or a unix socket. Without it such a server is refused (so is
	// it with HUBDB_TEST_ALLOW=<host:port> naming it).
	AllowServer bool
	// Source holds the migrations, a directory per database. Default
	// schema.FS, the migrations embedded in hubdb.
	Source fs.FS
	// Migrate migrates every test's databases with golang-migrate instead
	// of copying the templates: several times slower, for migrations whose
	// result the copy cannot reproduce (views, triggers, routines: the kit
	// says so when it meets one).
	Migrate bool
	// Pool is the pool settings of the hubs and configurations the kit
	// makes. Unset fields: Size 1, Overflow 3, then the dbx defaults.
	Pool dbx.Pool
	// Budget is dbx.Config.ServerBudget of those hubs. Default DefaultBudget.
	Budget int
	// Fixtures run, in order, on every hub [Kit.Hub] and [Databases.Hub]
	// return.
	Fixtures []Fixture
	// Keep keeps the databases of passing tests too (as does a non-empty
	// HUBDB_TEST_KEEP). A failing test's are always kept.
	Keep bool
	// Timeout bounds making one test's databases. Default DefaultTimeout.
	Timeout time.Duration
}

var defaultKit Kit

// New gives the test its own freshly migrated copies of the logical
// databases names (gen.Name* constants; all of the registry when none),
// on the kit's server, dropped when the test ends: see [Kit.New].
func New(t TB, names ...string) *Databases {
	t.Helper()
	return defaultKit.New(t, names...)
}

// Reserve gives the test names for databases that do not exist yet: see
// [Kit.Reserve].
func Reserve(t TB, names ...string) *Databases {
	t.Helper()
	return defaultKit.Reserve(t, names...)
}

// Hub gives the test a *gen.Hub on its own migrated copies of names (all
// when none): see [Kit.Hub].
func Hub(t TB, names ...string) *gen.Hub {
	t.Helper()
	return defaultKit.Hub(t, names...)
}

// Empty gives the test its own empty databases for names: see [Kit.Empty].
func Empty(t TB, names ...string) *Databases {
	t.Helper()
	return defaultKit.Empty(t, names...)
}

// Server returns the kit's test server (no database selected), for tests
// that need the server itself: see [Kit.Server].
func Server(t TB) *mysql.Config {
	t.Helper()
	return defaultKit.Server(t)
}

// Server returns the kit's test server, resolved and checked as for New
// (HUBDB_TEST_DSN, else the private server), with no database selected.
// Databases a test creates there by hand are its own to drop.
func (k *Kit) Server(t TB) *mysql.Config {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), k.timeout())
	defer cancel()
	e, err := k.engine(ctx, t)
	if err != nil {
		t.Fatalf("hubtest: %v", err)
	}
	return e.Server()
}

// OpenServer is a plain *sql.DB on server with no database selected, for
// statements such as CREATE USER or GRANT in a test, closed when the test
// ends. server is any server (the kit's, from [Server], or one the test
// started); its DBName is ignored.
func OpenServer(t TB, server *mysql.Config) *sql.DB {
	t.Helper()
	cfg := server.Clone()
	cfg.DBName = ""
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		t.Fatalf("hubtest: %v", err)
	}
	db := sql.OpenDB(connector)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func (k *Kit) timeout() time.Duration {
	if k.Timeout <= 0 {
		return DefaultTimeout
	}
	return k.Timeout
}

// New creates the test's copies of the logical databases names (all of
// the registry when none; with Kit.Source, all of its databases) at the latest schema version and returns them.
// They belong to this test alone (their names carry the kit's marker, the
// process's id and a number), so tests may call t.Parallel(). When the test
// ends they are dropped if it passed, and kept if it failed, with their
// names and a command to connect in the test's log. Any error fails the
// test with t.Fatalf.
func (k *Kit) New(t TB, names ...string) *Databases {
	t.Helper()
	mode := testdb.Copied
	if k.Migrate {
		mode = testdb.Migrated
	}
	return k.create(t, mode, names)
}

// Empty is New without migrating: the databases exist, with the schemas'
// character set, and hold nothing. It is for tests of migrations.
func (k *Kit) Empty(t TB, names ...string) *Databases {
	t.Helper()
	return k.create(t, testdb.Empty, names)
}

// Reserve is New without creating anything: the names (under the test's
// prefix, like New's) are the test's, no database of them exists, and
// whichever of them exist when the test ends (the code under test created
// them, e.g. `hubdb migrate up` with [Databases.Env]) are dropped or kept
// like New's. It is for tests of what creates databases, or of a database
// that is missing.
func (k *Kit) Reserve(t TB, names ...string) *Databases {
	t.Helper()
	return k.create(t, testdb.Reserved, names)
}

// Hub is New followed by [Databases.Hub]: a hub on the test's databases,
// with the kit's fixtures applied, closed when the test ends.
func (k *Kit) Hub(t TB, names ...string) *gen.Hub {
	t.Helper()
	return k.New(t, names...).Hub()
}

func (k *Kit) create(t TB, mode testdb.Mode, names []string) *Databases {
	t.Helper()
	if len(names) == 0 {
		names = gen.Names
		if k.Source != nil { // every database of the kit's own migrations
			var err error
			if names, err = schema.Databases(k.Source); err != nil {
				t.Fatalf("hubtest: read the kit's migrations: %v", err)
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), k.timeout())
	defer cancel()
	e, err := k.engine(ctx, t)
	if err != nil {
		t.Fatalf("hubtest: %v", err)
	}
	set, err := e.Create(ctx, k.Source, mode, names...)
	if err != nil {
		t.Fatalf("hubtest: %v", err)
	}
	d := &Databases{t: t, kit: k, set: set, server: e.Server(), out: &tbOut{t: t}}
	t.Cleanup(d.cleanup)
	return d
}

func (k *Kit) engine(ctx context.Context, t TB) (*testdb.Engine, error) {
	dsn := k.DSN
	if dsn == "" {
		dsn = os.Getenv(testdb.EnvDSN)
	}
	var server *mysql.Config
	var err error
	if k.AllowServer && dsn != "" {
		server, err = testdb.ParseDSN(dsn) // any server: no CheckAllowed
	} else {
		server, err = testdb.Resolve(ctx, dsn, os.Getenv(testdb.EnvAllow), t.Logf)
	}
	if err != nil {
		return nil, err
	}
	e, err := testdb.Open(ctx, server)
	if err != nil {
		return nil, err
	}
	if n := e.Swept(); n > 0 {
		t.Logf("hubtest: dropped %d databases that ended test runs left on %s", n, server.Addr)
	}
	return e, nil
}

// Databases are one test's databases.
type Databases struct {
	t      TB
	kit    *Kit
	set    *testdb.Set
	server *mysql.Config
	out    *tbOut

	mu      sync.Mutex
	dbs     map[string]*sql.DB
	hub     *gen.Hub
	closed  []func() error
	dropped bool
}

// Names are the logical names of the databases, in the order asked for.
func (d *Databases) Names() []string { return slices.Clone(d.set.Names) }

// Schema is the physical name of the logical database name, e.g.
// _hubtest_1a2b3c4d_7_ess.
func (d *Databases) Schema(name string) string {
	d.t.Helper()
	s, ok := d.set.Schemas[name]
	if !ok {
		d.t.Fatalf("hubtest: %q is not one of this test's databases (%s)", name, strings.Join(d.set.Names, ", "))
	}
	return s
}

// Prefix is the prefix every database of the test shares.
func (d *Databases) Prefix() string { return d.set.Prefix }

// Server is a copy of the test server's configuration (no database).
func (d *Databases) Server() *mysql.Config { return d.server.Clone() }

// DSN is a go-sql-driver/mysql DSN for the logical database name, with
// parseTime=true and loc=UTC, for clients other than dbx.
func (d *Databases) DSN(name string) string {
	d.t.Helper()
	return d.mysqlConfig(name).FormatDSN()
}

func (d *Databases) mysqlConfig(name string) *mysql.Config {
	cfg := d.server.Clone()
	cfg.DBName = d.Schema(name)
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	return cfg
}

// DB is a plain *sql.DB on the logical database name (opened on the first
// call, closed when the test ends), for checks the generated queries do
// not make.
func (d *Databases) DB(name string) *sql.DB {
	d.t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	if db := d.dbs[name]; db != nil {
		return db
	}
	connector, err := mysql.NewConnector(d.mysqlConfig(name))
	if err != nil {
		d.t.Fatalf("hubtest: %v", err)
	}
	db := sql.OpenDB(connector)
	if d.dbs == nil {
		d.dbs = map[string]*sql.DB{}
	}
	d.dbs[name] = db
	d.closed = append(d.closed, db.Close)
	return db
}

// Env is the environment that points hubdb's config loader (config.Load,
// and so the hubdb command) at the test's databases: HUBDB_DSN, the test
// server, and HUBDB_DB_PREFIX, the test's prefix. The loader maps every
// logical name under the prefix; only the test's own databases exist.
func (d *Databases) Env() []string {
	s := d.server.Clone()
	s.DBName = ""
	return []string{"HUBDB_DSN=" + s.FormatDSN(), "HUBDB_DB_PREFIX=" + d.set.Prefix}
}

// Target is the migration target of the logical database name, for
// migration.Migrator.
func (d *Databases) Target(name string) migration.Target {
	d.t.Helper()
	d.Schema(name)
	return d.set.Target(name)
}

// Config is a dbx configuration of the test's databases: every one of
// them, the kit's pool settings as the defaults, the kit's budget, and
// dbx's warnings in the test's log. Pass it to gen.Open or dbx.Open, after
// any changes of the test's own.
func (d *Databases) Config() dbx.Config {
	p := d.kit.Pool
	if p.Size == nil {
		p.Size = dbx.Int(1)
	}
	if p.Overflow == nil {
		p.Overflow = dbx.Int(3)
	}
	budget := d.kit.Budget
	if budget <= 0 {
		budget = DefaultBudget
	}
	cfg := dbx.Config{Defaults: p, ServerBudget: budget, Logger: testLogger(d.out)}
	for _, n := range d.set.Names {
		server := d.server.Clone()
		server.DBName = d.set.Schemas[n]
		cfg.DBs = append(cfg.DBs, dbx.DBConfig{Name: n, Schema: d.set.Schemas[n], Server: server})
	}
	return cfg
}

// Hub opens a *gen.Hub on the test's databases with [Databases.Config] (the
// first call; later calls return the same hub), runs the kit's fixtures on
// it and closes it when the test ends, after checking that every
// connection came back. Databases the test did not ask for have handles
// whose Opened is false.
func (d *Databases) Hub() *gen.Hub {
	d.t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.hub != nil {
		return d.hub
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	hub, err := gen.Open(ctx, d.Config())
	if err != nil {
		d.t.Fatalf("hubtest: open the hub: %v", err)
	}
	d.hub = hub
	d.closed = append(d.closed, func() error { return closeHub(hub) })
	for i, f := range d.kit.Fixtures {
		if err := f(ctx, hub); err != nil {
			d.t.Fatalf("hubtest: fixture %d of %d: %v", i+1, len(d.kit.Fixtures), err)
		}
	}
	return hub
}

// closeHub waits (bounded) for the hub's connections to come back and
// closes it; a connection still out is the test's leak.
func closeHub(hub *gen.Hub) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	waitErr := hub.Manager.WaitIdle(ctx)
	inUse := hub.Manager.Status().InUse()
	err := hub.Close()
	switch {
	case inUse != 0:
		return fmt.Errorf("%d connections still in use when the test ended (a Rows or transaction not closed?)", inUse)
	case waitErr != nil:
		return fmt.Errorf("the hub's connections did not come back when the test ended: %v", waitErr)
	}
	return err
}

// Drop closes what the test opened on the databases and drops them now,
// before the test ends (a benchmark's iteration, a test that makes many
// sets one after another); the end of the test then has nothing left to
// do for them. Any error fails the test.
func (d *Databases) Drop() {
	d.t.Helper()
	d.mu.Lock()
	dropped := d.dropped
	d.dropped = true
	d.mu.Unlock()
	if dropped {
		return
	}
	d.closeAll()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := d.set.Drop(ctx); err != nil {
		d.t.Fatalf("hubtest: drop the test's databases: %v", err)
	}
}

// closeAll closes what the test opened on the databases, last first.
func (d *Databases) closeAll() {
	d.mu.Lock()
	closers := d.closed
	d.closed = nil
	d.hub, d.dbs = nil, nil
	d.mu.Unlock()
	for i := len(closers) - 1; i >= 0; i-- {
		if err := closers[i](); err != nil {
			d.t.Errorf("hubtest: %v", err)
		}
	}
}

// cleanup closes what the test opened and drops the databases, or keeps
// them when the test failed or keeping was asked for.
func (d *Databases) cleanup() {
	d.closeAll()
	d.out.stop()
	d.mu.Lock()
	dropped := d.dropped
	d.mu.Unlock()
	if dropped {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	keep := d.kit.Keep || os.Getenv(testdb.EnvKeep) != ""
	if !keep && !d.t.Failed() {
		if err := d.set.Drop(ctx); err != nil {
			d.t.Errorf("hubtest: drop the test's databases: %v", err)
		}
		return
	}
	why := "the test failed"
	if !d.t.Failed() {
		why = "keeping was asked for"
	}
	kept, err := d.set.Keep(ctx, d.t.Name())
	switch {
	case err != nil:
		d.t.Errorf("hubtest: keep the test's databases: %v", err)
	case len(kept) == 0:
		d.t.Logf("hubtest: %s: none of its reserved databases (%s) was created", why, strings.Join(d.physical(), ", "))
	default:
		d.t.Logf("hubtest: %s: its databases are kept: %s\n\tconnect: %s\n\tdrop:    %s",
			why, strings.Join(kept, ", "), connectCommand(d.server, kept[0]), dropCommand(d.server, d.set.Prefix))
	}
}

func (d *Databases) physical() []string {
	out := make([]string, 0, len(d.set.Names))
	for _, n := range d.set.Names {
		out = append(out, d.set.Schemas[n])
	}
	return out
}

// connectCommand is the mariadb client command for schema on server. A
// password is never shown: -p makes the client ask for it.
func connectCommand(server *mysql.Config, schema string) string {
	var b strings.Builder
	b.WriteString("mariadb")
	if server.Net == "unix" {
		fmt.Fprintf(&b, " -S %s", server.Addr)
	} else {
		host, port, ok := strings.Cut(server.Addr, ":")
		if !ok {
			port = "3306"
		}
		fmt.Fprintf(&b, " -h %s -P %s", host, port)
	}
	fmt.Fprintf(&b, " -u %s", server.User)
	if server.Passwd != "" {
		b.WriteString(" -p")
	}
	b.WriteString(" " + schema)
	return b.String()
}

// dropCommand is the hubdb command that drops a kept set (hubdb: go install
// github.com/solarhub/hubdb/cmd/hubdb, or go run ./cmd/hubdb in hubdb itself).
func dropCommand(server *mysql.Config, prefix string) string {
	s := server.Clone()
	if s.Passwd != "" {
		s.Passwd = "PASSWORD"
	}
	s.DBName = ""
	return fmt.Sprintf("%s='%s' hubdb testdb drop --yes %s", testdb.EnvDSN, s.FormatDSN(), prefix)
}
