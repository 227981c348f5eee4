package dbx

import (
	"context"
	"database/sql/driver"

	"github.com/go-sql-driver/mysql"
)

// WaitIdle is m.WaitIdle, for the tests written before it was exported.
func WaitIdle(ctx context.Context, m *Manager) error { return m.WaitIdle(ctx) }

// OnQueue sets the gate hook called after a caller joins the queue of
// database name.
func OnQueue(m *Manager, name string, f func(waiting int)) {
	g := m.pools[name].gate
	g.mu.Lock()
	g.onQueue = f
	g.mu.Unlock()
}

// FailCachedStatement makes the cached statement of query on every idle
// connection of database name fail its next execution with the server
// error number (1615 "needs to be re-prepared", 1243 "unknown statement
// handler"), and returns how many it changed. MariaDB re-prepares by
// itself after an ALTER and answers 1615 only in states a test cannot
// bring about on demand (MDEV-17124), so the answer is put in front of
// the real, server-side prepared statement.
func FailCachedStatement(m *Manager, name, query string, number uint16) int {
	p := m.pools[name]
	p.budget.mu.Lock()
	defer p.budget.mu.Unlock()
	n := 0
	for c := range p.conns {
		if c.state.Load() != connIdle || c.stmts == nil {
			continue
		}
		if e, ok := c.stmts.items[query]; ok {
			cs := e.Value.(*cachedStmt)
			cs.s = &failingStmt{mysqlStmt: cs.s, number: number}
			n++
		}
	}
	return n
}

type failingStmt struct {
	mysqlStmt
	number uint16
	failed bool
}

func (s *failingStmt) fail() error {
	if s.failed {
		return nil
	}
	s.failed = true
	return &mysql.MySQLError{Number: s.number, Message: "injected by FailCachedStatement"}
}

func (s *failingStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	if err := s.fail(); err != nil {
		return nil, err
	}
	return s.mysqlStmt.QueryContext(ctx, args)
}

func (s *failingStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	if err := s.fail(); err != nil {
		return nil, err
	}
	return s.mysqlStmt.ExecContext(ctx, args)
}
