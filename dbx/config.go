package dbx

import (
	"log/slog"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Defaults of [Pool]; each applies where the field is zero in both the
// database's own Pool and Config.Defaults. They follow the SolarHub design
// note's recommendation (pool_size 10, max_overflow 20, pool_timeout 30 s,
// pool_recycle 30 min, pre-ping on, connect timeout 5 s).
const (
	DefaultSize               = 10
	DefaultOverflow           = 20
	DefaultTimeout            = 30 * time.Second
	DefaultRecycle            = 30 * time.Minute
	DefaultMaxIdleTime        = 10 * time.Minute
	DefaultPingAfterIdle      = 500 * time.Millisecond
	DefaultConnectTimeout     = 5 * time.Second
	DefaultReadTimeout        = 30 * time.Second
	DefaultWriteTimeout       = 30 * time.Second
	DefaultTxTimeout          = 10 * time.Second
	DefaultStatementTimeout   = 30 * time.Second
	DefaultLeakThreshold      = 30 * time.Second
	DefaultIdleInTxThreshold  = time.Second
	DefaultReserve            = 10
	DefaultStatementCache     = 128
	DefaultOverflowIdleTime   = 30 * time.Second
	DefaultSlowQueryThreshold = time.Second
	// DefaultCollation is the connection collation dbx sets when the
	// server configuration names none; it matches the schemas' tables.
	DefaultCollation = "utf8mb4_unicode_ci"
	// Unlimited, as Pool.Overflow, lets a pool open as many connections as
	// load asks for (SQLAlchemy's max_overflow=-1).
	Unlimited = -1
)

// Int returns a pointer to n, for Pool.Size and Pool.Overflow:
// Pool{Size: dbx.Int(5), Overflow: dbx.Int(0)} is a fixed pool of 5.
func Int(n int) *int { return &n }

// Pool holds the settings of one database's connection pool, with
// SQLAlchemy's meaning. An unset field (nil, or a zero duration) inherits
// Config.Defaults and then the Default* constant of the same name, so a
// zero Pool means "all defaults". Size and Overflow are pointers because
// their zero is a real setting: write Int(0) for zero. A duration is
// switched off with a negative value (-1, or "-1s" in YAML); each field
// says what "off" means for it. [Status] reports the values in force.
type Pool struct {
	// Size is the number of connections kept open while idle
	// (SQLAlchemy pool_size; database/sql MaxIdleConns). nil: inherit, then
	// 10. Set it with [Int]: Int(0) keeps no idle connection (every
	// connection is closed when it comes back), which needs an Overflow
	// above 0.
	Size *int `yaml:"size"`
	// Overflow is how many connections may be opened beyond Size under load
	// (max_overflow); once more than Size are idle, those idle longer than
	// OverflowIdleTime are closed. The
	// pool's maximum is Size+Overflow. nil: inherit, then 20. As in
	// SQLAlchemy, Int(0) means no overflow (a fixed pool of Size) and
	// Int(-1) ([Unlimited]) means no maximum; other negative values are
	// invalid.
	Overflow *int `yaml:"overflow"`
	// Timeout bounds the wait for a free connection (pool_timeout); a caller
	// still waiting after it gets an error matching ErrPoolTimeout.
	// Default 30 s; negative: no limit beyond the caller's ctx.
	Timeout time.Duration `yaml:"timeout"`
	// Recycle closes a connection once it is this old, checked when the
	// connection is handed out or returned (pool_recycle; ConnMaxLifetime)
	// and, while idle, by the keepalive sweep. Each connection's lifetime
	// is Recycle minus a random part of up to 20 %, so connections opened
	// together do not expire (and reconnect) together.
	// It must stay below the server's wait_timeout. Default 30 min;
	// negative: connections are never recycled for age.
	Recycle time.Duration `yaml:"recycle"`
	// MaxIdleTime closes a connection that sat idle this long
	// (ConnMaxIdleTime). Default 10 min; negative: never for idleness.
	MaxIdleTime time.Duration `yaml:"max_idle_time"`
	// DisablePrePing turns off the liveness check made before a pooled
	// connection is handed out (pool_pre_ping is on by default).
	DisablePrePing bool `yaml:"disable_pre_ping"`
	// PingAfterIdle makes pre-ping send a real ping (a round trip) when the
	// connection has been idle longer than this; younger connections get only
	// the driver's socket check. Default 500 ms, like HikariCP's bypass
	// window; negative: never a real ping (DisablePrePing turns off both).
	PingAfterIdle time.Duration `yaml:"ping_after_idle"`
	// ConnectTimeout bounds the TCP dial of a new connection. Default 5 s;
	// negative: only the caller's ctx bounds it.
	ConnectTimeout time.Duration `yaml:"connect_timeout"`
	// ReadTimeout and WriteTimeout bound each network read and write, a
	// backstop behind context deadlines. Default 30 s each; negative: none
	// (only context deadlines, which the driver does not watch during
	// COMMIT; dbx bounds that itself).
	ReadTimeout  time.Duration `yaml:"read_timeout"`
	WriteTimeout time.Duration `yaml:"write_timeout"`
	// TxTimeout is the default deadline of a transaction run by Read or
	// Write, separate from the wait for a connection; when it expires the
	// call fails with an error matching [ErrTxTimeout]. Default 10 s;
	// negative: only the caller's ctx bounds a transaction.
	TxTimeout time.Duration `yaml:"tx_timeout"`
	// StatementTimeout stops a statement on the server after this long
	// (MariaDB max_statement_time, MySQL max_execution_time), set per
	// connection at connect. Default 30 s; negative: no server-side limit.
	StatementTimeout time.Duration `yaml:"statement_timeout"`
	// LeakThreshold reports a connection held longer than this, with the
	// caller's file:line. Default 30 s; negative: no leak warnings.
	LeakThreshold time.Duration `yaml:"leak_threshold"`
	// IdleInTxThreshold reports a transaction that ran no statement for this
	// long (a slow call made while holding the transaction). Default 1 s;
	// negative: no idle-in-transaction warnings.
	IdleInTxThreshold time.Duration `yaml:"idle_in_tx_threshold"`
	// Guaranteed is how many connections of the server's budget are
	// reserved for this pool: other pools on the server never take them
	// (not by opening, not by stealing its idle connections). Default 0.
	// With StrictChecks, Open fails when the pools' Guaranteed cannot fit
	// in the budget.
	Guaranteed int `yaml:"guaranteed"`
	// WarmUp opens the Guaranteed connections in the background when the
	// pool opens, within the budget. Default off.
	WarmUp bool `yaml:"warm_up"`
	// KeepAlive pings a connection that sat idle this long, so that the
	// server's wait_timeout never closes it: after a quiet night no
	// checkout finds a dead connection. Default: a third of the server's
	// wait_timeout, at most 5 min; negative: no keepalive (pre-ping still
	// catches a dead connection at checkout, at the cost of a round trip).
	KeepAlive time.Duration `yaml:"keep_alive"`
	// ServerPrepare sends query arguments with server-side prepared
	// statements (interpolateParams=false: prepare, execute and close, three
	// round trips) instead of interpolating them into the query text on the
	// client (one round trip, the default). See BenchmarkInterpolateParams.
	ServerPrepare bool `yaml:"server_prepare"`
	// StatementCache is how many prepared statements each connection
	// keeps: a statement with arguments is prepared the first time a
	// connection runs it and executed as a prepared statement (binary
	// protocol, one round trip) after that, in and out of transactions.
	// The least recently used is closed to make room, and all connections
	// to a server together keep at most half of its
	// max_prepared_stmt_count (divided by Config.Instances); past that, a
	// new statement is sent as text (those already prepared stay). A statement the server reports stale
	// (1615) or unknown (1243) is prepared again, once. Default 128;
	// negative: off, every statement is sent as text with its arguments
	// interpolated (or, with ServerPrepare, prepared and closed per call).
	// Turn it off behind a proxy that does not keep a server-side
	// statement with the client connection that prepared it (ProxySQL
	// without multiplexing pinned, MaxScale's readwritesplit before 2.x,
	// PgBouncer-style transaction pooling for MySQL), or when the
	// server's max_prepared_stmt_count is shared with many other clients.
	StatementCache int `yaml:"statement_cache"`
	// OverflowIdleTime is how long a connection beyond Size may stay idle
	// before it is closed: under steady load the pool keeps the
	// connections it needs instead of closing one at every checkin and
	// dialling it again at the next checkout (SQLAlchemy's max_overflow
	// behaviour, which costs a TCP and auth handshake per transaction).
	// Default 30 s; negative: an overflow connection closes when it comes
	// back.
	OverflowIdleTime time.Duration `yaml:"overflow_idle_time"`
	// SlowQueryThreshold logs a warning (EventSlowQuery) for a statement
	// that ran longer than this (for a query, until its rows were closed),
	// naming the query (its sqlc name) and the application's file:line.
	// Default 1 s; negative: no slow-query warnings.
	SlowQueryThreshold time.Duration `yaml:"slow_query_threshold"`

	// Replica settings: they apply to a database with DBConfig.Replicas.

	// ReplicaReads says where Read transactions go: "" or "prefer" (a
	// healthy replica, else the primary), "replica" (a healthy replica,
	// else fail with ErrNoReplica), "primary" (never a replica: the
	// replicas are configured but unused).
	ReplicaReads string `yaml:"replica_reads"`
	// MaxReplicaLag is the largest Seconds_Behind_Master a replica may
	// have and still serve reads. Default 5 s. A replica whose SQL or IO
	// thread stopped, or that does not answer, is skipped at once.
	MaxReplicaLag time.Duration `yaml:"max_replica_lag"`
	// ReplicaPoll is how often each replica server's health is read (one
	// connection per replica server, shared by its databases). Default
	// 1 s, at least 50 ms: a replica that stops or lags is skipped within
	// one interval.
	ReplicaPoll time.Duration `yaml:"replica_poll"`
	// CausalWait bounds how long a read carrying a causal token (see
	// WithToken) waits on a replica for the token's writes before it reads
	// the primary instead; never past ctx's deadline. Default 50 ms.
	CausalWait time.Duration `yaml:"causal_wait"`
	// PlainReadsOnReplicas lets the plain calls of a read-only view
	// (ReadView.Reader) go to a replica. Default false: they run on the
	// primary, like every other plain call.
	PlainReadsOnReplicas bool `yaml:"plain_reads_on_replicas"`
}

// DBConfig describes one logical database.
type DBConfig struct {
	// Name is the logical name, e.g. "ess".
	Name string
	// Schema is the physical database name on the server (a prefix may have
	// been applied, e.g. "stage_ess"). Default Name.
	Schema string
	// Server is the connection to the server that holds Schema. Its DBName
	// is replaced by Schema. Required.
	Server *mysql.Config
	// Pool overrides Config.Defaults for this database.
	Pool Pool
	// Replicas are servers replicating Server's Schema (MariaDB or MySQL
	// GTID replication). Read transactions go to a healthy one (Pool.
	// ReplicaReads), Write to Server; each replica has a pool of its own,
	// with Pool's settings, in its server's budget. Their DBName is
	// replaced by Schema. Default none.
	Replicas []*mysql.Config
	// Galera lists the nodes of a Galera cluster holding Schema, in order
	// of preference; Server is then ignored (and may be nil). Writes and
	// reads go to one node at a time, the first healthy one (wsrep_ready
	// ON, wsrep_local_state 4 Synced, wsrep_cluster_status Primary),
	// failing over to the next: writing to several nodes at once would
	// turn conflicting rows into certification failures (1213 at COMMIT,
	// ErrDeadlock, retried by the Retry option). Each node has a pool of
	// its own in its server's budget. Default none.
	Galera []*mysql.Config
}

// Config configures a [Manager].
type Config struct {
	// Defaults apply to every database's Pool where its field is zero.
	Defaults Pool
	// DBs lists the databases to open.
	DBs []DBConfig
	// Known names every database the application knows of, opened or not
	// (gen.Open sets it to the registry's names). A call for a name in
	// Known but not in DBs fails with [ErrNotOpened]; for any other name
	// not in DBs, with [ErrUnknownDB]. Default: none beyond DBs.
	Known []string `yaml:"-"`
	// Logger receives pool events at debug level and warnings (leaks,
	// idle transactions, open-time checks). Default slog.Default().
	Logger *slog.Logger
	// Reserve is how many of a server's max_connections are kept free for
	// administrators and other clients: the server's connection budget,
	// shared by all pools on it, is max_connections minus Reserve (divided
	// by Instances). Default 10; negative: none.
	Reserve int
	// ServerBudget sets each server's budget explicitly (the connections
	// all pools of this process may hold on it), instead of deriving it
	// from max_connections. Default 0: derived.
	ServerBudget int `yaml:"server_budget"`
	// Instances is how many processes of the service share each server:
	// the derived budget is divided by it. Default 1. Processes that
	// underestimate it still converge: a server that refuses connections
	// (1040) lowers the budget of the process that got the refusal.
	Instances int `yaml:"instances"`
	// StrictChecks makes Open fail, instead of log a warning, when recycle
	// is not below the server's wait_timeout or the pools' Guaranteed
	// connections cannot fit in the server's budget. (The pools' maximums
	// may exceed the budget: it is enforced at run time.)
	StrictChecks bool
	// OnEvent, when set, receives every pool [Event] (connection open,
	// close, checkout, checkin, invalidation, pool timeout, leak,
	// idle-in-transaction, retry and open-time check warnings). It is
	// called synchronously from the goroutine that caused the event, so it
	// must be fast and safe for concurrent use.
	OnEvent func(Event) `yaml:"-"`
	// Tracer, when set, is told of every statement, and, if it implements
	// [AcquireTracer] or [TxTracer], of every connection wait and
	// transaction attempt, with start and end, in the caller's context
	// (dbxotel.Tracer turns them into OpenTelemetry spans). Default none:
	// nothing is traced and nothing is paid for.
	Tracer QueryTracer `yaml:"-"`
}
