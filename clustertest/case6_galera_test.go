package clustertest

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/solarhub/hubdb/dbx"
	"github.com/solarhub/hubdb/internal/cluster"
	"github.com/solarhub/hubdb/migration"
	"github.com/solarhub/hubdb/schema"
)

// is1047 reports whether err is the server's 1047 (a Galera node not
// ready: out of the primary component, or not synced).
func is1047(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && me.Number == 1047
}

// nodeHealthy reports whether node i (from 1) of Galera database name is
// healthy in dbx's Status, and why not.
func nodeHealthy(m *dbx.Manager, name string, i int) (bool, string) {
	st, err := m.StatusOf(name)
	if err != nil || st.Galera == nil || len(st.Galera.Nodes) < i {
		return false, fmt.Sprint(err)
	}
	n := st.Galera.Nodes[i-1]
	return n.Healthy, n.Why
}

// times collects moments from many goroutines.
type times struct {
	mu sync.Mutex
	t  []time.Time
}

func (ts *times) add(t time.Time) {
	ts.mu.Lock()
	ts.t = append(ts.t, t)
	ts.mu.Unlock()
}

func (ts *times) gap(from, to time.Time) (time.Duration, time.Time) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return maxGap(ts.t, from, to)
}

// idSet is a goroutine-safe set of ledger ids.
type idSet struct {
	mu sync.Mutex
	m  map[int64]bool
}

func (s *idSet) add(id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[int64]bool{}
	}
	s.m[id] = true
}

func (s *idSet) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

