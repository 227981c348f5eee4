package dbx

import (
	"context"
	"database/sql"
	"time"
)

// TxOption changes one Read or Write call. A call nested in a running
// transaction of the same database cannot take options: it fails with
// [ErrNestedOption].
type TxOption func(*txOptions)

type txOptions struct {
	timeout          time.Duration // 0: none
	isolation        sql.IsolationLevel
	attempts         int
	backoffBase      time.Duration
	backoffMax       time.Duration
	statementTimeout time.Duration // 0: the pool's
	statementSet     bool
	names            []string // the options given, for ErrNestedOption
	// Set by dbx for replicas: run on the transaction's connection before
	// BEGIN (a causal wait) and after a successful COMMIT (recording the
	// GTID in a causal token).
	beforeBegin func(context.Context, *sql.Conn) error
	afterCommit func(context.Context, *sql.Conn)
}

// TxTimeout sets the transaction's deadline, counted from the moment it
// has a connection (the wait for one is bounded by Pool.Timeout instead).
// It replaces Pool.TxTimeout; d <= 0 means no deadline beyond ctx's.
func TxTimeout(d time.Duration) TxOption {
	return func(o *txOptions) { o.timeout = max(d, 0); o.names = append(o.names, "TxTimeout") }
}

// Isolation sets the isolation level: go-sql-driver/mysql sends SET
// TRANSACTION ISOLATION LEVEL (one statement, next transaction only)
// before START TRANSACTION. Supported: LevelReadUncommitted,
// LevelReadCommitted, LevelRepeatableRead (the server's default) and
// LevelSerializable.
func Isolation(level sql.IsolationLevel) TxOption {
	return func(o *txOptions) { o.isolation = level; o.names = append(o.names, "Isolation") }
}

// Retry runs the whole function again, up to attempts times in all, when
// the transaction failed in a way the server rolled back: deadlock
// (ErrDeadlock), lock wait timeout (ErrLockWaitTimeout, only the
// statement is rolled back by default, so dbx rolls back the rest and
// starts over), or a connection lost before COMMIT was sent
// (ErrServerGone). A connection lost during COMMIT (ErrCommitUnknown) is
// never retried. fn must be safe to run again: no side effects outside
// the transaction. Waits between attempts grow exponentially with jitter
// (see RetryBackoff).
func Retry(attempts int) TxOption {
	return func(o *txOptions) { o.attempts = max(attempts, 1); o.names = append(o.names, "Retry") }
}

// RetryBackoff sets the wait before the second attempt (base, default
// 10 ms) and the largest wait (max, default 1 s); each wait is a random
// duration up to base·2ⁿ⁻¹, capped at max. A zero or negative max means
// no wait between attempts.
func RetryBackoff(base, max time.Duration) TxOption {
	return func(o *txOptions) { o.backoffBase, o.backoffMax = base, max; o.names = append(o.names, "RetryBackoff") }
}

// StatementTimeout overrides the pool's statement timeout for one
// transaction (0: no limit). On MariaDB it costs no statement: each
// statement of the transaction is sent as "SET STATEMENT
// max_statement_time=N FOR ...". On MySQL it costs one SET SESSION
// statement before BEGIN, and the pool's value is restored when the
// connection is returned (see BenchmarkStatementTimeoutOverride).
func StatementTimeout(d time.Duration) TxOption {
	return func(o *txOptions) {
		o.statementTimeout, o.statementSet = max(d, 0), true
		o.names = append(o.names, "StatementTimeout")
	}
}

func (p *pool) txOptions(opts []TxOption) txOptions {
	o := txOptions{
		timeout: p.set.txTimeout, attempts: 1,
		backoffBase: 10 * time.Millisecond, backoffMax: time.Second,
	}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}
