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
// while idle, Size+Overflow may be open at once (MaxOpenConns), Recycle
// is ConnMaxLifetime and MaxIdleTime is ConnMaxIdleTime. Unlike
// SQLAlchemy, an overflow connection is not closed the moment it comes
// back (the next caller, already queued at dbx's gate, would dial again:
// a TCP and auth handshake per transaction under load): database/sql's
// MaxIdleConns is the pool's maximum, and the sweeper closes the idle
// connections beyond Size once they sat idle for OverflowIdleTime (30 s;
// negative: at checkin, as SQLAlchemy does). Idle connections count
// against the server's budget, and another pool that needs one takes it
// over (a steal). Size and Overflow are *int so that
// zero means zero: Overflow: dbx.Int(0) is a fixed pool of Size,
// dbx.Int(-1) ([Unlimited]) no maximum, nil the default; [Status] shows
// the values in force. A duration field is switched off with a negative
// value; each field's doc says what off means.
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
// interpolateParams=true for the statements that do not go through the
// statement cache (one round trip instead of prepare, execute and close;
// see BenchmarkInterpolateParams, Pool.ServerPrepare turns it off);
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
// # Statement cache
//
// A statement with arguments runs as a server-side prepared statement
// cached on its connection (Pool.StatementCache, default 128 per
// connection, LRU): prepared on first use, executed with the binary
// protocol after that, in and out of transactions. The connections to one
// server together keep at most half of its max_prepared_stmt_count
// (divided by Config.Instances); beyond it new statements go out as text.
// A statement the server reports stale (1615) or unknown (1243) is
// prepared again once; any other execution error drops it from the cache.
// Status.Statements and ServerStatus.Statements count them.
// BenchmarkCPUPerOp compares dbx with raw database/sql and one reused
// prepared statement, and is the benchmark to profile.
//
// # Transaction timeouts without a cancellable context
//
// When the caller's context cannot be cancelled (context.Background() in a
// batch job), the transaction's TxTimeout is its only end. dbx then hands
// database/sql and the driver the statement contexts without cancellation
// (saving the goroutine database/sql starts per transaction and per Rows,
// and the driver's watcher hand-offs per statement) and enforces the limit
// itself: when it expires, the connection's socket is closed, the server
// rolls back and frees the transaction's locks at once, and the statement
// running, or the next one, fails with [ErrTxTimeout]. A context fn derives
// with its own deadline or cancel is passed through as it is.
//
// # One connection budget per server
//
// The pools on one server (told apart by @@hostname:@@port) share a
// budget: @@global.max_connections (read at Open and again every 30 s on a
// new connection) minus Config.Reserve, divided by Config.Instances, or
// Config.ServerBudget. The connections all of them hold there, in use,
// idle or being dialled, never exceed it: a caller that passed its pool's
// gate and finds no idle connection of its pool reserves a permit before
// database/sql dials. When the budget is full, dbx closes the least
// recently used idle connection of a pool that does not need it (a pool
// with no caller holding or waiting for a connection, or one holding at
// least two more than the waiting pool) and gives its permit to the
// waiting pool ([EventSteal]); otherwise the caller waits in arrival order
// across all pools of the server, bounded by its own Pool.Timeout, and
// takes its own pool's connection when one comes back. The pools' shares
// converge to within one connection of each other; the remainder goes
// round slowly. Pool.Guaranteed connections are reserved for a pool. A
// caller that gives up gets [ErrPoolTimeout] naming the server, its budget
// and each pool's share. When the server refuses a connection (1040:
// other processes, other clients), the caller waits instead of failing
// while its timeout allows, and the budget is lowered to what the process
// holds minus a quarter, growing back by one every 250 ms ([EventShrink]);
// idle connections over the lowered budget are closed. A process that
// starts while the server is full waits within Open's ctx for a
// connection. [Manager.Servers] shows each budget.
//
// Connections opened together do not expire together: each one's
// lifetime is Pool.Recycle minus a random part of up to 20 %, checked when
// database/sql hands it out or takes it back and, while it is idle, by one
// background sweep per Manager, which also pings connections idle longer
// than Pool.KeepAlive (a third of the server's wait_timeout by default),
// so the server never closes an idle connection under the pool.
//
// # Open-time checks
//
// For every pool, Open reads @@session.wait_timeout on a connection made
// with the pool's own DSN (so a wait_timeout parameter in the DSN counts)
// and @@global.max_connections. It reports a Recycle not below
// wait_timeout when the keepalive is off, and guaranteed connections that
// cannot fit in a server's budget. The pools' maximums may add up to more
// than the budget: it is enforced at run time, so the defaults (18 pools
// of 10+20 on a server with max_connections 151) warn about nothing. With
// Config.StrictChecks the problems fail Open with [ErrServerCheck];
// otherwise they are logged as warnings ([EventCheck]), in a fixed order.
//
// # Transactions
//
// [DB.Read] runs a function in START TRANSACTION READ ONLY (a write fails
// with [ErrReadOnly]); [DB.Write] in a read-write transaction. dbx commits
// when the function returns nil and rolls back on an error, a panic (which
// goes on) or the end of the context; the connection always returns to
// its pool. The function's ctx carries the transaction under a key of its
// pool (so another Manager's database of the same name never joins it),
// and code called with it joins the transaction: [DB.Queries] returns
// queries bound to it, even pool-bound queries join when their call's ctx
// carries it, a nested Read joins, and a nested Write runs in a SAVEPOINT
// (its error rolls back to the savepoint and goes to the outer function,
// which decides). A Write nested in a Read fails with [ErrWriteInRead];
// options on a nested call fail with [ErrNestedOption]. Once Read or Write
// returns, the ctx it handed out carries the transaction no more;
// [Detach] strips the transactions from a ctx for work that must run on
// its own (dbx.Detach(context.WithoutCancel(ctx)) for a background job).
// A transaction's connection runs one statement at a time: one sent while
// rows of the same transaction are open fails with [ErrConnBusy]. After a
// deadlock the server has rolled the whole transaction back, so it cannot
// commit even if fn ignores the error. [ReadValue] and [WriteValue] return
// a value from fn.
//
// [ReadView] (what gen.Hub's handles are) is a DB whose Read hands its
// function a read-only view of the queries (the generated package's
// Reader: the queries that neither write nor lock), so a write inside a
// read-only transaction is a compile error; Write and plain calls keep
// the full queries.
//
// Options: [TxTimeout] (when it expires: [ErrTxTimeout], a
// [*TxTimeoutError] naming the limit and how long the transaction ran;
// the caller's own deadline stays context.DeadlineExceeded), [Isolation],
// [StatementTimeout] (MariaDB: a
// SET STATEMENT ... FOR prefix on each statement, no extra round trip;
// MySQL: one SET before BEGIN, restored at checkin) and opt-in [Retry] of
// the whole function on
// deadlock, lock wait timeout, or a connection lost before COMMIT was
// sent, on the transaction's own connection (a lost answer of another
// database's call inside fn is not retried: it may have been applied). A
// connection lost during COMMIT, or a COMMIT answered by 1927, 1053 or
// 4031 (the session killed, the server shutting down), yields
// [ErrCommitUnknown] and is never retried: the commit may have happened
// (for a Read, which has nothing to commit, it is [ErrServerGone] and
// retried). A failed ROLLBACK is told in the message but never changes
// what fn's error matches.
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
// Errors are [*DBError] values naming the database (and never a password),
// on every call path: dbx's driver connection wraps each driver error
// before database/sql sees it, so the error of a plain :one query from
// Row.Scan, of a :many query from Rows.Err, of an :exec, inside Read and
// Write, and of Ping all match the same conditions with errors.Is:
// [ErrPoolTimeout], [ErrConnect] (no connection could be made: a dial
// failure or ConnectTimeout, which also match [ErrServerGone]; a refused
// login; 1040, which also matches [ErrTooManyConnections]),
// [ErrServerGone] (2006, 2013, bad or invalid connection), [ErrReadOnly]
// (1792), [ErrDeadlock] (1213), [ErrLockWaitTimeout] (1205),
// [ErrDuplicateKey] (1062), [ErrUnknownDB] (unknown name or 1049),
// [ErrNotOpened], [ErrStatementTimeout], [ErrTxTimeout],
// [ErrCommitUnknown], [ErrConnBusy], [ErrClosed] (also for calls racing
// Close), and the bad-value conditions ([ErrDataTooLong], ...). Whether
// the caller's context ended is decided from that context, not from the
// error chain: then the error matches context.Canceled or
// context.DeadlineExceeded, and not ErrServerGone. The driver's
// *mysql.MySQLError stays reachable with errors.As; database/sql's
// sql.ErrNoRows comes back as it is.
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
// gen/. Both use timers, not goroutines. Events raised while database/sql
// holds a connection's lock (close, invalidation) are delivered shortly
// after from a dbx goroutine, so a slow hook never stalls a checkin;
// [Manager.FlushEvents] waits for them. The hook sees an event after its
// log line is written. Pool-timeout warnings are logged at most once per
// [PoolTimeoutLogInterval] per pool, with a count of those suppressed
// (every one is still an event); the driver's own messages are logged at
// debug level with the database name.
//
// Plain queries keep their gate slot until their rows are closed: they run
// on database/sql's pool with the slot in their context, and the driver
// connection that ran them hands it back when database/sql checks it in
// (for QueryRow, before Row.Scan returns); no goroutine waits. A statement
// prepared with a pool-bound PrepareContext holds its connection and gate
// slot until it is closed. driver.Valuer arguments are resolved before a
// connection is taken, so one that panics leaks nothing.
package dbx
