package dbx

import (
	"container/list"
	"context"
	"database/sql/driver"
	"errors"
	"sync/atomic"

	"github.com/go-sql-driver/mysql"
)

// A statement with arguments runs as a server-side prepared statement
// cached on its connection: prepared the first time the connection runs
// that SQL text, executed (binary protocol, one round trip) every time
// after, in and out of transactions. The cache of each connection is an
// LRU of Pool.StatementCache entries; all connections of a server share
// one limit derived from its max_prepared_stmt_count (stmtBudget), so the
// server never refuses a prepare because of dbx. Eviction closes the
// statement on the server (COM_STMT_CLOSE, which gets no answer).

// stmtBudget is the number of prepared statements the connections of one
// server may keep open there, shared by every pool of a Manager on it.
type stmtBudget struct {
	limit atomic.Int64 // 0: caching off for this server
	held  atomic.Int64
}

// stmtShareDivisor: dbx keeps at most half of max_prepared_stmt_count
// (divided by Config.Instances) prepared, leaving the rest to other
// clients (raw database/sql Prepare, tools, other services).
const stmtShareDivisor = 2

// newStmtBudget returns the statement budget of a server whose
// max_prepared_stmt_count is max (< 0: unknown, no limit of its own).
func newStmtBudget(max, instances int) *stmtBudget {
	b := &stmtBudget{}
	if max < 0 {
		max = 16382 // the server default
	}
	b.limit.Store(int64(max / stmtShareDivisor / instances))
	return b
}

// take counts one more statement, or reports that the limit is reached.
func (b *stmtBudget) take() bool {
	for {
		h := b.held.Load()
		if h >= b.limit.Load() {
			return false
		}
		if b.held.CompareAndSwap(h, h+1) {
			return true
		}
	}
}

// give returns n statements (closed, or their connection gone).
func (b *stmtBudget) give(n int) {
	if n > 0 {
		b.held.Add(-int64(n))
	}
}

// refused lowers the limit to what this process holds after the server
// refused a prepare with 1461 (other clients hold the rest).
func (b *stmtBudget) refused() {
	for {
		l, h := b.limit.Load(), b.held.Load()
		if h >= l || b.limit.CompareAndSwap(l, h) {
			return
		}
	}
}

// stmtCache is one connection's prepared statements by SQL text, least
// recently used at the back. Only the goroutine database/sql lets use the
// connection touches it (database/sql's connection lock orders them).
type stmtCache struct {
	cap    int
	server *stmtBudget
	stats  *stmtStats
	items  map[string]*list.Element // of *cachedStmt
	lru    list.List
}

// cachedStmt is one prepared statement; s nil marks SQL the server would
// not prepare (it runs as text, and is not tried again on this
// connection while it stays in the cache).
type cachedStmt struct {
	query string
	s     mysqlStmt
}

// stmtStats are a pool's statement-cache counters.
type stmtStats struct {
	hits, prepares, reprepares, evictions, uncached, cached atomic.Int64
}

func newStmtCache(capacity int, server *stmtBudget, stats *stmtStats) *stmtCache {
	if capacity <= 0 || server == nil {
		return nil
	}
	return &stmtCache{cap: capacity, server: server, stats: stats, items: map[string]*list.Element{}}
}

// lookup returns the prepared statement of query on c, preparing it
// when it is new; nil (and no error) means "run it as text": the server
// would not prepare it, or the server's statement limit is reached. A prepare that fails because the
// connection broke returns that error.
func (sc *stmtCache) lookup(ctx context.Context, c *conn, query string) (*cachedStmt, error) {
	if e, ok := sc.items[query]; ok {
		sc.lru.MoveToFront(e)
		cs := e.Value.(*cachedStmt)
		if cs.s == nil {
			sc.stats.uncached.Add(1)
			return nil, nil
		}
		sc.stats.hits.Add(1)
		return cs, nil
	}
	if sc.lru.Len() >= sc.cap {
		sc.evict()
	}
	if !sc.server.take() {
		// The server's share is taken: text, not an eviction of one of
		// c's own statements, which under such demand would turn every
		// execution into prepare, execute and close.
		sc.stats.uncached.Add(1)
		return nil, nil
	}
	s, err := c.mysqlConn.PrepareContext(ctx, query)
	if err != nil {
		sc.server.give(1)
		var me *mysql.MySQLError
		if !errors.As(err, &me) {
			return nil, err // the connection failed: database/sql discards it
		}
		if me.Number == 1461 { // max_prepared_stmt_count reached by others
			sc.server.refused()
		} else {
			// not preparable (a statement the binary protocol does not
			// take): remember, run as text (which reports any real error)
			sc.items[query] = sc.lru.PushFront(&cachedStmt{query: query})
		}
		sc.stats.uncached.Add(1)
		return nil, nil
	}
	ms, ok := s.(mysqlStmt)
	if !ok {
		_ = s.Close()
		sc.server.give(1)
		sc.stats.uncached.Add(1)
		return nil, nil
	}
	sc.stats.prepares.Add(1)
	sc.stats.cached.Add(1)
	cs := &cachedStmt{query: query, s: ms}
	sc.items[query] = sc.lru.PushFront(cs)
	return cs, nil
}

