package migration_test

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"testing"
	"testing/fstest"

	"github.com/solarhub/hubdb/migration"
)

// demoFiles is a database "demo" of the given versions, each creating a
// table t<version>.
func demoFiles(versions ...string) fstest.MapFS {
	files := map[string]string{}
	for _, v := range versions {
		files["00000"+v+"_t"+v+".up.sql"] = "CREATE TABLE IF NOT EXISTS t" + v + " (id BIGINT NOT NULL PRIMARY KEY) ENGINE=InnoDB;"
		files["00000"+v+"_t"+v+".down.sql"] = "DROP TABLE IF EXISTS t" + v + ";"
	}
	return sqlFS("demo", files)
}

// wantProblems checks the problems Status reports.
func wantProblems(t *testing.T, m *migration.Migrator, target migration.Target, want ...string) {
	t.Helper()
	st, err := m.Status(context.Background(), target)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range st.Problems {
		got = append(got, p.String())
	}
	if !slices.Equal(got, want) {
		t.Fatalf("problems %q, want %q", got, want)
	}
}

// recorded reads the versions the history table of db records.
func recorded(t *testing.T, db *sql.DB) []uint {
	t.Helper()
	rows, err := db.Query("SELECT version FROM " + migration.HistoryTable + " ORDER BY version")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []uint
	for rows.Next() {
		var v uint
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// hasTable reports whether db has the table.
func hasTable(t *testing.T, db *sql.DB, table string) bool {
	t.Helper()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?", table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n > 0
}

// TestHistoryOutOfOrder: a file added below the applied version is
// reported by Status and refused by Up with the file, the next free
// number and force as the way out; nothing is applied. Going down below it
// and up again applies it in order, as does force once it has been applied
// by hand.
func TestHistoryOutOfOrder(t *testing.T) {
	ctx := context.Background()
	m := migration.Migrator{Source: demoFiles("1", "3")}
	d := emptyDemo(t, demoFiles("1", "2", "3"))
	target := d.Target("demo")
	if err := m.Up(ctx, target); err != nil {
		t.Fatal(err)
	}
	wantProblems(t, &m, target)
	if got := recorded(t, d.DB("demo")); !slices.Equal(got, []uint{1, 3}) {
		t.Fatalf("history %v after up, want [1 3]", got)
	}

	m.Source = demoFiles("1", "2", "3") // 000002 arrives after 000003 ran
	wantProblems(t, &m, target, "out-of-order: demo/000002_t2.up.sql (version 2)")
	for op, err := range map[string]error{"up": m.Up(ctx, target), "steps 1": m.Steps(ctx, target, 1)} {
		wantError(t, err, migration.ErrOutOfOrder, "migrate "+op+" demo", "demo/000002_t2.up.sql",
			"below the applied version 3", "renumber it", "000004_", `hubdb migrate force 3 --db demo`)
	}
	if hasTable(t, d.DB("demo"), "t2") {
		t.Fatal("the refused up created t2")
	}
	wantStatus(t, &m, target, true, 3, false)

	// Down below the file and up again: the files run in order.
	if err := m.Goto(ctx, target, 1); err != nil {
		t.Fatal(err)
	}
	if err := m.Up(ctx, target); err != nil {
		t.Fatal(err)
	}
	wantProblems(t, &m, target)
	if !hasTable(t, d.DB("demo"), "t2") {
		t.Fatal("up after goto 1 did not create t2")
	}
	if got := recorded(t, d.DB("demo")); !slices.Equal(got, []uint{1, 2, 3}) {
		t.Fatalf("history %v, want [1 2 3]", got)
	}

	// A file applied by hand (the history lacks it), then recorded with
	// force; the next file goes on as usual.
	if _, err := d.DB("demo").ExecContext(ctx, "DELETE FROM "+migration.HistoryTable+" WHERE version = 2"); err != nil {
		t.Fatal(err)
	}
	wantProblems(t, &m, target, "out-of-order: demo/000002_t2.up.sql (version 2)")
	if err := m.Force(ctx, target, 3); err != nil {
		t.Fatal(err)
	}
	wantProblems(t, &m, target)
	m.Source = demoFiles("1", "2", "3", "4")
	if err := m.Up(ctx, target); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, &m, target, true, 4, false)
	if got := recorded(t, d.DB("demo")); !slices.Equal(got, []uint{1, 2, 3, 4}) {
		t.Fatalf("history %v, want [1 2 3 4]", got)
	}
}

// TestHistoryEdited: an applied file whose content changed is reported
// and refused until it is restored (or recorded with force); a new file
// above it is not applied meanwhile.
func TestHistoryEdited(t *testing.T) {
	ctx := context.Background()
	m := migration.Migrator{Source: demoFiles("1", "2")}
	d := emptyDemo(t, demoFiles("1", "2", "3"))
	target := d.Target("demo")
	if err := m.Up(ctx, target); err != nil {
		t.Fatal(err)
	}
	edited := demoFiles("1", "2", "3")
	edited["demo/000001_t1.up.sql"].Data = []byte("CREATE TABLE IF NOT EXISTS t1 (id BIGINT NOT NULL PRIMARY KEY, note TEXT) ENGINE=InnoDB;")
	m.Source = edited
	wantProblems(t, &m, target, "edited: demo/000001_t1.up.sql (version 1)")
	wantError(t, m.Up(ctx, target), migration.ErrMigrationEdited, "migrate up demo", "demo/000001_t1.up.sql",
		"differs from what was applied", "put the change into a new migration", "hubdb migrate force 2 --db demo")
	if hasTable(t, d.DB("demo"), "t3") {
		t.Fatal("the refused up applied 000003")
	}
	m.Source = demoFiles("1", "2", "3") // restored
	wantProblems(t, &m, target)
	if err := m.Up(ctx, target); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, &m, target, true, 3, false)
}