func (s *idSet) ids() []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]int64, 0, len(s.m))
	for id := range s.m {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// TestGaleraKill is case 6: under a load of 3 writers (a ledger: each
// write inserts a new id, with Retry(3) for certification conflicts) and
// 2 readers, the node serving the database is killed (SIGKILL), then
// started again (it rejoins by IST) and, once dbx serves from it again,
// isolated from the cluster (it answers ping, fails every query with
// 1047), then healed. Every write whose Write returned nil is on every
// node once the cluster is whole; writes that returned ErrCommitUnknown
// are counted, with how many are there; no 1047 reaches a caller, and no
// other error either; the longest time without a successful write is
// reported for the kill and the isolation.
func TestGaleraKill(t *testing.T) {
	g := sharedGalera(t)
	t.Cleanup(func() { restoreGalera(t, g) })
	const name = "ct_ledger"
	n1 := openSQL(t, g.Node(1).Config())
	execAll(t, n1,
		"DROP DATABASE IF EXISTS "+name,
		"CREATE DATABASE "+name,
		"CREATE TABLE "+name+".ledger (id BIGINT PRIMARY KEY, w INT NOT NULL, at DATETIME(6) NOT NULL DEFAULT NOW(6)) ENGINE=InnoDB")
	t.Cleanup(func() {
		if _, err := n1.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name); err != nil {
			t.Errorf("drop %s: %v", name, err)
		}
	})
	var nodes []*mysql.Config
	for _, n := range g.Nodes() {
		nodes = append(nodes, n.Config())
	}
	m, d := openManager(t, dbx.Config{Logger: slog.New(slog.DiscardHandler), DBs: []dbx.DBConfig{{
		Name: name, Galera: nodes, Pool: dbx.Pool{Size: dbx.Int(4), Overflow: dbx.Int(4), ReplicaPoll: 100 * time.Millisecond},
	}}}, name)
	waitFor(t, "every node healthy", time.Minute, func() (bool, string) {
		st, _ := m.StatusOf(name)
		return healthyCount(st.Galera.Nodes) == 3, fmt.Sprintf("%+v", st.Galera.Nodes)
	})
	byID := map[int]*cluster.Node{}
	index := map[*cluster.Node]int{}
	for i, n := range g.Nodes() {
		byID[n.ServerID()] = n
		index[n] = i + 1
	}
	ctx := context.Background()

	var next atomic.Int64
	var committed, unknown idSet
	var writeOK, readOK times
	var got1047, writeErrs, readErrs errorLog
	var lastSID atomic.Int64
	l := startLoad(5, 0, 5*time.Minute, func(w, i int) {
		if w < 3 {
			id := next.Add(1)
			err := d.Write(ctx, func(ctx context.Context, q dbx.DBTX) error {
				_, err := q.ExecContext(ctx, "INSERT INTO ledger (id, w) VALUES (?, ?)", id, w)
				return err
			}, dbx.Retry(3))
			switch {
			case err == nil:
				committed.add(id)
				writeOK.add(time.Now())
			case errors.Is(err, dbx.ErrCommitUnknown):
				unknown.add(id)
			case is1047(err):
				got1047.add(err)
			default:
				writeErrs.add(err)
			}
			return
		}
		var sid int
		var n int64
		err := d.Read(ctx, func(ctx context.Context, q dbx.DBTX) error {
			return q.QueryRowContext(ctx, "SELECT @@server_id, COUNT(*) FROM ledger WHERE id > ?", next.Load()-100).Scan(&sid, &n)
		})
		switch {
		case err == nil:
			lastSID.Store(int64(sid))
			readOK.add(time.Now())
		case is1047(err):
			got1047.add(err)
		default:
			readErrs.add(err)
		}
	})
	defer l.Stop()
	committedAfter := func(n int) func() (bool, string) {
		base := committed.len()
		return func() (bool, string) {
			return committed.len() >= base+n, fmt.Sprintf("%d writes committed since", committed.len()-base)
		}
	}
	// serving waits until reads run on node want and returns it.
	serving := func(want *cluster.Node) {
		t.Helper()
		waitFor(t, "reads on "+want.Name(), time.Minute, func() (bool, string) {
			return lastSID.Load() == int64(want.ServerID()), fmt.Sprintf("last read on server %d", lastSID.Load())
		})
	}

	waitFor(t, "writes flowing", time.Minute, committedAfter(200))
	victim := byID[int(lastSID.Load())]
	if victim == nil {
		t.Fatalf("reads ran on server %d, not a node", lastSID.Load())
	}
	vi := index[victim]
	watch := watchHealth(func() (bool, string) { return nodeHealthy(m, name, vi) })
	defer watch.Stop()

	// A node killed.
	tKill := time.Now()
	if err := victim.Kill(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "writes going on after the kill", time.Minute, committedAfter(200))
	waitFor(t, victim.Name()+" taken out", time.Minute, func() (bool, string) {
		_, ok := watch.firstAfter(tKill, false)
		return ok, watch.current().why
	})
	out, _ := watch.firstAfter(tKill, false)
	tStart := time.Now()
	if err := victim.Start(ctx); err != nil {
		t.Fatal(err)
	}
	startTook := time.Since(tStart)
	sctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := g.WaitSynced(sctx); err != nil {
		t.Fatal(err)
	}
	transfer := victim.LastStateTransfer()
	waitFor(t, victim.Name()+" taken back", time.Minute, func() (bool, string) {
		_, ok := watch.firstAfter(tStart, true)
		return ok, watch.current().why
	})
	killGap, _ := writeOK.gap(tKill, tStart)
	killReadGap, _ := readOK.gap(tKill, tStart)

	// A node isolated: the one serving again (the first in order).
	serving(g.Node(1))
	iso := g.Node(1)
	isoWatch := watchHealth(func() (bool, string) { return nodeHealthy(m, name, 1) })
	defer isoWatch.Stop()
	waitFor(t, "writes flowing on "+iso.Name(), time.Minute, committedAfter(100))
	tIso := time.Now()
	if err := iso.Isolate(ctx); err != nil {
		t.Fatal(err)
	}
	isoTook := time.Since(tIso)
	waitFor(t, iso.Name()+" taken out", time.Minute, func() (bool, string) {
		_, ok := isoWatch.firstAfter(tIso, false)
		return ok, isoWatch.current().why
	})
	isoOut, _ := isoWatch.firstAfter(tIso, false)
	waitFor(t, "writes going on while "+iso.Name()+" is isolated", time.Minute, committedAfter(200))
	tHeal := time.Now()
	if err := iso.Heal(ctx); err != nil {
		t.Fatal(err)
	}
	if err := g.WaitSynced(sctx); err != nil {
		t.Fatal(err)
	}
	serving(iso)
	waitFor(t, "writes going on after the heal", time.Minute, committedAfter(100))
	isoGap, _ := writeOK.gap(tIso, tHeal)
	isoReadGap, _ := readOK.gap(tIso, tHeal)
	l.Stop()
	tEnd := time.Now()

	// The ledger, read on every node once the cluster is whole.
	if err := g.WaitSynced(sctx); err != nil {
		t.Fatal(err)
	}
	var lost []string
	unknownThere := map[string]int{}
	for _, n := range g.Nodes() {
		cfg := n.Config()
		cfg.Params = map[string]string{"wsrep_sync_wait": "1"} // read what the cluster committed
		db := openSQL(t, cfg)
		rows, err := db.QueryContext(ctx, "SELECT id FROM "+name+".ledger")
		if err != nil {
			t.Fatal(err)
		}
		have := map[int64]bool{}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			have[id] = true
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		missing := 0
		for _, id := range committed.ids() {
			if !have[id] {
				missing++
			}
		}
		if missing > 0 {
			lost = append(lost, fmt.Sprintf("%s misses %d", n.Name(), missing))
		}
		for _, id := range unknown.ids() {
			if have[id] {
				unknownThere[n.Name()]++
			}
		}
	}
	st, _ := m.StatusOf(name)
	allGap, _ := writeOK.gap(tKill, tEnd)
	t.Logf("case 6: %d writes committed, %d commit-unknown (present on n1/n2/n3: %d/%d/%d), 1047 to callers %d, other errors: writes %d, reads %d; "+
		"%s killed: taken out %s after, longest write gap %s, read gap %s; started again in %s (%s), synced; "+
		"%s isolated (in %s): taken out %s after, longest write gap %s, read gap %s; healed; failovers %d; ledger on every node: %s; longest write gap from the kill on %s",
		committed.len(), unknown.len(), unknownThere["n1"], unknownThere["n2"], unknownThere["n3"], got1047.n.Load(), writeErrs.n.Load(), readErrs.n.Load(),
		victim.Name(), ms(out.at.Sub(tKill)), ms(killGap), ms(killReadGap), ms(startTook), cmpOr(transfer, "no state transfer"),
		iso.Name(), ms(isoTook), ms(isoOut.at.Sub(tIso)), ms(isoGap), ms(isoReadGap), st.Galera.Failovers,
		cmpOr(strings.Join(lost, ", "), "every committed write"), ms(allGap))
	if len(lost) > 0 {
		t.Errorf("committed writes lost: %s", strings.Join(lost, ", "))
	}
	if got1047.n.Load() != 0 {
		t.Errorf("1047 reached callers: %s", &got1047)
	}
	if writeErrs.n.Load() != 0 || readErrs.n.Load() != 0 {
		t.Errorf("errors reached callers: writes %s; reads %s", &writeErrs, &readErrs)
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// moduleRoot is the directory of hubdb's go.mod, found up from the
// test's working directory.
func moduleRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.Contains(b, []byte("module github.com/solarhub/hubdb\n")) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("no go.mod of github.com/solarhub/hubdb above the working directory")
		}
		dir = parent
	}
}

