package dbx

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"
)

// txKey keys a transaction in a context by its pool: a transaction of
// one Manager's "main" is never joined by another Manager's "main", and
// one on "ess" is never handed to queries on "schedule".
type txKey struct{ p *pool }

// txState is one running transaction.
type txState struct {
	p        *pool
	tx       *sql.Tx
	readOnly bool
	site     callSite
	dbtx     *txDBTX
	watch    idleWatch
	// prefix is put before every statement of the transaction: MariaDB's
	// "SET STATEMENT max_statement_time=N FOR " for a per-transaction
	// statement timeout, which then costs no statement of its own.
	prefix string
	// done is set when the transaction ended: the ctx it handed out no
	// longer carries it (a goroutine that outlived it starts its own).
	done atomic.Bool
	// failed holds the error after which the server no longer runs this
	// transaction (a deadlock rolled it all back, a savepoint could not be
	// rolled back to): later statements fail with it and so does COMMIT.
	failed     atomic.Pointer[error]
	savepoints atomic.Int64

	qmu sync.Mutex
	q   any // the Q bound to this transaction, made once

	// ctx is the transaction's context (with its TxTimeout). When the
	// caller's context cannot be cancelled, dbx's own limit is its only
	// end: database/sql and the driver then get the statement's context
	// without cancellation (sqlCtx), which spares each transaction the
	// goroutine database/sql starts to watch it and each statement two
	// hand-offs to the driver's watcher goroutine; the limit is enforced by
	// closing the connection's socket when it expires (expired is set
	// first, so the driver's "broken connection" reads as the timeout).
	ctx     context.Context
	strip   <-chan struct{} // ctx.Done() when stripping, else nil
	expired atomic.Bool
}

// sqlCtx returns the context to give database/sql for a statement of the
// transaction run with ctx: without cancellation when ctx can end only by
// the transaction's own limit (see txState.ctx), else ctx itself.
func (st *txState) sqlCtx(ctx context.Context) context.Context {
	if st.strip != nil && ctx.Done() == st.strip {
		return context.WithoutCancel(ctx)
	}
	return ctx
}

// fail records err as the reason the transaction cannot commit (the first
// one wins).
func (st *txState) fail(err error) {
	st.failed.CompareAndSwap(nil, &err)
}

// failure returns the error recorded by fail, or nil.
func (st *txState) failure() error {
	if e := st.failed.Load(); e != nil {
		return *e
	}
	return nil
}

func txFrom(ctx context.Context, p *pool) *txState {
	st, _ := ctx.Value(txKey{p.key}).(*txState)
	if st == nil || st.done.Load() {
		return nil
	}
	return st
}

// InTx reports whether ctx carries a running transaction of the database
// name of m (one that ended is not carried any more).
func (m *Manager) InTx(ctx context.Context, name string) bool {
	p, ok := m.pools[name]
	return ok && txFrom(ctx, p) != nil
}

// Detach returns a context with ctx's values, deadline and cancellation
// but without the dbx transactions it carries: work started with it (a
// background job, an audit write that must survive a rollback) runs on
// its own connection and transaction instead of joining the caller's.
// Combine it with context.WithoutCancel for work that must outlive the
// caller: dbx.Detach(context.WithoutCancel(ctx)).
func Detach(ctx context.Context) context.Context { return detached{ctx} }

type detached struct{ context.Context }

func (d detached) Value(key any) any {
	if _, ok := key.(txKey); ok {
		return nil
	}
	return d.Context.Value(key)
}

// txLimit is the cause of a transaction context that ran out of its own
// TxTimeout.
type txLimit struct{ d time.Duration }

func (l *txLimit) Error() string { return fmt.Sprintf("transaction timeout %v reached", l.d) }

// Is reports ErrTxTimeout and context.DeadlineExceeded (the limit is the
// transaction context's deadline).
func (l *txLimit) Is(target error) bool {
	return target == ErrTxTimeout || target == context.DeadlineExceeded
}

