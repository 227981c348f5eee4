package dbx

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// mysqlConn is the set of driver interfaces go-sql-driver/mysql's
// connection implements and database/sql looks for; conn forwards them all.
type mysqlConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
	driver.NamedValueChecker
}

// connector wraps the mysql connector to see every physical connection:
// open, close, invalidation, and how long it sat idle (for pre-ping).
type connector struct {
	inner driver.Connector
	p     *pool
	ids   atomic.Uint64
}

func (c *connector) Connect(ctx context.Context) (driver.Conn, error) {
	p, b := c.p, c.p.budget
	var deadline time.Time
	if p.set.timeout > 0 {
		deadline = time.Now().Add(p.set.timeout)
	}
	if t := ticketFrom(ctx, p); !t.take() {
		// No permit reserved: the idle connection claimed for this call
		// was gone when database/sql looked (stolen, expired), or
		// database/sql dialled for its own reasons. Wait for a permit; an
		// idle connection of p that comes back meanwhile gives its own.
		if err := b.acquire(ctx, p, deadline); err != nil {
			err = p.driverError(ctx, "connect", err, nil)
			if errors.Is(err, ErrPoolTimeout) {
				p.emit(Event{Kind: EventPoolTimeout, Err: err})
			}
			return nil, err
		}
	}
	slot := &netSlot{}
	var dc driver.Conn
	for {
		var err error
		b.countAttempt()
		dc, err = c.inner.Connect(context.WithValue(ctx, netSlotKey{}, slot))
		if err == nil {
			break
		}
		if kindOf(err) != ErrTooManyConnections {
			b.release(p)
			return nil, p.connectError(ctx, err)
		}
		// The server is full (other processes, other clients): lower
		// this process's budget and wait for a permit again, instead of
		// failing the caller while its timeout allows.
		b.refusedConnect(p)
		if werr := b.acquire(ctx, p, deadline); werr != nil {
			return nil, p.connectError(ctx, fmt.Errorf("%w (after the server refused a connection: %v)", werr, err))
		}
	}
	mc, ok := dc.(mysqlConn)
	if !ok {
		_ = dc.Close()
		b.release(p)
		return nil, fmt.Errorf("driver connection %T lacks the interfaces dbx forwards", dc)
	}
	cn := &conn{mysqlConn: mc, p: c.p, id: c.ids.Add(1), netConn: slot.c,
		stmts: newStmtCache(p.set.stmtCache, b.stmts, &p.stmtStats)}
	now := time.Now()
	cn.returned.Store(now.UnixNano())
	cn.expires = p.set.expiry(now)
	b.register(cn)
	if b.needsRead(maxConnectionsReread) {
		cn.readMaxConnections(ctx)
	}
	c.p.emit(Event{Kind: EventOpen, ConnID: cn.id})
	return cn, nil
}

// maxConnectionsReread is how often a new connection reads
// @@global.max_connections again (SET GLOBAL can change it).
const maxConnectionsReread = 30 * time.Second

// readMaxConnections reads @@global.max_connections on the new connection
// c and updates the budget (a failure is ignored: the old value stays).
func (c *conn) readMaxConnections(ctx context.Context) {
	rows, err := c.mysqlConn.QueryContext(ctx, "SELECT @@global.max_connections", nil)
	if err != nil {
		return
	}
	defer rows.Close()
	v := make([]driver.Value, 1)
	if rows.Next(v) != nil {
		return
	}
	var n int64
	switch x := v[0].(type) {
	case int64:
		n = x
	case []byte:
		n, _ = strconv.ParseInt(string(x), 10, 64)
	}
	if n > 0 {
		c.p.budget.noteMaxConnections(int(n))
	}
}

// The states of a connection as the budget sees it.
const (
	connBusy    int32 = iota // checked out, or being opened
	connIdle                 // in database/sql's idle list
	connDead                 // closed by dbx while idle (stolen, trimmed, expired): its permit is gone
	connPinging              // idle, being pinged by the keepalive
)

func (c *connector) Driver() driver.Driver { return c.inner.Driver() }

// conn is one physical connection. database/sql calls ResetSession when it
// hands a used connection out again (checkout) and IsValid when it takes
// one back (checkin), both under the connection's lock.
type conn struct {
	mysqlConn
	p        *pool
	id       uint64
	returned atomic.Int64 // unix nanos of the last checkin
	closed   atomic.Bool
	// netConn is the socket under the driver (nil when dbx did not dial
	// it), closed by abort, which sets aborted: the driver does not know,
	// so IsValid and ResetSession report the connection broken.
	netConn net.Conn
	aborted atomic.Bool
	// plain is the gate slot of the plain query running on the
	// connection, handed back at checkin (plain.go).
	plain atomic.Pointer[plainLease]
	// tx is the dbx transaction running on the connection (set by runTx
	// after BEGIN, cleared before COMMIT or ROLLBACK): its idle watch
	// sees every statement start and, for a query, its rows close.
	tx atomic.Pointer[txState]
	// state is connBusy, connIdle, connDead or connPinging; expires is
	// the connection's own jittered end of life (zero: none). pingMu is
	// held while the keepalive pings it.
	state   atomic.Int32
	expires time.Time
	pingMu  sync.Mutex
	killed  atomic.Bool
	// openRows counts the rows open on the connection. MySQL's protocol
	// runs one command at a time: a statement sent while rows are unread
	// breaks the connection, so dbx refuses it first (errBusy).
	openRows atomic.Int32
	// stmts is the connection's prepared-statement cache (nil: off).
	stmts *stmtCache
}

