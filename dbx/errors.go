package dbx

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/go-sql-driver/mysql"
)

// Conditions a caller may branch on. Match them with [errors.Is]; the
// errors dbx returns are [*DBError] values that name the database and
// report, through their Is method, which of these conditions their cause
// (a *mysql.MySQLError, a driver error, ...) is. The cause itself stays
// reachable with [errors.As], e.g. as a *mysql.MySQLError.
var (
	// ErrPoolTimeout: no connection became free within Pool.Timeout.
	ErrPoolTimeout = errors.New("dbx: pool timeout")
	// ErrUnknownDB: the logical name is not configured, or the server
	// answered 1049 (unknown database).
	ErrUnknownDB = errors.New("dbx: unknown database")
	// ErrNotOpened: the database exists but the Manager was not opened
	// with it (a subset was opened); the message names those it has.
	ErrNotOpened = errors.New("dbx: database not opened")
	// ErrConnect: no connection could be made (the dial failed or ran out
	// of Pool.ConnectTimeout, the login was refused, the server answered
	// 1040). A dial failure also matches ErrServerGone; a refused login
	// matches only this; 1040 also matches ErrTooManyConnections.
	ErrConnect = errors.New("dbx: cannot connect")
	// ErrTxTimeout: the transaction ran longer than its own limit
	// (Pool.TxTimeout or the TxTimeout option) and was rolled back. It
	// also matches context.DeadlineExceeded; the caller's own deadline
	// matches only context.DeadlineExceeded. The error is a
	// [*TxTimeoutError] naming the limit and how long the transaction ran.
	ErrTxTimeout = errors.New("dbx: transaction timeout")
	// ErrTooManyConnections: the server refused a connection (1040).
	ErrTooManyConnections = errors.New("dbx: too many connections")
	// ErrServerGone: the connection was lost or unusable (2006, 2013, 1927,
	// 1053, 4031, driver.ErrBadConn, mysql.ErrInvalidConn, a network error).
	ErrServerGone = errors.New("dbx: server gone")
	// ErrReadOnly: a write inside a read-only transaction (1792).
	ErrReadOnly = errors.New("dbx: write in a read-only transaction")
	// ErrDeadlock: the server chose this transaction as a deadlock victim
	// and rolled it back (1213).
	ErrDeadlock = errors.New("dbx: deadlock")
	// ErrLockWaitTimeout: innodb_lock_wait_timeout expired (1205).
	ErrLockWaitTimeout = errors.New("dbx: lock wait timeout")
	// ErrDuplicateKey: a unique key was violated (1062).
	ErrDuplicateKey = errors.New("dbx: duplicate key")
	// ErrStatementTimeout: the server stopped a statement after the
	// statement timeout (MariaDB 1969, MySQL 3024).
	ErrStatementTimeout = errors.New("dbx: statement timeout")
	// ErrCommitUnknown: the connection was lost while the COMMIT of a
	// Write was in flight (or its context ended while it waited for the
	// answer); the transaction may or may not have been committed. dbx
	// never retries it.
	ErrCommitUnknown = errors.New("dbx: commit outcome unknown")
	// ErrWriteInRead: Write was called with a context that carries a Read
	// transaction of the same database. dbx does not upgrade silently.
	ErrWriteInRead = errors.New("dbx: Write nested in a Read transaction")
	// ErrNestedOption: options were passed to a Read or Write nested in a
	// running transaction, where they cannot apply.
	ErrNestedOption = errors.New("dbx: option on a nested transaction")
	// ErrConnBusy: a statement of a transaction was refused because rows
	// of an earlier query of the same transaction are still open (MySQL
	// runs one command at a time on a connection); nothing was sent and
	// the transaction goes on.
	ErrConnBusy = errors.New("dbx: connection busy")
	// ErrClosed: the Manager was closed.
	ErrClosed = errors.New("dbx: manager closed")
	// ErrServerCheck: an open-time check failed under Config.StrictChecks
	// (recycle not below wait_timeout, or the pools' budget over
	// max_connections minus Reserve).
	ErrServerCheck = errors.New("dbx: server check failed")
	// ErrConfig: the configuration is invalid.
	ErrConfig = errors.New("dbx: invalid config")
)

// DBError is the error dbx returns for a failure on one database.
type DBError struct {
	// DB is the logical database name.
	DB string
	// Op is what failed: "open", "acquire", "connect", "begin", "exec",
	// "query", "prepare", "commit", "read", "write", ...
	Op string
	// Query is the sqlc name of the statement that failed
	// ("GetLatestBatteryReading"), or "" (not a statement, or SQL without
	// a "-- name:" header).
	Query string
	// Err is the cause.
	Err error

	// src is the driver connection the error happened on (nil when it
	// did not come from one): Retry only runs a transaction again for a
	// failure on its own connection.
	src *conn
}

// Error returns "dbx: <db>: <op>: <cause>", or "dbx: <db>: <query>: <op>:
// <cause>" for a named statement. It never contains a password: dbx puts
// no DSN in its messages.
func (e *DBError) Error() string {
	if e.Query != "" {
		return "dbx: " + e.DB + ": " + e.Query + ": " + e.Op + ": " + strings.TrimPrefix(e.Err.Error(), "dbx: ")
	}
	return "dbx: " + e.DB + ": " + e.Op + ": " + strings.TrimPrefix(e.Err.Error(), "dbx: ")
}

// Unwrap returns the cause.
func (e *DBError) Unwrap() error { return e.Err }

// Is reports whether the cause is the condition target, one of the Err*
// variables of this package: errors.Is(err, dbx.ErrDeadlock) holds for a
// *mysql.MySQLError 1213 wrapped in a DBError.
func (e *DBError) Is(target error) bool {
	k := kindOf(e.Err)
	if k == nil {
		k = inputKind(e.Err) // bad values: inputerrors.go
	}
	return k != nil && k == target
}

// kindOf maps a driver or server error to the condition it stands for, or
// nil.
func kindOf(err error) error {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case 1040:
			return ErrTooManyConnections
		case 1792:
			return ErrReadOnly
		case 1213:
			return ErrDeadlock
		case 1205:
			return ErrLockWaitTimeout
		case 1062:
			return ErrDuplicateKey
		case 1049:
			return ErrUnknownDB
		case 1969, 3024:
			return ErrStatementTimeout
		case 1053, 1927, 2006, 2013, 4031:
			return ErrServerGone
		}
		return nil
	}
	// A cancel or deadline in the chain was added by dbx from the caller's
	// (or the transaction's) context when it had ended: the broken
	// connection that goes with it is not a lost server. (A dial that ran
	// out of ConnectTimeout is a connectError, which hides net's
	// DeadlineExceeded-matching timeout.)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil
	}
	var oe *net.OpError
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, mysql.ErrInvalidConn) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &oe) {
		return ErrServerGone
	}
	return nil
}

// wrap returns err as a *DBError of database db, or nil for nil. An error
// that already is a *DBError of db is returned as is.
func wrap(db, op string, err error) error {
	if err == nil {
		return nil
	}
	var de *DBError
	if errors.As(err, &de) && de.DB == db {
		return err
	}
	return &DBError{DB: db, Op: op, Err: err}
}

// withCause adds ctx's cause to err when ctx has ended and err does not
// say so already. A cancel that races a statement closes the socket
// before the driver writes, and the driver then reports
// driver.ErrBadConn; the caller should see that it cancelled (the error
// then matches context.Canceled, not ErrServerGone).
func withCause(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if cause := context.Cause(ctx); cause != nil && !errors.Is(err, cause) &&
		!errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: %w", cause, err)
	}
	return err
}
