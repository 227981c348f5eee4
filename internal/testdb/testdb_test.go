package testdb

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/go-sql-driver/mysql"

	"github.com/solarhub/hubdb/migration"
	"github.com/solarhub/hubdb/schema"
)

// testServer is the server of HUBDB_TEST_DSN (make test always sets it);
// these tests of the engine's inside need a server that already runs.
func testServer(t *testing.T) *mysql.Config {
	t.Helper()
	dsn := os.Getenv(EnvDSN)
	if dsn == "" {
		t.Skipf("%s is not set (make test sets it); package hubtest's tests cover the private server", EnvDSN)
	}
	cfg, err := Resolve(context.Background(), dsn, "", t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// newEngine opens an Engine of its own, as another process would, closed
// (its owner lock released) when the test ends.
func newEngine(t *testing.T, server *mysql.Config) *Engine {
	t.Helper()
	e, err := open(context.Background(), server)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.close() })
	return e
}

func (e *Engine) close() {
	_ = e.held.Close()
	_ = e.admin.Close()
}

func exists(t *testing.T, db *sql.DB, name string) bool {
	t.Helper()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

func TestNames(t *testing.T) {
	for _, tc := range []struct {
		name  string
		owner string
		ok    bool
	}{
		{"_hubtest_1a2b3c4d_7_ess", "1a2b3c4d", true},
		{"_hubtest_1a2b3c4d_12_notification", "1a2b3c4d", true},
		{"_hubtest_tpl_0123456789_ess", "", false},
		{"_hubtest_kit", "", false},
		{"_hubtest_1A2B3C4D_7_ess", "", false}, // upper case is not the kit's
		{"_hubtest_1a2b3c4d_x_ess", "", false},
		{"_hubtest_1a2b3c4d_7_", "", false},
		{"stage_ess", "", false},
		{"ess", "", false},
		{"t1a2b3c4d_ess", "", false},
	} {
		owner, ok := parseCopy(tc.name)
		if ok != tc.ok || owner != tc.owner {
			t.Errorf("parseCopy(%q) = %q, %v; want %q, %v", tc.name, owner, ok, tc.owner, tc.ok)
		}
	}
	if !IsSetPrefix("_hubtest_1a2b3c4d_7_") || IsSetPrefix("_hubtest_1a2b3c4d_7_ess") || IsSetPrefix("_hubtest_tpl_") || IsSetPrefix("stage_") {
		t.Error("IsSetPrefix accepts or refuses the wrong prefixes")
	}
	if got := likePrefix("_hubtest_a%"); got != `\_hubtest\_a\%%` {
		t.Errorf("likePrefix = %q", got)
	}
}

// TestHashFollowsTheMigrations: editing, adding or removing a migration
// file changes the schema version; other databases' files do not.
func TestHashFollowsTheMigrations(t *testing.T) {
	fsys := fstest.MapFS{
		"ess/000001_init.up.sql":   {Data: []byte("CREATE TABLE a (id INT PRIMARY KEY);")},
		"ess/000001_init.down.sql": {Data: []byte("DROP TABLE a;")},
		"pv/000001_init.up.sql":    {Data: []byte("CREATE TABLE b (id INT PRIMARY KEY);")},
	}
	base, err := Hash(fsys, "ess")
	if err != nil {
		t.Fatal(err)
	}
	if len(base) != hashLen {
		t.Fatalf("hash %q has %d characters, want %d", base, len(base), hashLen)
	}
	change := func(what string, f func(fstest.MapFS)) {
		c := fstest.MapFS{}
		for k, v := range fsys {
			c[k] = &fstest.MapFile{Data: slices.Clone(v.Data)}
		}
		f(c)
		h, err := Hash(c, "ess")
		if err != nil {
			t.Fatal(err)
		}
		if (h != base) != (what != "other database") {
			t.Errorf("%s: hash %s, before %s", what, h, base)
		}
	}
	change("edit", func(c fstest.MapFS) {
		c["ess/000001_init.up.sql"].Data = []byte("CREATE TABLE a (id BIGINT PRIMARY KEY);")
	})
	change("add", func(c fstest.MapFS) { c["ess/000002_x.up.sql"] = &fstest.MapFile{Data: []byte("SELECT 1;")} })
	change("remove", func(c fstest.MapFS) { delete(c, "ess/000001_init.down.sql") })
	change("rename", func(c fstest.MapFS) {
		c["ess/000003_init.down.sql"] = c["ess/000001_init.down.sql"]
		delete(c, "ess/000001_init.down.sql")
	})
	change("other database", func(c fstest.MapFS) { c["pv/000001_init.up.sql"].Data = []byte("--") })
	if _, err := Hash(fsys, "nope"); err == nil {
		t.Error("Hash of a database without migrations did not fail")
	}
}

func TestCheckAllowed(t *testing.T) {
	for _, tc := range []struct {
		dsn, allow string
		ok         bool
	}{
		{"root@tcp(127.0.0.1:3306)/", "", true},
		{"root@tcp(localhost:3306)/", "", true},
		{"root@tcp([::1]:3306)/", "", true},
		{"root@unix(/run/mysqld/mysqld.sock)/", "", true},
		{"app:secret@tcp(db1.prod:3306)/", "", false},
		{"app:secret@tcp(10.0.0.5:3306)/", "", false},
		{"app:secret@tcp(10.0.0.5:3306)/", "10.0.0.5:3307", false},
		{"app:secret@tcp(10.0.0.5:3306)/", "10.0.0.5:3306", true},
	} {
		cfg, err := mysql.ParseDSN(tc.dsn)
		if err != nil {
			t.Fatal(err)
		}
		err = CheckAllowed(cfg, tc.allow)
		if (err == nil) != tc.ok {
			t.Errorf("CheckAllowed(%s, %q) = %v, want ok=%v", cfg.Addr, tc.allow, err, tc.ok)
		}
		if err != nil {
			if !errors.Is(err, ErrNotTestServer) || !strings.Contains(err.Error(), EnvAllow+"="+cfg.Addr) {
				t.Errorf("error does not match ErrNotTestServer or does not say how to allow the server: %v", err)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error shows the password: %v", err)
			}
		}
	}
	if _, err := Resolve(context.Background(), "root:secret@tcp(127.0.0.1:3306", "", t.Logf); err == nil ||
		strings.Contains(err.Error(), "secret") || !strings.Contains(err.Error(), EnvDSN) {
		t.Errorf("a bad DSN: %v", err)
	}
}

// TestSweepDropsWhatEndedRunsLeft: a copy whose process ended is dropped by
// the next process's first use, unless it was kept for a failed test; a
// running process's copies are never touched.
func TestSweepDropsWhatEndedRunsLeft(t *testing.T) {
	server := testServer(t)
	ctx := context.Background()
	running := newEngine(t, server)
	live, err := running.Create(ctx, nil, Empty, "ess")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = live.Drop(ctx) })

	ended, err := open(ctx, server)
	if err != nil {
		t.Fatal(err)
	}
	stale, err := ended.Create(ctx, nil, Empty, "ess", "pv")
	if err != nil {
		t.Fatal(err)
	}
	kept, err := ended.Create(ctx, nil, Empty, "site")
	if err != nil {
		t.Fatal(err)
	}
	if names, err := kept.Keep(ctx, "TestSomething/failed"); err != nil || len(names) != 1 {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = Drop(ctx, running.admin, []string{kept.Schemas["site"]}) })
	ended.close() // the process ends: its owner lock is free

	next := newEngine(t, server)
	if next.Swept() < 2 {
		t.Errorf("the next process swept %d databases, want at least the 2 left behind", next.Swept())
	}
	for _, name := range stale.Schemas {
		if exists(t, next.admin, name) {
			t.Errorf("%s of an ended process is still there", name)
		}
	}
	if !exists(t, next.admin, kept.Schemas["site"]) {
		t.Errorf("the kept %s was swept", kept.Schemas["site"])
	}
	if !exists(t, next.admin, live.Schemas["ess"]) {
		t.Errorf("%s of a running process was swept", live.Schemas["ess"])
	}
	list, err := List(ctx, next.admin, kept.Prefix)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || !list[0].Kept || list[0].Test != "TestSomething/failed" || list[0].Alive || list[0].Kind != "copy" {
		t.Errorf("List(%s) = %+v", kept.Prefix, list)
	}
}

