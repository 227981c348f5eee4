package dbx_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/solarhub/hubdb/dbx"
)

// TestNoConnectionChurnUnderLoad: with Size 5 and Overflow 10 and more
// workers than connections, once all 15 connections are open, steady load
// opens no new server connection: an overflow connection returned while
// callers wait at the gate stays idle for the next one instead of being
// closed and dialled again. With OverflowIdleTime negative the pool
// closes overflow connections at checkin (SQLAlchemy's max_overflow):
// after the warm-up only Size connections are left, so the load that
// follows has to dial again.
func TestNoConnectionChurnUnderLoad(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name         string
		overflowIdle time.Duration
		wantOpens    bool // the overflow closes at checkin
	}{{"default", 0, false}, {"close at checkin", -1, true}} {
		keep := 15
		if tc.wantOpens {
			keep = 5
		}
		t.Run(tc.name, func(t *testing.T) {
			srv := server(t)
			p := dbx.Pool{Size: dbx.Int(5), Overflow: dbx.Int(10), Timeout: 30 * time.Second, OverflowIdleTime: tc.overflowIdle}
			var opens atomic.Int64
			cfg := oneDB(srv, newSchema(t, srv), p)
			cfg.OnEvent = func(e dbx.Event) {
				if e.Kind == dbx.EventOpen {
					opens.Add(1)
				}
			}
			m := open(t, cfg)
			d := raw(t, m, "main")
			ctx := context.Background()

			holdAtOnce(t, d, 15) // the warm-up: every connection is open
			var wg sync.WaitGroup
			if st := m.Status()[0]; st.Open != keep {
				t.Fatalf("after the warm-up: %s; want %d open", st, keep)
			}
			if tc.wantOpens {
				return
			}
			_ = m.FlushEvents(ctx)
			before := opens.Load()

			// Steady load: 16 workers, 50 writes each.
			var failed atomic.Int64
			for w := range 16 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range 50 {
						err := d.Write(ctx, func(ctx context.Context, q dbx.DBTX) error {
							_, err := q.ExecContext(ctx, "UPDATE kv SET v = v + 1 WHERE k = ?", 1+w%2)
							return err
						})
						if err != nil {
							failed.Add(1)
							t.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			_ = m.FlushEvents(ctx)
			if got := opens.Load() - before; got != 0 {
				t.Errorf("%d new connections under steady load with all 15 open; want 0", got)
			}
			if st := m.Status()[0]; st.Open != 15 || failed.Load() != 0 {
				t.Errorf("after the load: %s, %d failed writes; want 15 open, none failed", st, failed.Load())
			}
		})
	}
}

// TestOverflowClosesAfterIdleTime: connections beyond Size that sit idle
// longer than OverflowIdleTime are closed by the sweeper, down to Size.
func TestOverflowClosesAfterIdleTime(t *testing.T) {
	t.Parallel()
	srv := server(t)
	p := dbx.Pool{Size: dbx.Int(2), Overflow: dbx.Int(4), Timeout: 30 * time.Second, OverflowIdleTime: 50 * time.Millisecond}
	m := open(t, oneDB(srv, newSchema(t, srv), p))
	d := raw(t, m, "main")
	ctx := context.Background()
	holdAtOnce(t, d, 6)
	if st := m.Status()[0]; st.Open != 6 {
		t.Fatalf("after 6 transactions at once: %s; want 6 open", st)
	}
	eventually(t, "the overflow closed down to Size", func() bool { return m.Status()[0].Open == 2 })
	var v int
	if err := d.Queries(ctx).QueryRowContext(ctx, "SELECT v FROM kv WHERE k = ?", 1).Scan(&v); err != nil {
		t.Fatalf("a call after the trim: %v", err)
	}
}

// holdAtOnce runs n Read transactions of d that all hold their connection
// at the same moment (a barrier inside them), then ends them.
func holdAtOnce(t *testing.T, d *dbx.DB[dbx.DBTX], n int) {
	t.Helper()
	var ready, wg sync.WaitGroup
	ready.Add(n)
	start := make(chan struct{})
	go func() { ready.Wait(); close(start) }()
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			arrived := false
			err := d.Read(context.Background(), func(ctx context.Context, q dbx.DBTX) error {
				arrived = true
				ready.Done()
				<-start
				return nil
			})
			if !arrived {
				ready.Done() // do not hold the others back
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("holding %d connections at once: %v", n, err)
		}
	}
}
