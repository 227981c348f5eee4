package migration_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/solarhub/hubdb/internal/cluster"
	"github.com/solarhub/hubdb/migration"
	"github.com/solarhub/hubdb/schema"
)

// galeraPrefix is a prefix of physical database names of its own:
// _gtest_<random>_.
func galeraPrefix() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return "_gtest_" + hex.EncodeToString(b) + "_"
}

// galeraToken is a random lock token, as a run makes one.
func galeraToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// causal is n's configuration with wsrep_sync_wait=1: its reads see
// everything the cluster committed before them, whichever node did.
func causal(n *cluster.Node) *mysql.Config {
	cfg := n.Config()
	cfg.Params = map[string]string{"wsrep_sync_wait": "1"}
	return cfg
}

// openCausal opens a pool on n with causal reads, closed with the test.
func openCausal(t *testing.T, n *cluster.Node) *sql.DB {
	t.Helper()
	c, err := mysql.NewConnector(causal(n))
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(c)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// count runs a COUNT(*) query.
func count(t *testing.T, db *sql.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// TestGaleraMigrate is case 7 of the cluster suite, migrations on a
// 3-node Galera cluster, where GET_LOCK is node-local: two "hubdb migrate
// up --all" through two nodes at once, a lock left by a run that died,
// and a run that loses its lock.
func TestGaleraMigrate(t *testing.T) {
	cluster.SkipUnlessEnabled(t)
	g := cluster.GaleraForTest(t)
	t.Run("ConcurrentUpAll", func(t *testing.T) { galeraConcurrentUp(t, g) })
	t.Run("StaleLock", func(t *testing.T) { galeraStaleLock(t, g) })
	t.Run("LostLock", func(t *testing.T) { galeraLostLock(t, g) })
}

// galeraConcurrentUp: two migrators migrate every database of schema.FS
// up at once, four databases at a time each like "hubdb migrate up
// --all", one through node 1 and one through node 2: on new databases
// twice, then on the first set once more after migrating it down. Both
// succeed every time (one run of each database waits for the other's
// lock, then finds nothing left to do); on every node each database is at
// the latest version, not dirty, with one version row, a full history
// agreeing with the files, no lock row, and the same structure, which is
// the one its migrations give (Verify through node 3).
func galeraConcurrentUp(t *testing.T, g *cluster.Galera) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	names, err := schema.Databases(schema.FS)
	if err != nil {
		t.Fatal(err)
	}
	first := galeraPrefix()
	for round, prefix := range []string{first, galeraPrefix(), first} {
		if round == 2 {
			var m migration.Migrator
			for _, name := range names {
				if err := m.Down(ctx, migration.Target{Name: name, Schema: prefix + name, Server: g.Node(3).Config()}); err != nil {
					t.Fatal(err)
				}
			}
		}
		upAllTwice(ctx, t, g, names, prefix)
		checkAll(ctx, t, g, names, prefix)
		if t.Failed() {
			return
		}
	}
}

// upAllTwice runs Up on every database through n1 and n2 at once, four at
// a time each, and fails t for every error.
func upAllTwice(ctx context.Context, t *testing.T, g *cluster.Galera, names []string, prefix string) {
	t.Helper()
	type result struct {
		node int
		name string
		err  error
		took time.Duration
	}
	results := make(chan result, 2*len(names))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for _, node := range []int{1, 2} {
		wg.Go(func() {
			m := &migration.Migrator{}
			sem := make(chan struct{}, 4)
			var all sync.WaitGroup
			<-start
			for _, name := range names {
				all.Go(func() {
					sem <- struct{}{}
					defer func() { <-sem }()
					t0 := time.Now()
					err := m.Up(ctx, migration.Target{Name: name, Schema: prefix + name, Server: g.Node(node).Config()})
					results <- result{node, name, err, time.Since(t0)}
				})
			}
			all.Wait()
		})
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	close(results)
	var slowest result
	for r := range results {
		if r.err != nil {
			t.Errorf("up %s through n%d: %v", r.name, r.node, r.err)
		}
		if r.took > slowest.took {
			slowest = r
		}
	}
	t.Logf("%s*: two up --all through n1 and n2 at once: %s (slowest: %s through n%d, %s)", prefix,
		time.Since(t0).Round(time.Millisecond), slowest.name, slowest.node, slowest.took.Round(time.Millisecond))
}

// checkAll checks every database on every node: the latest version,
// clean, one version row, the full history, no problems, no lock row, the
// same structure everywhere and no drift from its migrations.
func checkAll(ctx context.Context, t *testing.T, g *cluster.Galera, names []string, prefix string) {
	t.Helper()
	m := &migration.Migrator{}
	dbs := make([]*sql.DB, 3)
	for i, n := range g.Nodes() {
		dbs[i] = openCausal(t, n)
	}
	for _, name := range names {
		phys := prefix + name
		versions, err := migration.Versions(schema.FS, name)
		if err != nil {
			t.Fatal(err)
		}
		var first migration.Structure
		for i, n := range g.Nodes() {
			st, err := m.Status(ctx, migration.Target{Name: name, Schema: phys, Server: causal(n)})
			switch {
			case err != nil:
				t.Errorf("%s on %s: %v", phys, n.Name(), err)
				continue
			case !st.Exists || st.Version != st.Latest || st.Dirty || len(st.Problems) > 0:
				t.Errorf("%s on %s: %+v, want version %d, clean, no problems", phys, n.Name(), st, st.Latest)
			}
			q := "SELECT COUNT(*) FROM `" + phys + "`."
			if c := count(t, dbs[i], q+migration.VersionTable); c != 1 {
				t.Errorf("%s on %s: %d rows in %s, want 1", phys, n.Name(), c, migration.VersionTable)
			}
			if c := count(t, dbs[i], q+migration.HistoryTable); c != len(versions) {
				t.Errorf("%s on %s: %d rows in %s, want %d", phys, n.Name(), c, migration.HistoryTable, len(versions))
			}
			if c := count(t, dbs[i], q+migration.LockTable); c != 0 {
				t.Errorf("%s on %s: %d rows left in %s", phys, n.Name(), c, migration.LockTable)
			}
			s, err := migration.ReadStructure(ctx, dbs[i], phys)
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				first = s
				continue
			}
			for _, d := range migration.Diff(first, s) {
				t.Errorf("%s on %s differs from n1:\n%s", phys, n.Name(), d)
			}
		}
		drift, err := m.Verify(ctx, migration.Target{Name: name, Schema: phys, Server: g.Node(3).Config()})
		if err != nil {
			t.Errorf("verify %s: %v", phys, err)
		}
		for _, d := range drift.Tables {
			t.Errorf("%s differs from its migrations:\n%s", phys, d)
		}
	}
}

// galeraStaleLock: a lock row left by a run through another node that
// died is refused, naming its holder, while its heartbeat has not stood
// still for ClusterLockStale, and taken over once it has; one left
// through the same node is refused while the holder's session lives and
// taken over at once when it ends.
func galeraStaleLock(t *testing.T, g *cluster.Galera) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	name := "account"
	phys := galeraPrefix() + name
	tg := func(n int) migration.Target {
		return migration.Target{Name: name, Schema: phys, Server: causal(g.Node(n))}
	}
	var m migration.Migrator
	if err := m.Up(ctx, tg(1)); err != nil {
		t.Fatal(err)
	}
	d2 := openCausal(t, g.Node(2))
	lockTable := "`" + phys + "`." + migration.LockTable
	reset := func() {
		t.Helper()
		if err := m.Down(ctx, tg(2)); err != nil {
			t.Fatal(err)
		}
		wantStatus(t, &m, tg(3), true, 0, false)
	}
	leave := func(token, node, uuid string, pid int) {
		t.Helper()
		if _, err := d2.ExecContext(ctx, "INSERT INTO "+lockTable+
			" (db, token, node, node_uuid, conn_id, host, pid, op, since, heartbeat, beats) VALUES "+
			"(?, ?, ?, ?, 99, 'crashed-host', ?, 'up', UTC_TIMESTAMP(6) - INTERVAL 1 HOUR, UTC_TIMESTAMP(6) - INTERVAL 1 HOUR, 7)",
			phys, token, node, uuid, pid); err != nil {
			t.Fatal(err)
		}
	}
	latest := func() {
		t.Helper()
		st, err := m.Status(ctx, tg(3))
		if err != nil || st.Version != st.Latest || st.Dirty {
			t.Fatalf("status %+v, %v; want the latest version, clean", st, err)
		}
		if c := count(t, d2, "SELECT COUNT(*) FROM "+lockTable); c != 0 {
			t.Fatalf("%d rows left in %s", c, migration.LockTable)
		}
	}

	// Through another node: n3, in another run of it.
	reset()
	token := galeraToken()
	leave(token, "n3", "00000000-0000-0000-0000-0000000000ff", 4242)
	short := migration.Migrator{LockTimeout: 2 * time.Second} // below ClusterLockStale: no takeover
	err := short.Up(ctx, tg(1))
	wantError(t, err, migration.ErrLocked, "held by pid 4242 on host crashed-host", "through node n3", "connection 99",
		"since ", "taken over "+migration.ClusterLockStale.String()+" after its last heartbeat", token)
	wantStatus(t, &m, tg(3), true, 0, false)
	t0 := time.Now()
	long := migration.Migrator{LockTimeout: migration.ClusterLockStale + time.Minute}
	if err := long.Up(ctx, tg(1)); err != nil {
		t.Fatalf("up over a stale lock: %v", err)
	}
	t.Logf("stale lock of another node taken over; up took %s (ClusterLockStale %s)", time.Since(t0).Round(time.Millisecond), migration.ClusterLockStale)
	latest()

	// Through this very node, n1: the holder's session holds
	// hubdb-migrate-holder:<token> there as long as it lives.
	reset()
	uuid, err := g.Node(1).QueryString(ctx, "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'WSREP_GCOMM_UUID'")
	if err != nil || uuid == "" {
		t.Fatalf("wsrep_gcomm_uuid of n1: %q, %v", uuid, err)
	}
	token = galeraToken()
	holder := openCausal(t, g.Node(1))
	holder.SetMaxOpenConns(1)
	var got int
	if err := holder.QueryRowContext(ctx, "SELECT GET_LOCK(?, 0)", "hubdb-migrate-holder:"+token).Scan(&got); err != nil || got != 1 {
		t.Fatalf("GET_LOCK: %d, %v", got, err)
	}
	leave(token, "n1", uuid, 4243)
	err = short.Up(ctx, tg(1))
	wantError(t, err, migration.ErrLocked, "held by pid 4243 on host crashed-host", "through node n1")
	wantStatus(t, &m, tg(3), true, 0, false)
	if err := holder.Close(); err != nil { // the holder's session ends
		t.Fatal(err)
	}
	t0 = time.Now()
	quick := migration.Migrator{LockTimeout: migration.ClusterLockStale / 2} // below ClusterLockStale
	if err := quick.Up(ctx, tg(1)); err != nil {
		t.Fatalf("up over a lock whose session on this node ended: %v", err)
	}
	t.Logf("lock of an ended session on the same node taken over; up took %s", time.Since(t0).Round(time.Millisecond))
	latest()
}

