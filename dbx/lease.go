package dbx

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// lease is one caller's hold on a pooled connection, from checkout to
// checkin. Every path to a connection (transactions and plain calls) takes
// a lease, so the gate's counts are true.
type lease struct {
	p       *pool
	conn    *sql.Conn
	start   time.Time
	site    callSite
	leak    *time.Timer
	restore bool // a per-transaction statement timeout must be undone
	// releasing guards against a second release; returned is set once
	// the connection is back in database/sql's pool.
	releasing, returned atomic.Bool
}

// acquire waits at the gate (FIFO, at most Pool.Timeout) and checks a
// connection out of database/sql's pool.
func (p *pool) acquire(ctx context.Context, site callSite) (l *lease, err error) {
	start := time.Now()
	if p.trace.acquire != nil {
		tctx := p.traceAcquire(ctx)
		defer func() { p.endAcquire(tctx, start, err) }()
	}
	if err := p.admit(ctx, start); err != nil {
		return nil, err
	}
	t, err := p.reserve(ctx, start)
	if err != nil {
		p.gate.release()
		return nil, err
	}
	conn, err := p.db.Conn(withTicket(ctx, t))
	t.done()
	if err != nil {
		p.gate.release()
		if ctx.Err() != nil { // the caller gave up before a connection was ready
			return nil, wrap(p.name, "acquire", fmt.Errorf("waiting for a connection: %w", withCause(ctx, err)))
		}
		if p.gate.isClosed() {
			return nil, wrap(p.name, "acquire", ErrClosed)
		}
		return nil, wrap(p.name, "connect", err)
	}
	return p.newLease(conn, start, site), nil
}

// newLease starts the lease of a connection (nil for a plain query, whose
// connection database/sql picks) admitted after waiting since start: the
// leak timer and the checkout event.
func (p *pool) newLease(conn *sql.Conn, start time.Time, site callSite) *lease {
	l := &lease{p: p, conn: conn, start: time.Now(), site: site}
	if p.set.leakThreshold > 0 {
		l.leak = time.AfterFunc(p.set.leakThreshold, l.reportLeak)
	}
	if p.wantsSite() {
		p.emit(Event{Kind: EventCheckout, Site: l.site.String(), Wait: l.start.Sub(start)})
	}
	return l
}

// reserve takes the server budget's permit for a new connection when p
// has no idle one (see budget.reserve), bounded by what is left of
// Pool.Timeout since start.
func (p *pool) reserve(ctx context.Context, start time.Time) (*ticket, error) {
	var deadline time.Time
	if p.set.timeout > 0 {
		deadline = start.Add(p.set.timeout)
	}
	t, err := p.budget.reserve(ctx, p, deadline)
	if err != nil {
		err = wrap(p.name, "acquire", err)
		if errors.Is(err, ErrPoolTimeout) {
			p.emit(Event{Kind: EventPoolTimeout, Wait: time.Since(start), Err: err})
		}
	}
	return t, err
}

// admit takes a gate slot or returns why it could not.
func (p *pool) admit(ctx context.Context, start time.Time) error {
	var snapIn, snapWait int
	switch p.gate.acquire(ctx, p.set.timeout, func(in, w int) { snapIn, snapWait = in, w }) {
	case admitted:
		return nil
	case gateClosed:
		return wrap(p.name, "acquire", ErrClosed)
	case ctxDone:
		return wrap(p.name, "acquire", fmt.Errorf("waiting for a connection: %w", context.Cause(ctx)))
	}
	st := p.db.Stats()
	err := wrap(p.name, "acquire", fmt.Errorf(
		"%w: pool limit of size %d overflow %d reached, connection timed out, timeout %.2fs "+
			"(in use %d, idle %d, open %d, waiting %d)",
		ErrPoolTimeout, p.set.size, p.set.overflow, p.set.timeout.Seconds(),
		snapIn, st.Idle, st.OpenConnections, snapWait))
	p.emit(Event{Kind: EventPoolTimeout, Wait: time.Since(start), Err: err})
	return err
}

// release checks the connection back in. It is safe to call twice.
func (l *lease) release() {
	if !l.releasing.CompareAndSwap(false, true) {
		return
	}
	if l.restore {
		l.restoreStatementTimeout()
	}
	if l.conn != nil {
		if err := l.conn.Close(); err != nil && !errors.Is(err, sql.ErrConnDone) {
			l.p.log.Debug("dbx: returning connection", "db", l.p.name, "err", err)
		}
	}
	l.returned.Store(true)
	if l.leak != nil {
		l.leak.Stop()
	}
	l.p.gate.release()
	if l.p.wantsSite() {
		l.p.emit(Event{Kind: EventCheckin, Site: l.site.String(), Held: time.Since(l.start)})
	}
}

// driverConn returns dbx's driver connection under the lease (nil if it
// cannot be reached).
func (l *lease) driverConn() (cn *conn) {
	_ = l.conn.Raw(func(dc any) error {
		cn, _ = dc.(*conn)
		return nil
	})
	return cn
}

func (l *lease) reportLeak() {
	if l.returned.Load() {
		return
	}
	l.p.leaks.Add(1)
	l.p.emit(Event{Kind: EventLeak, Site: l.site.String(), Held: time.Since(l.start)})
}

// setStatementTimeout sets the session's statement timeout for one
// transaction: one statement, sent before BEGIN. release restores the
// pool's value.
func (l *lease) setStatementTimeout(ctx context.Context, d time.Duration) error {
	k, v := l.p.flavour.stmtTimeoutVar(d)
	l.restore = true
	_, err := l.conn.ExecContext(ctx, "SET SESSION "+k+" = "+v)
	return wrap(l.p.name, "set "+k, err)
}

// restoreStatementTimeout puts the pool's statement timeout back, or
// discards the connection if that fails, so no connection returns to the
// pool with another transaction's setting.
func (l *lease) restoreStatementTimeout() {
	k, v := l.p.flavour.stmtTimeoutVar(l.p.set.statementTimeout)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := l.conn.ExecContext(ctx, "SET SESSION "+k+" = "+v); err != nil {
		_ = l.conn.Raw(func(any) error { return driver.ErrBadConn })
	}
}
