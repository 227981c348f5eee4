// Package dbx is SolarHub's pool manager: one database/sql pool per
// database, with SQLAlchemy's pool semantics, a fair wait queue with a
// real timeout, pre-ping, events, leak and idle-transaction warnings, and
// transactions that travel in a context.Context.
//
// # Opening
//
// [Open] takes a [Config] (filled by the config loader from YAML and the
// environment; dbx reads no environment variables), validates it, opens
// one *sql.DB per database through mysql.NewConnector and pings each,
// failing fast with an error that names the database. The generated
// registry (gen.Open) wraps it and binds one typed handle per database
// with [Bind].
//
// # Pool settings
//
// [Pool] fields keep SQLAlchemy's meaning: Size connections are kept
// while idle (MaxIdleConns), Size+Overflow may be open at once
// (MaxOpenConns; overflow connections are closed when they come back to a
// full pool), Recycle is ConnMaxLifetime and MaxIdleTime is
// ConnMaxIdleTime. The driver's README suggests MaxIdleConns equal to
// MaxOpenConns to avoid churn; dbx keeps the design note's size/overflow
// split instead, because 18 pools share one server's max_connections and
// idle connections count against it. Set Overflow to -1 for a fixed pool.
//
// Every path to a connection, transactions and plain calls alike, first
// passes a FIFO gate sized Size+Overflow (database/sql hands a freed
// connection to a random waiter, golang/go#31708, and has no wait
// timeout). A caller still queued after Pool.Timeout gets an error
// matching [ErrPoolTimeout] whose message reads like SQLAlchemy's:
//
//	dbx: ess: acquire: pool timeout: pool limit of size 2 overflow 1 reached,
//	connection timed out, timeout 1.00s (in use 3, idle 0, open 3, waiting 1)
//
// The transaction's own deadline (Pool.TxTimeout, [TxTimeout]) starts
// once it has a connection.
//
// Pre-ping: before a pooled connection is handed out again, the driver
// checks its socket (checkConnLiveness) and, if it sat idle longer than
// Pool.PingAfterIdle (500 ms, HikariCP's bypass window), dbx sends a real
// ping. A dead connection is discarded ([EventInvalidate]) and another one
// taken; callers never see it.
//
// # Driver settings
//
// dbx clones DBConfig.Server and forces: DBName = Schema; parseTime=true;
// loc=UTC; collation utf8mb4_unicode_ci unless another utf8mb4 collation
// is named; timeout (dial only) = ConnectTimeout; readTimeout and
// writeTimeout as a backstop behind context deadlines;
// interpolateParams=true (one round trip instead of prepare, execute and
// close; see BenchmarkInterpolateParams, Pool.ServerPrepare turns it off);
// checkConnLiveness on unless DisablePrePing; rejectReadOnly=false (it
// would turn a write in a read-only transaction into a closed healthy
// connection); multiStatements=false; maxAllowedPacket=0 (read from the
// server at connect, so an oversized statement fails with
// [ErrPacketTooLarge] and the connection survives) unless the DSN names a
// value other than the driver's default. The statement timeout is a session
// variable in the DSN parameters, applied once at connect, never a SET
// after checkout: MariaDB's max_statement_time (seconds) or MySQL's
// max_execution_time (milliseconds, SELECT only), the flavour detected
// once per pool when it opens. Context cancellation only closes the
// socket; the server-side timeout is what stops the statement. Note that
// MariaDB stops a DO SLEEP(n) at the timeout without reporting an error;
// a SELECT reports [ErrStatementTimeout].
//
// # Open-time checks
//
// For every pool, Open reads @@session.wait_timeout on a connection made
// with the pool's own DSN (so a wait_timeout parameter in the DSN counts)
// and @@global.max_connections. It reports a Recycle not below
// wait_timeout, and a server whose pools may together open more than
// max_connections minus Config.Reserve connections (servers are told apart
// by @@hostname:@@port). With Config.StrictChecks these fail Open with
// [ErrServerCheck]; otherwise they are logged as warnings ([EventCheck]).
//
// # Transactions
//
// [DB.Read] runs a function in START TRANSACTION READ ONLY (a write fails
// with [ErrReadOnly]); [DB.Write] in a read-write transaction. dbx commits
// when the function returns nil and rolls back on an error, a panic (which
// goes on) or the end of the context; the connection always returns to
// its pool. The function's ctx carries the transaction under a per-database
// key, so code called with it joins the transaction: a nested Read or
// Write joins, [DB.Queries] returns queries bound to it, and even
// pool-bound queries join when their call's ctx carries it. A Write nested
// in a Read fails with [ErrWriteInRead].
//
// Options: [TxTimeout], [Isolation], [StatementTimeout] (MariaDB: a
// SET STATEMENT ... FOR prefix on each statement, no extra round trip;
// MySQL: one SET before BEGIN, restored at checkin) and opt-in [Retry] of
// the whole function on
// deadlock, lock wait timeout, or a connection lost before COMMIT was
// sent. A connection lost during COMMIT yields [ErrCommitUnknown] and is
// never retried: the commit may have happened (for a Read, which has
// nothing to commit, it is [ErrServerGone] and retried).
//
// COMMIT and ROLLBACK are bound to the transaction's context too, although
// the driver does not watch it during either: when the context ends while
// one waits for the server (a network black hole), dbx closes the
// connection's socket (it dials it itself for that), the caller gets its
// answer at its deadline (a COMMIT already sent: [ErrCommitUnknown]) and
// the connection is discarded. The fault suite (faults/, RELIABILITY.md)
// checks this with toxiproxy.
//
// # Errors
//
// Errors are [*DBError] values naming the database (and never a password).
// Match conditions with errors.Is: [ErrPoolTimeout], [ErrTooManyConnections]
// (1040), [ErrServerGone] (2006, 2013, bad or invalid connection),
// [ErrReadOnly] (1792), [ErrDeadlock] (1213), [ErrLockWaitTimeout]
// (1205), [ErrDuplicateKey] (1062), [ErrUnknownDB] (unknown name or 1049),
// [ErrStatementTimeout], [ErrCommitUnknown]. The driver's *mysql.MySQLError
// stays reachable with errors.As.
//
// # Seeing the pool
//
// Every connection open, close, checkout, checkin and invalidation, and
// the end of every transaction attempt ([EventTxEnd], with its duration),
// is an [Event], given to Config.OnEvent and logged at debug level on
// Config.Logger; package dbx/dbxprom turns them into Prometheus metrics. [Manager.Status] and [DB.Status] return [Status] values
// (with a String method). A connection held longer than
// Pool.LeakThreshold, and a transaction that runs no statement for longer
// than Pool.IdleInTxThreshold (a slow HTTP call inside Write), are logged
// as warnings with the caller's file:line, the first frame outside dbx and
// gen/. Both use timers, not goroutines.
//
// Plain queries keep their gate slot until their rows are closed: they run
// on database/sql's pool with the slot in their context, and the driver
// connection that ran them hands it back when database/sql checks it in
// (for QueryRow, before Row.Scan returns); no goroutine waits. A query's own
// error from a plain QueryRowContext surfaces from Row.Scan without the
// database name, because database/sql's Row cannot be wrapped.
package dbx