// evict drops the least recently used entry.
func (sc *stmtCache) evict() {
	if e := sc.lru.Back(); e != nil {
		sc.remove(e)
		sc.stats.evictions.Add(1)
	}
}

// remove drops e, closing its statement on the server.
func (sc *stmtCache) remove(e *list.Element) {
	cs := sc.lru.Remove(e).(*cachedStmt)
	delete(sc.items, cs.query)
	if cs.s != nil {
		_ = cs.s.Close()
		sc.server.give(1)
		sc.stats.cached.Add(-1)
	}
}

// invalidate drops cs after its execution failed (any error: a
// statement whose execution the server refused may keep state that fails
// the next one, as MariaDB does after a long-data argument beyond
// max_allowed_packet) and reports whether the server said the statement
// is stale, in which case the caller prepares it again, once.
func (sc *stmtCache) invalidate(cs *cachedStmt, err error) bool {
	if e, ok := sc.items[cs.query]; ok && e.Value == cs {
		sc.remove(e)
	}
	if !stale(err) {
		return false
	}
	sc.stats.reprepares.Add(1)
	return true
}

// stale reports the server errors after which a cached statement must be
// prepared again: 1615 (needs to be re-prepared: the server's own
// re-prepare after a schema change gave up) and 1243 (unknown statement
// handler: the server forgot it). MySQL and MariaDB re-prepare by
// themselves after an ALTER; 1615 is what they say when that failed.
func stale(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && (me.Number == 1615 || me.Number == 1243)
}

// closeAll forgets every statement when the connection closes (the server
// frees a session's statements with it).
func (sc *stmtCache) closeAll() {
	n := 0
	for _, e := range sc.items {
		if e.Value.(*cachedStmt).s != nil {
			n++
		}
	}
	sc.server.give(n)
	sc.stats.cached.Add(-int64(n))
	sc.items = map[string]*list.Element{}
	sc.lru.Init()
}

// query runs query on c: as its cached prepared statement when it has
// arguments and the cache is on, else as text (interpolated).
func (c *conn) query(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	return run(c, ctx, query, args, c.mysqlConn.QueryContext,
		func(s mysqlStmt) (driver.Rows, error) { return s.QueryContext(ctx, args) })
}

// exec is query's counterpart for statements that return no rows.
func (c *conn) exec(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	return run(c, ctx, query, args, c.mysqlConn.ExecContext,
		func(s mysqlStmt) (driver.Result, error) { return s.ExecContext(ctx, args) })
}

// run runs a statement with its cached prepared statement (prepared) or,
// without one, as text, preparing it again once when the server reports
// the cached one stale.
func run[T any](c *conn, ctx context.Context, query string, args []driver.NamedValue,
	text func(context.Context, string, []driver.NamedValue) (T, error), prepared func(mysqlStmt) (T, error),
) (T, error) {
	if c.stmts == nil || len(args) == 0 {
		return text(ctx, query, args)
	}
	for attempt := 0; ; attempt++ {
		cs, err := c.stmts.lookup(ctx, c, query)
		if err != nil {
			var zero T
			return zero, err
		}
		if cs == nil {
			return text(ctx, query, args)
		}
		v, err := prepared(cs.s)
		if err == nil || !c.stmts.invalidate(cs, err) || attempt > 0 {
			return v, err
		}
	}
}

// StatementCacheStats are the counters of a pool's statement cache
// (Status.Statements).
type StatementCacheStats struct {
	// Capacity is Pool.StatementCache per connection (0: the cache is off).
	Capacity int
	// Cached is the number of statements prepared on the pool's open
	// connections now.
	Cached int64
	// Hits counts executions of an already prepared statement; Prepares
	// counts statements prepared (first use on a connection, or again
	// after eviction).
	Hits, Prepares int64
	// Evictions counts statements closed to make room in a connection's
	// full cache.
	Evictions int64
	// Reprepares counts statements prepared again because the server
	// reported them stale (1615) or unknown (1243).
	Reprepares int64
	// Uncached counts executions sent as text although they had
	// arguments: the server's statement limit was reached (the statements
	// prepared so far stay), or the server would not prepare the
	// statement.
	Uncached int64
}

func (s *stmtStats) snapshot(capacity int) StatementCacheStats {
	return StatementCacheStats{Capacity: capacity, Cached: s.cached.Load(), Hits: s.hits.Load(),
		Prepares: s.prepares.Load(), Evictions: s.evictions.Load(), Reprepares: s.reprepares.Load(),
		Uncached: s.uncached.Load()}
}
