package migration

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/go-sql-driver/mysql"
)

// LockTable is the table that holds, on a Galera cluster, the cluster-wide
// migration lock of the database it is in: no row while no run migrates
// the database, else one row naming the run that does (its process, host,
// node, operation, since when, last heartbeat). It is made only on Galera
// nodes, and stays, like [VersionTable], when the database is migrated
// down.
const LockTable = "schema_migrations_lock"

// ClusterLockHeartbeat is how often the holder of a cluster lock writes
// its row's heartbeat.
const ClusterLockHeartbeat = 5 * time.Second

// ClusterLockStale is how long a waiting run must see a lock row's
// heartbeat stand still before it takes the lock over: the holder is taken
// to be gone (killed, its connection lost). A run whose heartbeat fails,
// or finds its row taken over, stops after the migration it is running.
const ClusterLockStale = 3 * ClusterLockHeartbeat

// clusterLockPoll is how often a waiting run tries the lock again.
const clusterLockPoll = 250 * time.Millisecond

// clusterReleaseWait bounds the wait at release for a heartbeat held up by
// the cluster (another run's DDL blocks every commit while it runs).
const clusterReleaseWait = time.Minute

// lockDDL creates LockTable in database %s.
const lockDDL = "CREATE TABLE IF NOT EXISTS %s." + LockTable + ` (
  db VARCHAR(64) NOT NULL PRIMARY KEY COMMENT 'the physical database',
  token CHAR(32) NOT NULL COMMENT 'the holding run',
  node VARCHAR(255) NOT NULL COMMENT 'wsrep_node_name of the node it holds it through',
  node_uuid VARCHAR(36) NOT NULL COMMENT 'wsrep_gcomm_uuid of that node',
  conn_id BIGINT UNSIGNED NOT NULL COMMENT 'the holding connection on that node',
  host VARCHAR(255) NOT NULL COMMENT 'the host of the holding process',
  pid BIGINT NOT NULL COMMENT 'the holding process',
  op VARCHAR(64) NOT NULL COMMENT 'hubdb migrate operation',
  since DATETIME(6) NOT NULL COMMENT 'UTC, the node clock',
  heartbeat DATETIME(6) NOT NULL COMMENT 'UTC, the node clock',
  beats BIGINT NOT NULL DEFAULT 0 COMMENT 'heartbeats so far'
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`

// galeraNode is the Galera node a session is on.
type galeraNode struct {
	name string // wsrep_node_name
	uuid string // wsrep_gcomm_uuid: this run of the node; "" if unknown
}

// galeraInfo reports whether conn's server is a Galera node that
// replicates the session's writes (@@wsrep_on and a provider). A server
// without wsrep variables (MySQL, a MariaDB built without wsrep) is not.
func galeraInfo(ctx context.Context, conn *sql.Conn) (galeraNode, bool, error) {
	var on sql.NullInt64
	var provider, name sql.NullString
	err := conn.QueryRowContext(ctx, "SELECT @@wsrep_on, @@wsrep_provider, @@wsrep_node_name").Scan(&on, &provider, &name)
	var myErr *mysql.MySQLError
	if errors.As(err, &myErr) && myErr.Number == 1193 { // unknown system variable
		return galeraNode{}, false, nil
	}
	if err != nil {
		return galeraNode{}, false, fmt.Errorf("read the wsrep settings: %w", err)
	}
	if on.Int64 != 1 || provider.String == "" || provider.String == "none" {
		return galeraNode{}, false, nil
	}
	node := galeraNode{name: name.String}
	// Without it (a server that has no information_schema.GLOBAL_STATUS)
	// a lock left through this node waits out ClusterLockStale too.
	_ = conn.QueryRowContext(ctx,
		"SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'WSREP_GCOMM_UUID'").Scan(&node.uuid)
	return node, true, nil
}

// lockHolder is a lock row: the run that holds a cluster lock.
type lockHolder struct {
	token, node, nodeUUID, host, op string
	connID, pid, beats              int64
	since, heartbeat                time.Time
}

func (h lockHolder) String() string {
	return fmt.Sprintf("pid %d on host %s (hubdb migrate %s through node %s, connection %d, since %s, last heartbeat %s)",
		h.pid, h.host, h.op, h.node, h.connID, h.since.UTC().Format(time.RFC3339), h.heartbeat.UTC().Format(time.RFC3339))
}

// clusterLock is a held cluster-wide migration lock: the row of its
// database in LockTable, written over its own session, which also holds
// the node-local lock lockName while the row exists (so that a run on the
// same node can tell that the holder's session is gone), and heartbeats
// until release.
type clusterLock struct {
	t        Target
	op       string
	table    string // `schema`.schema_migrations_lock
	token    string
	lockName string
	s        *session
	node     galeraNode

	cancel context.CancelCauseFunc // ends the migration's context
	stop   chan struct{}           // closed by release: no more heartbeats
	done   chan struct{}           // closed when the heartbeat has stopped
	hbCtx  context.Context
	hbStop context.CancelFunc

	lost error // why the lock was lost; written by heartbeat, read after it
}

