package dbx

import (
	"context"
	"sync"
	"time"
)

// plainLease is the gate slot of one plain query (QueryContext or
// QueryRowContext outside a transaction). The query runs on database/sql's
// pool directly, not on a *sql.Conn, and the slot rides in the query's
// context: the driver connection that runs the query claims it, and hands
// it back when database/sql checks that connection in again (IsValid, or
// Close for a broken one), which happens when the rows are closed, that
// is before Row.Scan returns. No goroutine waits for the rows.
//
// database/sql may run one query on a second connection when the first
// turns out broken before anything was sent; the broken one's Close then
// gives up the claim and the next connection claims the slot again. When
// the call has returned and no connection holds the claim, the caller
// hands the slot back itself.
type plainLease struct {
	*lease
	mu       sync.Mutex
	claimed  bool // a driver connection holds the slot
	returned bool // the call returned to dbx
	ticket   *ticket
}

type plainKey struct{}

// acquirePlain takes a gate slot for a plain query and returns the context
// that carries it to the driver connection.
func (p *pool) acquirePlain(ctx context.Context, site callSite) (_ *plainLease, _ context.Context, err error) {
	start := time.Now()
	if p.trace.acquire != nil {
		tctx := p.traceAcquire(ctx)
		defer func() { p.endAcquire(tctx, start, err) }()
	}
	if err := p.admit(ctx, start); err != nil {
		return nil, ctx, err
	}
	t, err := p.reserve(ctx, start)
	if err != nil {
		p.gate.release()
		return nil, ctx, err
	}
	pl := &plainLease{lease: p.newLease(nil, start, site), ticket: t}
	return pl, withTicket(context.WithValue(ctx, plainKey{}, pl), t), nil
}

// claim is called by the driver connection that runs the query.
func (pl *plainLease) claim() bool {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	if pl.claimed {
		return false
	}
	pl.claimed = true
	return true
}

// checkedIn is called when the connection holding the claim is checked in
// (healthy: the query is over) or closed (broken: database/sql may run the
// query again on another connection while the call is still running).
func (pl *plainLease) checkedIn(broken bool) {
	pl.mu.Lock()
	release := !broken || pl.returned
	if !release {
		pl.claimed = false // a retry on another connection claims it again
	}
	pl.mu.Unlock()
	if release {
		pl.release()
	}
}

// callReturned is called once database/sql's call returned: if no
// connection holds the slot (the query failed before reaching one, or its
// connection was discarded), it goes back now.
func (pl *plainLease) callReturned() {
	pl.ticket.done() // the budget permit, if no dial used it
	pl.mu.Lock()
	pl.returned = true
	release := !pl.claimed
	pl.mu.Unlock()
	if release {
		pl.release()
	}
}

// claimPlain lets the driver connection c take the plain query's slot
// carried by ctx, if any.
func (c *conn) claimPlain(ctx context.Context) {
	pl, ok := ctx.Value(plainKey{}).(*plainLease)
	if !ok || pl.p != c.p || !pl.claim() {
		return
	}
	c.plain.Store(pl)
}

// checkInPlain hands the slot held by c back (see plainLease.checkedIn).
func (c *conn) checkInPlain(broken bool) {
	if pl := c.plain.Swap(nil); pl != nil {
		pl.checkedIn(broken)
	}
}