// TestUnfinishedTemplateIsRebuilt: a template database without its ready
// mark (a build that died) is dropped and built again, and a mark whose
// database is gone is not trusted.
func TestUnfinishedTemplateIsRebuilt(t *testing.T) {
	server := testServer(t)
	ctx := context.Background()
	e := newEngine(t, server)
	src := fstest.MapFS{"ess/000001_init.up.sql": {Data: []byte(
		"CREATE TABLE parent (id INT PRIMARY KEY);\n" +
			"CREATE TABLE child (id INT AUTO_INCREMENT PRIMARY KEY, parent_id INT, CONSTRAINT fk_child_parent FOREIGN KEY (parent_id) REFERENCES parent (id));\n" +
			"CREATE TABLE kinds (id INT PRIMARY KEY, name VARCHAR(10));\n" +
			"CREATE TABLE odd (id INT PRIMARY KEY, b VARBINARY(8), s VARCHAR(20), n INT, d DATETIME(6), g INT AS (id * 2) VIRTUAL);\n" +
			"INSERT INTO kinds VALUES (1, 'one'), (2, 'two');\n" +
			"INSERT INTO odd (id, b, s, n, d) VALUES (1, 0x00275c1a, 'it''s \\\\ \"x\"', NULL, '2026-12-01 10:11:12.123456');\n" +
			// a unique suffix: this test's template is its own
			"-- " + e.owner + "\n")},
		"ess/000001_init.down.sql": {Data: []byte("DROP TABLE child, kinds, odd, parent;")}}
	hash, err := Hash(src, "ess")
	if err != nil {
		t.Fatal(err)
	}
	name := templateName(hash, "ess")
	t.Cleanup(func() { _ = Drop(ctx, e.admin, []string{name}) })
	// A build that died after creating the database and one table.
	if _, err := e.admin.ExecContext(ctx, "CREATE DATABASE "+quoteIdent(name)+"; CREATE TABLE "+quoteIdent(name)+".junk (id INT)"); err != nil {
		t.Fatal(err)
	}
	set, err := e.Create(ctx, src, Copied, "ess")
	if err != nil {
		t.Fatal(err)
	}
	defer set.Drop(ctx)
	copyDB := set.Schemas["ess"]
	var tables []string
	if tables, err = queryStrings(ctx, e.admin, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY 1", copyDB); err != nil {
		t.Fatal(err)
	}
	if want := []string{"child", "kinds", "odd", "parent", migration.VersionTable, migration.HistoryTable}; !slices.Equal(tables, want) {
		t.Errorf("copy has tables %v, want %v (the unfinished build's junk must be gone)", tables, want)
	}
	// Rows a migration inserted are copied; foreign keys hold.
	var kinds int
	if err := e.admin.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+quoteIdent(copyDB)+".kinds").Scan(&kinds); err != nil || kinds != 2 {
		t.Errorf("copy's kinds has %d rows (%v), want the 2 the migration inserted", kinds, err)
	}
	// Awkward values come through exactly, generated columns are computed.
	var same int
	if err := e.admin.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+quoteIdent(copyDB)+".odd c JOIN "+quoteIdent(name)+
		".odd t ON c.id = t.id AND c.b = t.b AND c.s = t.s AND c.n <=> t.n AND c.d = t.d AND c.g = t.g AND c.g = 2").Scan(&same); err != nil || same != 1 {
		t.Errorf("the copy's odd row differs from the template's (%d equal, %v)", same, err)
	}
	_, err = e.admin.ExecContext(ctx, "INSERT INTO "+quoteIdent(copyDB)+".child (parent_id) VALUES (42)")
	var me *mysql.MySQLError
	if !errors.As(err, &me) || me.Number != 1452 {
		t.Errorf("an orphan child row: %v, want the foreign key's error 1452", err)
	}

	// A ready mark whose database was dropped by hand is rebuilt too.
	if _, err := e.admin.ExecContext(ctx, "DROP DATABASE "+quoteIdent(name)); err != nil {
		t.Fatal(err)
	}
	// This process keeps copying from the script it loaded: the copies do
	// not read the template database.
	again, err := e.Create(ctx, src, Copied, "ess")
	if err != nil {
		t.Fatalf("a copy after the template was dropped: %v", err)
	}
	defer again.Drop(ctx)
	if err := e.admin.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+quoteIdent(again.Schemas["ess"])+".kinds").Scan(&kinds); err != nil || kinds != 2 {
		t.Errorf("the later copy's kinds has %d rows (%v), want 2", kinds, err)
	}
	other := newEngine(t, server) // a new process: no build cached
	set2, err := other.Create(ctx, src, Copied, "ess")
	if err != nil {
		t.Fatal(err)
	}
	defer set2.Drop(ctx)
	if !exists(t, e.admin, name) {
		t.Error("the template was not rebuilt")
	}
}

