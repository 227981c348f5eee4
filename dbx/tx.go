package dbx

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
)

// txKey keys a database's transaction in a context: one key per database,
// so a transaction on "ess" is never handed to queries on "schedule".
type txKey struct{ db string }

// txState is one running transaction.
type txState struct {
	p        *pool
	tx       *sql.Tx
	readOnly bool
	site     callSite
	dbtx     *txDBTX
	watch    idleWatch
	q        any // the Q bound to this transaction, made once
	// prefix is put before every statement of the transaction: MariaDB's
	// "SET STATEMENT max_statement_time=N FOR " for a per-transaction
	// statement timeout, which then costs no statement of its own.
	prefix string
}

func txFrom(ctx context.Context, db string) *txState {
	st, _ := ctx.Value(txKey{db}).(*txState)
	return st
}

// InTx reports whether ctx carries a transaction of the database name.
func InTx(ctx context.Context, name string) bool { return txFrom(ctx, name) != nil }

// runTx runs body in one transaction on one leased connection: commit when
// body returns nil; rollback on error, panic (re-panicked) or the end of
// ctx; the connection always goes back to the pool.
func (p *pool) runTx(ctx context.Context, readOnly bool, o txOptions, site callSite,
	body func(context.Context, *txState) error,
) (err error) {
	l, err := p.acquire(ctx, site)
	if err != nil {
		return err
	}
	defer l.release() // last: after commit or rollback
	txCtx, cancel := ctx, context.CancelFunc(func() {})
	if o.timeout > 0 {
		txCtx, cancel = context.WithTimeout(ctx, o.timeout)
	}
	defer cancel()
	var prefix string
	if o.statementSet {
		if p.flavour == flavourMariaDB {
			k, v := p.flavour.stmtTimeoutVar(o.statementTimeout)
			prefix = "SET STATEMENT " + k + "=" + v + " FOR "
		} else if err := l.setStatementTimeout(txCtx, o.statementTimeout); err != nil {
			return err
		}
	}
	nc := l.driverConn()
	tx, err := l.conn.BeginTx(txCtx, &sql.TxOptions{ReadOnly: readOnly, Isolation: o.isolation})
	if err != nil {
		return wrap(p.name, "begin", withCause(txCtx, err))
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
	st := &txState{p: p, tx: tx, readOnly: readOnly, site: site, prefix: prefix}
	st.dbtx = &txDBTX{st: st}
	st.watch.arm(p, &st.site)
	defer st.watch.stop()
	defer func() {
		if r := recover(); r != nil {
			_ = endTx(txCtx, nc, tx.Rollback)
			panic(r)
		}
	}()
	op := "write"
	if readOnly {
		op = "read"
	}
	if err := body(context.WithValue(txCtx, txKey{p.name}, st), st); err != nil {
		// Once ctx has ended the socket is closed (endTx): the server
		// rolls back, whatever the driver says.
		rb := endTx(txCtx, nc, tx.Rollback)
		if rb != nil && !errors.Is(rb, sql.ErrTxDone) && !errors.Is(rb, mysql.ErrInvalidConn) && txCtx.Err() == nil {
			err = errors.Join(err, rb)
		}
		ended = true
		return wrap(p.name, op, err)
	}
	st.watch.stop()
	ended = true
	if err := endTx(txCtx, nc, tx.Commit); err != nil {
		if readOnly {
			// Nothing to commit: a connection lost at the COMMIT of a
			// read-only transaction is ErrServerGone (Retry runs it
			// again), never ErrCommitUnknown.
			return wrap(p.name, "commit", withCause(txCtx, err))
		}
		return p.commitError(txCtx, err)
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
			return fmt.Errorf("%w: %w", context.Cause(ctx), err)
		}
		// Sent, answer lost: the cause only as text, the error must not
		// read as "not sent" (commitError: outcome unknown).
		err = fmt.Errorf("%w (connection closed: the transaction's context ended while waiting for the server: %v)",
			err, context.Cause(ctx))
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
	case errors.Is(err, driver.ErrBadConn), errors.As(err, &me):
		// ErrBadConn: the driver wrote nothing, so COMMIT never left; a
		// server error: the server answered and did not commit
		return wrap(p.name, "commit", err)
	}
	return wrap(p.name, "commit", fmt.Errorf("%w: %w", ErrCommitUnknown, err))
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
	t := time.NewTimer(rand.N(d + 1))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
