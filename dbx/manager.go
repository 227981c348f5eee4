package dbx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Manager owns one connection pool per configured database.
type Manager struct {
	pools map[string]*pool
	names []string
	known []string // Config.Known
	// budgets holds one connection budget per server, by server id.
	budgets map[string]*budget
	sweep   *sweeper
	log     *slog.Logger
	cfg     Config

	// Replicas: their servers' pollers, and the replica pools (opened at
	// Open or later by a poller, under budgetMu, which also guards budgets
	// once Open returned).
	replicaServers map[string]*replicaServer
	budgetMu       sync.Mutex
	closed         bool
	extra          []*pool
	pollers        sync.WaitGroup
	stopPoll       chan struct{}
	stopOnce       sync.Once
}

// budgetOf returns the budget of p's server, making it, and joins p to it.
func (m *Manager) budgetOf(p *pool) *budget {
	b := m.budgets[p.server.id]
	if b == nil {
		b = newBudget(p.server.id, p.server.addr, p.server.maxConnections, p.server.maxStmts, m.cfg)
		m.budgets[p.server.id] = b
	}
	b.join(p)
	return b
}

// Open validates cfg, opens one pool per database and checks each with a
// ping, failing fast with an error that names the database. It then runs
// the open-time checks (see the package doc, "Open-time checks"): with
// Config.StrictChecks a failed check is an error matching
// [ErrServerCheck], otherwise a logged warning and an [EventCheck].
func Open(ctx context.Context, cfg Config) (*Manager, error) {
	if err := validate(cfg); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	m := &Manager{pools: make(map[string]*pool, len(cfg.DBs)), log: log, known: slices.Clone(cfg.Known),
		budgets: map[string]*budget{}, cfg: cfg, replicaServers: map[string]*replicaServer{}, stopPoll: make(chan struct{})}
	for _, d := range cfg.DBs {
		var p *pool
		var err error
		if len(d.Galera) > 0 {
			p, err = m.galera(ctx, d, cfg)
		} else {
			p, err = openPool(ctx, d, cfg, log, m.budgetOf)
		}
		if err != nil {
			_ = m.Close()
			return nil, err
		}
		m.pools[d.Name] = p
		m.names = append(m.names, d.Name)
	}
	sort.Strings(m.names)
	if err := m.check(cfg); err != nil {
		_ = m.Close()
		return nil, err
	}
	pools := make([]*pool, 0, len(m.names))
	for _, name := range m.names {
		pools = append(pools, m.pools[name])
	}
	m.sweep = startSweeper(append(pools, m.extra...))
	for _, d := range cfg.DBs {
		m.replicas(ctx, m.pools[d.Name], d, cfg)
	}
	m.pollReplicas(cfg)
	for _, p := range pools {
		if p.set.warmUp && p.set.floor > 0 {
			go p.warmUp(p.set.floor)
		}
	}
	return m, nil
}

// check compares every pool with its server: without keepalive, Recycle
// must stay below wait_timeout; the Guaranteed connections of the pools on
// one server must fit in its budget. (The pools' maximums may add up to
// more than the budget: it is enforced when connections open.) Problems
// are reported in a fixed order: by database, then by server.
func (m *Manager) check(cfg Config) error {
	var problems []error
	var at []string // the database each problem is reported on
	for _, name := range m.names {
		p := m.pools[name]
		wt := p.server.waitTimeout
		if p.set.keepAlive < 0 && wt > 0 && (p.set.recycle == 0 || p.set.recycle >= wt) {
			problems = append(problems, &DBError{DB: name, Op: "check", Err: fmt.Errorf(
				"recycle %v is not below the server's wait_timeout %v and keepalive is off: idle connections die on the server first",
				p.set.recycle, wt)})
			at = append(at, name)
		}
	}
	ids := slices.Sorted(maps.Keys(m.budgets))
	for _, id := range ids {
		b := m.budgets[id]
		b.mu.Lock()
		floors, ceiling := b.floors(), b.ceiling
		names := make([]string, 0, len(b.pools))
		for _, p := range b.pools {
			names = append(names, p.name)
		}
		b.mu.Unlock()
		slices.Sort(names)
		if ceiling > 0 && floors > ceiling {
			problems = append(problems, fmt.Errorf(
				"dbx: server %s (%s): the pools' guaranteed connections add up to %d, over the server's budget %d "+
					"(max_connections %d minus reserve %d, divided by %d instances): lower Pool.Guaranteed",
				id, b.addr, floors, ceiling, b.maxConns, b.reserveConns, b.instances))
			at = append(at, names[0])
		}
	}
	if len(problems) == 0 {
		return nil
	}
	if cfg.StrictChecks {
		return fmt.Errorf("%w: %w", ErrServerCheck, errors.Join(problems...))
	}
	for i, err := range problems {
		m.pools[at[i]].emit(Event{Kind: EventCheck, Err: err})
	}
	return nil
}

