package clustertest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/solarhub/hubdb/dbx"
	"github.com/solarhub/hubdb/internal/cluster"
)

// perServer formats counts by server id as "primary 0, replica1 601, ...",
// in the set's order, then any unknown id.
func perServer(rs *cluster.ReplicaSet, counts map[int]int) string {
	var parts []string
	seen := map[int]bool{}
	for _, n := range rs.Nodes() {
		parts = append(parts, fmt.Sprintf("%s %d", n.Name(), counts[n.ServerID()]))
		seen[n.ServerID()] = true
	}
	for _, id := range slices.Sorted(func(yield func(int) bool) {
		for id := range counts {
			if !yield(id) {
				return
			}
		}
	}) {
		if !seen[id] {
			parts = append(parts, fmt.Sprintf("server %d %d", id, counts[id]))
		}
	}
	return strings.Join(parts, ", ")
}

// TestRouting is case 1: under a mixed load of 4 goroutines (100 writes
// and 300 reads each), every read runs on a replica, both replicas serve
// reads, and every write runs on the primary, by @@server_id.
func TestRouting(t *testing.T) {
	rs := sharedReplicaSet(t)
	const name = "ct_routing"
	replicaDB(t, rs, name, 4)
	m, d := openReplicaManager(t, rs, name, dbx.Pool{ReplicaPoll: 100 * time.Millisecond}, nil)
	ctx := context.Background()

	var reads, writes counter
	var errs errorLog
	l := startLoad(4, 100, 2*time.Minute, func(w, i int) {
		var sid int
		err := d.Write(ctx, func(ctx context.Context, q dbx.DBTX) error {
			if _, err := q.ExecContext(ctx, "UPDATE kv SET v = v + 1 WHERE k = ?", w+1); err != nil {
				return err
			}
			return q.QueryRowContext(ctx, "SELECT @@server_id").Scan(&sid)
		})
		if err != nil {
			errs.add(err)
			return
		}
		writes.add(sid)
		for range 3 {
			var v int64
			err := d.Read(ctx, func(ctx context.Context, q dbx.DBTX) error {
				return q.QueryRowContext(ctx, "SELECT v, @@server_id FROM kv WHERE k = ?", w+1).Scan(&v, &sid)
			})
			if err != nil {
				errs.add(err)
				continue
			}
			reads.add(sid)
		}
	})
	l.Wait()

	r := replication(t, m, name)
	rc, wc := reads.snapshot(), writes.snapshot()
	total := 0
	for _, n := range rc {
		total += n
	}
	t.Logf("case 1: %d reads: %s; %d writes: %s; errors %d; dbx counted replica reads %d, primary reads %d, fallbacks %d",
		total, perServer(rs, rc), sum(wc), perServer(rs, wc), errs.n.Load(), r.ReplicaReads, r.PrimaryReads, r.Fallbacks)

	if errs.n.Load() != 0 {
		t.Errorf("errors: %s", &errs)
	}
	for _, rep := range rs.Replicas() {
		if rc[rep.ServerID()] == 0 {
			t.Errorf("%s (server %d) served no read: %s", rep.Name(), rep.ServerID(), perServer(rs, rc))
		}
	}
	if n := total - rc[rs.Replicas()[0].ServerID()] - rc[rs.Replicas()[1].ServerID()]; n != 0 {
		t.Errorf("%d reads ran elsewhere than on the replicas: %s", n, perServer(rs, rc))
	}
	if n := wc[rs.Primary().ServerID()]; n != sum(wc) || n != 400 {
		t.Errorf("writes: %s; want all 400 on the primary", perServer(rs, wc))
	}
}

