package dbx_test

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/solarhub/hubdb/dbx"
	"github.com/solarhub/hubdb/internal/cluster"
)

// galeraManager starts a 3-node Galera cluster, makes database kv
// (ledger(id PK, v)) through node 1 and opens a Manager on the three
// nodes, polling every 100 ms.
func galeraManager(t *testing.T) (*cluster.Galera, *dbx.Manager, *dbx.DB[dbx.DBTX]) {
	t.Helper()
	cluster.SkipUnlessEnabled(t)
	g := cluster.GaleraForTest(t)
	ctx := context.Background()
	n1 := sql.OpenDB(must(mysql.NewConnector(g.Node(1).Config())))
	defer n1.Close()
	for _, q := range []string{
		"CREATE DATABASE kv",
		"CREATE TABLE kv.ledger (id BIGINT PRIMARY KEY, v INT NOT NULL) ENGINE=InnoDB",
	} {
		if _, err := n1.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	var nodes []*mysql.Config
	for _, n := range g.Nodes() {
		nodes = append(nodes, n.Config())
	}
	m, err := dbx.Open(ctx, dbx.Config{Logger: slog.New(slog.DiscardHandler), DBs: []dbx.DBConfig{{
		Name: "kv", Galera: nodes, Pool: dbx.Pool{Size: dbx.Int(4), Overflow: dbx.Int(4), ReplicaPoll: 100 * time.Millisecond},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return g, m, raw(t, m, "kv")
}

// TestGaleraFailover: writes and reads go to node 1 while it is ready;
// isolated from the cluster under load (it still answers ping, and fails
// every query with 1047), it is taken out with no 1047 reaching a caller
// and the load goes on on node 2; every committed write is on every node
// once node 1 is healed, and the load is back on node 1.
func TestGaleraFailover(t *testing.T) {
	g, m, d := galeraManager(t)
	ctx := context.Background()
	nodeID := func() int {
		var id int
		if err := d.Read(ctx, func(ctx context.Context, q dbx.DBTX) error {
			return q.QueryRowContext(ctx, "SELECT @@server_id").Scan(&id)
		}); err != nil {
			t.Fatal(err)
		}
		return id
	}
	if id := nodeID(); id != g.Node(1).ServerID() {
		t.Fatalf("a read ran on server %d, want node 1 (%d)", id, g.Node(1).ServerID())
	}

	var next atomic.Int64
	var mu sync.Mutex
	committed := map[int64]bool{}
	var errs1047, otherErrs atomic.Int64
	var lastOther atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				id := next.Add(1)
				err := d.Write(ctx, func(ctx context.Context, q dbx.DBTX) error {
					_, err := q.ExecContext(ctx, "INSERT INTO ledger VALUES (?, 1)", id)
					return err
				}, dbx.Retry(3))
				var me *mysql.MySQLError
				switch {
				case err == nil:
					mu.Lock()
					committed[id] = true
					mu.Unlock()
				case errors.As(err, &me) && me.Number == 1047:
					errs1047.Add(1)
				default:
					otherErrs.Add(1)
					lastOther.Store(err.Error())
				}
			}
		}()
	}
	// Isolate node 1 once writes are flowing; wait until node 2 serves.
	waitFor(t, "writes flowing", func() bool { return next.Load() > 50 })
	t0 := time.Now()
	if err := g.Node(1).Isolate(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "reads on node 2", func() bool { return nodeID() == g.Node(2).ServerID() })
	moved := time.Since(t0)
	before := next.Load()
	waitFor(t, "writes going on on node 2", func() bool { return next.Load() > before+50 })
	if err := g.Node(1).Heal(ctx); err != nil {
		t.Fatal(err)
	}
	if err := g.WaitSynced(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "reads back on node 1", func() bool { return nodeID() == g.Node(1).ServerID() })
	close(stop)
	wg.Wait()

	st, _ := m.StatusOf("kv")
	t.Logf("galera: %d writes committed, %d 1047 errors, %d other errors (last: %v); moved to node 2 in %v; failovers %d",
		len(committed), errs1047.Load(), otherErrs.Load(), lastOther.Load(), moved.Round(time.Millisecond), st.Galera.Failovers)
	if errs1047.Load() != 0 {
		t.Errorf("%d callers got 1047", errs1047.Load())
	}
	for _, n := range g.Nodes() {
		db := sql.OpenDB(must(mysql.NewConnector(n.Config())))
		var rows int
		if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM kv.ledger").Scan(&rows); err != nil {
			t.Fatal(err)
		}
		_ = db.Close()
		mu.Lock()
		if rows < len(committed) {
			t.Errorf("%s has %d ledger rows, %d writes were committed", n.Name(), rows, len(committed))
		}
		mu.Unlock()
	}
}

// waitFor polls cond (bounded: a minute).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after a minute", what)
		}
		time.Sleep(20 * time.Millisecond) // a bounded poll of real state
	}
}