// TestCreateRefusesBadNames: unknown and repeated names fail before
// anything is made, and the error lists the databases.
func TestCreateRefusesBadNames(t *testing.T) {
	e := newEngine(t, testServer(t))
	ctx := context.Background()
	names, _ := schema.Databases(schema.FS)
	_, err := e.Create(ctx, nil, Copied, "ess", "esss")
	if err == nil || !strings.Contains(err.Error(), `"esss" is not a database`) || !strings.Contains(err.Error(), strings.Join(names, ", ")) {
		t.Errorf("unknown name: %v", err)
	}
	if _, err := e.Create(ctx, nil, Copied, "ess", "ess"); err == nil || !strings.Contains(err.Error(), "named twice") {
		t.Errorf("repeated name: %v", err)
	}
	if got, _ := List(ctx, e.admin, setPrefix(e.owner, 1)); len(got) != 0 {
		t.Errorf("a refused Create left %v", got)
	}
	for _, bad := range []string{"ess", "_hubtest_x", metaSchema} {
		if err := Drop(ctx, e.admin, []string{"_hubtest_1a2b3c4d_1_ess", bad}); err == nil || !strings.Contains(err.Error(), `refusing to drop "`+bad+`"`) {
			t.Errorf("Drop of %q, not a copy or template of the kit: %v", bad, err)
		}
	}
	if _, err := List(ctx, e.admin, "stage_"); err == nil {
		t.Error("List of a prefix outside the kit did not fail")
	}
}