func sum(m map[int]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// TestReplicaRestart is case 2: replica1 is stopped cleanly (SIGTERM)
// under a load of 2 writers and 4 readers, and started again: no read
// error reaches a caller (reads that replica1 fails under are rerouted),
// it is taken out, then taken back once healthy, and serves reads again.
func TestReplicaRestart(t *testing.T) {
	rs := sharedReplicaSet(t)
	t.Cleanup(func() { restoreReplicas(t, rs) })
	const name = "ct_restart"
	replicaDB(t, rs, name, 8)
	m, d := openReplicaManager(t, rs, name, dbx.Pool{ReplicaPoll: 100 * time.Millisecond}, nil)
	victim := rs.Replicas()[0]
	ctx := context.Background()

	var reads counter
	var readErrs, writeErrs errorLog
	var nReads, nWrites, servedBack atomic.Int64
	var backAt atomic.Int64 // unix nanos when victim was taken back
	l := startLoad(6, 0, 3*time.Minute, func(w, i int) {
		if w < 2 {
			err := d.Write(ctx, func(ctx context.Context, q dbx.DBTX) error {
				_, err := q.ExecContext(ctx, "UPDATE kv SET v = v + 1 WHERE k = ?", w+1)
				return err
			})
			if err != nil {
				writeErrs.add(err)
				return
			}
			nWrites.Add(1)
			return
		}
		start := time.Now().UnixNano()
		var v int64
		var sid int
		err := d.Read(ctx, func(ctx context.Context, q dbx.DBTX) error {
			return q.QueryRowContext(ctx, "SELECT v, @@server_id FROM kv WHERE k = ?", 1+i%8).Scan(&v, &sid)
		})
		if err != nil {
			readErrs.add(err)
			return
		}
		nReads.Add(1)
		reads.add(sid)
		if b := backAt.Load(); sid == victim.ServerID() && b != 0 && start > b {
			servedBack.Add(1)
		}
	})
	defer l.Stop()
	watch := watchHealth(func() (bool, string) { return replicaHealthy(m, name, victim.Addr()) })
	defer watch.Stop()

	waitFor(t, "reads flowing", time.Minute, func() (bool, string) {
		return nReads.Load() >= 200 && reads.get(victim.ServerID()) > 0, fmt.Sprintf("%d reads", nReads.Load())
	})
	tStop := time.Now()
	if err := victim.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	stopTook := time.Since(tStop)
	waitFor(t, "replica1 taken out", time.Minute, func() (bool, string) {
		_, ok := watch.firstAfter(tStop, false)
		return ok, watch.current().why
	})
	out, _ := watch.firstAfter(tStop, false)
	before := nReads.Load()
	waitFor(t, "reads going on without replica1", time.Minute, func() (bool, string) {
		return nReads.Load() >= before+1000, fmt.Sprintf("%d reads since", nReads.Load()-before)
	})

	tStart := time.Now()
	if err := victim.Start(ctx); err != nil {
		t.Fatal(err)
	}
	startTook := time.Since(tStart)
	waitFor(t, "replica1 taken back", time.Minute, func() (bool, string) {
		_, ok := watch.firstAfter(tStart, true)
		return ok, watch.current().why
	})
	back, _ := watch.firstAfter(tStart, true)
	backAt.Store(back.at.UnixNano())
	waitFor(t, "replica1 serving reads again", time.Minute, func() (bool, string) {
		return servedBack.Load() >= 20, fmt.Sprintf("%d reads on replica1 since it was taken back", servedBack.Load())
	})
	l.Stop()

	r := replication(t, m, name)
	t.Logf("case 2: %d reads (%s), read errors %d, %d writes, write errors %d; rerouted %d, fallbacks %d; "+
		"replica1 stopped in %s, taken out %s after the stop began (%q); started again in %s, taken back %s after the start began; then served %d reads",
		nReads.Load(), perServer(rs, reads.snapshot()), readErrs.n.Load(), nWrites.Load(), writeErrs.n.Load(), r.Rerouted, r.Fallbacks,
		ms(stopTook), ms(out.at.Sub(tStop)), out.why, ms(startTook), ms(back.at.Sub(tStart)), servedBack.Load())
	if readErrs.n.Load() != 0 {
		t.Errorf("read errors reached callers: %s", &readErrs)
	}
	if writeErrs.n.Load() != 0 {
		t.Errorf("write errors (the primary was not touched): %s", &writeErrs)
	}
}

// TestReplicaLag is case 3: replica1's SQL thread stops (it goes on
// receiving, applies nothing) under a load of one writer and 3 readers.
// The writer updates one row, a counter n and the primary's clock at the
// write; every read records which server served it and the n it saw.
//
// The bound: dbx serves a read from a replica whose last poll found it
// replicating with Seconds_Behind_Master at most MaxReplicaLag; that poll
// is at most ReplicaPoll (plus the poll's own duration) old, and
// Seconds_Behind_Master is whole seconds, truncated. So data read on a
// replica is out of date by at most MaxReplicaLag + 1 s + ReplicaPoll +
// one poll + the read itself, in general. With the SQL thread stopped,
// Seconds_Behind_Master is NULL and the replica is skipped at the first
// poll after the stop: a read is then out of date by at most ReplicaPoll
// + one poll + the read. The case asserts the documented bound,
// MaxReplicaLag + ReplicaPoll (1.1 s here), on every read, the catch-up
// after START SLAVE SQL_THREAD included. A read's staleness is measured
// as how long before the read began the value it saw had been
// superseded: the time of write n+1 (the primary's NOW(6) in its
// transaction, a little before its commit, so this overstates it), zero
// when n was still the latest.
//
// Once the status shows replica1 unhealthy, no read that starts later
// lands there until its SQL thread runs again; then it is taken back.
func TestReplicaLag(t *testing.T) {
	rs := sharedReplicaSet(t)
	t.Cleanup(func() { restoreReplicas(t, rs) })
	const name = "ct_lag"
	replicaDB(t, rs, name, 1)
	pool := dbx.Pool{ReplicaPoll: 100 * time.Millisecond, MaxReplicaLag: time.Second}
	bound := pool.MaxReplicaLag + pool.ReplicaPoll
	m, d := openReplicaManager(t, rs, name, pool, nil)
	lagging := rs.Replicas()[0]
	ctx := context.Background()

	type readRec struct {
		start time.Time
		n     int64
		sid   int
	}
	var (
		wmu     sync.Mutex
		written = map[int64]int64{} // n → the primary's clock at its write, µs
		rmu     sync.Mutex
		recs    []readRec
	)
	var readErrs, writeErrs errorLog
	var nReads, backReads atomic.Int64
	var backAt atomic.Int64
	l := startLoad(4, 0, 3*time.Minute, func(w, i int) {
		if w == 0 {
			var n, at int64
			err := d.Write(ctx, func(ctx context.Context, q dbx.DBTX) error {
				if _, err := q.ExecContext(ctx,
					"UPDATE kv SET v = v + 1, at = CAST(UNIX_TIMESTAMP(NOW(6)) * 1000000 AS SIGNED) WHERE k = 1"); err != nil {
					return err
				}
				return q.QueryRowContext(ctx, "SELECT v, at FROM kv WHERE k = 1").Scan(&n, &at)
			})
			if err != nil {
				writeErrs.add(err)
				return
			}
			wmu.Lock()
			written[n] = at
			wmu.Unlock()
			return
		}
		start := time.Now()
		var rec readRec
		err := d.Read(ctx, func(ctx context.Context, q dbx.DBTX) error {
			return q.QueryRowContext(ctx, "SELECT v, @@server_id FROM kv WHERE k = 1").Scan(&rec.n, &rec.sid)
		})
		if err != nil {
			readErrs.add(err)
			return
		}
		rec.start = start
		rmu.Lock()
		recs = append(recs, rec)
		rmu.Unlock()
		nReads.Add(1)
		if b := backAt.Load(); b != 0 && rec.sid == lagging.ServerID() && start.UnixNano() > b {
			backReads.Add(1)
		}
	})
	defer l.Stop()
	watch := watchHealth(func() (bool, string) { return replicaHealthy(m, name, lagging.Addr()) })
	defer watch.Stop()

	waitFor(t, "reads flowing", time.Minute, func() (bool, string) {
		return nReads.Load() >= 200, fmt.Sprintf("%d reads", nReads.Load())
	})
	tStop := time.Now()
	if err := lagging.StopSQLThread(ctx); err != nil {
		t.Fatal(err)
	}
	tStopped := time.Now()
	waitFor(t, "replica1 skipped", time.Minute, func() (bool, string) {
		_, ok := watch.firstAfter(tStop, false)
		return ok, watch.current().why
	})
	out, _ := watch.firstAfter(tStop, false)
	before := nReads.Load()
	waitFor(t, "reads going on while replica1 lags", time.Minute, func() (bool, string) {
		return nReads.Load() >= before+1000, fmt.Sprintf("%d reads since", nReads.Load()-before)
	})
	// How far behind replica1 fell: the counter it shows vs the primary's.
	onReplica, err := lagging.QueryString(ctx, "SELECT v FROM "+name+".kv WHERE k = 1")
	if err != nil {
		t.Fatal(err)
	}
	onPrimary, err := rs.Primary().QueryString(ctx, "SELECT v FROM "+name+".kv WHERE k = 1")
	if err != nil {
		t.Fatal(err)
	}

	tStart := time.Now()
	if err := lagging.StartSQLThread(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "replica1 taken back", time.Minute, func() (bool, string) {
		_, ok := watch.firstAfter(tStart, true)
		return ok, watch.current().why
	})
	back, _ := watch.firstAfter(tStart, true)
	backAt.Store(back.at.UnixNano())
	waitFor(t, "replica1 serving reads again", time.Minute, func() (bool, string) {
		return backReads.Load() >= 20, fmt.Sprintf("%d reads on replica1 since it was taken back", backReads.Load())
	})
	l.Stop()

	wmu.Lock()
	rmu.Lock()
	defer wmu.Unlock()
	defer rmu.Unlock()
	var worst, worstLagging time.Duration
	var over, afterOut int
	var firstOver string
	onLagging := 0
	for _, r := range recs {
		var stale time.Duration
		if next, ok := written[r.n+1]; ok && next < r.start.UnixMicro() {
			stale = time.Duration(r.start.UnixMicro()-next) * time.Microsecond
		}
		worst = max(worst, stale)
		if r.sid == lagging.ServerID() {
			onLagging++
			worstLagging = max(worstLagging, stale)
			if r.start.After(out.at) && r.start.Before(tStart) {
				afterOut++
			}
		}
		if stale > bound {
			over++
			if firstOver == "" {
				firstOver = fmt.Sprintf("n=%d on server %d, %v out of date", r.n, r.sid, stale)
			}
		}
	}
	r := replication(t, m, name)
	t.Logf("case 3: %d reads (%d on replica1), %d writes, read errors %d; SQL thread stopped (in %s), replica1 skipped %s after it stopped (%q; ReplicaPoll %v), "+
		"%d reads on it after that; it fell %s writes behind (counter %s vs %s on the primary); started again, taken back %s after; "+
		"staleness worst %s (on replica1 %s), %d reads over the bound %v; fallbacks %d",
		len(recs), onLagging, len(written), readErrs.n.Load(), ms(tStopped.Sub(tStop)), ms(out.at.Sub(tStopped)), out.why, pool.ReplicaPoll,
		afterOut, behind(onPrimary, onReplica), onReplica, onPrimary, ms(back.at.Sub(tStart)),
		ms(worst), ms(worstLagging), over, bound, r.Fallbacks)
	if afterOut != 0 {
		t.Errorf("%d reads landed on replica1 after it was marked unhealthy", afterOut)
	}
	if over != 0 {
		t.Errorf("%d reads returned data out of date by more than %v (first: %s)", over, bound, firstOver)
	}
	if readErrs.n.Load() != 0 || writeErrs.n.Load() != 0 {
		t.Errorf("read errors %s; write errors %s", &readErrs, &writeErrs)
	}
}

// behind is a-b for two decimal counters.
func behind(a, b string) string {
	var x, y int64
	fmt.Sscan(a, &x)
	fmt.Sscan(b, &y)
	return fmt.Sprint(x - y)
}
