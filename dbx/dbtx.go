package dbx

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
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
// whose ctx carries a transaction of this pool joins it instead.
type poolDBTX struct{ p *pool }

func (d *poolDBTX) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := txFrom(ctx, d.p); st != nil {
		return st.dbtx.ExecContext(ctx, query, args...)
	}
	p := d.p.node()
	args, err := resolveValuers(args)
	if err != nil {
		return nil, wrap(p.name, "exec", err)
	}
	l, err := p.acquire(ctx, captureSite())
	if err != nil {
		return nil, err
	}
	defer l.release()
	res, err := l.conn.ExecContext(ctx, query, args...)
	return res, wrap(p.name, "exec", withCause(ctx, err))
}

// QueryContext keeps the gate slot until the rows are closed: the query
// runs on database/sql's pool and the driver connection that runs it hands
// the slot back when it is checked in (see plainLease).
func (d *poolDBTX) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := txFrom(ctx, d.p); st != nil {
		return st.dbtx.QueryContext(ctx, query, args...)
	}
	p := d.p.node()
	args, err := resolveValuers(args)
	if err != nil {
		return nil, wrap(p.name, "query", err)
	}
	pl, qctx, err := p.acquirePlain(ctx, captureSite())
	if err != nil {
		return nil, err
	}
	rows, err := p.db.QueryContext(qctx, query, args...)
	pl.callReturned()
	if err != nil {
		return nil, wrap(p.name, "query", withCause(ctx, err))
	}
	return rows, nil
}

// QueryRowContext is QueryContext for one row: the slot goes back when
// Row.Scan closes the row. The query's errors, reported by Row.Scan, are
// *DBError values (dbx's driver connection wraps them before database/sql
// sees them); a pool timeout is returned through Row.Scan as well.
func (d *poolDBTX) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := txFrom(ctx, d.p); st != nil {
		return st.dbtx.QueryRowContext(ctx, query, args...)
	}
	p := d.p.node()
	args, err := resolveValuers(args)
	if err != nil {
		return errRow(wrap(p.name, "query", err))
	}
	pl, qctx, err := p.acquirePlain(ctx, captureSite())
	if err != nil {
		return errRow(err)
	}
	row := p.db.QueryRowContext(qctx, query, args...)
	pl.callReturned()
	return row
}

// PrepareContext prepares on a connection of its own, checked out through
// the gate: the statement holds it, counted in Status.InUse and waited
// for by WaitIdle, until the statement is closed (an unclosed statement
// is reported as a leak). Its executions run on that connection.
func (d *poolDBTX) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	if st := txFrom(ctx, d.p); st != nil {
		return st.dbtx.PrepareContext(ctx, query)
	}
	p := d.p.node()
	l, err := p.acquire(ctx, captureSite())
	if err != nil {
		return nil, err
	}
	// Called by the driver statement's Close, under database/sql's lock of
	// the connection: the checkin, which takes that lock, runs apart.
	var once sync.Once
	onClose := func() { once.Do(func() { go l.release() }) }
	stmt, err := l.conn.PrepareContext(context.WithValue(ctx, stmtCloseKey{}, onClose), query)
	if err != nil {
		l.release()
		return nil, wrap(p.name, "prepare", withCause(ctx, err))
	}
	return stmt, nil
}

// txDBTX runs calls inside one transaction. The driver connection tells
// the transaction's idle watch when statements start and end (for a
// query, when its rows are closed).
type txDBTX struct{ st *txState }

func (d *txDBTX) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	args, err := d.st.check(args)
	if err != nil {
		return nil, wrap(d.st.p.name, "exec", err)
	}
	res, err := d.st.tx.ExecContext(d.st.sqlCtx(ctx), d.st.prefix+query, args...)
	return res, wrap(d.st.p.name, "exec", withCause(ctx, err))
}

func (d *txDBTX) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	args, err := d.st.check(args)
	if err != nil {
		return nil, wrap(d.st.p.name, "query", err)
	}
	rows, err := d.st.tx.QueryContext(d.st.sqlCtx(ctx), d.st.prefix+query, args...)
	return rows, wrap(d.st.p.name, "query", withCause(ctx, err))
}

func (d *txDBTX) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	args, err := d.st.check(args)
	if err != nil {
		return errRow(wrap(d.st.p.name, "query", err))
	}
	return d.st.tx.QueryRowContext(d.st.sqlCtx(ctx), d.st.prefix+query, args...)
}

func (d *txDBTX) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	if err := d.st.failure(); err != nil {
		return nil, err
	}
	stmt, err := d.st.tx.PrepareContext(d.st.sqlCtx(ctx), d.st.prefix+query)
	return stmt, wrap(d.st.p.name, "prepare", err)
}

// check refuses statements of a transaction the server no longer runs
// (see txState.fail) and resolves driver.Valuer arguments.
func (st *txState) check(args []any) ([]any, error) {
	if err := st.failure(); err != nil {
		return nil, err
	}
	return resolveValuers(args)
}

var valuerType = reflect.TypeFor[driver.Valuer]()

// resolveValuers calls the Value method of every driver.Valuer argument
// before the call reaches database/sql, which would call it while holding
// a connection: a Valuer that panics there leaves that connection (and,
// inside a transaction, the transaction's lock) held for good. Here a
// panic happens before dbx takes anything, and an error is returned like
// database/sql's. args is copied only when it holds a Valuer.
func resolveValuers(args []any) ([]any, error) {
	var out []any
	for i, a := range args {
		vr, ok := a.(driver.Valuer)
		if !ok {
			continue
		}
		if out == nil {
			out = slices.Clone(args)
		}
		if rv := reflect.ValueOf(vr); rv.Kind() == reflect.Pointer && rv.IsNil() &&
			rv.Type().Elem().Implements(valuerType) {
			out[i] = nil // database/sql's rule: a nil pointer to a value-method Valuer is NULL
			continue
		}
		v, err := vr.Value()
		if err != nil {
			return nil, fmt.Errorf("converting argument $%d type: %w", i+1, err)
		}
		out[i] = v
	}
	if out == nil {
		return args, nil
	}
	return out, nil
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
