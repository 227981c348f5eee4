package clustertest

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/solarhub/hubdb/dbx"
	"github.com/solarhub/hubdb/internal/cluster"
)

// The clusters shared by the cases: started by the first case that asks,
// closed by TestMain after the last. A process that asks for none (a
// plain go test, the helper process of case 5) starts none.
var (
	replicaOnce sync.Once
	replicaSet  *cluster.ReplicaSet
	replicaErr  error

	galeraOnce sync.Once
	galeraSet  *cluster.Galera
	galeraErr  error
)

// TestMain runs the cases, then closes the shared clusters; when a case
// failed, the error log tails of their nodes come first.
func TestMain(m *testing.M) {
	code := m.Run()
	var nodes []*cluster.Node
	if replicaSet != nil {
		nodes = append(nodes, replicaSet.Nodes()...)
	}
	if galeraSet != nil {
		nodes = append(nodes, galeraSet.Nodes()...)
	}
	if code != 0 {
		for _, n := range nodes {
			fmt.Fprintf(os.Stderr, "--- %s (127.0.0.1:%d, running=%v) error log, last lines ---\n%s\n", n.Name(), n.Port(), n.Running(), n.ErrorLog(4000))
		}
	}
	if replicaSet != nil {
		if err := replicaSet.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "close the replica set:", err)
			code = max(code, 1)
		}
	}
	if galeraSet != nil {
		if err := galeraSet.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "close the Galera cluster:", err)
			code = max(code, 1)
		}
	}
	os.Exit(code)
}

// harnessLog is the clusters' progress log: stderr under -v, else
// nothing. (Not t.Logf: a shared cluster outlives the test that started
// it, and each case logs only its line of figures.)
func harnessLog(format string, args ...any) {
	if testing.Verbose() {
		fmt.Fprintf(os.Stderr, "    cluster: "+format+"\n", args...)
	}
}

// sharedReplicaSet returns the primary with two GTID replicas shared by
// cases 1–5 and the benchmark, starting it on first use.
func sharedReplicaSet(tb testing.TB) *cluster.ReplicaSet {
	tb.Helper()
	cluster.SkipUnlessEnabled(tb)
	replicaOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), cluster.ForTestTimeout)
		defer cancel()
		replicaSet, replicaErr = cluster.StartReplicaSet(ctx, cluster.ReplicaSetOptions{Logf: harnessLog})
	})
	if replicaErr != nil {
		tb.Fatalf("start the replica set: %v", replicaErr)
	}
	return replicaSet
}

// sharedGalera returns the 3-node Galera cluster shared by cases 6 and 7,
// starting it on first use.
func sharedGalera(tb testing.TB) *cluster.Galera {
	tb.Helper()
	cluster.SkipUnlessEnabled(tb)
	galeraOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), cluster.ForTestTimeout)
		defer cancel()
		galeraSet, galeraErr = cluster.StartGalera(ctx, cluster.GaleraOptions{Logf: harnessLog})
	})
	if galeraErr != nil {
		tb.Fatalf("start the Galera cluster: %v", galeraErr)
	}
	return galeraSet
}

// restoreReplicas is the cleanup of a case that breaks replicas: every
// replica runs again with both replication threads, and has applied all
// the primary wrote, before the next case starts.
func restoreReplicas(tb testing.TB, rs *cluster.ReplicaSet) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, r := range rs.Replicas() {
		if !r.Running() {
			if err := r.Start(ctx); err != nil {
				tb.Errorf("restore %s: %v", r.Name(), err)
				continue
			}
		}
		st, err := r.ReplicaStatus(ctx)
		if err != nil {
			tb.Errorf("restore %s: %v", r.Name(), err)
			continue
		}
		if st.SQLRunning != "Yes" {
			if err := r.StartSQLThread(ctx); err != nil {
				tb.Errorf("restore %s: %v", r.Name(), err)
			}
		}
	}
	if err := rs.WaitReplicated(ctx); err != nil {
		tb.Errorf("restore the replica set: %v", err)
	}
}

// restoreGalera is the cleanup of a case that breaks Galera nodes: every
// node runs, none is isolated, and all are synced in one component.
func restoreGalera(tb testing.TB, g *cluster.Galera) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for _, n := range g.Nodes() {
		switch {
		case !n.Running():
			if err := n.Start(ctx); err != nil {
				tb.Errorf("restore %s: %v", n.Name(), err)
			}
		case n.Isolated():
			if err := n.Heal(ctx); err != nil {
				tb.Errorf("restore %s: %v", n.Name(), err)
			}
		}
	}
	if err := g.WaitSynced(ctx); err != nil {
		tb.Errorf("restore the Galera cluster: %v", err)
	}
}