// lockCluster takes the cluster-wide migration lock of t's database when
// the server of the migration session s is a Galera node, waiting until
// deadline for another run to release it; on other servers it returns a
// nil lock and ctx. The database must exist. The returned context ends
// when the lock is lost; release the lock with release.
//
// GET_LOCK is node-local on Galera: two runs through two nodes both get
// it. The row is not: the two nodes' INSERTs of the same key are certified
// in one total order, and exactly one commits; the other gets a duplicate
// key, or a certification failure (1213) when both ran at once, and waits.
func lockCluster(ctx context.Context, s *session, t Target, op string, deadline time.Time) (*clusterLock, context.Context, error) {
	node, ok, err := galeraInfo(ctx, s.conn)
	if err != nil || !ok {
		return nil, ctx, clusterErr(t, op, err)
	}
	// Reads wait for the node to have applied what the cluster committed
	// before them: the version the last holder left is read here.
	if _, err := s.conn.ExecContext(ctx, "SET SESSION wsrep_sync_wait = 1"); err != nil {
		return nil, ctx, clusterErr(t, op, fmt.Errorf("set wsrep_sync_wait: %w", err))
	}
	ls, err := connect(ctx, t.Server, false)
	if err != nil {
		return nil, ctx, clusterErr(t, op, err)
	}
	// So are the lock row's: a heartbeat the cluster has ordered is seen
	// even while this node has yet to apply it (another run's DDL holds up
	// every commit while it runs), so a live holder is not judged stale.
	if _, err := ls.conn.ExecContext(ctx, "SET SESSION wsrep_sync_wait = 1"); err != nil {
		ls.close()
		return nil, ctx, clusterErr(t, op, fmt.Errorf("set wsrep_sync_wait: %w", err))
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	l := &clusterLock{t: t, op: op, table: quoteIdent(t.schemaName()) + "." + LockTable, token: hex.EncodeToString(b), s: ls, node: node}
	l.lockName = "hubdb-migrate-holder:" + l.token
	if err := l.acquire(ctx, deadline); err != nil {
		ls.close()
		return nil, ctx, clusterErr(t, op, err)
	}
	lctx, cancel := context.WithCancelCause(ctx)
	l.cancel = cancel
	l.stop, l.done = make(chan struct{}), make(chan struct{})
	l.hbCtx, l.hbStop = context.WithCancel(context.WithoutCancel(ctx))
	go l.heartbeat()
	return l, lctx, nil
}

// clusterErr gives a node that is not in its cluster's primary component
// (1047) its fix; other errors go to classify.
func clusterErr(t Target, op string, err error) error {
	var myErr *mysql.MySQLError
	if errors.As(err, &myErr) && myErr.Number == 1047 {
		e := &Error{DB: t.Name, Schema: t.schemaName(), Op: op, Err: fmt.Errorf("take the cluster migration lock: %w", err),
			Fix: "the node is not in the cluster's primary component (wsrep_ready=OFF): point the DSN at a synced node, or wait for this one to rejoin"}
		if t.Server != nil {
			e.secret = t.Server.Passwd
		}
		return e
	}
	return err
}

// acquire inserts the lock row, waiting until deadline for the holder to
// delete it, and taking it over from a holder that is gone: one whose
// heartbeat stood still for ClusterLockStale, or whose session on this
// same node has ended.
func (l *clusterLock) acquire(ctx context.Context, deadline time.Time) error {
	// The set-up statements race the other run's too: a DDL replicated in
	// total order aborts a local statement that holds a conflicting
	// metadata lock with 1213, which is retried like a lost race.
	var got sql.NullInt64
	if err := untilDeadline(ctx, deadline, func() error {
		var exists int
		if err := l.s.conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
			l.t.schemaName(), LockTable).Scan(&exists); err != nil {
			return fmt.Errorf("take the cluster migration lock: %w", err)
		}
		if exists == 0 {
			if _, err := l.s.conn.ExecContext(ctx, fmt.Sprintf(lockDDL, quoteIdent(l.t.schemaName()))); err != nil {
				return fmt.Errorf("create the cluster migration lock table %s: %w", LockTable, err)
			}
		}
		if err := l.s.conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, 0)", l.lockName).Scan(&got); err != nil {
			return fmt.Errorf("take the cluster migration lock: %w", err)
		}
		return nil
	}); err != nil {
		return err
	}
	if got.Int64 != 1 {
		return fmt.Errorf("take the cluster migration lock: GET_LOCK(%q, 0) returned %v", l.lockName, got)
	}
	host, _ := os.Hostname()
	start := time.Now()
	var (
		seen     lockHolder  // the holder as last seen changing
		seenAt   time.Time   // when
		last     *lockHolder // the holder last seen
		retryNow bool
	)
	for {
		_, err := l.s.conn.ExecContext(ctx, "INSERT INTO "+l.table+
			" (db, token, node, node_uuid, conn_id, host, pid, op, since, heartbeat) VALUES (?, ?, ?, ?, CONNECTION_ID(), ?, ?, ?, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))",
			l.t.schemaName(), l.token, l.node.name, l.node.uuid, host, os.Getpid(), l.op)
		if err == nil {
			return nil
		}
		if !retryable(err) {
			return fmt.Errorf("take the cluster migration lock: %w", err)
		}
		h, ok, err := l.holder(ctx)
		switch {
		case err != nil && retryable(err):
			// The causal read timed out (1205): this node lags behind
			// the cluster. Look again.
		case err != nil:
			return err
		case ok:
			last = &h
			if h.token != seen.token || h.beats != seen.beats {
				seen, seenAt = h, time.Now()
			}
			gone, err := l.holderGone(ctx, h, time.Since(seenAt))
			if err != nil {
				return err
			}
			if gone {
				// Deleted only as seen: a heartbeat since, or another
				// waiter's takeover, makes this delete nothing or fail
				// certification (1213).
				_, err := l.s.conn.ExecContext(ctx, "DELETE FROM "+l.table+" WHERE db = ? AND token = ? AND beats = ?",
					l.t.schemaName(), h.token, h.beats)
				if err != nil && !retryable(err) {
					return fmt.Errorf("take the cluster migration lock over from %s: %w", h, err)
				}
				continue
			}
		case !retryNow:
			// Released just now, or the winner's row is not applied
			// here yet: try again at once, once.
			retryNow = true
			continue
		}
		retryNow = false
		wait := min(clusterLockPoll, time.Until(deadline))
		if wait <= 0 {
			return l.refusal(last, time.Since(start))
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return fmt.Errorf("take the cluster migration lock: %w", ctx.Err())
		case <-timer.C:
		}
	}
}

