package dbx

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"
)

// pool is one database's *sql.DB with its gate and settings.
type pool struct {
	name  string
	cfg   DBConfig
	set   settings
	db    *sql.DB
	gate  *gate
	log   *slog.Logger
	hook  func(Event)
	trace tracers
	// key is the pool that transactions are keyed by in a ctx: the
	// database's primary pool (itself, for a primary), so that a call
	// inside a transaction on a replica joins it.
	key  *pool
	role string // "" for a primary, "replica"
	// replicas, on a primary, are the database's replicas; replica their
	// settings.
	replicas *replicaSet
	replica  replicaSettings
	// galera, on every node pool of a Galera database, is its nodes.
	galera  *galeraSet
	flavour flavour
	server  serverInfo
	dbtx    *poolDBTX
	leaks   atomic.Int64
	events  eventQueue
	// budget is the server's connection budget; budgetOpen and conns (the
	// pool's open connections) are guarded by budget.mu.
	budget     *budget
	budgetOpen int
	conns      map[*conn]struct{}
	idle       atomic.Int32 // connections in state connIdle
	spare      atomic.Int32 // idle connections no caller has claimed (budget.reserve)
	// stmtStats counts the statement caches of the pool's connections.
	stmtStats stmtStats
	// timeoutLog rate-limits pool-timeout warnings in the log.
	timeoutLog logLimiter
}

// serverInfo is what Open learns about the server behind a pool.
type serverInfo struct {
	id             string // @@hostname:@@port, identifies the server for the budget
	addr           string // as configured
	version        string
	waitTimeout    time.Duration // @@session.wait_timeout with the pool's DSN
	maxConnections int
	maxStmts       int // @@global.max_prepared_stmt_count
}

// openPool detects the server flavour on a bootstrap connection, then
// opens the pool with the statement timeout in its DSN and pings it.
func openPool(ctx context.Context, d DBConfig, cfg Config, log *slog.Logger, budgetOf func(*pool) *budget) (*pool, error) {
	p := &pool{name: d.Name, cfg: d, set: resolve(d.Pool, cfg.Defaults), log: log, hook: cfg.OnEvent,
		conns: map[*conn]struct{}{}, trace: newTracers(cfg.Tracer)}
	p.key = p
	p.gate = newGate(p.set.max())
	p.dbtx = &poolDBTX{p: p}
	if err := p.whileFull(ctx, func() error { return p.probe(ctx) }); err != nil {
		return nil, wrap(p.name, "open", err)
	}
	if p.set.keepAlive == 0 {
		p.set.keepAlive = keepAliveDefault(p.server.waitTimeout)
	}
	if p.trace.query != nil {
		p.trace.target = p.traceTarget()
	}
	p.budget = budgetOf(p)
	inner, err := mysql.NewConnector(driverConfig(d, p.set, log, p.flavour, true))
	if err != nil {
		return nil, wrap(p.name, "open", err)
	}
	p.db = sql.OpenDB(&connector{inner: inner, p: p})
	p.db.SetMaxOpenConns(p.set.max())
	p.db.SetMaxIdleConns(p.set.maxIdle())
	p.db.SetConnMaxLifetime(p.set.recycle)
	p.db.SetConnMaxIdleTime(p.set.maxIdleTime)
	if err := p.whileFull(ctx, func() error { return p.db.PingContext(ctx) }); err != nil {
		_ = p.db.Close()
		p.budget.leave(p)
		return nil, wrap(p.name, "ping", err)
	}
	return p, nil
}