// openSQL opens a plain database/sql handle on cfg (outside dbx: the
// test's own view of a server), closed at the end of tb.
func openSQL(tb testing.TB, cfg *mysql.Config) *sql.DB {
	tb.Helper()
	cfg = cfg.Clone()
	cfg.Logger = &mysql.NopLogger{}
	c, err := mysql.NewConnector(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	db := sql.OpenDB(c)
	db.SetMaxOpenConns(4)
	tb.Cleanup(func() { db.Close() })
	return db
}

// execAll runs statements on db, failing tb at the first error.
func execAll(tb testing.TB, db *sql.DB, queries ...string) {
	tb.Helper()
	for _, q := range queries {
		if _, err := db.ExecContext(context.Background(), q); err != nil {
			tb.Fatalf("%s: %v", q, err)
		}
	}
}

// replicaDB makes database name on the replica set's primary (table kv:
// rows (k, 0, 0) for k in 1..rows) and drops it at the end of tb; it
// returns once every replica has it.
func replicaDB(tb testing.TB, rs *cluster.ReplicaSet, name string, rows int) {
	tb.Helper()
	prim := openSQL(tb, rs.Primary().Config())
	execAll(tb, prim,
		"DROP DATABASE IF EXISTS "+name,
		"CREATE DATABASE "+name,
		"CREATE TABLE "+name+".kv (k INT PRIMARY KEY, v BIGINT NOT NULL, at BIGINT NOT NULL) ENGINE=InnoDB")
	var vals []string
	for k := 1; k <= rows; k++ {
		vals = append(vals, fmt.Sprintf("(%d, 0, 0)", k))
	}
	execAll(tb, prim, "INSERT INTO "+name+".kv VALUES "+strings.Join(vals, ", "))
	tb.Cleanup(func() {
		if _, err := prim.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name); err != nil {
			tb.Errorf("drop %s: %v", name, err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := rs.WaitReplicated(ctx); err != nil {
		tb.Fatal(err)
	}
}

// replicaConfigs are the replicas' configurations, replica1 first.
func replicaConfigs(rs *cluster.ReplicaSet) []*mysql.Config {
	var out []*mysql.Config
	for _, r := range rs.Replicas() {
		out = append(out, r.Config())
	}
	return out
}

// openReplicaManager opens a Manager on database name of rs (the primary
// and both replicas) with pool settings p, closed at the end of tb, and
// returns it once every replica is healthy.
func openReplicaManager(tb testing.TB, rs *cluster.ReplicaSet, name string, p dbx.Pool, tracer dbx.QueryTracer) (*dbx.Manager, *dbx.DB[dbx.DBTX]) {
	tb.Helper()
	cfg := dbx.Config{Logger: slog.New(slog.DiscardHandler), Tracer: tracer, DBs: []dbx.DBConfig{{
		Name: name, Server: rs.Primary().Config(), Replicas: replicaConfigs(rs), Pool: p,
	}}}
	m, d := openManager(tb, cfg, name)
	waitFor(tb, "every replica of "+name+" healthy", time.Minute, func() (bool, string) {
		st := replication(tb, m, name)
		return healthyCount(st.Replicas) == len(rs.Replicas()), fmt.Sprintf("%+v", st.Replicas)
	})
	return m, d
}

// openManager opens cfg and binds database name as a raw handle.
func openManager(tb testing.TB, cfg dbx.Config, name string) (*dbx.Manager, *dbx.DB[dbx.DBTX]) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	m, err := dbx.Open(ctx, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = m.Close() })
	d, err := dbx.Bind(m, name, func(x dbx.DBTX) dbx.DBTX { return x })
	if err != nil {
		tb.Fatal(err)
	}
	return m, d
}

// replication is the replication status of database name.
func replication(tb testing.TB, m *dbx.Manager, name string) dbx.ReplicationStatus {
	tb.Helper()
	st, err := m.StatusOf(name)
	if err != nil {
		tb.Fatal(err)
	}
	if st.Replication == nil {
		tb.Fatalf("%s has no replication status", name)
	}
	return *st.Replication
}

func healthyCount(rs []dbx.ReplicaStatus) int {
	n := 0
	for _, r := range rs {
		if r.Healthy {
			n++
		}
	}
	return n
}

// replicaHealthy reports whether the replica at addr of database name is
// healthy, and why not.
func replicaHealthy(m *dbx.Manager, name, addr string) (bool, string) {
	st, err := m.StatusOf(name)
	if err != nil || st.Replication == nil {
		return false, fmt.Sprint(err)
	}
	for _, r := range st.Replication.Replicas {
		if r.Addr == addr {
			return r.Healthy, r.Why
		}
	}
	return false, "no replica " + addr
}

// waitFor polls cond every 5 ms until it holds, failing tb after bound
// with the state cond last reported. It is the suite's only way to wait:
// a bounded poll of real state.
func waitFor(tb testing.TB, what string, bound time.Duration, cond func() (bool, string)) {
	tb.Helper()
	deadline := time.Now().Add(bound)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s: not within %v; last state: %s", what, bound, state)
		}
		time.Sleep(5 * time.Millisecond) // the poll interval of a bounded wait on real state
	}
}