// TxTimeoutError is the cause of an error matching [ErrTxTimeout]: the
// transaction ran longer than its own limit and was rolled back (or, when
// the limit expired while COMMIT waited for its answer, Err matches
// [ErrCommitUnknown]).
type TxTimeoutError struct {
	// Limit is the transaction's timeout (Pool.TxTimeout or TxTimeout).
	Limit time.Duration
	// Ran is how long the transaction had run, from the moment it had a
	// connection.
	Ran time.Duration
	// Err is what failed when the limit expired, when it says more than
	// the limit itself (a COMMIT whose outcome is unknown); else nil.
	Err error
}

func (e *TxTimeoutError) Error() string {
	msg := fmt.Sprintf("transaction timeout %v reached after %v", e.Limit, e.Ran.Round(time.Millisecond))
	if e.Err != nil {
		return msg + ": " + strings.TrimPrefix(e.Err.Error(), "dbx: ")
	}
	return msg + "; rolled back (raise TxTimeout or do less inside the transaction)"
}

// Is reports ErrTxTimeout and context.DeadlineExceeded.
func (e *TxTimeoutError) Is(target error) bool {
	return target == ErrTxTimeout || target == context.DeadlineExceeded
}

// Unwrap returns Err.
func (e *TxTimeoutError) Unwrap() error { return e.Err }

