package dbx

import (
	"container/list"
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// budgetGrowInterval is how often a budget lowered after error 1040 grows
// back by one connection (additive increase). It also bounds how often a
// process whose budget was lowered to what it holds tries the server
// again: about one connection attempt per interval.
const budgetGrowInterval = 250 * time.Millisecond

// budget is the connection budget of one server, shared by all the pools
// of a Manager on it: the physical connections they hold open (in use,
// idle, or being dialled) never exceed it. A pool that needs a new
// connection when the budget is full first takes over an idle connection
// of another pool (closing it: a steal), else waits in arrival order
// across all pools of the server, bounded by its own Pool.Timeout. Each
// pool's Guaranteed connections (its floor) are reserved for it. When the server refuses a
// connection with 1040 (other processes, other clients), the budget is
// lowered to what the process holds (multiplicative decrease) and grows
// back by one per budgetGrowInterval (additive increase); the caller waits
// instead of getting the error while its timeout allows.
type budget struct {
	id, addr string

	mu       sync.Mutex
	ceiling  int // max_connections minus Reserve, divided by Instances, or ServerBudget; 0: none known
	shrunkTo int // while shrunk: the limit set after the last 1040
	shrunk   bool
	shrunkAt time.Time
	open     int // permits held: connections open or being dialled
	pools    []*pool
	waiters  list.List // of *budgetWaiter, oldest first

	maxConns     int // @@global.max_connections as last read
	readAt       time.Time
	reserveConns int
	instances    int
	explicit     int // Config.ServerBudget
	steals       int64
	shrinks      int64
	refused      int64
	timeouts     int64
	trimmed      int64
	agedAt       time.Time    // the last time the remainder went round
	attempts     atomic.Int64 // connection attempts (dials) made
	// stmts bounds the prepared statements of all pools' statement
	// caches on the server.
	stmts *stmtBudget
}

// budgetWaiter is a caller waiting for a permit of pool p.
type budgetWaiter struct {
	p         *pool
	ready     chan struct{}
	granted   bool
	victim    *conn // a stolen idle connection to close after the grant
	allowIdle bool  // a reservation: may be told to use an idle connection of p
	useIdle   bool  // granted without a permit: p has an idle connection for it
	since     time.Time
	err       error // woken without a permit: the pool closed
}

// grant hands w, at e in the queue, its answer. b.mu is held.
func (b *budget) grant(e *list.Element, w *budgetWaiter) {
	b.waiters.Remove(e)
	w.granted = true
	close(w.ready)
}

// dropLocked gives back the permit of p's connection c (nil: of a dial
// that made none) and hands freed room to the waiters. b.mu is held.
func (b *budget) dropLocked(p *pool, c *conn) {
	if c != nil {
		delete(p.conns, c)
	}
	b.open--
	p.budgetOpen--
	b.grantLocked()
}

// budgetAging is how long a waiter may wait before its pool may take an
// idle connection from a pool holding just one more: the budget's
// remainder (50 connections over 18 pools: 2 or 3 each) then goes round
// instead of staying with the same pools.
const budgetAging = 30 * time.Millisecond

func newBudget(id, addr string, maxConns, maxStmts int, cfg Config) *budget {
	b := &budget{id: id, addr: addr, maxConns: maxConns, readAt: time.Now(),
		reserveConns: resolveReserve(cfg.Reserve), instances: max(cfg.Instances, 1), explicit: cfg.ServerBudget}
	b.stmts = newStmtBudget(maxStmts, b.instances)
	b.ceiling = b.computeCeiling()
	return b
}

func resolveReserve(r int) int {
	switch {
	case r == 0:
		return DefaultReserve
	case r < 0:
		return 0
	}
	return r
}

// computeCeiling returns the budget before any shrink. b.mu is held (or b
// is new).
func (b *budget) computeCeiling() int {
	if b.explicit > 0 {
		return b.explicit
	}
	if b.maxConns <= 0 {
		return 0
	}
	return max((b.maxConns-b.reserveConns)/b.instances, 1)
}

// limit returns the budget in force at now. b.mu is held.
func (b *budget) limit(now time.Time) int {
	if b.ceiling == 0 && !b.shrunk {
		return math.MaxInt
	}
	if !b.shrunk {
		return b.ceiling
	}
	l := b.shrunkTo + int(now.Sub(b.shrunkAt)/budgetGrowInterval)
	if b.ceiling > 0 && l >= b.ceiling {
		b.shrunk = false
		return b.ceiling
	}
	return l
}

// reservedFor returns the permits reserved for the floors of pools other
// than p that they do not hold yet. b.mu is held.
func (b *budget) reservedFor(p *pool) int {
	n := 0
	for _, q := range b.pools {
		if q != p && q.budgetOpen < q.set.floor {
			n += q.set.floor - q.budgetOpen
		}
	}
	return n
}

// canOpen reports whether p may take a permit now. b.mu is held.
func (b *budget) canOpen(p *pool, now time.Time) bool {
	if p.budgetOpen < p.set.floor {
		return b.open < b.limit(now) || b.open < b.floors()
	}
	return b.open+b.reservedFor(p) < b.limit(now)
}

// floors sums the pools' floors. b.mu is held.
func (b *budget) floors() int {
	n := 0
	for _, q := range b.pools {
		n += q.set.floor
	}
	return n
}

func (b *budget) take(p *pool) {
	b.open++
	p.budgetOpen++
}

// stealable returns the least recently used idle connection that may be
// closed to make room for p, claimed (state dead) so nobody checks it out,
// or nil. p nil (trimming a lowered budget) takes any idle connection.
// Otherwise a pool's idle connection is taken only when that pool is not
// below its floor and
//   - is quiet (no caller holds or waits for one of its connections): its
//     idle connections are spare; or
//   - holds at least two more connections than p (or one more, once p's
//     caller has waited budgetAging): the pools rebalance until their
//     shares differ by at most one, and the remainder goes round slowly,
//     so a steady load closes and reopens few connections; or
//   - the budget is smaller than the number of pools that want it: then
//     connections go round in arrival order.
//
// b.mu is held.
func (b *budget) stealable(p *pool) *conn {
	return b.newStealScan().stealFor(p, false)
}

// stealScan is what stealable needs to know about the pools, gathered
// once per pass over the waiters. b.mu is held while it is used.
type stealScan struct {
	b       *budget
	fair    int
	scarce  bool
	waiting map[*pool]bool
}

func (b *budget) newStealScan() *stealScan {
	sc := &stealScan{b: b, waiting: map[*pool]bool{}}
	for e := b.waiters.Front(); e != nil; e = e.Next() {
		sc.waiting[e.Value.(*budgetWaiter).p] = true
	}
	n := 0
	for _, q := range b.pools {
		if q.budgetOpen > 0 || sc.waiting[q] {
			n++
		}
	}
	sc.fair = b.limit(time.Now()) / max(n, 1)
	sc.scarce = sc.fair < 1
	return sc
}

// stealFor is stealable with the scan made; aged lets p take from a pool
// holding just one more.
func (sc *stealScan) stealFor(p *pool, aged bool) *conn {
	for {
		var best *conn
		for _, q := range sc.b.pools {
			if q == p || q.budgetOpen <= q.set.floor || q.idle.Load() == 0 {
				continue
			}
			gap := 2
			if aged {
				gap = 1
			}
			if p != nil && !sc.scarce && q.budgetOpen < p.budgetOpen+gap {
				if sc.waiting[q] {
					continue
				}
				if in, _, _, _ := q.gate.counts(); in > 0 {
					continue
				}
			}
			for c := range q.conns {
				if c.state.Load() != connIdle {
					continue
				}
				if best == nil || c.returned.Load() < best.returned.Load() {
					best = c
				}
			}
		}
		if best == nil {
			return nil
		}
		if best.leaveIdle(connDead) {
			best.p.dropSpare()
			return best
		}
	}
}

// transfer moves victim's permit to p. b.mu is held.
func (b *budget) transfer(victim *conn, p *pool) {
	victim.p.budgetOpen--
	delete(victim.p.conns, victim)
	p.budgetOpen++
}

// stealLocked moves victim's permit to p and counts a steal. b.mu is held.
func (b *budget) stealLocked(victim *conn, p *pool) {
	b.transfer(victim, p)
	b.steals++
}

// acquire takes a permit for a new connection of p: at once while the
// budget has room, else by stealing an idle connection, else waiting in
// arrival order until deadline (zero: no limit) or ctx ends. It is the
// path of a dial that no reservation covered (see reserve).
func (b *budget) acquire(ctx context.Context, p *pool, deadline time.Time) error {
	if b == nil { // a pool without a server budget (unit tests)
		return nil
	}
	_, err := b.wait(ctx, p, deadline, false)
	return err
}

// ticket travels in the ctx of one call from dbx to the driver
// connector: the budget permit reserved before database/sql was asked for
// a connection (permit; the dial uses it, done gives it back when an idle
// connection served instead).
type ticket struct {
	p      *pool
	permit bool
	used   atomic.Bool
}

type ticketKey struct{}

// reserve is called by a caller that passed p's gate, before database/sql
// picks a connection. When p has an idle connection it takes no permit;
// else it takes one for the dial: at once, by stealing an idle connection
// of another pool, or after waiting in arrival order across the server's
// pools. A waiter whose own pool gets an idle connection back leaves the
// queue without a permit: it takes that connection instead of making
// another pool close one.
func (b *budget) reserve(ctx context.Context, p *pool, deadline time.Time) (*ticket, error) {
	if b == nil {
		return nil, nil
	}
	if p.claimSpare() {
		return nil, nil // an idle connection waits for this call: nothing to carry
	}
	permit, err := b.wait(ctx, p, deadline, true)
	if err != nil || !permit {
		return nil, err
	}
	return &ticket{p: p, permit: true}, nil
}

// withTicket puts t in ctx for the driver connector.
func withTicket(ctx context.Context, t *ticket) context.Context {
	if t == nil {
		return ctx
	}
	return context.WithValue(ctx, ticketKey{}, t)
}

// ticketFrom returns the ticket of p that ctx carries, or nil.
func ticketFrom(ctx context.Context, p *pool) *ticket {
	t, _ := ctx.Value(ticketKey{}).(*ticket)
	if t == nil || t.p != p {
		return nil
	}
	return t
}

// take consumes the ticket's permit, if it has an unused one.
func (t *ticket) take() bool {
	return t != nil && t.permit && t.used.CompareAndSwap(false, true)
}

// done gives the permit back if no dial used it: database/sql took an
// idle connection instead, unclaimed (see pool.claimSpare).
func (t *ticket) done() {
	if t != nil && t.permit && t.used.CompareAndSwap(false, true) {
		t.p.dropSpare()
		t.p.budget.release(t.p)
	}
}

// claimSpare claims one of p's idle connections for a caller about to
// ask database/sql for one, so that two callers do not count on the same
// idle connection (the second would dial past the budget's queue).
func (p *pool) claimSpare() bool {
	for {
		n := p.spare.Load()
		if n <= 0 {
			return false
		}
		if p.spare.CompareAndSwap(n, n-1) {
			return true
		}
	}
}

// dropSpare takes one unclaimed idle connection off the count (it left the
// idle list without a claim: stolen, expired, or checked out by a caller
// that held a permit).
func (p *pool) dropSpare() { p.claimSpare() }

// wait is acquire and reserve: it returns permit true with a permit taken
// for p, or (only when allowIdle) false when p has an idle connection to
// use instead.
func (b *budget) wait(ctx context.Context, p *pool, deadline time.Time, allowIdle bool) (permit bool, err error) {
	now := time.Now()
	b.mu.Lock()
	if b.waiters.Len() == 0 {
		if b.canOpen(p, now) {
			b.take(p)
			b.mu.Unlock()
			return true, nil
		}
		if v := b.stealable(p); v != nil {
			b.stealLocked(v, p)
			b.mu.Unlock()
			b.stole(v, p)
			return true, nil
		}
	}
	w := &budgetWaiter{p: p, ready: make(chan struct{}), allowIdle: allowIdle, since: now}
	el := b.waiters.PushBack(w)
	b.mu.Unlock()

	var expired <-chan time.Time
	if !deadline.IsZero() {
		t := time.NewTimer(time.Until(deadline))
		defer t.Stop()
		expired = t.C
	}
	tick := time.NewTicker(budgetGrowInterval) // a lowered budget grows back with time
	defer tick.Stop()
	for {
		var why error
		select {
		case <-w.ready:
		case <-tick.C:
		case <-expired:
			why = errBudgetTimeout
		case <-ctx.Done():
			why = context.Cause(ctx)
		}
		b.mu.Lock()
		if w.err != nil {
			b.mu.Unlock()
			return false, w.err
		}
		if w.granted {
			b.mu.Unlock()
			if w.victim != nil {
				b.stole(w.victim, p)
			}
			return !w.useIdle, nil
		}
		if why == nil {
			if b.waiters.Front() == el && b.canOpen(p, time.Now()) {
				b.waiters.Remove(el)
				b.take(p)
				b.grantLocked() // the next one may fit too
				b.mu.Unlock()
				return true, nil
			}
			b.mu.Unlock()
			continue
		}
		b.waiters.Remove(el)
		if why == errBudgetTimeout {
			b.timeouts++
			err = b.timeoutError(p)
		} else {
			err = fmt.Errorf("waiting for the server's connection budget: %w", why)
		}
		b.grantLocked() // our place may have blocked others
		b.mu.Unlock()
		return false, err
	}
}

var errBudgetTimeout = fmt.Errorf("budget timeout")

// timeoutError describes a full budget. b.mu is held.
func (b *budget) timeoutError(p *pool) error {
	return fmt.Errorf("%w: server %s budget %d reached (%s; waiting %d), connection timed out, timeout %.2fs",
		ErrPoolTimeout, b.addr, b.limit(time.Now()), b.sharesLocked(), b.waiters.Len(), p.set.timeout.Seconds())
}

// sharesLocked lists each pool's open connections, largest first, e.g.
// "ess 40, pv 31". b.mu is held.
func (b *budget) sharesLocked() string {
	ps := slices.Clone(b.pools)
	slices.SortStableFunc(ps, func(x, y *pool) int {
		if x.budgetOpen != y.budgetOpen {
			return y.budgetOpen - x.budgetOpen
		}
		return strings.Compare(x.name, y.name)
	})
	parts := make([]string, 0, len(ps))
	for _, q := range ps {
		parts = append(parts, fmt.Sprintf("%s %d", q.name, q.budgetOpen))
	}
	return strings.Join(parts, ", ")
}

// grantLocked hands permits to the waiters, oldest first: a permit while
// the budget has room, else an idle connection stolen for them (see
// stealable). A waiter that can get neither is passed over, not blocking
// the ones behind it whose pools may rebalance (a pool below its fair
// share behind one at its share). b.mu is held.
func (b *budget) grantLocked() {
	if b.waiters.Len() == 0 {
		return
	}
	now := time.Now()
	var sc *stealScan
	var tried map[*pool]bool
	for e := b.waiters.Front(); e != nil; {
		next := e.Next()
		w := e.Value.(*budgetWaiter)
		switch {
		case tried[w.p]:
			e = next
			continue
		case b.canOpen(w.p, now):
			b.take(w.p)
		default:
			if sc == nil {
				sc, tried = b.newStealScan(), map[*pool]bool{}
			}
			v := sc.stealFor(w.p, now.Sub(w.since) >= budgetAging)
			if v == nil {
				tried[w.p] = true
				e = next
				continue
			}
			b.stealLocked(v, w.p)
			w.victim = v
		}
		b.grant(e, w)
		e = next
	}
}

// cancelWaiters wakes p's callers waiting for the budget with ErrClosed
// (p is closing).
func (b *budget) cancelWaiters(p *pool) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for e := b.waiters.Front(); e != nil; {
		next := e.Next()
		if w := e.Value.(*budgetWaiter); w.p == p {
			b.waiters.Remove(e)
			w.err = ErrClosed
			close(w.ready)
		}
		e = next
	}
	b.grantLocked() // the others may fit now
}