// untilDeadline runs f again, every clusterLockPoll, while it fails with a
// retryable error and deadline has not passed.
func untilDeadline(ctx context.Context, deadline time.Time, f func() error) error {
	for {
		err := f()
		if err == nil || !retryable(err) || !time.Now().Before(deadline) {
			return err
		}
		timer := time.NewTimer(min(clusterLockPoll, time.Until(deadline)))
		select {
		case <-ctx.Done():
			timer.Stop()
			return fmt.Errorf("take the cluster migration lock: %w", ctx.Err())
		case <-timer.C:
		}
	}
}

// retryable reports a lost race for the lock row: a duplicate key (1062),
// a certification failure or deadlock (1213), a lock wait timeout (1205,
// also a causal read that timed out).
func retryable(err error) bool {
	var myErr *mysql.MySQLError
	return errors.As(err, &myErr) && (myErr.Number == 1062 || myErr.Number == 1213 || myErr.Number == 1205)
}

// holder reads the lock row; ok is false when there is none.
func (l *clusterLock) holder(ctx context.Context) (h lockHolder, ok bool, err error) {
	err = l.s.conn.QueryRowContext(ctx, "SELECT token, node, node_uuid, conn_id, host, pid, op, since, heartbeat, beats FROM "+
		l.table+" WHERE db = ?", l.t.schemaName()).Scan(&h.token, &h.node, &h.nodeUUID, &h.connID, &h.host, &h.pid, &h.op, &h.since, &h.heartbeat, &h.beats)
	if errors.Is(err, sql.ErrNoRows) {
		return h, false, nil
	}
	if err != nil {
		return h, false, fmt.Errorf("read the cluster migration lock: %w", err)
	}
	return h, true, nil
}

// holderGone reports whether the holder h is gone: its heartbeat stood
// still for ClusterLockStale (still is how long it has been seen
// unchanged, by this process's clock: the nodes' clocks may differ), or it
// held the lock through this very node and its session there has ended.
func (l *clusterLock) holderGone(ctx context.Context, h lockHolder, still time.Duration) (bool, error) {
	if still >= ClusterLockStale {
		return true, nil
	}
	if l.node.uuid == "" || h.nodeUUID != l.node.uuid {
		return false, nil
	}
	var used sql.NullInt64
	err := l.s.conn.QueryRowContext(ctx, "SELECT IS_USED_LOCK(?)", "hubdb-migrate-holder:"+h.token).Scan(&used)
	if retryable(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read the cluster migration lock: %w", err)
	}
	return !used.Valid, nil
}

