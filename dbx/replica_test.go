package dbx_test

import (
	"context"
	"database/sql"

	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/solarhub/hubdb/dbx"
	"github.com/solarhub/hubdb/internal/cluster"
)

// replicaManager starts a primary with two GTID replicas, makes database
// kv (table kv, rows (1,0), (2,0)) on the primary, and opens a Manager
// with the replicas configured, polling every 100 ms; it returns once
// both replicas are healthy.
func replicaManager(t *testing.T, p dbx.Pool) (*cluster.ReplicaSet, *dbx.Manager, *dbx.DB[dbx.DBTX]) {
	t.Helper()
	cluster.SkipUnlessEnabled(t)
	rs := cluster.ReplicaSetForTest(t)
	ctx := context.Background()
	prim := sql.OpenDB(must(mysql.NewConnector(rs.Primary().Config())))
	defer prim.Close()
	for _, q := range []string{
		"CREATE DATABASE kv",
		"CREATE TABLE kv.kv (k INT PRIMARY KEY, v INT NOT NULL) ENGINE=InnoDB",
		"INSERT INTO kv.kv VALUES (1, 0), (2, 0)",
	} {
		if _, err := prim.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if err := rs.WaitReplicated(ctx); err != nil {
		t.Fatal(err)
	}
	p.ReplicaPoll = 100 * time.Millisecond
	var replicas []*mysql.Config
	for _, n := range rs.Replicas() {
		replicas = append(replicas, n.Config())
	}
	cfg := dbx.Config{Logger: slog.New(slog.DiscardHandler), DBs: []dbx.DBConfig{{
		Name: "kv", Server: rs.Primary().Config(), Replicas: replicas, Pool: p,
	}}}
	m, err := dbx.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	waitReplicas(t, m, 2)
	return rs, m, raw(t, m, "kv")
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// waitReplicas polls the Manager's status until n replicas of kv are
// healthy (bounded).
func waitReplicas(t *testing.T, m *dbx.Manager, n int) dbx.ReplicationStatus {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		st, err := m.StatusOf("kv")
		if err != nil {
			t.Fatal(err)
		}
		healthy := 0
		for _, r := range st.Replication.Replicas {
			if r.Healthy {
				healthy++
			}
		}
		if healthy == n {
			return *st.Replication
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d healthy replicas after a minute, want %d: %+v", healthy, n, st.Replication.Replicas)
		}
		time.Sleep(20 * time.Millisecond) // a bounded poll of the replicas' state
	}
}

func serverID(t *testing.T, ctx context.Context, d *dbx.DB[dbx.DBTX], read bool) int {
	t.Helper()
	var id int
	run := d.Write
	if read {
		run = d.Read
	}
	if err := run(ctx, func(ctx context.Context, q dbx.DBTX) error {
		return q.QueryRowContext(ctx, "SELECT @@server_id").Scan(&id)
	}); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestReplicaRouting: reads land on the replicas (both, by @@server_id),
// writes on the primary; a replica whose SQL thread stops is skipped and
// taken back once it runs again; a write read back with its causal token
// is never stale.
func TestReplicaRouting(t *testing.T) {
	rs, m, d := replicaManager(t, dbx.Pool{Size: dbx.Int(2), Overflow: dbx.Int(2)})
	ctx := context.Background()
	ids := map[int]int{}
	for range 40 {
		ids[serverID(t, ctx, d, true)]++
	}
	var want []int
	for _, n := range rs.Replicas() {
		want = append(want, n.ServerID())
	}
	got := slices.Sorted(func(yield func(int) bool) {
		for id := range ids {
			if !yield(id) {
				return
			}
		}
	})
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("reads ran on servers %v, want the replicas %v", ids, want)
	}
	if id := serverID(t, ctx, d, false); id != rs.Primary().ServerID() {
		t.Errorf("a write ran on server %d, want the primary %d", id, rs.Primary().ServerID())
	}

	// Lag: replica 1's SQL thread stops; within a poll it is skipped.
	lagging := rs.Replicas()[0]
	if err := lagging.StopSQLThread(ctx); err != nil {
		t.Fatal(err)
	}
	waitReplicas(t, m, 1)
	for range 20 {
		if id := serverID(t, ctx, d, true); id == lagging.ServerID() {
			t.Fatalf("a read ran on the replica whose SQL thread is stopped")
		}
	}
	if err := lagging.StartSQLThread(ctx); err != nil {
		t.Fatal(err)
	}
	waitReplicas(t, m, 2)

	// Read-your-writes with a token.
	stale := 0
	for i := range 200 {
		tctx := dbx.WithToken(ctx, dbx.NewToken())
		if err := d.Write(tctx, func(ctx context.Context, q dbx.DBTX) error {
			_, err := q.ExecContext(ctx, "UPDATE kv SET v = ? WHERE k = 1", i+1)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		var v int
		if err := d.Read(tctx, func(ctx context.Context, q dbx.DBTX) error {
			return q.QueryRowContext(ctx, "SELECT v FROM kv WHERE k = 1").Scan(&v)
		}); err != nil {
			t.Fatal(err)
		}
		if v != i+1 {
			stale++
		}
	}
	st, _ := m.StatusOf("kv")
	r := st.Replication
	t.Logf("causal: 200 pairs, %d stale; known %d, waits %d (%v), fallbacks %d; replica reads %d, primary reads %d",
		stale, r.CausalKnown, r.CausalWaits, r.CausalWaitTime, r.CausalFallbacks, r.ReplicaReads, r.PrimaryReads)
	if stale != 0 {
		t.Errorf("%d of 200 reads with a token were stale", stale)
	}
	if r.CausalKnown+r.CausalWaits+r.CausalFallbacks < 200 {
		t.Errorf("the causal counters add up to %d, want at least 200", r.CausalKnown+r.CausalWaits+r.CausalFallbacks)
	}
}