// load runs workers goroutines, each calling fn with its index and an
// iteration counter, until Stop, until each made perWorker calls (0: no
// count), or until limit passed (a backstop: a case stops its load
// itself).
type load struct {
	stop chan struct{}
	once sync.Once
	wg   sync.WaitGroup
}

func startLoad(workers, perWorker int, limit time.Duration, fn func(w, i int)) *load {
	l := &load{stop: make(chan struct{})}
	deadline := time.Now().Add(limit)
	for w := range workers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for i := 0; perWorker == 0 || i < perWorker; i++ {
				select {
				case <-l.stop:
					return
				default:
				}
				if time.Now().After(deadline) {
					return
				}
				fn(w, i)
			}
		}()
	}
	return l
}

// Stop ends the load and waits until every worker has returned.
func (l *load) Stop() {
	l.once.Do(func() { close(l.stop) })
	l.wg.Wait()
}

// Wait waits until every worker has returned (the count is done).
func (l *load) Wait() { l.wg.Wait() }

// counter is a goroutine-safe count by key.
type counter struct {
	mu sync.Mutex
	m  map[int]int
}

func (c *counter) add(k int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[int]int{}
	}
	c.m[k]++
}

func (c *counter) get(k int) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[k]
}

func (c *counter) snapshot() map[int]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[int]int, len(c.m))
	for k, v := range c.m {
		out[k] = v
	}
	return out
}

// errorLog counts errors and keeps the first few, for the message of a
// failed assertion.
type errorLog struct {
	n     atomic.Int64
	mu    sync.Mutex
	first []string
}

func (e *errorLog) add(err error) {
	e.n.Add(1)
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.first) < 5 {
		e.first = append(e.first, err.Error())
	}
}

func (e *errorLog) String() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return fmt.Sprintf("%d (first: %s)", e.n.Load(), strings.Join(e.first, " | "))
}

// durations collects durations from many goroutines.
type durations struct {
	mu sync.Mutex
	d  []time.Duration
}

func (ds *durations) add(d time.Duration) {
	ds.mu.Lock()
	ds.d = append(ds.d, d)
	ds.mu.Unlock()
}

// quantile returns the q-quantile (0..1) of ds, 0 when empty.
func (ds *durations) quantile(q float64) time.Duration {
	ds.mu.Lock()
	defer ds.mu.Unlock()
	return quantile(ds.d, q)
}

func (ds *durations) len() int {
	ds.mu.Lock()
	defer ds.mu.Unlock()
	return len(ds.d)
}

func quantile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(q * float64(len(s)-1))
	return s[i]
}

// maxGap returns the longest interval between consecutive times of ts
// within [from, to] (the ends count as times), and where it began.
func maxGap(ts []time.Time, from, to time.Time) (time.Duration, time.Time) {
	var in []time.Time
	for _, t := range ts {
		if !t.Before(from) && !t.After(to) {
			in = append(in, t)
		}
	}
	sort.Slice(in, func(i, j int) bool { return in[i].Before(in[j]) })
	in = append(append([]time.Time{from}, in...), to)
	var gap time.Duration
	at := from
	for i := 1; i < len(in); i++ {
		if d := in[i].Sub(in[i-1]); d > gap {
			gap, at = d, in[i-1]
		}
	}
	return gap, at
}

// ms formats a duration in milliseconds for the figures lines.
func ms(d time.Duration) string {
	return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
}
