package hubtest_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/solarhub/hubdb/dbx"
	"github.com/solarhub/hubdb/gen"
	"github.com/solarhub/hubdb/gen/site"
	"github.com/solarhub/hubdb/hubtest"
	"github.com/solarhub/hubdb/internal/testdb"
	"github.com/solarhub/hubdb/migration"
)

// fakeT is a hubtest.TB whose failure and cleanups the test controls.
type fakeT struct {
	mu       sync.Mutex
	name     string
	failed   bool
	logs     []string
	cleanups []func()
}

func (f *fakeT) Cleanup(fn func()) { f.mu.Lock(); f.cleanups = append(f.cleanups, fn); f.mu.Unlock() }
func (f *fakeT) Errorf(format string, args ...any) {
	f.mu.Lock()
	f.failed = true
	f.logs = append(f.logs, fmt.Sprintf(format, args...))
	f.mu.Unlock()
}
func (f *fakeT) Failed() bool { f.mu.Lock(); defer f.mu.Unlock(); return f.failed }
func (f *fakeT) Fatalf(format string, args ...any) {
	f.Errorf(format, args...)
	runtime.Goexit()
}
func (f *fakeT) Helper() {}
func (f *fakeT) Logf(format string, args ...any) {
	f.mu.Lock()
	f.logs = append(f.logs, fmt.Sprintf(format, args...))
	f.mu.Unlock()
}
func (f *fakeT) Name() string { return f.name }

// run calls fn as a test body (Fatalf ends it) and then the cleanups.
func (f *fakeT) run(fn func()) {
	f.body(fn)
	f.end()
}

// body calls fn as a test body: in a goroutine of its own, so that
// Fatalf's runtime.Goexit ends only fn.
func (f *fakeT) body(fn func()) {
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	<-done
}

// end runs the cleanups, last registered first, as the testing package
// does when a test ends.
func (f *fakeT) end() {
	f.mu.Lock()
	cleanups := f.cleanups
	f.cleanups = nil
	f.mu.Unlock()
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
}

func (f *fakeT) log() string { f.mu.Lock(); defer f.mu.Unlock(); return strings.Join(f.logs, "\n") }