// warmUp opens n connections in the background (within the server's
// budget, through the gate) and leaves them idle.
func (p *pool) warmUp(n int) {
	ctx, cancel := context.WithTimeout(context.Background(), max(p.set.timeout, 5*time.Second))
	defer cancel()
	conns := make([]*sql.Conn, 0, n)
	for range n {
		if err := p.gate.acquire(ctx, p.set.timeout, nil); err != admitted {
			break
		}
		c, err := p.db.Conn(ctx)
		if err != nil {
			p.gate.release()
			break
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		_ = c.Close()
		p.gate.release()
	}
}

// whileFull runs f until it does not fail with 1040 or ctx ends: a process
// that starts while the server has no free connection waits for one
// (within Open's ctx), saying so once in the log, instead of failing.
func (p *pool) whileFull(ctx context.Context, f func() error) error {
	said := false
	for {
		err := f()
		if err == nil || kindOf(err) != ErrTooManyConnections {
			return err
		}
		if !said {
			said = true
			p.log.Warn("dbx: server full (1040) at open: waiting for a free connection within Open's context", "db", p.name)
		}
		t := time.NewTimer(budgetGrowInterval)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (server full since Open started)", err)
		}
	}
}

// probe reads the server's flavour, wait_timeout and max_connections on a
// bootstrap connection made with the pool's DSN minus the statement
// timeout (whose variable name depends on the flavour). wait_timeout is
// read at session scope, so a wait_timeout parameter in the DSN counts.
func (p *pool) probe(ctx context.Context) error {
	inner, err := mysql.NewConnector(driverConfig(p.cfg, p.set, p.log, p.flavour, false))
	if err != nil {
		return err
	}
	db := sql.OpenDB(inner)
	defer db.Close()
	if err := db.PingContext(ctx); err != nil {
		return p.connectError(ctx, err)
	}
	var version, host string
	var port, wait, maxConns, maxStmts int
	err = db.QueryRowContext(ctx,
		"SELECT VERSION(), @@hostname, @@port, @@session.wait_timeout, @@global.max_connections, @@global.max_prepared_stmt_count").
		Scan(&version, &host, &port, &wait, &maxConns, &maxStmts)
	if err != nil {
		return err
	}
	if strings.Contains(strings.ToLower(version), "mariadb") {
		p.flavour = flavourMariaDB
	}
	p.server = serverInfo{
		id: fmt.Sprintf("%s:%d", host, port), addr: p.cfg.Server.Addr, version: version,
		waitTimeout: time.Duration(wait) * time.Second, maxConnections: maxConns, maxStmts: maxStmts,
	}
	return nil
}

// status returns the pool's status now, with its replicas' or Galera
// nodes' state.
func (p *pool) status() Status {
	s := p.baseStatus()
	if p.replicas != nil {
		r := p.replicas.status(p.replica)
		s.Replication = &r
	}
	if p.galera != nil && p.galera.key == p {
		g := p.galera.status(p.replica)
		s.Galera = &g
	}
	return s
}

// baseStatus is the pool's own status.
func (p *pool) baseStatus() Status {
	inUse, waiting, waits, timeouts := p.gate.counts()
	st := p.db.Stats()
	// Open and Idle are dbx's own counts: a connection dbx closed while
	// idle (stolen, trimmed, expired) stays in database/sql's idle list,
	// and its counts, until the next checkout discards it.
	open := st.OpenConnections
	if p.budget != nil {
		p.budget.mu.Lock()
		open = p.budgetOpen
		p.budget.mu.Unlock()
	}
	s := Status{
		DB: p.name, Size: p.set.size, Overflow: p.set.overflow,
		InUse: inUse, Idle: int(p.idle.Load()), Open: open, Waiting: waiting,
		WaitCount: waits, Timeouts: timeouts, Leaks: p.leaks.Load(), Stats: st,
		Statements: p.stmtStats.snapshot(p.set.stmtCache),
	}
	return s
}

// close makes new calls fail with ErrClosed and closes the idle
// connections now; calls already admitted finish normally, and the pool
// itself (database/sql's *sql.DB) is closed when the last of them returns
// its connection. A call racing Close thus either runs or gets ErrClosed,
// never database/sql's "database is closed".
func (p *pool) close() error {
	p.gate.close()
	p.budget.cancelWaiters(p)
	p.db.SetMaxIdleConns(-1) // closes the idle connections now, and each returned one
	done := make(chan error, 1)
	p.gate.afterIdle(func() { done <- p.db.Close() })
	select {
	case err := <-done:
		return wrap(p.name, "close", err)
	default:
		return nil // closed by the last checkin
	}
}