// runTx runs body in one transaction on one leased connection: commit when
// body returns nil; rollback on error, panic (re-panicked) or the end of
// ctx; the connection always goes back to the pool. retry reports whether
// the failure may be run again from the start (see ownFailure).
func (p *pool) runTx(ctx context.Context, readOnly bool, o txOptions, site callSite,
	body func(context.Context, *txState) error,
) (err error, retry bool) {
	l, err := p.acquire(ctx, site)
	if err != nil {
		// nothing was sent: a connection that could not be made may be
		// tried again
		return err, errors.Is(err, ErrServerGone) && ctx.Err() == nil
	}
	defer l.release() // last: after commit or rollback
	start := time.Now()
	op := "write"
	if readOnly {
		op = "read"
	}
	txCtx, cancel := ctx, context.CancelFunc(func() {})
	var limit *txLimit
	if o.timeout > 0 {
		limit = &txLimit{d: o.timeout}
		txCtx, cancel = context.WithTimeoutCause(ctx, o.timeout, limit)
	}
	defer cancel()
	// timedOut turns an error caused by the transaction's own limit into
	// one that says so (the caller's own deadline stays as it is).
	timedOut := func(err error) error {
		if err == nil || limit == nil || ctx.Err() != nil || context.Cause(txCtx) != limit {
			return err
		}
		te := &TxTimeoutError{Limit: limit.d, Ran: time.Since(start)}
		if errors.Is(err, ErrCommitUnknown) {
			te.Err = err
		}
		return &DBError{DB: p.name, Op: op, Err: te}
	}
	var prefix string
	if o.statementSet {
		if p.flavour == flavourMariaDB {
			k, v := p.flavour.stmtTimeoutVar(o.statementTimeout)
			prefix = "SET STATEMENT " + k + "=" + v + " FOR "
		} else if err := l.setStatementTimeout(txCtx, o.statementTimeout); err != nil {
			return timedOut(err), false
		}
	}
	nc := l.driverConn()
	st := &txState{p: p, readOnly: readOnly, site: site, prefix: prefix, ctx: txCtx}
	beginCtx := txCtx
	if limit != nil && ctx.Done() == nil && nc != nil && nc.netConn != nil {
		// The limit is the only end of txCtx: enforce it by closing the
		// socket, and let database/sql and the driver run without
		// watching a context (see txState.ctx).
		st.strip = txCtx.Done()
		beginCtx = context.WithoutCancel(txCtx)
		aborted := make(chan struct{})
		stop := context.AfterFunc(txCtx, func() {
			st.expired.Store(true)
			nc.abort()
			close(aborted)
		})
		defer func() {
			if !stop() {
				<-aborted // never close a socket after the connection went back
			}
		}()
	}
	if o.beforeBegin != nil {
		if err := o.beforeBegin(txCtx, l.conn); err != nil {
			return err, false
		}
	}
	tx, err := l.conn.BeginTx(beginCtx, &sql.TxOptions{ReadOnly: readOnly, Isolation: o.isolation})
	if err != nil {
		err = wrap(p.name, "begin", withCause(txCtx, err))
		return timedOut(err), ownFailure(err, nc) && ctx.Err() == nil
	}
	began := time.Now()
	ended := false // false while panicking
	defer func() {
		if !p.wantsSite() { // nobody listens
			return
		}
		ev := Event{Kind: EventTxEnd, Site: site.String(), Held: time.Since(began), ReadOnly: readOnly, Err: err}
		if !ended {
			ev.Err = errTxPanicked
		}
		p.emit(ev)
	}()
	st.tx = tx
	st.dbtx = &txDBTX{st: st}
	st.watch.arm(p, &st.site)
	if nc != nil {
		nc.tx.Store(st)
	}
	defer func() {
		st.done.Store(true)
		if nc != nil {
			nc.tx.Store(nil)
		}
	}()
	defer st.watch.stop()
	defer func() {
		if r := recover(); r != nil {
			_ = endTx(txCtx, nc, tx.Rollback)
			panic(r)
		}
	}()
	berr := body(context.WithValue(txCtx, txKey{p.key}, st), st)
	if berr == nil {
		berr = st.failure() // fn swallowed an error after which nothing commits
	}
	if berr == nil && st.strip != nil && txCtx.Err() != nil {
		// fn returned nil after the limit: never COMMIT (database/sql,
		// which was not shown the limit, would send it)
		berr = context.Cause(txCtx)
	}
	if berr != nil {
		// Once ctx has ended the socket is closed (endTx): the server
		// rolls back, whatever the driver says.
		rb := endTx(txCtx, nc, tx.Rollback)
		if rb != nil && !errors.Is(rb, sql.ErrTxDone) && !errors.Is(rb, mysql.ErrInvalidConn) && txCtx.Err() == nil {
			// Said, but never matched: a failed ROLLBACK must not make
			// fn's error look like something else (a lost server, say).
			berr = &rollbackFailed{err: berr, rollback: rb}
		}
		ended = true
		err = timedOut(wrap(p.name, op, berr))
		return err, ownFailure(berr, nc) && ctx.Err() == nil
	}
	st.watch.stop()
	if nc != nil {
		nc.tx.Store(nil)
	}
	ended = true
	if cerr := endTx(txCtx, nc, tx.Commit); cerr != nil {
		if readOnly {
			// Nothing to commit: a connection lost at the COMMIT of a
			// read-only transaction is ErrServerGone (Retry runs it
			// again), never ErrCommitUnknown.
			err = timedOut(p.readCommitError(txCtx, cerr))
			return err, ownFailure(cerr, nc) && ctx.Err() == nil
		}
		err = timedOut(p.commitError(txCtx, cerr))
		return err, !errors.Is(err, ErrCommitUnknown) && ownFailure(err, nc) && ctx.Err() == nil
	}
	if o.afterCommit != nil {
		o.afterCommit(txCtx, l.conn)
	}
	return nil, false
}

// rollbackFailed is fn's error when the ROLLBACK after it failed too: it
// says both, but matches only fn's error.
type rollbackFailed struct{ err, rollback error }

func (e *rollbackFailed) Error() string {
	return e.err.Error() + " (and the rollback failed: " + strings.TrimPrefix(e.rollback.Error(), "dbx: ") + ")"
}

func (e *rollbackFailed) Unwrap() error { return e.err }

// ownFailure reports whether err holds a failure after which the server
// rolled the transaction back, on the transaction's own connection nc: a
// deadlock, a lock wait timeout, or the connection lost before COMMIT was
// sent. A lost answer of a statement on another connection (another
// database, an autocommit call with a detached context) is not one: it may
// have been applied, and running fn again would apply it twice.
func ownFailure(err error, nc *conn) bool {
	if nc == nil || errors.Is(err, ErrCommitUnknown) {
		return false
	}
	return walkErrors(err, func(e error) bool {
		de, ok := e.(*DBError)
		return ok && de.src == nc && (errors.Is(de, ErrDeadlock) || errors.Is(de, ErrLockWaitTimeout) || errors.Is(de, ErrServerGone))
	})
}