func schemaExists(t *testing.T, name string) bool {
	t.Helper()
	db := testdb.Connect(hubtest.Server(t))
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

// TestPassingTestLeavesNothing, TestFailingTestKeepsItsDatabases: the
// kit's promise at the end of a test.
func TestPassingTestLeavesNothing(t *testing.T) {
	f := &fakeT{name: "TestPasses"}
	var names []string
	f.run(func() {
		d := hubtest.New(f, gen.NameESS, gen.NameSite)
		_ = d.Hub()
		names = []string{d.Schema(gen.NameESS), d.Schema(gen.NameSite)}
		for _, n := range names {
			if !schemaExists(t, n) {
				t.Errorf("%s does not exist during the test", n)
			}
		}
	})
	if f.Failed() {
		t.Fatalf("the passing test failed: %s", f.log())
	}
	for _, n := range names {
		if schemaExists(t, n) {
			t.Errorf("%s is left after a passing test", n)
		}
	}
}

func TestFailingTestKeepsItsDatabases(t *testing.T) {
	f := &fakeT{name: "TestFails/sub"}
	var d *hubtest.Databases
	f.run(func() {
		d = hubtest.New(f, gen.NameESS, gen.NameSite)
		f.Errorf("something is wrong")
	})
	ctx := context.Background()
	admin := testdb.Connect(d.Server())
	defer admin.Close()
	defer func() {
		if err := testdb.Drop(ctx, admin, []string{d.Schema(gen.NameESS), d.Schema(gen.NameSite)}); err != nil {
			t.Error(err)
		}
	}()
	log := f.log()
	for _, n := range d.Names() {
		if !schemaExists(t, d.Schema(n)) {
			t.Errorf("%s was dropped although the test failed", d.Schema(n))
		}
		if !strings.Contains(log, d.Schema(n)) {
			t.Errorf("the log does not name %s:\n%s", d.Schema(n), log)
		}
	}
	host, port, _ := strings.Cut(d.Server().Addr, ":")
	for _, want := range []string{
		"the test failed",
		fmt.Sprintf("mariadb -h %s -P %s -u %s %s", host, port, d.Server().User, d.Schema(gen.NameESS)),
		"testdb drop --yes " + d.Prefix(),
	} {
		if !strings.Contains(log, want) {
			t.Errorf("the log does not say %q:\n%s", want, log)
		}
	}
	list, err := testdb.List(ctx, admin, d.Prefix())
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || !list[0].Kept || list[0].Test != "TestFails/sub" {
		t.Errorf("the kit's list of %s: %+v", d.Prefix(), list)
	}
}

// TestKeepOption keeps a passing test's databases.
func TestKeepOption(t *testing.T) {
	f := &fakeT{name: "TestKept"}
	var d *hubtest.Databases
	f.run(func() { d = (&hubtest.Kit{Keep: true}).New(f, gen.NameESS) })
	admin := testdb.Connect(d.Server())
	defer admin.Close()
	if !schemaExists(t, d.Schema(gen.NameESS)) {
		t.Error("Kit.Keep did not keep the database")
	}
	if !strings.Contains(f.log(), "keeping was asked for") {
		t.Errorf("log: %s", f.log())
	}
	if err := testdb.Drop(context.Background(), admin, []string{d.Schema(gen.NameESS)}); err != nil {
		t.Fatal(err)
	}
}

// TestRefusesAServerNotMeantForTests: a server that is not on this machine
// is refused before any connection, with the way to allow it.
func TestRefusesAServerNotMeantForTests(t *testing.T) {
	f := &fakeT{name: "TestRemote"}
	f.run(func() { (&hubtest.Kit{DSN: "app:secret@tcp(192.0.2.1:3306)/"}).New(f, gen.NameESS) })
	log := f.log()
	if !f.Failed() || !strings.Contains(log, "not a test server") || !strings.Contains(log, "HUBDB_TEST_ALLOW=192.0.2.1:3306") {
		t.Errorf("a remote server: failed=%v, log:\n%s", f.Failed(), log)
	}
	if strings.Contains(log, "secret") {
		t.Errorf("the log shows the password:\n%s", log)
	}
}

// TestUnknownDatabase names the typo and the valid names.
func TestUnknownDatabase(t *testing.T) {
	f := &fakeT{name: "TestTypo"}
	f.run(func() { hubtest.New(f, "esss") })
	if log := f.log(); !f.Failed() || !strings.Contains(log, `"esss" is not a database`) || !strings.Contains(log, strings.Join(gen.Names, ", ")) {
		t.Errorf("an unknown database: %s", log)
	}
}

// TestReserveAndDrop: reserved names exist only once the code under test
// creates them, and are dropped at the end all the same; Drop drops a set
// before the test ends.
func TestReserveAndDrop(t *testing.T) {
	f := &fakeT{name: "TestReserve"}
	var reserved, dropped *hubtest.Databases
	f.run(func() {
		reserved = hubtest.Reserve(f, gen.NameESS, gen.NamePV)
		for _, n := range reserved.Names() {
			if schemaExists(t, reserved.Schema(n)) {
				t.Errorf("reserved %s exists before anything created it", reserved.Schema(n))
			}
		}
		var m migration.Migrator
		if err := m.Up(context.Background(), reserved.Target(gen.NameESS)); err != nil {
			t.Fatal(err)
		}
		if !schemaExists(t, reserved.Schema(gen.NameESS)) {
			t.Fatal("migrate up did not create the reserved database")
		}
		dropped = hubtest.New(f, gen.NameSite)
		_ = dropped.DB(gen.NameSite).Ping()
		dropped.Drop()
		if schemaExists(t, dropped.Schema(gen.NameSite)) {
			t.Error("Drop left the database")
		}
	})
	if f.Failed() {
		t.Fatalf("the test failed: %s", f.log())
	}
	if schemaExists(t, reserved.Schema(gen.NameESS)) {
		t.Error("the reserved database the test created is left after it passed")
	}
}

// TestFailedReserveKeepsWhatExists: a failing test keeps, and names, only
// the reserved databases its code created.
func TestFailedReserveKeepsWhatExists(t *testing.T) {
	f := &fakeT{name: "TestReserveFails"}
	var d *hubtest.Databases
	f.run(func() {
		d = hubtest.Reserve(f, gen.NameESS, gen.NamePV)
		var m migration.Migrator
		if err := m.Up(context.Background(), d.Target(gen.NamePV)); err != nil {
			t.Fatal(err)
		}
		f.Errorf("failing on purpose")
	})
	admin := testdb.Connect(d.Server())
	defer admin.Close()
	defer func() { _ = testdb.Drop(context.Background(), admin, []string{d.Schema(gen.NamePV)}) }()
	log := f.log()
	if !strings.Contains(log, "its databases are kept: "+d.Schema(gen.NamePV)+"\n") || strings.Contains(log, d.Schema(gen.NameESS)) {
		t.Errorf("the log should name only the created %s:\n%s", d.Schema(gen.NamePV), log)
	}
	if !schemaExists(t, d.Schema(gen.NamePV)) {
		t.Error("the created reserved database was not kept")
	}
}

// TestDbxWarningsInTestLog: a kit hub's pool warnings (here a transaction
// left idle past the threshold) reach the test's own log.
func TestDbxWarningsInTestLog(t *testing.T) {
	f := &fakeT{name: "TestIdleTx"}
	kit := hubtest.Kit{Pool: dbx.Pool{IdleInTxThreshold: 20 * time.Millisecond}}
	f.run(func() {
		hub := kit.Hub(f, gen.NameSite)
		ctx := context.Background()
		err := hub.Site.Write(ctx, func(ctx context.Context, q *site.Queries) error {
			deadline := time.Now().Add(time.Minute)
			for !strings.Contains(f.log(), "idle") { // wait, holding the transaction, for the warning
				if time.Now().After(deadline) {
					return errors.New("no idle-in-transaction warning within a minute")
				}
				time.Sleep(10 * time.Millisecond)
			}
			return nil
		})
		if err != nil {
			f.Errorf("%v", err)
		}
	})
	if log := f.log(); f.Failed() || !strings.Contains(log, "dbx: time=") || !strings.Contains(log, "level=WARN") || !strings.Contains(log, "db=site") {
		t.Errorf("the test's log lacks dbx's warning (failed=%v):\n%s", f.Failed(), log)
	}
}

// TestOwnSourceDefaultsToItsDatabases: a Kit with migrations of its own
// makes all of its databases when none is named.
func TestOwnSourceDefaultsToItsDatabases(t *testing.T) {
	kit := hubtest.Kit{Source: fstest.MapFS{
		"one/000001_a.up.sql": {Data: []byte("CREATE TABLE a (id INT PRIMARY KEY);")}, "one/000001_a.down.sql": {Data: []byte("DROP TABLE a;")},
		"two/000001_b.up.sql": {Data: []byte("CREATE TABLE b (id INT PRIMARY KEY);")}, "two/000001_b.down.sql": {Data: []byte("DROP TABLE b;")},
	}}
	d := kit.New(t)
	if got := d.Names(); !slices.Equal(got, []string{"one", "two"}) {
		t.Fatalf("Names() = %v, want the source's databases", got)
	}
	for _, n := range d.Names() {
		if !schemaExists(t, d.Schema(n)) {
			t.Errorf("%s was not made", d.Schema(n))
		}
	}
}
