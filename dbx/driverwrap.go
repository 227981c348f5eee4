package dbx

import (
	"cmp"
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"time"
)

// Every error the driver returns passes through dbx's driver connection
// before database/sql sees it, so it is turned into a *DBError there: the
// error that reaches a caller names the database and matches the Err*
// conditions on every call path, including the ones database/sql does not
// let dbx wrap (Row.Scan, Rows.Err, Rows.Next). database/sql's own control
// values pass through untouched: driver.ErrSkip and io.EOF are compared
// with ==, and driver.ErrBadConn stays reachable with errors.Is.

// err turns a driver error of an operation on c into a *DBError (nil,
// driver.ErrSkip and io.EOF are returned as they are).
func (c *conn) err(ctx context.Context, op string, err error) error {
	if err == nil || err == driver.ErrSkip || err == io.EOF {
		return err
	}
	st := c.tx.Load()
	if st != nil && st.expired.Load() {
		// the transaction's limit closed the socket under a statement
		// that ran with a context it had stripped (txState.sqlCtx)
		ctx = st.ctx
	}
	err = c.p.driverError(ctx, op, err, c)
	if st != nil && errors.Is(err, ErrDeadlock) {
		// InnoDB rolled the whole transaction back: whatever fn does with
		// this error, the transaction cannot commit any more.
		st.fail(err)
	}
	return err
}

// driverError builds the *DBError of a driver error. Whether the caller's
// context had ended is decided from ctx, not from the
// error chain: when it has, its cause is added, and the broken connection
// that goes with a cancel does not read as a lost server.
func (p *pool) driverError(ctx context.Context, op string, err error, src *conn) error {
	var de *DBError
	if errors.As(err, &de) && de.DB == p.name {
		return err
	}
	err = withCause(ctx, err)
	return &DBError{DB: p.name, Op: op, Err: err, src: src}
}

// connectError is the error of a connection that could not be made: it
// matches ErrConnect, and ErrServerGone when the server could not be
// reached (not for a refused login or 1040, which match their own
// conditions).
type connectError struct {
	err     error
	timeout time.Duration // > 0: the dial ran out of Pool.ConnectTimeout
}

func (e *connectError) Error() string {
	if e.timeout > 0 {
		return fmt.Sprintf("cannot connect: connect timeout %v reached (Pool.ConnectTimeout): %v", e.timeout, e.err)
	}
	return "cannot connect: " + e.err.Error()
}

func (e *connectError) Unwrap() error {
	if e.timeout > 0 {
		// The dial's own deadline is not the caller's: hide the
		// context.DeadlineExceeded that net's timeout error reports.
		return nil
	}
	return e.err
}

func (e *connectError) Is(target error) bool {
	switch target {
	case ErrConnect:
		return true
	case ErrServerGone:
		return e.timeout > 0 || kindOf(e.err) == ErrServerGone
	}
	return false
}

// connectError wraps the error of a failed Connect made for ctx.
func (p *pool) connectError(ctx context.Context, err error) error {
	ce := &connectError{err: err}
	if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
		ce.timeout = p.set.connectTimeout
	}
	return p.driverError(ctx, "connect", ce, nil)
}

// driverTx is a driver transaction whose errors are *DBError values.
type driverTx struct {
	inner driver.Tx
	c     *conn
}

// Commit and Rollback leave the context to endTx, which knows whether
// COMMIT was sent when the transaction's context ended.
func (t *driverTx) Commit() error {
	return t.c.endErr("commit", t.inner.Commit())
}

func (t *driverTx) Rollback() error {
	return t.c.endErr("rollback", t.inner.Rollback())
}

func (c *conn) endErr(op string, err error) error {
	if err == nil {
		return nil
	}
	return c.p.driverError(context.Background(), op, err, c) // endTx adds the context
}

// mysqlRows is the set of driver interfaces go-sql-driver/mysql's rows
// implement; driverRows forwards them all.
type mysqlRows interface {
	driver.Rows
	driver.RowsNextResultSet
	driver.RowsColumnTypeDatabaseTypeName
	driver.RowsColumnTypeNullable
	driver.RowsColumnTypePrecisionScale
	driver.RowsColumnTypeScanType
}