// TestFailedCopyLeavesNothing: when the replay fails part-way (here a
// template marked ready whose script the server rejects, after the first
// database's copy was made), Create drops what it had made.
func TestFailedCopyLeavesNothing(t *testing.T) {
	e := newEngine(t, testServer(t))
	ctx := context.Background()
	if _, err := copyName("_hubtest_1a2b3c4d_1_", strings.Repeat("x", maxNameLen)); err == nil {
		t.Error("copyName accepted a name over 64 characters")
	}
	src := fstest.MapFS{
		"aa/000001_init.up.sql":   {Data: []byte("CREATE TABLE a (id INT PRIMARY KEY); -- " + e.owner)},
		"aa/000001_init.down.sql": {Data: []byte("DROP TABLE a;")},
		"bb/000001_init.up.sql":   {Data: []byte("CREATE TABLE b (id INT PRIMARY KEY); -- " + e.owner)},
		"bb/000001_init.down.sql": {Data: []byte("DROP TABLE b;")},
	}
	hash, err := Hash(src, "bb")
	if err != nil {
		t.Fatal(err)
	}
	broken := templateName(hash, "bb")
	hashA, _ := Hash(src, "aa")
	t.Cleanup(func() { _ = Drop(ctx, e.admin, []string{broken, templateName(hashA, "aa")}) })
	if _, err := e.admin.ExecContext(ctx, "CREATE DATABASE "+quoteIdent(broken)+"; "+
		"INSERT INTO "+quoteIdent(metaSchema)+".templates VALUES (?, 'bb', ?, ?, UTC_TIMESTAMP(6))",
		broken, hash, `{"charset":"utf8mb4","collation":"utf8mb4_unicode_ci","tables":["CREATE TABLE b (id NOT_A_TYPE)"]}`); err != nil {
		t.Fatal(err)
	}
	_, err = e.Create(ctx, src, Copied, "aa", "bb")
	if err == nil || !strings.Contains(err.Error(), "NOT_A_TYPE") {
		t.Fatalf("Create with a broken template: %v", err)
	}
	prefix := setPrefix(e.owner, e.sets.Load())
	if !exists(t, e.admin, templateName(hashA, "aa")) {
		t.Fatal("aa's template was never built: the script failed too early to prove anything")
	}
	if left, _ := List(ctx, e.admin, prefix); len(left) != 0 {
		t.Errorf("a failed Create left %+v", left)
	}
}