// TestHistoryGone: an applied file missing from the source (below the
// version, so golang-migrate itself does not notice) is reported and
// refused; force records the files as they are now.
func TestHistoryGone(t *testing.T) {
	ctx := context.Background()
	m := migration.Migrator{Source: demoFiles("1", "2", "3")}
	d := emptyDemo(t, m.Source)
	target := d.Target("demo")
	if err := m.Up(ctx, target); err != nil {
		t.Fatal(err)
	}
	m.Source = demoFiles("1", "3", "4")
	wantProblems(t, &m, target, "gone: demo/000002_t2.up.sql (version 2)")
	wantError(t, m.Up(ctx, target), migration.ErrMigrationGone, "migrate up demo", "demo/000002_t2.up.sql",
		"restore it from version control", "hubdb migrate force 3 --db demo")
	if err := m.Force(ctx, target, 3); err != nil {
		t.Fatal(err)
	}
	wantProblems(t, &m, target)
	if err := m.Up(ctx, target); err != nil {
		t.Fatal(err)
	}
	if got := recorded(t, d.DB("demo")); !slices.Equal(got, []uint{1, 3, 4}) {
		t.Fatalf("history %v, want [1 3 4]", got)
	}
}

// TestHistoryAdopted: a database migrated before hubdb kept a history
// (the table is missing) reports no problems; its next run records the
// applied files as they are, so a later edit is caught.
func TestHistoryAdopted(t *testing.T) {
	ctx := context.Background()
	m := migration.Migrator{Source: demoFiles("1", "2")}
	d := emptyDemo(t, demoFiles("1", "2", "3"))
	target := d.Target("demo")
	if err := m.Up(ctx, target); err != nil {
		t.Fatal(err)
	}
	if _, err := d.DB("demo").ExecContext(ctx, "DROP TABLE "+migration.HistoryTable); err != nil {
		t.Fatal(err)
	}
	wantProblems(t, &m, target)
	m.Source = demoFiles("1", "2", "3")
	if err := m.Up(ctx, target); err != nil {
		t.Fatal(err)
	}
	if got := recorded(t, d.DB("demo")); !slices.Equal(got, []uint{1, 2, 3}) {
		t.Fatalf("history %v after adoption, want [1 2 3]", got)
	}
	m.Source.(fstest.MapFS)["demo/000002_t2.up.sql"].Data = []byte("-- edited\nSELECT 1;")
	wantProblems(t, &m, target, "edited: demo/000002_t2.up.sql (version 2)")
}

// TestHistoryDirtyAndDown: a failed migration is not recorded (and its
// dirty version is not a problem); down removes what it reverts.
func TestHistoryDirtyAndDown(t *testing.T) {
	ctx := context.Background()
	broken := demoFiles("1", "2", "3")
	broken["demo/000002_t2.up.sql"].Data = []byte("CREATE TABLE t2 (id BIGINT NOT NULL PRIMARY KEY);\nSELECT * FROM no_such_table;")
	m := migration.Migrator{Source: broken}
	d := emptyDemo(t, demoFiles("1", "2", "3"))
	target := d.Target("demo")
	if err := m.Up(ctx, target); !errors.Is(err, migration.ErrFailed) {
		t.Fatalf("up over a broken file: %v, want ErrFailed", err)
	}
	wantStatus(t, &m, target, true, 2, true)
	wantProblems(t, &m, target)
	if got := recorded(t, d.DB("demo")); !slices.Equal(got, []uint{1}) {
		t.Fatalf("history %v after the failure, want [1]", got)
	}
	m.Source = demoFiles("1", "2", "3")
	if err := m.Force(ctx, target, 1); err != nil {
		t.Fatal(err)
	}
	if err := m.Up(ctx, target); err != nil {
		t.Fatal(err)
	}
	if got := recorded(t, d.DB("demo")); !slices.Equal(got, []uint{1, 2, 3}) {
		t.Fatalf("history %v, want [1 2 3]", got)
	}
	if err := m.Steps(ctx, target, -2); err != nil {
		t.Fatal(err)
	}
	if got := recorded(t, d.DB("demo")); !slices.Equal(got, []uint{1}) {
		t.Fatalf("history %v after steps -2, want [1]", got)
	}
}