// busy refuses a statement while rows are open on c: only possible inside
// a transaction, whose one connection two goroutines (or a loop over rows
// that runs another statement) can reach at once.
func (c *conn) busy(op string) error {
	if c.openRows.Load() == 0 {
		return nil
	}
	return &DBError{DB: c.p.name, Op: op, Err: fmt.Errorf(
		"%w: rows of an earlier query of this transaction are still open; read them to the end or close them first "+
			"(one connection runs one statement at a time: do not share a transaction between goroutines)", ErrConnBusy), src: c}
}

// QueryContext claims the gate slot of a plain query, then runs it; its
// rows report errors as *DBError and end the transaction's statement when
// they are closed.
func (c *conn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	c.claimPlain(ctx)
	if err := c.busy("query"); err != nil {
		return nil, err
	}
	st := c.stmtStart()
	qt := c.startQuery(ctx, query)
	r, err := c.query(ctx, query, args)
	if err != nil {
		st.stmtEnd()
		err = c.errQ(ctx, "query", query, err)
		qt.done(c, err)
		return nil, err
	}
	return c.wrapRows(ctx, r, st, qt), nil
}

// ExecContext runs a statement, reporting its error as a *DBError.
func (c *conn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if err := c.busy("exec"); err != nil {
		return nil, err
	}
	st := c.stmtStart()
	defer st.stmtEnd()
	qt := c.startQuery(ctx, query)
	res, err := c.exec(ctx, query, args)
	if err != nil {
		err = c.errQ(ctx, "exec", query, err)
	}
	qt.done(c, err)
	return res, err
}

// PrepareContext claims the gate slot of a plain query that database/sql
// prepares first (server-side prepared statements), then prepares it.
func (c *conn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	c.claimPlain(ctx)
	if err := c.busy("prepare"); err != nil {
		return nil, err
	}
	s, err := c.mysqlConn.PrepareContext(ctx, query)
	if err != nil {
		return nil, c.err(ctx, "prepare", err)
	}
	return c.wrapStmt(ctx, s, query), nil
}

// BeginTx starts a transaction whose COMMIT and ROLLBACK errors are
// *DBError values.
func (c *conn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	t, err := c.mysqlConn.BeginTx(ctx, opts)
	if err != nil {
		return nil, c.err(ctx, "begin", err)
	}
	return &driverTx{inner: t, c: c}, nil
}

// Ping reports its error as a *DBError.
func (c *conn) Ping(ctx context.Context) error {
	return c.err(ctx, "ping", c.mysqlConn.Ping(ctx))
}

// stmtStart tells the transaction running on c, if any, that a statement
// starts; the returned value's stmtEnd says it ended.
func (c *conn) stmtStart() *txState {
	st := c.tx.Load()
	if st != nil {
		st.watch.start()
	}
	return st
}

// stmtEnd ends a statement started with stmtStart (st may be nil).
func (st *txState) stmtEnd() {
	if st != nil {
		st.watch.end()
	}
}

// abort closes the socket under the driver, so that a COMMIT or ROLLBACK
// waiting for an answer fails now (the driver does not watch the context
// during either). database/sql then finds the connection broken and
// discards it; the server rolls back whatever was not committed.
func (c *conn) abort() {
	if c.netConn != nil {
		c.aborted.Store(true)
		_ = c.netConn.Close()
	}
}

// netSlot receives the socket the driver dials during one Connect: the
// connector puts it in the context, recordingDial fills it.
type netSlot struct{ c net.Conn }

type netSlotKey struct{}

type dialFunc = func(ctx context.Context, network, addr string) (net.Conn, error)

// recordingDial wraps dial (nil: a plain net.Dialer) to hand the new
// socket to the Connect that asked for it.
func recordingDial(dial dialFunc) dialFunc {
	if dial == nil {
		var d net.Dialer
		dial = d.DialContext
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		nc, err := dial(ctx, network, addr)
		if slot, ok := ctx.Value(netSlotKey{}).(*netSlot); ok && err == nil {
			slot.c = nc
		}
		return nc, err
	}
}

// ResetSession, IsValid and Close run under database/sql's lock of the
// connection: their events go out through the pool's event queue
// (emitLater), so a slow Config.OnEvent or log handler never stalls a
// checkout or checkin.