// refusal is the error of a run that waited for the lock in vain.
func (l *clusterLock) refusal(h *lockHolder, waited time.Duration) error {
	e := &Error{DB: l.t.Name, Schema: l.t.schemaName(), Op: l.op}
	if l.t.Server != nil {
		e.secret = l.t.Server.Passwd
	}
	waited = waited.Round(100 * time.Millisecond)
	if h == nil {
		e.Err = fmt.Errorf("%w: other runs kept winning the cluster lock of %s (%s) for %s", ErrLocked, l.t.schemaName(), LockTable, waited)
		e.Fix = "wait for the other \"hubdb migrate\" runs to finish and migrate again"
		return e
	}
	e.Err = fmt.Errorf("%w: waited %s for the cluster lock of %s, held by %s", ErrLocked, waited, l.t.schemaName(), h)
	e.Fix = fmt.Sprintf("wait for that run to finish and migrate again; a run that died is taken over %s after its last heartbeat "+
		"(or, once sure it is gone, DELETE FROM %s WHERE token = '%s')", ClusterLockStale, l.table, h.token)
	return e
}

// heartbeat writes the row's heartbeat every ClusterLockHeartbeat until
// release; when it fails, or the row is no longer this run's, the lock is
// lost and the migration's context ends: golang-migrate stops after the
// migration it is running.
func (l *clusterLock) heartbeat() {
	defer close(l.done)
	tick := time.NewTicker(ClusterLockHeartbeat)
	defer tick.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-tick.C:
		}
		if err := l.beat(); err != nil {
			l.lost = l.lostError(err, false)
			l.cancel(l.lost)
			return
		}
	}
}

// beat writes one heartbeat, trying again after a lost race (a DDL of
// another run on the table can abort it: 1213).
func (l *clusterLock) beat() error {
	var err error
	for range 3 {
		var res sql.Result
		res, err = l.s.conn.ExecContext(l.hbCtx, "UPDATE "+l.table+
			" SET heartbeat = UTC_TIMESTAMP(6), beats = beats + 1 WHERE db = ? AND token = ?", l.t.schemaName(), l.token)
		if err == nil {
			var n int64
			if n, err = res.RowsAffected(); err == nil && n == 0 {
				return errTakenOver
			}
			return err
		}
		if !retryable(err) {
			break
		}
	}
	return fmt.Errorf("heartbeat: %w", err)
}

// errTakenOver: the lock row is another run's now.
var errTakenOver = errors.New("its row was deleted or taken over; a run that sees no heartbeat for " + ClusterLockStale.String() + " takes a lock over")

// lostError is the error of a run that lost its lock: found by the
// heartbeat (the run stopped after the migration it was running) or at
// release (the run had finished).
func (l *clusterLock) lostError(cause error, atRelease bool) error {
	what := "no migration was started after that"
	if atRelease {
		what = "found at the end of the run"
	}
	e := &Error{DB: l.t.Name, Schema: l.t.schemaName(), Op: l.op,
		Err: fmt.Errorf("%w: lost the cluster lock of %s while migrating (%w); %s", ErrLocked, l.t.schemaName(), cause, what),
		Fix: fmt.Sprintf("make sure no other \"hubdb migrate\" runs, check the database with \"hubdb migrate status --db %s\", then migrate again", l.t.Name)}
	if l.t.Server != nil {
		e.secret = l.t.Server.Passwd
	}
	return e
}

// release stops the heartbeat and deletes the row (over a new connection
// if the lock's own is gone); a row left behind by a failure here is
// taken over ClusterLockStale later. It returns the error of a lost lock:
// the heartbeat failed, or the row was no longer this run's. l may be
// nil.
func (l *clusterLock) release() error {
	if l == nil {
		return nil
	}
	close(l.stop)
	timer := time.NewTimer(clusterReleaseWait)
	select {
	case <-l.done:
	case <-timer.C:
		l.hbStop() // ends the heartbeat's statement, and the connection
		<-l.done
	}
	timer.Stop()
	l.hbStop()
	l.cancel(nil)
	defer l.s.close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	del := "DELETE FROM " + l.table + " WHERE db = ? AND token = ?"
	var res sql.Result
	var err error
	for range 3 {
		if res, err = l.s.conn.ExecContext(ctx, del, l.t.schemaName(), l.token); err == nil || !retryable(err) {
			break
		}
	}
	if err != nil {
		s, cerr := connect(ctx, l.t.Server, false)
		if cerr != nil {
			return l.lost
		}
		defer s.close()
		if res, err = s.conn.ExecContext(ctx, del, l.t.schemaName(), l.token); err != nil {
			return l.lost
		}
	}
	if l.lost != nil {
		return l.lost
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return l.lostError(errTakenOver, true)
	}
	return nil
}
