package dbx

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
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
	slot := &netSlot{}
	dc, err := c.inner.Connect(context.WithValue(ctx, netSlotKey{}, slot))
	if err != nil {
		return nil, c.p.connectError(ctx, err)
	}
	mc, ok := dc.(mysqlConn)
	if !ok {
		_ = dc.Close()
		return nil, fmt.Errorf("driver connection %T lacks the interfaces dbx forwards", dc)
	}
	cn := &conn{mysqlConn: mc, p: c.p, id: c.ids.Add(1), netConn: slot.c}
	cn.returned.Store(time.Now().UnixNano())
	c.p.emit(Event{Kind: EventOpen, ConnID: cn.id})
	return cn, nil
}

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
	// openRows counts the rows open on the connection. MySQL's protocol
	// runs one command at a time: a statement sent while rows are unread
	// breaks the connection, so dbx refuses it first (errBusy).
	openRows atomic.Int32
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
	r, err := c.mysqlConn.QueryContext(ctx, query, args)
	if err != nil {
		st.stmtEnd()
		return nil, c.err(ctx, "query", err)
	}
	return c.wrapRows(ctx, r, st), nil
}

// ExecContext runs a statement, reporting its error as a *DBError.
func (c *conn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if err := c.busy("exec"); err != nil {
		return nil, err
	}
	st := c.stmtStart()
	defer st.stmtEnd()
	res, err := c.mysqlConn.ExecContext(ctx, query, args)
	return res, c.err(ctx, "exec", err)
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
	return c.wrapStmt(ctx, s), nil
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
	if c.aborted.Load() {
		return driver.ErrBadConn
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
	valid := c.isValid()
	c.checkInPlain(!valid)
	return valid
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
	c.checkInPlain(true)
	if c.closed.CompareAndSwap(false, true) {
		c.p.emitLater(Event{Kind: EventClose, ConnID: c.id})
	}
	return c.mysqlConn.Close()
}
