package faults

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/solarhub/hubdb/dbx"
	"github.com/solarhub/hubdb/gen"
)

// The statement-cache case: all of the registry's databases on one private
// server with a small max_prepared_stmt_count, every pool at its maximum,
// each connection running more distinct statements than the server could
// keep for all of them.

// stmtLoad holds every connection of every pool in a Read transaction at
// once (a barrier inside the transactions), then runs distinct statements
// (distinct texts, prefix tells them from another run's) twice on each,
// and returns the calls that failed.
func stmtLoad(ctx context.Context, dbs map[string]*dbx.DB[dbx.DBTX], perPool, distinct int, prefix string) []error {
	var (
		ready  sync.WaitGroup
		start  = make(chan struct{})
		mu     sync.Mutex
		failed []error
		wg     sync.WaitGroup
	)
	ready.Add(len(dbs) * perPool)
	go func() { ready.Wait(); close(start) }()
	for name, d := range dbs {
		for range perPool {
			wg.Add(1)
			go func() {
				defer wg.Done()
				arrived := false
				err := d.Read(ctx, func(ctx context.Context, q dbx.DBTX) error {
					ready.Done()
					arrived = true
					select {
					case <-start:
					case <-ctx.Done():
						return ctx.Err()
					}
					for r := range 2 {
						for i := range distinct {
							var got int
							sql := fmt.Sprintf("SELECT v + %d + ? /* %s */ FROM kv WHERE k = 1", i, prefix)
							if err := q.QueryRowContext(ctx, sql, r).Scan(&got); err != nil {
								return err
							}
							if got != i+r {
								return fmt.Errorf("%s: got %d, want %d", sql, got, i+r)
							}
						}
					}
					return nil
				}, dbx.TxTimeout(time.Minute))
				if !arrived {
					ready.Done()
				}
				if err != nil {
					mu.Lock()
					failed = append(failed, fmt.Errorf("%s: %w", name, err))
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	return failed
}

// sumStatements adds the pools' statement-cache counters.
func sumStatements(m *dbx.Manager) dbx.StatementCacheStats {
	var s dbx.StatementCacheStats
	for _, st := range m.Status() {
		s.Cached += st.Statements.Cached
		s.Hits += st.Statements.Hits
		s.Prepares += st.Statements.Prepares
		s.Evictions += st.Statements.Evictions
		s.Uncached += st.Statements.Uncached
		s.Reprepares += st.Statements.Reprepares
	}
	return s
}

// TestStatementCacheServerLimit: with every pool of the registry at its
// maximum and 12 distinct statements per connection (demand: databases ×
// 4 × 12, 864 with 18), the server's max_prepared_stmt_count of 200 is never
// reached: dbx keeps at most half of it prepared, sends the rest as text,
// and no call fails. Then, with another client holding all but 20 of the
// server's statements, a new Manager is refused (1461), lowers its limit
// to what it holds, and still no call fails.
func TestStatementCacheServerLimit(t *testing.T) {
	const limit, perPool, distinct = 200, 4, 12
	s := budgetServer(t, fmt.Sprintf("--max-prepared-stmt-count=%d", limit))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pool := dbx.Pool{Size: dbx.Int(2), Overflow: dbx.Int(perPool - 2), Timeout: 30 * time.Second}
	m, dbs, err := budgetManager(ctx, s.Addr(), pool, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	share := m.Servers()[0].StatementLimit
	if share != limit/2 {
		t.Fatalf("statement limit %d, want half of max_prepared_stmt_count %d", share, limit)
	}

	var peak atomic.Int64
	sample := func(done chan struct{}) {
		for {
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
				if n := s.statusInt(t, "Prepared_stmt_count"); n > peak.Load() {
					peak.Store(n)
				}
			}
		}
	}
	done := make(chan struct{})
	go sample(done)
	failed := stmtLoad(ctx, dbs, perPool, distinct, "first")
	close(done)
	for _, err := range failed {
		t.Errorf("call failed: %v", err)
	}
	for _, st := range m.Status() {
		if st.Stats.MaxOpenConnections != perPool || st.Open != perPool {
			t.Errorf("%s: %d open of a maximum of %d; the case wants every pool at its maximum", st.DB, st.Open, st.Stats.MaxOpenConnections)
		}
	}
	sum := sumStatements(m)
	srv := m.Servers()[0]
	server := s.statusInt(t, "Prepared_stmt_count")
	if peak.Load() > share {
		t.Errorf("the server held %d prepared statements at the peak; dbx's share is %d", peak.Load(), share)
	}
	if sum.Prepares == 0 || sum.Hits == 0 || sum.Uncached == 0 {
		t.Errorf("statements %+v: want prepares and hits, and some sent as text once the limit was reached", sum)
	}
	if srv.Statements != server || sum.Cached != server {
		t.Errorf("dbx counts %d (pools: %d) prepared statements, the server %d", srv.Statements, sum.Cached, server)
	}
	fmt.Printf("FIGURES stmtcache-all-databases: databases=%d connections=%d demand=%d max_prepared_stmt_count=%d share=%d "+
		"peak_server_statements=%d prepares=%d hits=%d evictions=%d uncached=%d errors=%d\n",
		len(gen.Names), len(gen.Names)*perPool, len(gen.Names)*perPool*distinct, limit, share,
		peak.Load(), sum.Prepares, sum.Hits, sum.Evictions, sum.Uncached, len(failed))
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if !waitFor(10*time.Second, func() bool { return s.statusInt(t, "Prepared_stmt_count") == 0 }) {
		t.Fatalf("%d statements still prepared after Close", s.statusInt(t, "Prepared_stmt_count"))
	}

	// Another client takes all but 20 of the server's statements.
	other, err := s.admin.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	for i := range limit - 20 {
		if _, err := other.ExecContext(ctx, fmt.Sprintf("PREPARE other_%d FROM 'SELECT 1'", i)); err != nil {
			t.Fatal(err)
		}
	}
	m2, dbs2, err := budgetManager(ctx, s.Addr(), pool, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Close()
	failed = stmtLoad(ctx, dbs2, perPool, distinct, "second")
	for _, err := range failed {
		t.Errorf("call failed with the server's statements taken: %v", err)
	}
	srv2 := m2.Servers()[0]
	if srv2.StatementLimit > 20 || srv2.Statements > srv2.StatementLimit {
		t.Errorf("after the server refused prepares: limit %d, holding %d; want the limit lowered to at most the 20 left",
			srv2.StatementLimit, srv2.Statements)
	}
	if n := s.statusInt(t, "Prepared_stmt_count"); n > limit {
		t.Errorf("server holds %d statements, over its limit %d", n, limit)
	}
	fmt.Printf("FIGURES stmtcache-refused: other_client=%d lowered_limit=%d held=%d uncached=%d errors=%d\n",
		limit-20, srv2.StatementLimit, srv2.Statements, sumStatements(m2).Uncached, len(failed))
}
