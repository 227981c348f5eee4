package dbx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
)

// Manager owns one connection pool per configured database.
type Manager struct {
	pools map[string]*pool
	names []string
	known []string // Config.Known
	log   *slog.Logger
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
	m := &Manager{pools: make(map[string]*pool, len(cfg.DBs)), log: log, known: slices.Clone(cfg.Known)}
	for _, d := range cfg.DBs {
		p, err := openPool(ctx, d, cfg, log)
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
	return m, nil
}

// check compares every pool with its server: Recycle must stay below
// wait_timeout, and the pools on one server must together fit in
// max_connections minus Reserve.
func (m *Manager) check(cfg Config) error {
	reserve := cfg.Reserve
	switch {
	case reserve == 0:
		reserve = DefaultReserve
	case reserve < 0:
		reserve = 0
	}
	type budget struct {
		sum, maxConns int
		unlimited     bool
		addr          string
		names         []string
	}
	servers := map[string]*budget{}
	var problems []error
	for _, name := range m.names {
		p := m.pools[name]
		wt := p.server.waitTimeout
		if wt > 0 && (p.set.recycle == 0 || p.set.recycle >= wt) {
			problems = append(problems, &DBError{DB: name, Op: "check", Err: fmt.Errorf(
				"recycle %v is not below the server's wait_timeout %v: idle connections die on the server first",
				p.set.recycle, wt)})
		}
		b := servers[p.server.id]
		if b == nil {
			b = &budget{maxConns: p.server.maxConnections, addr: p.server.addr}
			servers[p.server.id] = b
		}
		if p.set.max() == 0 {
			b.unlimited = true
		}
		b.sum += p.set.max()
		b.names = append(b.names, name)
	}
	ids := make([]string, 0, len(servers))
	for id := range servers {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		b := servers[id]
		if limit := b.maxConns - reserve; b.unlimited {
			problems = append(problems, fmt.Errorf(
				"dbx: server %s (%s): pools %v include one with unlimited overflow, over max_connections %d minus reserve %d = %d",
				id, b.addr, b.names, b.maxConns, reserve, limit))
		} else if b.sum > limit {
			problems = append(problems, fmt.Errorf(
				"dbx: server %s (%s): pools %v may open %d connections, over max_connections %d minus reserve %d = %d",
				id, b.addr, b.names, b.sum, b.maxConns, reserve, limit))
		}
	}
	if len(problems) == 0 {
		return nil
	}
	if cfg.StrictChecks {
		return fmt.Errorf("%w: %w", ErrServerCheck, errors.Join(problems...))
	}
	for _, err := range problems {
		ev := Event{Kind: EventCheck, Err: err}
		var de *DBError
		if errors.As(err, &de) {
			m.pools[de.DB].emit(ev)
			continue
		}
		for _, p := range m.pools { // a budget problem: report once, on the first pool
			p.emit(ev)
			break
		}
	}
	return nil
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
	for _, name := range m.names {
		if err := m.pools[name].gate.waitIdle(ctx); err != nil {
			return fmt.Errorf("dbx: %s: waiting for connections to be checked in: %w", name, err)
		}
	}
	return nil
}

// Close closes every pool: waiters and new calls get ErrClosed, idle
// connections close now, calls already running finish and their
// connections close when they are returned. The events of the closed
// connections are delivered before Close returns.
func (m *Manager) Close() error {
	var errs []error
	for _, name := range m.names {
		errs = append(errs, m.pools[name].close())
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
	for _, name := range m.names {
		if err := m.pools[name].events.flush(ctx); err != nil {
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
