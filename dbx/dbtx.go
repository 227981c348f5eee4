package dbx

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"sync"
	"time"
)

// DBTX is what sqlc's generated New takes: the methods of *sql.DB and
// *sql.Tx that generated code calls. dbx's implementations route every
// call through the pool's gate, or into the transaction the call's ctx
// carries for the same database.
type DBTX interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// poolDBTX runs plain calls: each takes a connection through the gate and
// gives it back when the call (or, for queries, the rows) is done. A call
// whose ctx carries a transaction of this database joins it instead.
type poolDBTX struct{ p *pool }

func (d *poolDBTX) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := txFrom(ctx, d.p.name); st != nil {
		return st.dbtx.ExecContext(ctx, query, args...)
	}
	l, err := d.p.acquire(ctx, captureSite())
	if err != nil {
		return nil, err
	}
	defer l.release()
	res, err := l.conn.ExecContext(ctx, query, args...)
	return res, wrap(d.p.name, "exec", withCause(ctx, err))
}

// QueryContext keeps the gate slot until the rows are closed: the query
// runs on database/sql's pool and the driver connection that runs it hands
// the slot back when it is checked in (see plainLease).
func (d *poolDBTX) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := txFrom(ctx, d.p.name); st != nil {
		return st.dbtx.QueryContext(ctx, query, args...)
	}
	pl, qctx, err := d.p.acquirePlain(ctx, captureSite())
	if err != nil {
		return nil, err
	}
	rows, err := d.p.db.QueryContext(qctx, query, args...)
	pl.callReturned()
	if err != nil {
		return nil, wrap(d.p.name, "query", withCause(ctx, err))
	}
	return rows, nil
}

// QueryRowContext is QueryContext for one row: the slot goes back when
// Row.Scan closes the row. Errors of the query itself surface from
// Row.Scan unwrapped (database/sql's Row cannot be built from outside); a
// pool timeout is returned through Row.Scan as a *DBError.
func (d *poolDBTX) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := txFrom(ctx, d.p.name); st != nil {
		return st.dbtx.QueryRowContext(ctx, query, args...)
	}
	pl, qctx, err := d.p.acquirePlain(ctx, captureSite())
	if err != nil {
		return errRow(err)
	}
	row := d.p.db.QueryRowContext(qctx, query, args...)
	pl.callReturned()
	return row
}

// PrepareContext prepares on the pool while holding a gate slot. The
// returned *sql.Stmt belongs to database/sql's pool: its later executions
// do not pass the gate (sqlc calls PrepareContext only with
// emit_prepared_queries, which SolarHub does not use).
func (d *poolDBTX) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	if st := txFrom(ctx, d.p.name); st != nil {
		return st.dbtx.PrepareContext(ctx, query)
	}
	if err := d.p.admit(ctx, time.Now()); err != nil {
		return nil, err
	}
	defer d.p.gate.release()
	stmt, err := d.p.db.PrepareContext(ctx, query)
	return stmt, wrap(d.p.name, "prepare", err)
}

// txDBTX runs calls inside one transaction and tells the transaction's
// idle watch when statements start and end.
type txDBTX struct{ st *txState }

func (d *txDBTX) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	d.st.watch.start()
	defer d.st.watch.end()
	res, err := d.st.tx.ExecContext(ctx, d.st.prefix+query, args...)
	return res, wrap(d.st.p.name, "exec", withCause(ctx, err))
}

func (d *txDBTX) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	d.st.watch.start()
	defer d.st.watch.end()
	rows, err := d.st.tx.QueryContext(ctx, d.st.prefix+query, args...)
	return rows, wrap(d.st.p.name, "query", withCause(ctx, err))
}

func (d *txDBTX) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	d.st.watch.start()
	defer d.st.watch.end()
	return d.st.tx.QueryRowContext(ctx, d.st.prefix+query, args...)
}

func (d *txDBTX) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	stmt, err := d.st.tx.PrepareContext(ctx, d.st.prefix+query)
	return stmt, wrap(d.st.p.name, "prepare", err)
}

// failDBTX fails every call with err: the queries of a handle made by
// NotOpened.
type failDBTX struct{ err error }

func (f failDBTX) ExecContext(context.Context, string, ...any) (sql.Result, error) {
	return nil, f.err
}
func (f failDBTX) PrepareContext(context.Context, string) (*sql.Stmt, error) { return nil, f.err }
func (f failDBTX) QueryContext(context.Context, string, ...any) (*sql.Rows, error) {
	return nil, f.err
}
func (f failDBTX) QueryRowContext(context.Context, string, ...any) *sql.Row { return errRow(f.err) }

// errRow returns a *sql.Row whose Scan and Err report err. database/sql
// offers no constructor, so the row comes from a private *sql.DB whose
// connector fails with the error carried in ctx; nothing touches the
// network.
func errRow(err error) *sql.Row {
	failOnce.Do(func() { failDB = sql.OpenDB(failConnector{}) })
	return failDB.QueryRowContext(context.WithValue(context.Background(), failKey{}, err), "")
}

var (
	failOnce sync.Once
	failDB   *sql.DB
)

type failKey struct{}

type failConnector struct{}

func (failConnector) Connect(ctx context.Context) (driver.Conn, error) {
	if err, ok := ctx.Value(failKey{}).(error); ok {
		return nil, err
	}
	return nil, errors.New("dbx: no error to report")
}

func (failConnector) Driver() driver.Driver { return failDriver{} }

type failDriver struct{}

func (failDriver) Open(string) (driver.Conn, error) { return nil, errors.New("dbx: not a driver") }