// Servers returns the connection budget of every server the pools use,
// sorted by server.
func (m *Manager) Servers() []ServerStatus {
	m.budgetMu.Lock()
	defer m.budgetMu.Unlock()
	ids := slices.Sorted(maps.Keys(m.budgets))
	out := make([]ServerStatus, 0, len(ids))
	for _, id := range ids {
		out = append(out, m.budgets[id].status())
	}
	return out
}

// Names returns the logical database names, sorted.
func (m *Manager) Names() []string { return slices.Clone(m.names) }

// Status returns every pool's status, sorted by name.
func (m *Manager) Status() Statuses {
	ss := make(Statuses, 0, len(m.names))
	for _, name := range m.names {
		ss = append(ss, m.pools[name].status())
	}
	return ss
}

// StatusOf returns the status of the database name.
func (m *Manager) StatusOf(name string) (Status, error) {
	p, err := m.pool(name)
	if err != nil {
		return Status{}, err
	}
	return p.status(), nil
}

// Ping pings every pool through its gate and returns all failures joined.
func (m *Manager) Ping(ctx context.Context) error {
	var errs []error
	for _, name := range m.names {
		p := m.pools[name]
		l, err := p.acquire(ctx, captureSite())
		if err != nil {
			errs = append(errs, err)
			continue
		}
		errs = append(errs, wrap(name, "ping", l.conn.PingContext(ctx)))
		l.release()
	}
	return errors.Join(errs...)
}

// WaitIdle blocks until no connection of any pool is checked out, or ctx
// ends. Use it in a graceful shutdown, after the server stopped taking
// requests and before Close: Close does not wait for connections in use
// (a transaction still running, rows not yet closed).
func (m *Manager) WaitIdle(ctx context.Context) error {
	for _, p := range m.allPools() {
		if err := p.gate.waitIdle(ctx); err != nil {
			return fmt.Errorf("dbx: %s: waiting for connections to be checked in: %w", p.name, err)
		}
	}
	return nil
}

// allPools returns the databases' pools and then their replica pools.
func (m *Manager) allPools() []*pool {
	out := make([]*pool, 0, len(m.names))
	for _, name := range m.names {
		out = append(out, m.pools[name])
	}
	m.budgetMu.Lock()
	out = append(out, m.extra...)
	m.budgetMu.Unlock()
	return out
}

// Close closes every pool: waiters and new calls get ErrClosed, idle
// connections close now, calls already running finish and their
// connections close when they are returned. The events of the closed
// connections are delivered before Close returns.
func (m *Manager) Close() error {
	m.budgetMu.Lock()
	m.closed = true
	extra := m.extra
	m.budgetMu.Unlock()
	m.stopOnce.Do(func() { close(m.stopPoll) })
	m.pollers.Wait()
	m.sweep.close()
	var errs []error
	for _, name := range m.names {
		errs = append(errs, m.pools[name].close())
	}
	for _, p := range extra {
		errs = append(errs, p.close())
	}
	_ = m.FlushEvents(context.Background())
	return errors.Join(errs...)
}

// FlushEvents waits until every event raised so far has been given to
// Config.OnEvent and the logger, or ctx ends. Connection close and
// invalidation events are delivered from a dbx goroutine shortly after
// they happen (they happen under database/sql's connection lock, which a
// slow hook must not hold); call FlushEvents before reading counts that
// must include them.
func (m *Manager) FlushEvents(ctx context.Context) error {
	for _, p := range m.allPools() {
		if err := p.events.flush(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (m *Manager) pool(name string) (*pool, error) {
	p, ok := m.pools[name]
	if !ok {
		return nil, m.notOpened(name)
	}
	return p, nil
}

// notOpened is the error for a database m was not opened with: unknown
// unless Config.Known names it.
func (m *Manager) notOpened(name string) error {
	if !slices.Contains(m.known, name) {
		return &DBError{DB: name, Op: "lookup", Err: fmt.Errorf("%w (this Manager has %s)",
			ErrUnknownDB, strings.Join(m.names, ", "))}
	}
	return &DBError{DB: name, Op: "lookup", Err: fmt.Errorf(
		"%w: this Manager was opened with %s; add %s to the databases it opens",
		ErrNotOpened, strings.Join(m.names, ", "), name)}
}

// Has reports whether m was opened with the database name.
func (m *Manager) Has(name string) bool {
	_, ok := m.pools[name]
	return ok
}
