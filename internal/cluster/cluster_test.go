package cluster

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// phase logs one line of timing per phase of a test.
type phase struct {
	t     *testing.T
	start time.Time
	last  time.Time
}

func newPhase(t *testing.T) *phase {
	now := time.Now()
	return &phase{t: t, start: now, last: now}
}

func (p *phase) done(format string, args ...any) {
	p.t.Helper()
	now := time.Now()
	p.t.Logf("phase %-40s %6.2fs (total %6.2fs)", fmt.Sprintf(format, args...), now.Sub(p.last).Seconds(), now.Sub(p.start).Seconds())
	p.last = now
}

func testCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func errno(err error) uint16 {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number
	}
	return 0
}

// eventually polls check every 50 ms until it returns nil or d passes.
func eventually(t *testing.T, d time.Duration, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s: %v", what, d, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func count(ctx context.Context, t *testing.T, n *Node, table string) int {
	t.Helper()
	s, err := n.QueryString(ctx, "SELECT COUNT(*) FROM "+table)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := strconv.Atoi(s)
	return c
}

func mustExec(ctx context.Context, t *testing.T, n *Node, queries ...string) {
	t.Helper()
	for _, q := range queries {
		if err := n.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
}

func TestReplicaSet(t *testing.T) {
	SkipUnlessEnabled(t)
	ph := newPhase(t)
	rs := ReplicaSetForTest(t)
	ph.done("start primary + 2 replicas")
	ctx := testCtx(t, 5*time.Minute)
	p, reps := rs.Primary(), rs.Replicas()

	ids := map[string]string{}
	for _, n := range rs.Nodes() {
		id, err := n.QueryString(ctx, "SELECT @@server_id")
		if err != nil {
			t.Fatal(err)
		}
		if other, dup := ids[id]; dup {
			t.Fatalf("@@server_id %s on both %s and %s", id, other, n.Name())
		}
		ids[id] = n.Name()
		if id != strconv.Itoa(n.ServerID()) {
			t.Errorf("%s: @@server_id %s, ServerID() %d", n.Name(), id, n.ServerID())
		}
		ro, _ := n.QueryString(ctx, "SELECT @@read_only")
		if want := map[Role]string{RolePrimary: "0", RoleReplica: "1"}[n.Role()]; ro != want {
			t.Errorf("%s: @@read_only=%s, want %s", n.Name(), ro, want)
		}
	}
	for _, n := range rs.Nodes() {
		if strings.Contains(n.ErrorLog(1<<20), rs.replPass) {
			t.Errorf("%s: the replication password is in the error log", n.Name())
		}
	}
	ph.done("server ids %v distinct, read_only on replicas", ids)

	mustExec(ctx, t, p, "CREATE DATABASE rt", "CREATE TABLE rt.t (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(20))",
		"INSERT INTO rt.t (v) VALUES ('one')")
	for _, r := range reps {
		eventually(t, 10*time.Second, r.Name()+" sees the row", func() error {
			if _, err := r.QueryString(ctx, "SELECT v FROM rt.t WHERE v = 'one'"); err != nil {
				return err
			}
			return nil
		})
	}
	ph.done("write on primary seen on both replicas")

	// Lag: replica1's SQL thread stopped, the primary goes on.
	lagging, other := reps[0], reps[1]
	if err := lagging.StopSQLThread(ctx); err != nil {
		t.Fatal(err)
	}
	before, err := lagging.ReplicaStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		mustExec(ctx, t, p, fmt.Sprintf("INSERT INTO rt.t (v) VALUES ('lag%d')", i))
	}
	primaryPos, err := p.GTIDPos(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := other.WaitGTID(ctx, primaryPos); err != nil {
		t.Fatal(err)
	}
	var during ReplicaStatus
	eventually(t, 10*time.Second, "the lagging replica receives what it does not apply", func() error {
		during, err = lagging.ReplicaStatus(ctx)
		if err != nil {
			return err
		}
		if during.IOPos != primaryPos {
			return fmt.Errorf("io_pos %q, primary at %q", during.IOPos, primaryPos)
		}
		return nil
	})
	if during.SlavePos != before.SlavePos || during.SQLRunning != "No" || during.SecondsBehind != -1 {
		t.Fatalf("SQL thread stopped, yet: before %s; during %s", before, during)
	}
	if got, want := count(ctx, t, lagging, "rt.t"), 1; got != want {
		t.Fatalf("lagging replica has %d rows, want %d", got, want)
	}
	if got, want := count(ctx, t, other, "rt.t"), 6; got != want {
		t.Fatalf("other replica has %d rows, want %d", got, want)
	}
	t.Logf("lag: primary at %s; lagging replica applied %s (received %s, Seconds_Behind_Master NULL); other replica 6 rows",
		primaryPos, during.SlavePos, during.IOPos)
	ph.done("StopSQLThread: replica1 falls behind")
	if err := lagging.StartSQLThread(ctx); err != nil {
		t.Fatal(err)
	}
	if err := lagging.WaitGTID(ctx, primaryPos); err != nil {
		t.Fatal(err)
	}
	if got := count(ctx, t, lagging, "rt.t"); got != 6 {
		t.Fatalf("after StartSQLThread: %d rows, want 6", got)
	}
	ph.done("StartSQLThread: replica1 caught up")

	// A replica crashes and comes back; the primary writes meanwhile.
	if err := other.Kill(); err != nil {
		t.Fatal(err)
	}
	if other.Running() {
		t.Fatal("killed, still running")
	}
	if err := other.Ping(ctx); err == nil {
		t.Fatal("killed replica answers ping")
	}
	ph.done("Kill replica2")
	mustExec(ctx, t, p, "INSERT INTO rt.t (v) VALUES ('while down')")
	if err := other.Start(ctx); err != nil {
		t.Fatal(err)
	}
	ph.done("Start replica2 (replication resumed)")
	if err := rs.WaitReplicated(ctx); err != nil {
		t.Fatal(err)
	}
	for _, r := range reps {
		if got := count(ctx, t, r, "rt.t"); got != 7 {
			t.Fatalf("%s: %d rows, want 7", r.Name(), got)
		}
	}
	ph.done("replica2 caught up on the write made while down")

	// A clean stop and start of a replica.
	if err := lagging.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	ph.done("Stop replica1 (clean)")
	if err := lagging.Start(ctx); err != nil {
		t.Fatal(err)
	}
	ph.done("Start replica1")

	// The primary crashes and comes back: the replicas reconnect.
	if err := p.Kill(); err != nil {
		t.Fatal(err)
	}
	ph.done("Kill primary")
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	mustExec(ctx, t, p, "INSERT INTO rt.t (v) VALUES ('after primary crash')")
	if err := rs.WaitReplicated(ctx); err != nil {
		t.Fatal(err)
	}
	for _, r := range reps {
		st, err := r.ReplicaStatus(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.IORunning != "Yes" || st.SQLRunning != "Yes" || count(ctx, t, r, "rt.t") != 8 {
			t.Fatalf("%s after the primary's restart: %s", r.Name(), st)
		}
	}
	ph.done("Start primary: replicas reconnected, caught up")
	t.Logf("replica set: start %.2fs, whole test %.2fs", rs.StartDuration().Seconds(), time.Since(ph.start).Seconds())
}

func TestGalera(t *testing.T) {
	SkipUnlessEnabled(t)
	ph := newPhase(t)
	g := GaleraForTest(t)
	ph.done("start 3-node Galera")
	ctx := testCtx(t, 5*time.Minute)
	n1, n2, n3 := g.Node(1), g.Node(2), g.Node(3)

	for _, n := range g.Nodes() {
		st, err := n.Wsrep(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !st.Synced() || st.ClusterSize != 3 {
			t.Fatalf("%s: %s", n.Name(), st)
		}
	}
	mustExec(ctx, t, n1, "CREATE DATABASE gt", "CREATE TABLE gt.t (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(20))",
		"INSERT INTO gt.t (v) VALUES ('one')")
	for _, n := range []*Node{n2, n3} {
		eventually(t, 10*time.Second, n.Name()+" sees n1's write", func() error {
			_, err := n.QueryString(ctx, "SELECT v FROM gt.t WHERE v = 'one'")
			return err
		})
	}
	ph.done("write on n1 seen on n2, n3")

	// n3 crashes: the other two go on.
	if err := n3.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := g.WaitSynced(ctx, n1, n2); err != nil {
		t.Fatal(err)
	}
	ph.done("Kill n3: cluster_size=2 on n1, n2")
	mustExec(ctx, t, n1, "INSERT INTO gt.t (v) VALUES ('n1 without n3')")
	mustExec(ctx, t, n2, "INSERT INTO gt.t (v) VALUES ('n2 without n3')")
	ph.done("writes on n1 and n2 without n3")
	if err := n3.Start(ctx); err != nil {
		t.Fatal(err)
	}
	ph.done("Start n3: rejoined, synced")
	if err := g.WaitSynced(ctx); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "n3 has the writes made while it was down", func() error {
		if c := count(ctx, t, n3, "gt.t"); c != 3 {
			return fmt.Errorf("%d rows", c)
		}
		return nil
	})
	t.Logf("n3 rejoined by %s", n3.LastStateTransfer())
	ph.done("cluster_size=3 again, n3 has the rows")

	// n2 cut off: it answers ping, not queries.
	if err := n2.Isolate(ctx); err != nil {
		t.Fatal(err)
	}
	ph.done("Isolate n2: n1, n3 synced as 2")
	st, err := n2.Wsrep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("isolated n2: %s", st)
	if err := n2.Ping(ctx); err != nil {
		t.Errorf("isolated n2 does not answer ping: %v", err)
	} else {
		t.Logf("isolated n2: ping OK")
	}
	probeIsolated(ctx, t, n2)
	_, err = n2.QueryString(ctx, "SELECT COUNT(*) FROM gt.t")
	if errno(err) != 1047 {
		t.Errorf("a table query on the isolated node: %v, want error 1047", err)
	}
	err = n2.Exec(ctx, "INSERT INTO gt.t (v) VALUES ('on isolated n2')")
	t.Logf("isolated n2: INSERT -> errno %d (%v)", errno(err), err)
	if errno(err) != 1047 {
		t.Errorf("a write on the isolated node: %v, want error 1047", err)
	}
	mustExec(ctx, t, n1, "INSERT INTO gt.t (v) VALUES ('n1 while n2 isolated')")
	ph.done("isolated n2 probed; n1 writes on")

	if err := n2.Heal(ctx); err != nil {
		t.Fatal(err)
	}
	ph.done("Heal n2: all 3 synced")
	eventually(t, 10*time.Second, "healed n2 has the write made while isolated", func() error {
		if c := count(ctx, t, n2, "gt.t"); c != 4 {
			return fmt.Errorf("%d rows", c)
		}
		return nil
	})
	t.Logf("n2 rejoined by %s", n2.LastStateTransfer())
	ph.done("healed n2 has the rows")

	// The node that bootstrapped the cluster leaves cleanly and comes back.
	if err := n1.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := g.WaitSynced(ctx, n2, n3); err != nil {
		t.Fatal(err)
	}
	ph.done("Stop n1 (clean): cluster_size=2 on n2, n3")
	mustExec(ctx, t, n3, "INSERT INTO gt.t (v) VALUES ('n3 without n1')")
	if err := n1.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := g.WaitSynced(ctx); err != nil {
		t.Fatal(err)
	}
	if c := count(ctx, t, n1, "gt.t"); c != 5 {
		t.Fatalf("n1 after its restart: %d rows, want 5", c)
	}
	t.Logf("n1 rejoined by %s", n1.LastStateTransfer())
	ph.done("Start n1: rejoined, synced, has the rows")

	ids := map[string]bool{}
	for _, n := range g.Nodes() {
		id, err := n.QueryString(ctx, "SELECT @@server_id")
		if err != nil {
			t.Fatal(err)
		}
		if ids[id] || id != strconv.Itoa(n.ServerID()) {
			t.Fatalf("%s: @@server_id %s (ServerID %d, seen %v)", n.Name(), id, n.ServerID(), ids)
		}
		ids[id] = true
	}
	t.Logf("galera: start %.2fs, whole test %.2fs", g.StartDuration().Seconds(), time.Since(ph.start).Seconds())
}

// probeIsolated logs what a node cut off from its cluster answers, on
// one connection (the session variable holds for the last query).
func probeIsolated(ctx context.Context, t *testing.T, n *Node) {
	t.Helper()
	db := sql.OpenDB(mustConnector(t, n))
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range []string{
		"SELECT 1", "SELECT @@server_id", "SHOW DATABASES", "SHOW GLOBAL STATUS LIKE 'wsrep_ready'",
		"SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'wsrep_ready'",
		"SELECT COUNT(*) FROM gt.t", "SELECT COUNT(*) FROM mysql.user",
		"SET SESSION wsrep_dirty_reads = ON", "SELECT COUNT(*) FROM gt.t",
	} {
		var v sql.RawBytes
		rows, err := conn.QueryContext(ctx, q)
		if err == nil {
			if rows.Next() {
				cols, _ := rows.Columns()
				dest := make([]any, len(cols))
				for i := range dest {
					dest[i] = new(sql.RawBytes)
				}
				err = rows.Scan(dest...)
				v = *dest[len(dest)-1].(*sql.RawBytes)
			}
			rows.Close()
		}
		t.Logf("isolated %s: %-40q -> errno %d %q (%v)", n.Name(), abbrev(q), errno(err), v, err)
	}
}

func mustConnector(t *testing.T, n *Node) driver.Connector {
	c, err := mysql.NewConnector(n.Config())
	if err != nil {
		t.Fatal(err)
	}
	return c
}