// driverRows reports row errors as *DBError values and, inside a dbx
// transaction, ends the statement for the idle watch when closed: a query
// is running until its rows are closed, not until it returned.
type driverRows struct {
	mysqlRows
	ctx  context.Context
	c    *conn
	st   *txState
	done bool
	qt   queryTimer
	rerr error // the first error Next reported
}

func (c *conn) wrapRows(ctx context.Context, r driver.Rows, st *txState, qt queryTimer) driver.Rows {
	mr, ok := r.(mysqlRows)
	if !ok { // not go-sql-driver's rows: keep their interfaces
		st.stmtEnd()
		qt.done(c, nil)
		return r
	}
	c.openRows.Add(1)
	return &driverRows{mysqlRows: mr, ctx: ctx, c: c, st: st, qt: qt}
}

func (r *driverRows) Next(dest []driver.Value) error {
	err := r.c.errQ(r.ctx, "query", r.qt.query, r.mysqlRows.Next(dest))
	if err != nil && err != io.EOF && r.rerr == nil {
		r.rerr = err
	}
	return err
}

func (r *driverRows) NextResultSet() error {
	return r.c.errQ(r.ctx, "query", r.qt.query, r.mysqlRows.NextResultSet())
}

func (r *driverRows) Close() error {
	err := r.c.errQ(r.ctx, "query", r.qt.query, r.mysqlRows.Close())
	if !r.done {
		r.done = true
		r.c.openRows.Add(-1)
		r.st.stmtEnd()
		r.qt.done(r.c, cmp.Or(r.rerr, err))
	}
	return err
}

// mysqlStmt is the set of driver interfaces go-sql-driver/mysql's
// statements implement; driverStmt forwards them all.
type mysqlStmt interface {
	driver.Stmt
	driver.StmtExecContext
	driver.StmtQueryContext
	driver.NamedValueChecker
}

// driverStmt is a prepared statement whose errors are *DBError values.
// onClose, when set, runs once when database/sql closes it: the gate slot
// of a statement prepared on the pool (poolDBTX.PrepareContext).
type driverStmt struct {
	mysqlStmt
	c       *conn
	query   string // its text (for the sqlc name in errors and events)
	onClose func()
}

type stmtCloseKey struct{}

func (c *conn) wrapStmt(ctx context.Context, s driver.Stmt, query string) driver.Stmt {
	ms, ok := s.(mysqlStmt)
	if !ok {
		return s
	}
	ds := &driverStmt{mysqlStmt: ms, c: c, query: query}
	if f, ok := ctx.Value(stmtCloseKey{}).(func()); ok {
		ds.onClose = f
	}
	return ds
}

func (s *driverStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	if err := s.c.busy("exec"); err != nil {
		return nil, err
	}
	st := s.c.stmtStart()
	defer st.stmtEnd()
	qt := s.c.startQuery(ctx, s.query)
	res, err := s.mysqlStmt.ExecContext(ctx, args)
	if err != nil {
		err = s.c.errQ(ctx, "exec", s.query, err)
	}
	qt.done(s.c, err)
	return res, err
}

func (s *driverStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	if err := s.c.busy("query"); err != nil {
		return nil, err
	}
	st := s.c.stmtStart()
	qt := s.c.startQuery(ctx, s.query)
	r, err := s.mysqlStmt.QueryContext(ctx, args)
	if err != nil {
		st.stmtEnd()
		err = s.c.errQ(ctx, "query", s.query, err)
		qt.done(s.c, err)
		return nil, err
	}
	return s.c.wrapRows(ctx, r, st, qt), nil
}

func (s *driverStmt) Close() error {
	err := s.mysqlStmt.Close()
	if f := s.onClose; f != nil {
		s.onClose = nil
		f()
	}
	return s.c.err(context.Background(), "close statement", err)
}