// ResetSession is the pre-ping: the driver's socket liveness check
// (checkConnLiveness), then a real ping when the connection sat idle
// longer than Pool.PingAfterIdle. A failure returns driver.ErrBadConn, so
// database/sql discards the connection and takes or opens another: a dead
// pooled connection is never handed to a caller.
func (c *conn) ResetSession(ctx context.Context) error {
	for !c.checkOut() {
		if c.state.Load() != connPinging {
			// taken over by another pool, trimmed or expired while idle:
			// database/sql discards it and takes or opens another
			return driver.ErrBadConn
		}
		c.waitPing()
	}
	if c.aborted.Load() || c.killed.Load() {
		return driver.ErrBadConn
	}
	if c.expired(time.Now()) {
		return driver.ErrBadConn // recycled: Close gives its permit back
	}
	if err := c.mysqlConn.ResetSession(ctx); err != nil {
		c.p.emitLater(Event{Kind: EventInvalidate, ConnID: c.id, Err: fmt.Errorf("liveness check: %w", err)})
		return driver.ErrBadConn
	}
	s := c.p.set
	if !s.prePing || s.pingAfterIdle <= 0 {
		return nil
	}
	idle := time.Duration(time.Now().UnixNano() - c.returned.Load())
	if idle <= s.pingAfterIdle {
		return nil
	}
	if err := c.mysqlConn.Ping(ctx); err != nil {
		c.p.emitLater(Event{Kind: EventInvalidate, ConnID: c.id, Held: idle, Err: fmt.Errorf("pre-ping after %v idle: %w", idle.Round(time.Millisecond), err)})
		return driver.ErrBadConn
	}
	return nil
}

// IsValid records the checkin time and reports a broken connection as an
// invalidation.
func (c *conn) IsValid() bool {
	valid := c.isValid() && !c.killed.Load() && !c.expired(time.Now())
	c.checkInPlain(!valid)
	if valid && c.state.CompareAndSwap(connBusy, connIdle) {
		c.p.idle.Add(1)
		c.p.spare.Add(1)
		c.p.budget.idled(c.p) // a caller waiting for the server's budget may take it (over)
	}
	return valid
}

// waitPing waits until the keepalive's ping of c is answered.
func (c *conn) waitPing() {
	c.pingMu.Lock()
	defer c.pingMu.Unlock()
	_ = c.state.Load() // the ping is over: the state is idle or dead again
}

// checkOut moves an idle connection to busy. A checkout that no claim
// preceded (a path that bypasses budget.reserve) would leave the pool's
// unclaimed count above its idle count: it is clamped here.
func (c *conn) checkOut() bool {
	if !c.leaveIdle(connBusy) {
		return false
	}
	for {
		s, i := c.p.spare.Load(), c.p.idle.Load()
		if s <= i || c.p.spare.CompareAndSwap(s, i) {
			return true
		}
	}
}

// leaveIdle moves an idle connection to state to, keeping the pool's idle
// count.
func (c *conn) leaveIdle(to int32) bool {
	if c.state.CompareAndSwap(connIdle, to) {
		c.p.idle.Add(-1)
		return true
	}
	return false
}

// expired reports whether c outlived its jittered lifetime.
func (c *conn) expired(now time.Time) bool {
	return !c.expires.IsZero() && now.After(c.expires)
}

// kill closes the socket of a connection dbx took away while idle (stolen,
// trimmed, expired, failed keepalive): the server frees its slot at once;
// database/sql discards the connection at its next checkout.
func (c *conn) kill() {
	c.killed.Store(true)
	if c.netConn != nil {
		_ = c.netConn.Close()
	}
}

func (c *conn) isValid() bool {
	c.returned.Store(time.Now().UnixNano())
	if c.aborted.Load() {
		c.p.emitLater(Event{Kind: EventInvalidate, ConnID: c.id, Err: errors.New("socket closed: COMMIT or ROLLBACK outlived the transaction's context")})
		return false
	}
	if !c.mysqlConn.IsValid() {
		c.p.emitLater(Event{Kind: EventInvalidate, ConnID: c.id, Err: errors.New("connection broken while in use")})
		return false
	}
	return true
}

// Close closes the physical connection.
func (c *conn) Close() error {
	c.pingMu.Lock() // not while the keepalive pings it
	defer c.pingMu.Unlock()
	c.checkInPlain(true)
	if !c.closed.CompareAndSwap(false, true) {
		return c.mysqlConn.Close()
	}
	owns := c.p.budget.retire(c)
	c.p.emitLater(Event{Kind: EventClose, ConnID: c.id})
	if c.stmts != nil {
		c.stmts.closeAll()
	}
	err := c.mysqlConn.Close()
	if owns { // the permit goes back once the socket is closed
		c.p.budget.drop(c)
	}
	return err
}