// galeraLostLock: a run whose lock row is taken from it while it migrates
// (as a run that judged it stale would) reports ErrLocked, "lost the
// cluster lock", and leaves the database clean: its heartbeat, when it
// came first, stopped it after the migration it was running (version 1);
// else it found its row gone at the end (version 2).
func galeraLostLock(t *testing.T, g *cluster.Galera) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	phys := galeraPrefix() + "demo"
	src := sqlFS("demo", map[string]string{
		// The first migration waits, in the run's session, for the
		// test's gate: a node-local lock the test holds on n1.
		"000001_a.up.sql":   "DO GET_LOCK('" + phys + "-gate', 300); CREATE TABLE IF NOT EXISTS a (id BIGINT NOT NULL PRIMARY KEY) ENGINE=InnoDB;",
		"000001_a.down.sql": "DROP TABLE IF EXISTS a;",
		"000002_b.up.sql":   "CREATE TABLE IF NOT EXISTS b (id BIGINT NOT NULL PRIMARY KEY) ENGINE=InnoDB;",
		"000002_b.down.sql": "DROP TABLE IF EXISTS b;",
	})
	target := migration.Target{Name: "demo", Schema: phys, Server: causal(g.Node(1))}
	gate := openCausal(t, g.Node(1))
	gate.SetMaxOpenConns(1)
	var got int
	if err := gate.QueryRowContext(ctx, "SELECT GET_LOCK(?, 0)", phys+"-gate").Scan(&got); err != nil || got != 1 {
		t.Fatalf("GET_LOCK: %d, %v", got, err)
	}
	m := migration.Migrator{Source: src}
	done := make(chan error, 1)
	go func() { done <- m.Up(ctx, target) }()

	// Poll through n2 for the run's lock row, then take it away.
	d2 := openCausal(t, g.Node(2))
	lockTable := "`" + phys + "`." + migration.LockTable
	var token string
	for deadline := time.Now().Add(time.Minute); token == ""; {
		err := d2.QueryRowContext(ctx, "SELECT token FROM "+lockTable).Scan(&token)
		var myErr *mysql.MySQLError
		switch {
		case err == nil:
		case errors.Is(err, sql.ErrNoRows), errors.As(err, &myErr) && (myErr.Number == 1146 || myErr.Number == 1049):
			if time.Now().After(deadline) {
				t.Fatalf("no lock row in %s after a minute", lockTable)
			}
			select {
			case err := <-done:
				t.Fatalf("up ended before its lock row was seen: %v", err)
			case <-time.After(50 * time.Millisecond):
			}
		default:
			t.Fatal(err)
		}
	}
	if _, err := d2.ExecContext(ctx, "DELETE FROM "+lockTable+" WHERE token = ?", token); err != nil {
		t.Fatal(err)
	}
	if err := gate.Close(); err != nil { // opens the gate
		t.Fatal(err)
	}
	err := <-done
	wantError(t, err, migration.ErrLocked, "lost the cluster lock of "+phys)
	st, serr := m.Status(ctx, migration.Target{Name: "demo", Schema: phys, Server: causal(g.Node(3))})
	if serr != nil || st.Dirty || st.Version < 1 || len(st.Problems) > 0 {
		t.Fatalf("status after the lost lock: %+v, %v; want clean at version 1 or 2", st, serr)
	}
	how := "found at release"
	if strings.Contains(err.Error(), "no migration was started after that") {
		how = "found by the heartbeat"
	}
	t.Logf("lost lock %s; the database is clean at version %d", how, st.Version)
	if c := count(t, d2, "SELECT COUNT(*) FROM "+lockTable); c != 0 {
		t.Fatalf("%d rows left in %s", c, migration.LockTable)
	}
}