// walkErrors calls f on err and every error it wraps (depth first) until
// f returns true.
func walkErrors(err error, f func(error) bool) bool {
	for err != nil {
		if f(err) {
			return true
		}
		switch u := err.(type) {
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				if walkErrors(e, f) {
					return true
				}
			}
			return false
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		default:
			return false
		}
	}
	return false
}

// savepoint runs body as a nested Write inside st: in a SAVEPOINT, rolled
// back to when body fails (the outer function then decides), released
// when it succeeds. If the server cannot go back to the savepoint (a
// deadlock already rolled everything back), the whole transaction is
// marked failed: it can no longer commit.
func (st *txState) savepoint(ctx context.Context, body func(context.Context) error) (err error) {
	if ferr := st.failure(); ferr != nil {
		return ferr
	}
	name := "dbx_sp_" + strconv.FormatInt(st.savepoints.Add(1), 10)
	if _, err := st.tx.ExecContext(st.sqlCtx(ctx), "SAVEPOINT "+name); err != nil {
		return wrap(st.p.name, "savepoint", withCause(ctx, err))
	}
	if err := body(ctx); err != nil {
		if _, rerr := st.tx.ExecContext(st.sqlCtx(ctx), "ROLLBACK TO SAVEPOINT "+name); rerr != nil {
			st.fail(wrap(st.p.name, "write", err))
			return wrap(st.p.name, "write", &rollbackFailed{err: err, rollback: rerr})
		}
		return wrap(st.p.name, "write", err)
	}
	if _, err := st.tx.ExecContext(st.sqlCtx(ctx), "RELEASE SAVEPOINT "+name); err != nil {
		err = wrap(st.p.name, "release savepoint", withCause(ctx, err))
		st.fail(err)
		return err
	}
	return nil
}

// endTx runs COMMIT or ROLLBACK (end) so that it cannot outlive ctx.
// go-sql-driver/mysql does not watch the context during either: a server
// or network that stops answering would hold the caller until
// ReadTimeout. When ctx ends first, endTx closes the connection's socket
// (conn.abort) and the driver fails at once: a COMMIT already sent is then
// reported as ErrCommitUnknown (commitError), and database/sql discards the
// connection. nc nil (a connection dbx did not dial) leaves end unbounded.
func endTx(ctx context.Context, nc *conn, end func() error) error {
	if nc == nil {
		return end()
	}
	aborted := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		nc.abort()
		close(aborted)
	})
	err := end()
	stopped := stop()
	if !stopped {
		// abort started: let it finish before the connection can go back
		// to the pool, so it never closes a socket someone else uses.
		<-aborted
	}
	if !stopped && err != nil && ctx.Err() != nil &&
		!errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, sql.ErrTxDone) {
		if errors.Is(err, driver.ErrBadConn) {
			// Nothing was written: the statement was never sent, just
			// as if ctx had ended before it.
			return amendErr(err, func(c error) error { return fmt.Errorf("%w: %w", context.Cause(ctx), c) })
		}
		// Sent, answer lost: the cause only as text, the error must not
		// read as "not sent" (commitError: outcome unknown).
		err = amendErr(err, func(c error) error {
			return fmt.Errorf("%w (connection closed: the transaction's context ended while waiting for the server: %v)",
				c, context.Cause(ctx))
		})
	}
	return err
}

// errTxPanicked is the Err of the EventTxEnd of a transaction whose
// function panicked (it was rolled back; the panic goes on).
var errTxPanicked = errors.New("dbx: transaction function panicked; rolled back")