// release gives back the permit of a connection of p that closed.
func (b *budget) release(p *pool) {
	if b == nil { // a pool without a server budget (unit tests)
		return
	}
	b.mu.Lock()
	b.dropLocked(p, nil)
	b.mu.Unlock()
}

// idled is called when a connection of p went back to its idle list. If
// callers wait for the server's budget, p's oldest waiter that may use an
// idle connection takes it (no connection is closed and opened), unless
// a waiting pool holds at least two fewer connections than p: then the
// connection is stolen for the oldest such waiter.
func (b *budget) idled(p *pool) {
	if b == nil { // a pool without a server budget (unit tests)
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.waiters.Len() == 0 {
		return
	}
	now := time.Now()
	// the remainder goes round at most once per budgetAging (each look
	// costs a pass over the waiters)
	agedOK := now.Sub(b.agedAt) >= budgetAging
	for e := b.waiters.Front(); e != nil; e = e.Next() {
		w := e.Value.(*budgetWaiter)
		gap := 2
		if agedOK && now.Sub(w.since) >= budgetAging {
			gap = 1
		}
		if p.budgetOpen >= w.p.budgetOpen+gap {
			if gap == 1 {
				b.agedAt = now
			}
			b.grantLocked() // rebalance: a waiting pool holds fewer
			return
		}
	}
	if b.limit(now) < len(b.pools) {
		b.grantLocked() // scarce: connections go round in arrival order
		return
	}
	for e := b.waiters.Front(); e != nil; e = e.Next() {
		w := e.Value.(*budgetWaiter)
		if w.p != p {
			continue
		}
		if w.allowIdle && p.claimSpare() {
			w.useIdle = true // it takes the idle connection itself (claimed for it)
		} else if v := b.ownIdle(p); v != nil {
			// already dialling (database/sql found no idle connection a
			// moment ago): the idle one's permit serves the dial
			b.transfer(v, p)
			w.victim = v
		} else {
			continue
		}
		b.grant(e, w)
		return
	}
	b.grantLocked()
}

// ownIdle claims an idle connection of p, or returns nil. b.mu is held.
func (b *budget) ownIdle(p *pool) *conn {
	for c := range p.conns {
		if c.leaveIdle(connDead) {
			p.dropSpare()
			return c
		}
	}
	return nil
}

// stole closes the socket of victim, whose permit p took over.
func (b *budget) stole(victim *conn, p *pool) {
	victim.kill()
	victim.p.emitLater(Event{Kind: EventSteal, ConnID: victim.id,
		Err: fmt.Errorf("idle connection closed for %s: server %s budget full", p.name, b.addr)})
}

// refusedConnect records a connection refused with 1040: the budget is
// lowered to the connections the process holds minus a quarter
// (multiplicative decrease), at least 0; it grows back by one per
// budgetGrowInterval. p's permit for the failed attempt is given back.
func (b *budget) refusedConnect(p *pool) {
	b.mu.Lock()
	b.open--
	p.budgetOpen--
	b.refused++
	held := b.open
	to := held - max(held/4, 1)
	to = max(to, 0)
	if !b.shrunk || to < b.limit(time.Now()) {
		b.shrunk, b.shrunkTo, b.shrunkAt = true, to, time.Now()
		b.shrinks++
	}
	b.trimLocked()
	b.grantLocked()
	b.mu.Unlock()
	p.emitLater(Event{Kind: EventShrink, Err: fmt.Errorf(
		"server %s refused a connection (1040): budget lowered to %d, growing back by 1 every %v", b.addr, to, budgetGrowInterval)})
}

// trimLocked closes idle connections, least recently used first, while
// more are open than the budget allows (not below a pool's floor).
// b.mu is held.
func (b *budget) trimLocked() {
	for b.open > b.limit(time.Now()) {
		v := b.stealable(nil)
		if v == nil {
			return
		}
		delete(v.p.conns, v)
		v.p.budgetOpen--
		b.open--
		b.trimmed++
		v.kill() // before a waiter granted the room can dial (b.mu is held)
	}
}

// register adds a new connection of p (its permit already taken).
func (b *budget) register(c *conn) {
	if b == nil { // a pool without a server budget (unit tests)
		return
	}
	b.mu.Lock()
	c.p.conns[c] = struct{}{}
	b.mu.Unlock()
}

// retire marks c dead as database/sql starts closing it, so no steal or
// trim picks it, and reports whether c still holds its permit (false when
// it was stolen or trimmed: given away already). The caller gives the
// permit back with drop once the socket is closed: the budget counts a
// connection until its socket is gone, so the dial its permit allows
// never overlaps it.
func (b *budget) retire(c *conn) bool {
	if b == nil { // a pool without a server budget (unit tests)
		return false
	}
	switch c.state.Swap(connDead) {
	case connDead:
		return false
	case connIdle: // database/sql closed it while idle (idle time, lifetime, surplus)
		c.p.idle.Add(-1)
		c.p.dropSpare()
	}
	return true
}

// drop gives back the permit of c, retired before.
func (b *budget) drop(c *conn) {
	b.mu.Lock()
	b.dropLocked(c.p, c)
	b.mu.Unlock()
}

// expire closes the idle connection c itself (it outlived its jittered
// lifetime or failed its keepalive ping): its socket is closed first, then
// its permit goes back.
func (b *budget) expire(c *conn) {
	c.kill()
	if b == nil { // a pool without a server budget (unit tests)
		return
	}
	b.mu.Lock()
	if _, ok := c.p.conns[c]; ok {
		b.dropLocked(c.p, c)
	}
	b.mu.Unlock()
}

// join adds p to the pools sharing b.
func (b *budget) join(p *pool) {
	b.mu.Lock()
	b.pools = append(b.pools, p)
	b.mu.Unlock()
}

// leave removes p (its Open failed).
func (b *budget) leave(p *pool) {
	b.mu.Lock()
	b.pools = slices.DeleteFunc(b.pools, func(q *pool) bool { return q == p })
	b.mu.Unlock()
}

// countAttempt counts one connection attempt (a dial).
func (b *budget) countAttempt() {
	if b == nil { // a pool without a server budget (unit tests)
		return
	}
	b.attempts.Add(1)
}

// noteMaxConnections records a fresh read of @@global.max_connections.
func (b *budget) noteMaxConnections(n int) {
	b.mu.Lock()
	b.maxConns, b.readAt = n, time.Now()
	b.ceiling = b.computeCeiling()
	b.trimLocked()
	b.grantLocked()
	b.mu.Unlock()
}

// needsRead reports whether max_connections should be read again.
func (b *budget) needsRead(every time.Duration) bool {
	if b == nil { // a pool without a server budget (unit tests)
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.explicit == 0 && time.Since(b.readAt) > every
}

// ServerStatus is a snapshot of one server's connection budget, shared by
// the pools of a Manager on it.
type ServerStatus struct {
	// Server identifies the server (@@hostname:@@port); Addr is the
	// address as configured.
	Server, Addr string
	// Budget is the limit in force: Ceiling, or less after the server
	// refused connections (1040) until it grows back.
	Budget int
	// Ceiling is max_connections minus Config.Reserve, divided by
	// Config.Instances, or Config.ServerBudget (0: unknown, no limit).
	Ceiling int
	// MaxConnections is the server's max_connections as last read.
	MaxConnections int
	// Open counts the connections of all pools on the server (open or
	// being dialled); InUse and Waiting sum the pools' callers; Idle
	// counts open connections not checked out.
	Open, InUse, Idle int
	// BudgetWaiting counts callers waiting for a permit of the budget.
	BudgetWaiting int
	// Pools maps each database on the server to its open connections.
	Pools map[string]int
	// Steals counts idle connections closed to serve another pool,
	// Shrinks the times the budget was lowered after 1040, Refused the
	// connections the server refused with 1040, Trimmed the idle
	// connections closed because the budget was lowered, Attempts the
	// connections dialled, BudgetTimeouts the callers that gave up waiting
	// for the budget.
	Steals, Shrinks, Refused, Trimmed, Attempts, BudgetTimeouts int64
	// Statements counts the statements prepared by the pools' statement
	// caches on the server; StatementLimit is what they may hold: half the
	// server's max_prepared_stmt_count divided by Config.Instances, or less
	// after the server refused a prepare (1461).
	Statements, StatementLimit int64
}

// String formats s like "db1:3306: budget 141 (ceiling 141): open 40, in
// use 12, idle 28, waiting 0; ess 20, pv 20; steals 3, shrinks 0".
func (s ServerStatus) String() string {
	parts := make([]string, 0, len(s.Pools))
	for _, n := range slices.Sorted(maps.Keys(s.Pools)) {
		parts = append(parts, fmt.Sprintf("%s %d", n, s.Pools[n]))
	}
	return fmt.Sprintf("%s: budget %d (ceiling %d): open %d, in use %d, idle %d, waiting %d; %s; steals %d, shrinks %d, refused %d",
		s.Addr, s.Budget, s.Ceiling, s.Open, s.InUse, s.Idle, s.BudgetWaiting, strings.Join(parts, ", "), s.Steals, s.Shrinks, s.Refused)
}

func (b *budget) status() ServerStatus {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := ServerStatus{Server: b.id, Addr: b.addr, Ceiling: b.ceiling, MaxConnections: b.maxConns,
		Open: b.open, BudgetWaiting: b.waiters.Len(), Pools: map[string]int{},
		Steals: b.steals, Shrinks: b.shrinks, Refused: b.refused, Trimmed: b.trimmed,
		Attempts: b.attempts.Load(), BudgetTimeouts: b.timeouts,
		Statements: b.stmts.held.Load(), StatementLimit: b.stmts.limit.Load()}
	if l := b.limit(time.Now()); l != math.MaxInt {
		s.Budget = l
	}
	for _, q := range b.pools {
		s.Pools[q.name] = q.budgetOpen
		in, _, _, _ := q.gate.counts()
		s.InUse += in
		s.Idle += int(q.idle.Load())
	}
	return s
}