// buildHubdb builds cmd/hubdb into a temporary directory and returns the
// binary's path.
func buildHubdb(tb testing.TB) string {
	tb.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		tb.Fatalf("go is not on PATH: %v", err)
	}
	bin := filepath.Join(tb.TempDir(), "hubdb")
	cmd := exec.Command(goBin, "build", "-o", bin, "./cmd/hubdb")
	cmd.Dir = moduleRoot(tb)
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go build ./cmd/hubdb: %v\n%s", err, out)
	}
	return bin
}

// hubdbEnv is this process's environment without any HUBDB_* variable
// (hubdb refuses one it does not know, like HUBDB_TEST_CLUSTER, and
// make test's HUBDB_TEST_DSN must not steer it), plus extra.
func hubdbEnv(extra ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if len(kv) >= 6 && strings.EqualFold(kv[:6], "HUBDB_") {
			continue
		}
		out = append(out, kv)
	}
	return append(out, extra...)
}

// migrateRun is one hubdb migrate run's outcome.
type migrateRun struct {
	node           *cluster.Node
	err            error // the exit
	stdout, stderr string
	took           time.Duration
}

// TestGaleraMigrate is case 7: two `hubdb migrate up --all` at once, one
// through n1 and one through n2, on databases of a prefix of their own
// (ct_<random>_, so that nothing else is touched). They end with every
// database at its latest version, clean, with the same structure on all
// three nodes (migration.ReadStructure), or one is refused with an error
// that names the lock; the databases are dropped afterwards.
func TestGaleraMigrate(t *testing.T) {
	g := sharedGalera(t)
	t.Cleanup(func() { restoreGalera(t, g) })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	t0 := time.Now()
	bin := buildHubdb(t)
	buildTook := time.Since(t0)
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	prefix := "ct_" + hex.EncodeToString(b) + "_"
	names, err := schema.Databases(schema.FS)
	if err != nil {
		t.Fatal(err)
	}
	n1 := openSQL(t, g.Node(1).Config())
	t.Cleanup(func() { dropPrefixed(t, g, n1, prefix) })

	runs := []*migrateRun{{node: g.Node(1)}, {node: g.Node(2)}}
	var wg sync.WaitGroup
	for _, r := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.CommandContext(ctx, bin, "migrate", "up", "--all")
			cmd.Env = hubdbEnv("HUBDB_DSN=root@tcp("+r.node.Addr()+")/", "HUBDB_DB_PREFIX="+prefix)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			start := time.Now()
			r.err = cmd.Run()
			r.took = time.Since(start)
			r.stdout, r.stderr = stdout.String(), stderr.String()
		}()
	}
	wg.Wait()

	// Every database on every node: its version and structure, read with
	// wsrep_sync_wait so that each node has applied what the cluster
	// committed.
	var problems []string
	m := &migration.Migrator{}
	ref := map[string][]string{}
	dirty, atLatest := 0, 0
	for _, n := range g.Nodes() {
		cfg := n.Config()
		cfg.Params = map[string]string{"wsrep_sync_wait": "1"}
		db := openSQL(t, cfg)
		for _, name := range names {
			target := migration.Target{Name: name, Schema: prefix + name, Server: cfg}
			st, err := m.Status(ctx, target)
			switch {
			case err != nil:
				problems = append(problems, fmt.Sprintf("%s %s: status: %v", n.Name(), name, err))
				continue
			case !st.Exists:
				problems = append(problems, fmt.Sprintf("%s %s: missing", n.Name(), name))
				continue
			case st.Dirty:
				dirty++
				problems = append(problems, fmt.Sprintf("%s %s: dirty at version %d", n.Name(), name, st.Version))
			case st.Version != st.Latest:
				problems = append(problems, fmt.Sprintf("%s %s: version %d, latest %d", n.Name(), name, st.Version, st.Latest))
			default:
				atLatest++
			}
			s, err := migration.ReadStructure(ctx, db, prefix+name)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s %s: %v", n.Name(), name, err))
				continue
			}
			lines := s.Lines()
			if want, ok := ref[name]; !ok {
				ref[name] = lines
			} else if !slices.Equal(want, lines) {
				problems = append(problems, fmt.Sprintf("%s %s: structure differs from n1's (%d lines vs %d)", n.Name(), name, len(lines), len(want)))
			}
		}
	}
	// Which databases the cluster lock was taken in: the migration
	// package's lock table (migration.LockTable) is made there.
	lockTables := 0
	if err := n1.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA LIKE ? AND TABLE_NAME = 'schema_migrations_lock'",
		prefix+"%").Scan(&lockTables); err != nil {
		t.Fatal(err)
	}
	var outcome []string
	refused := 0
	for _, r := range runs {
		how := "exit 0"
		if r.err != nil {
			refused++
			how = fmt.Sprintf("%v: %s", r.err, firstLine(r.stderr))
			if !strings.Contains(strings.ToLower(r.stderr), "lock") {
				problems = append(problems, fmt.Sprintf("the run through %s failed without naming the lock: %v\nstdout:\n%s\nstderr:\n%s", r.node.Name(), r.err, r.stdout, r.stderr))
			}
		}
		outcome = append(outcome, fmt.Sprintf("through %s %s in %s (%s)", r.node.Name(), how, r.took.Round(time.Millisecond), progress(r.stdout)))
	}
	if refused == len(runs) {
		problems = append(problems, "both runs failed")
	}
	t.Logf("case 7: two hubdb migrate up --all at once (prefix %s, %d databases; the CLI built in %s): %s; "+
		"%d of %d database copies (3 nodes) at their latest version, %d dirty, structures equal on the 3 nodes: %v; the cluster lock table in %d databases",
		prefix, len(names), buildTook.Round(time.Millisecond), strings.Join(outcome, "; "), atLatest, 3*len(names), dirty, len(problems) == 0, lockTables)
	if len(problems) > 0 {
		t.Errorf("%d problems:\n%s", len(problems), strings.Join(problems, "\n"))
		for _, r := range runs {
			t.Logf("run through %s (%v):\nstdout:\n%s\nstderr:\n%s", r.node.Name(), r.err, r.stdout, r.stderr)
		}
	}
}