// commitError tells a failed COMMIT that certainly did not commit from
// one whose outcome is unknown.
func (p *pool) commitError(ctx context.Context, err error) error {
	var me *mysql.MySQLError
	switch {
	case errors.Is(err, sql.ErrTxDone), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		// database/sql rolled back when ctx ended; COMMIT was not sent
		if cause := context.Cause(ctx); cause != nil && !errors.Is(err, cause) {
			err = fmt.Errorf("rolled back: %w: %w", cause, err)
		}
		return wrap(p.name, "commit", err)
	case errors.Is(err, driver.ErrBadConn):
		// the driver wrote nothing, so COMMIT never left
		return wrap(p.name, "commit", err)
	case errors.As(err, &me) && p.galera != nil && (me.Number == 1047 || me.Number == 1180):
		// a Galera node cut off while it committed: its write set may have
		// been certified and applied by the rest of the cluster
	case errors.As(err, &me) && !sessionLost(me.Number):
		// the server answered and did not commit
		return wrap(p.name, "commit", err)
	}
	// sent, and the answer lost; or the session was killed or the
	// server shut down while it committed: the commit may have happened
	return wrap(p.name, "commit", amendErr(err, func(c error) error { return fmt.Errorf("%w: %w", ErrCommitUnknown, c) }))
}

// sessionLost reports server errors that end the session itself (killed,
// shut down, disconnected, gone): answered to a COMMIT, they do not say
// whether it was applied.
func sessionLost(number uint16) bool {
	switch number {
	case 1053, 1927, 4031, 2006, 2013:
		return true
	}
	return false
}

// readCommitError is the error of a failed COMMIT of a read-only
// transaction: there is nothing it could have committed, so it never reads
// as "committed" or "unknown".
func (p *pool) readCommitError(ctx context.Context, err error) error {
	if errors.Is(err, sql.ErrTxDone) {
		err = errors.New("the transaction was already rolled back")
		if cause := context.Cause(ctx); cause != nil {
			err = fmt.Errorf("%w: rolled back", cause)
		}
		return wrap(p.name, "read", err)
	}
	return wrap(p.name, "commit", withCause(ctx, err))
}

// amendErr rewrites err's cause with f: inside a *DBError at the top, so
// the result stays one, or err itself.
func amendErr(err error, f func(error) error) error {
	if de, ok := err.(*DBError); ok {
		c := *de
		c.Err = f(de.Err)
		return &c
	}
	return f(err)
}

// idleWatch warns when a transaction runs no statement for longer than
// Pool.IdleInTxThreshold. One timer per transaction, re-armed after each
// statement; no goroutine waits.
type idleWatch struct {
	mu       sync.Mutex
	timer    *time.Timer
	p        *pool
	site     *callSite
	running  int
	lastEnd  time.Time
	stopped  bool
	reported bool
}

func (w *idleWatch) arm(p *pool, site *callSite) {
	if p.set.idleInTxThreshold <= 0 {
		return
	}
	w.p, w.site, w.lastEnd = p, site, time.Now()
	w.timer = time.AfterFunc(p.set.idleInTxThreshold, w.fire)
}

func (w *idleWatch) start() {
	if w.timer == nil {
		return
	}
	w.mu.Lock()
	w.running++
	w.timer.Stop()
	w.mu.Unlock()
}

func (w *idleWatch) end() {
	if w.timer == nil {
		return
	}
	w.mu.Lock()
	w.running--
	w.lastEnd = time.Now()
	w.reported = false
	if w.running == 0 && !w.stopped {
		w.timer.Reset(w.p.set.idleInTxThreshold)
	}
	w.mu.Unlock()
}

func (w *idleWatch) stop() {
	if w.timer == nil {
		return
	}
	w.mu.Lock()
	w.stopped = true
	w.timer.Stop()
	w.mu.Unlock()
}

func (w *idleWatch) fire() {
	w.mu.Lock()
	if w.stopped || w.running > 0 || w.reported {
		w.mu.Unlock()
		return
	}
	w.reported = true
	gap := time.Since(w.lastEnd)
	w.mu.Unlock()
	w.p.emit(Event{Kind: EventIdleInTx, Site: w.site.String(), Held: gap})
}

// backoff waits before attempt n+1, or returns early when ctx ends.
func backoff(ctx context.Context, o txOptions, n int) error {
	d := o.backoffBase << min(n-1, 20)
	if d <= 0 || d > o.backoffMax {
		d = o.backoffMax
	}
	if d <= 0 { // RetryBackoff with a zero or negative maximum: no wait
		return ctx.Err()
	}
	t := time.NewTimer(rand.N(d + 1))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