// progressLine is a line of hubdb migrate's progress: "[ 3/18] ess   - -> 4   120ms  (created ct_..._ess)".
var progressLine = regexp.MustCompile(`^\[\s*\d+/\d+\]\s+(\S+)\s+(\S+) -> (\S+)\s`)

// progress sums up a run's progress lines: how many databases moved to a
// new version while it worked on them (migrated by it, or by the other
// run while it waited for the lock: the line cannot tell), and how many
// were at their version already when it began on them.
func progress(stdout string) string {
	moved, found := 0, 0
	for line := range strings.SplitSeq(stdout, "\n") {
		m := progressLine.FindStringSubmatch(line)
		switch {
		case m == nil:
		case m[2] == m[3]:
			found++
		default:
			moved++
		}
	}
	return fmt.Sprintf("its progress: %d databases moved while it worked on them, %d already at their version", moved, found)
}

// firstLine is s's first non-empty line.
func firstLine(s string) string {
	for line := range strings.SplitSeq(s, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			return line
		}
	}
	return ""
}

// dropPrefixed drops the databases named prefix* through db (on n1:
// DDL replicates to every node) and checks that no node has one left.
func dropPrefixed(tb testing.TB, g *cluster.Galera, db *sql.DB, prefix string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	list := func(db *sql.DB) []string {
		rows, err := db.QueryContext(ctx, "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?", prefix+"%")
		if err != nil {
			tb.Errorf("list %s*: %v", prefix, err)
			return nil
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err == nil {
				out = append(out, n)
			}
		}
		return out
	}
	for _, name := range list(db) {
		if _, err := db.ExecContext(ctx, "DROP DATABASE `"+name+"`"); err != nil {
			tb.Errorf("drop %s: %v", name, err)
		}
	}
	for _, n := range g.Nodes() {
		cfg := n.Config()
		cfg.Params = map[string]string{"wsrep_sync_wait": "1"}
		if left := list(openSQL(tb, cfg)); len(left) > 0 {
			tb.Errorf("%s still has %v", n.Name(), left)
		}
	}
}
