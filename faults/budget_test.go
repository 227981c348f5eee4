package faults

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/solarhub/hubdb/dbx"
	"github.com/solarhub/hubdb/gen"
)

// The server-budget cases: all of the registry's databases (gen.Names) on
// one private server with a small max_connections, under closed-loop load.
// Each prints one FIGURES line.

// budgetServer starts a private MariaDB with args, creates one database per
// registry name with table kv(k, v), and the application user.
func budgetServer(t testing.TB, args ...string) *server {
	t.Helper()
	s := startServer(t, args...)
	ctx := context.Background()
	for _, name := range gen.Names {
		db := "budget_" + name
		for _, q := range []string{
			"CREATE DATABASE IF NOT EXISTS " + db,
			"CREATE TABLE IF NOT EXISTS " + db + ".kv (k INT PRIMARY KEY, v BIGINT NOT NULL)",
			"INSERT IGNORE INTO " + db + ".kv VALUES (1, 0)",
			fmt.Sprintf("GRANT SELECT, INSERT, UPDATE, DELETE ON `%s`.* TO '%s'@'127.0.0.1'", db, appUser),
		} {
			if _, err := s.admin.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	}
	return s
}

// budgetManager opens dbx on addr for every registry database with pool
// settings p (cfg adjusts the rest).
func budgetManager(ctx context.Context, addr string, p dbx.Pool, onEvent func(dbx.Event), adjust func(*dbx.Config)) (*dbx.Manager, map[string]*dbx.DB[dbx.DBTX], error) {
	cfg := dbx.Config{Defaults: p, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), OnEvent: onEvent}
	for _, name := range gen.Names {
		cfg.DBs = append(cfg.DBs, dbx.DBConfig{Name: name, Schema: "budget_" + name, Server: appConfig(addr)})
	}
	if adjust != nil {
		adjust(&cfg)
	}
	m, err := dbx.Open(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	dbs := map[string]*dbx.DB[dbx.DBTX]{}
	for _, name := range gen.Names {
		d, err := dbx.Bind(m, name, func(x dbx.DBTX) dbx.DBTX { return x })
		if err != nil {
			_ = m.Close()
			return nil, nil, err
		}
		dbs[name] = d
	}
	return m, dbs, nil
}

// loadResult is what one closed-loop load run did, per database.
type loadResult struct {
	Ops     map[string]int64         `json:"ops"`
	Errors  map[string]int64         `json:"errors"` // by kind
	Example map[string]string        `json:"example"`
	P99     map[string]time.Duration `json:"p99"`
	Took    time.Duration            `json:"took"`
}

// closedLoop runs workers per database for d: each loops a Read (SELECT)
// and a Write (an UPDATE), each call under a 10 s deadline.
func closedLoop(dbs map[string]*dbx.DB[dbx.DBTX], workers int, d time.Duration) loadResult {
	res := loadResult{Ops: map[string]int64{}, Errors: map[string]int64{}, Example: map[string]string{}, P99: map[string]time.Duration{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	stop := time.Now().Add(d)
	start := time.Now()
	for name, db := range dbs {
		var lats []time.Duration
		var lmu sync.Mutex
		var dbWG sync.WaitGroup
		for w := range workers {
			dbWG.Add(1)
			wg.Go(func() {
				defer dbWG.Done()
				for i := 0; time.Now().Before(stop); i++ {
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					t0 := time.Now()
					var err error
					if (i+w)%2 == 0 {
						err = db.Read(ctx, func(ctx context.Context, q dbx.DBTX) error {
							var v int64
							return q.QueryRowContext(ctx, "SELECT v FROM kv WHERE k = 1").Scan(&v)
						})
					} else {
						err = db.Write(ctx, func(ctx context.Context, q dbx.DBTX) error {
							_, err := q.ExecContext(ctx, "UPDATE kv SET v = v + 1 WHERE k = 1")
							return err
						}, dbx.Retry(3))
					}
					cancel()
					lat := time.Since(t0)
					mu.Lock()
					if err != nil {
						k := classify(err)
						res.Errors[k]++
						if _, ok := res.Example[k]; !ok {
							res.Example[k] = err.Error()
						}
					} else {
						res.Ops[name]++
					}
					mu.Unlock()
					lmu.Lock()
					lats = append(lats, lat)
					lmu.Unlock()
				}
			})
		}
		wg.Go(func() {
			dbWG.Wait()
			lmu.Lock()
			defer lmu.Unlock()
			mu.Lock()
			defer mu.Unlock()
			res.P99[name] = percentile(lats, 0.99)
		})
	}
	wg.Wait()
	res.Took = time.Since(start)
	return res
}

func percentile(lats []time.Duration, q float64) time.Duration {
	if len(lats) == 0 {
		return 0
	}
	s := slices.Clone(lats)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*q))]
}

// spread returns the smallest and largest per-database throughput and the
// worst p99.
func (r loadResult) spread() (minOps, maxOps int64, minDB, maxDB string, worstP99 time.Duration) {
	minOps = -1
	for _, name := range gen.Names {
		n := r.Ops[name]
		if minOps < 0 || n < minOps {
			minOps, minDB = n, name
		}
		if n > maxOps {
			maxOps, maxDB = n, name
		}
		worstP99 = max(worstP99, r.P99[name])
	}
	return
}

func (r loadResult) total() int64 {
	var n int64
	for _, v := range r.Ops {
		n += v
	}
	return n
}

// TestBudgetEighteenDatabases (case 1): every registry database under
// closed-loop Read/Write load at once, default pool settings (size 10,
// overflow 20: 540 possible connections) on a server with
// max_connections=60. Promise: the budget (60 minus the reserve of 10)
// holds: the process never has more sockets open than the budget
// (checked at every dial), the server never lists more of the
// application's connections than the budget, not counting those the
// client has closed already (sockets: the server reaps a closed
// connection's thread a moment after the close), the server refuses none (1040), no error reaches a caller
// (no pool timeout with a 5 s timeout), every database is served, the
// slowest at least half as fast as the fastest.
func TestBudgetEighteenDatabases(t *testing.T) {
	s := budgetServer(t, "--max-connections=60")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	socks := newSockets()
	m, dbs, err := budgetManager(ctx, s.Addr(), dbx.Pool{Timeout: 5 * time.Second}, nil, func(c *dbx.Config) {
		for i := range c.DBs {
			c.DBs[i].Server.DialFunc = socks.dial
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	refusedBefore := s.statusInt(t, "Connection_errors_max_connections")
	// The server's view of the application user's connections: the peak it
	// listed, and the peak of those the client still held (a connection the
	// client closed stays listed until its server thread has ended, which
	// under load can be after its replacement was opened).
	// Written by the watcher only, read after it has ended (watched).
	var peakListed, peakHeld, peakClosing int
	done := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for {
			select {
			case <-done:
				return
			case <-time.After(50 * time.Millisecond):
				v, err := socks.look(s)
				if err != nil {
					t.Error(err)
					return
				}
				peakListed = max(peakListed, v.listed)
				peakHeld = max(peakHeld, v.listed-v.closing)
				peakClosing = max(peakClosing, v.closing)
			}
		}
	}()
	const workers = 4
	res := closedLoop(dbs, workers, 6*time.Second)
	close(done)
	<-watched
	refused := s.statusInt(t, "Connection_errors_max_connections") - refusedBefore
	for k, n := range res.Errors {
		t.Errorf("%d calls failed with %s (e.g. %s)", n, k, res.Example[k])
	}
	if refused > 0 {
		t.Errorf("the server refused %d connections (1040)", refused)
	}
	minOps, maxOps, minDB, maxDB, p99 := res.spread()
	if minOps == 0 || minOps*2 < maxOps {
		t.Errorf("unfair: %s served %d calls, %s %d (want at least half)", minDB, minOps, maxDB, maxOps)
	}
	srv := m.Servers()
	if len(srv) != 1 {
		t.Fatalf("servers %v, want one", srv)
	}
	seen, peakOpen := socks.counts()
	if seen < srv[0].Ceiling {
		t.Fatalf("the socket ledger saw %d sockets, fewer than the budget %d: the DialFunc was not used", seen, srv[0].Ceiling)
	}
	if peakOpen > srv[0].Ceiling {
		t.Errorf("the process had %d sockets open at once, over the budget %d", peakOpen, srv[0].Ceiling)
	}
	if peakHeld > srv[0].Ceiling {
		t.Errorf("the server saw %d application connections the client still held, over the budget %d", peakHeld, srv[0].Ceiling)
	}
	fmt.Printf("FIGURES budget-all-databases: databases=%d workers=%d calls=%d per_second=%.0f slowest=%s:%d fastest=%s:%d worst_p99=%v "+
		"errors=%d refused_by_server=%d peak_server_connections=%d peak_held=%d peak_closing=%d peak_open_sockets=%d budget=%d steals=%d shrinks=%d\n",
		len(gen.Names), workers*len(gen.Names), res.total(), float64(res.total())/res.Took.Seconds(), minDB, minOps, maxDB, maxOps,
		p99.Round(time.Millisecond), len(res.Errors), refused, peakListed, peakHeld, peakClosing, peakOpen, srv[0].Ceiling, srv[0].Steals, srv[0].Shrinks)
}

// workerEnv makes the test binary a budget worker process (case 2).
const workerEnv = "FAULTS_BUDGET_WORKER" // not HUBDB_*: config.Load refuses unknown HUBDB_ variables

// workerReport is what a worker process prints on its last line.
type workerReport struct {
	Started   bool          `json:"started"`
	OpenErr   string        `json:"open_err,omitempty"`
	OpenTook  time.Duration `json:"open_took"`
	Result    loadResult    `json:"result"`
	Final     int           `json:"final_budget"`
	Held      float64       `json:"held"` // mean open connections over the last second
	Shrinks   int64         `json:"shrinks"`
	Refused   int64         `json:"refused"`
	LastShift time.Duration `json:"last_shrink"` // since the load started
}

// TestBudgetWorker is one process of case 2; it does nothing unless run by
// TestBudgetFourProcesses.
func TestBudgetWorker(t *testing.T) {
	addr := os.Getenv(workerEnv)
	if addr == "" {
		t.Skip("run by TestBudgetFourProcesses as a separate process")
	}
	dur, _ := time.ParseDuration(os.Getenv(workerEnv + "_FOR"))
	var rep workerReport
	var lastShrink atomic.Int64
	var loadStart atomic.Int64
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	t0 := time.Now()
	m, dbs, err := budgetManager(ctx, addr, dbx.Pool{Timeout: 5 * time.Second, MaxIdleTime: time.Second}, func(e dbx.Event) {
		if e.Kind == dbx.EventShrink {
			lastShrink.Store(time.Since(time.Unix(0, loadStart.Load())).Nanoseconds())
		}
	}, nil)
	rep.OpenTook = time.Since(t0)
	if err != nil {
		rep.OpenErr = err.Error()
	} else {
		rep.Started = true
		loadStart.Store(time.Now().UnixNano())
		var held []int
		stop := make(chan struct{})
		var sampler sync.WaitGroup
		sampler.Go(func() {
			for {
				select {
				case <-stop:
					return
				case <-time.After(50 * time.Millisecond):
					held = append(held, m.Servers()[0].Open)
				}
			}
		})
		rep.Result = closedLoop(dbs, 2, dur)
		close(stop)
		sampler.Wait()
		last := held[max(0, len(held)-20):]
		sum := 0
		for _, n := range last {
			sum += n
		}
		rep.Held = float64(sum) / float64(max(len(last), 1))
		st := m.Servers()[0]
		rep.Final, rep.Shrinks, rep.Refused = st.Budget, st.Shrinks, st.Refused
		rep.LastShift = time.Duration(lastShrink.Load())
		_ = m.Close()
	}
	b, _ := json.Marshal(rep)
	fmt.Printf("WORKER %s\n", b)
}

// TestBudgetFourProcesses (case 2): four processes of the service, each
// with the default budget (max_connections 60 minus the reserve: each
// believes it may hold 50), start one after the other and run the load
// of case 1. Promise: every process starts, no 1040 reaches a caller; the
// processes converge to shares of the server.
func TestBudgetFourProcesses(t *testing.T) {
	s := budgetServer(t, "--max-connections=60")
	const procs = 4
	dur := 6 * time.Second
	refusedBefore := s.statusInt(t, "Connection_errors_max_connections")
	var wg sync.WaitGroup
	reports := make([]workerReport, procs)
	outs := make([]string, procs)
	for i := range procs {
		wg.Go(func() {
			cmd := exec.Command(os.Args[0], "-test.run=^TestBudgetWorker$", "-test.count=1")
			cmd.Env = append(os.Environ(), workerEnv+"="+s.Addr(), workerEnv+"_FOR="+dur.String())
			out, err := cmd.CombinedOutput()
			outs[i] = string(out)
			if err != nil {
				t.Errorf("worker %d: %v\n%s", i, err, lastLines(string(out), 20))
				return
			}
			sc := bufio.NewScanner(strings.NewReader(string(out)))
			for sc.Scan() {
				if line, ok := strings.CutPrefix(sc.Text(), "WORKER "); ok {
					if err := json.Unmarshal([]byte(line), &reports[i]); err != nil {
						t.Errorf("worker %d: %v", i, err)
					}
				}
			}
		})
		time.Sleep(500 * time.Millisecond) // staggered starts are the scenario, not a synchronisation
	}
	wg.Wait()
	refused := s.statusInt(t, "Connection_errors_max_connections") - refusedBefore
	var shares, conv []string
	var calls, timeouts int64
	for i, r := range reports {
		if !r.Started {
			t.Errorf("worker %d did not start: %s\n%s", i, r.OpenErr, lastLines(outs[i], 10))
			continue
		}
		if n := r.Result.Errors["too_many_connections"]; n > 0 {
			t.Errorf("worker %d: %d calls got 1040 (e.g. %s)", i, n, r.Result.Example["too_many_connections"])
		}
		calls += r.Result.total()
		timeouts += r.Result.Errors["pool_timeout"]
		shares = append(shares, fmt.Sprintf("%.1f", r.Held))
		conv = append(conv, r.LastShift.Round(10*time.Millisecond).String())
	}
	fmt.Printf("FIGURES budget-4-processes: processes=%d calls=%d pool_timeouts=%d refused_by_server=%d converged_connections=[%s] last_shrink_after=[%s] open_took=[%s]\n",
		procs, calls, timeouts, refused, strings.Join(shares, " "), strings.Join(conv, " "), openTimes(reports))
}

func openTimes(rs []workerReport) string {
	var out []string
	for _, r := range rs {
		out = append(out, r.OpenTook.Round(time.Millisecond).String())
	}
	return strings.Join(out, " ")
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// TestBudgetSteal (case 3): one database holds 20 idle connections; another
// bursts to 40 connections at once while the budget (max_connections 60
// minus 10) has 30 free. Promise: the burst is served by closing 10 of the
// idle connections (steals), no caller fails.
func TestBudgetSteal(t *testing.T) {
	s := budgetServer(t, "--max-connections=60")
	ctx := context.Background()
	holder, burster := gen.Names[0], gen.Names[1]
	var steals atomic.Int64
	cfg := dbx.Config{Defaults: dbx.Pool{Timeout: 10 * time.Second}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		OnEvent: func(e dbx.Event) {
			if e.Kind == dbx.EventSteal {
				steals.Add(1)
			}
		}}
	cfg.DBs = []dbx.DBConfig{
		{Name: holder, Schema: "budget_" + holder, Server: appConfig(s.Addr()), Pool: dbx.Pool{Size: dbx.Int(20), Overflow: dbx.Int(0)}},
		{Name: burster, Schema: "budget_" + burster, Server: appConfig(s.Addr()), Pool: dbx.Pool{Size: dbx.Int(10), Overflow: dbx.Int(30)}},
	}
	m, err := dbx.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	bind := func(name string) *dbx.DB[dbx.DBTX] {
		d, err := dbx.Bind(m, name, func(x dbx.DBTX) dbx.DBTX { return x })
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	hold := func(d *dbx.DB[dbx.DBTX], n int, during func()) []error {
		var inside atomic.Int64
		release := make(chan struct{})
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				errs[i] = d.Read(ctx, func(ctx context.Context, q dbx.DBTX) error {
					var x int
					if err := q.QueryRowContext(ctx, "SELECT 1").Scan(&x); err != nil {
						return err
					}
					inside.Add(1)
					<-release
					return nil
				})
			})
		}
		ok := waitFor(30*time.Second, func() bool { return inside.Load() == int64(n) })
		if ok && during != nil {
			during()
		}
		close(release)
		wg.Wait()
		if !ok {
			t.Errorf("%s: only %d of %d callers got a connection within 30 s", d.Name(), inside.Load(), n)
		}
		return errs
	}
	hd, bd := bind(holder), bind(burster)
	if errs := hold(hd, 20, nil); errors.Join(errs...) != nil {
		t.Fatal(errors.Join(errs...))
	}
	idle := m.Servers()[0]
	if idle.Pools[holder] != 20 {
		t.Fatalf("%s holds %d connections after the fill, want 20 idle", holder, idle.Pools[holder])
	}
	var during dbx.ServerStatus
	errs := hold(bd, 40, func() { during = m.Servers()[0] })
	for _, err := range errs {
		if err != nil {
			t.Errorf("burst: %v", err)
		}
	}
	free := during.Ceiling - 20
	want := int64(40 - free)
	if during.Steals < want || during.Pools[holder] > 20-int(want) || during.Open > during.Ceiling {
		t.Errorf("during the burst: %v; want at least %d steals and the budget %d kept", during, want, during.Ceiling)
	}
	if err := m.FlushEvents(ctx); err != nil {
		t.Fatal(err)
	}
	if steals.Load() != during.Steals {
		t.Errorf("%d steal events for %d steals", steals.Load(), during.Steals)
	}
	fmt.Printf("FIGURES budget-steal: budget=%d idle_before=%d burst=40 free=%d steals=%d holder_after=%d burster_after=%d open=%d errors=0\n",
		during.Ceiling, idle.Pools[holder], free, during.Steals, during.Pools[holder], during.Pools[burster], during.Open)
}

// TestLifetimeJitter (case 4): 18 pools × 10 connections opened at once
// with Recycle 2 s. Promise: their closes spread over the jitter window
// (up to 20 % of Recycle) instead of all at the same moment.
func TestLifetimeJitter(t *testing.T) {
	s := budgetServer(t, "--max-connections=250")
	ctx := context.Background()
	var mu sync.Mutex
	closedAt := map[string]time.Time{} // db/conn -> when its socket closed
	m, dbs, err := budgetManager(ctx, s.Addr(), dbx.Pool{Size: dbx.Int(10), Overflow: dbx.Int(0), Recycle: 2 * time.Second, Timeout: 10 * time.Second},
		func(e dbx.Event) {
			// an idle connection's lifetime ends in the sweep (EventKeepAlive,
			// the socket closes then); database/sql reports EventClose when it
			// discards it later
			if e.Kind == dbx.EventClose || e.Kind == dbx.EventKeepAlive {
				k := fmt.Sprintf("%s/%d", e.DB, e.ConnID)
				mu.Lock()
				if t, ok := closedAt[k]; !ok || e.Time.Before(t) {
					closedAt[k] = e.Time
				}
				mu.Unlock()
			}
		}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	// open 10 per pool at once and leave them idle
	var wg sync.WaitGroup
	var inside atomic.Int64
	release := make(chan struct{})
	opened := time.Now()
	for _, d := range dbs {
		for range 10 {
			wg.Go(func() {
				_ = d.Read(ctx, func(ctx context.Context, q dbx.DBTX) error {
					var x int
					err := q.QueryRowContext(ctx, "SELECT 1").Scan(&x)
					inside.Add(1)
					<-release
					return err
				})
			})
		}
	}
	total := 10 * len(dbs)
	if !waitFor(30*time.Second, func() bool { return inside.Load() == int64(total) }) {
		t.Fatalf("only %d of %d connections opened", inside.Load(), total)
	}
	close(release)
	wg.Wait()
	// the sweep closes them as each one's lifetime ends
	if !waitFor(30*time.Second, func() bool {
		_ = m.FlushEvents(ctx)
		mu.Lock()
		defer mu.Unlock()
		return len(closedAt) >= total
	}) {
		t.Fatalf("%d of %d connections closed within 30 s", len(closedAt), total)
	}
	mu.Lock()
	ts := make([]time.Time, 0, len(closedAt))
	for _, c := range closedAt {
		ts = append(ts, c)
	}
	mu.Unlock()
	sort.Slice(ts, func(i, j int) bool { return ts[i].Before(ts[j]) })
	first, last := ts[0].Sub(opened), ts[len(ts)-1].Sub(opened)
	buckets := map[int]int{}
	peak := 0
	for i, c := range ts { // the most closes in any 100 ms window
		n := sort.Search(len(ts), func(j int) bool { return ts[j].After(c.Add(100 * time.Millisecond)) }) - i
		peak = max(peak, n)
		buckets[int(c.Sub(opened)/(100*time.Millisecond))]++
	}
	keys := make([]int, 0, len(buckets))
	for k := range buckets {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var hist []string
	for _, k := range keys {
		hist = append(hist, fmt.Sprintf("%.1fs:%d", float64(k)/10, buckets[k]))
	}
	if last-first < 200*time.Millisecond || peak > total/2 {
		t.Errorf("closes from %v to %v, at most %d in 100 ms: not spread over the jitter window (%s)", first, last, peak, strings.Join(hist, " "))
	}
	fmt.Printf("FIGURES lifetime-jitter: connections=%d recycle=2s first_close=%v last_close=%v peak_closes_per_100ms=%d histogram=[%s]\n",
		total, first.Round(time.Millisecond), last.Round(time.Millisecond), peak, strings.Join(hist, " "))
}

// TestKeepAlive (case 5): a server with wait_timeout=3 and 10 s without a
// call. Promise: the keepalive pings the idle connections in time, so the
// server closes none of them (the same connections are there after the
// idle period), no checkout finds a dead connection (no invalidation),
// and no call fails.
func TestKeepAlive(t *testing.T) {
	s := startServer(t, "--wait-timeout=3")
	h := openHub(t, s.Addr(), dbx.Pool{Size: dbx.Int(4), Overflow: dbx.Int(2), Recycle: time.Hour})
	led, c := newLedger(), newTally()
	key := int64(0)
	mixedBurst(h, led, &key, 150, 6, c, c)
	before := h.events.get(dbx.EventInvalidate)
	idsBefore := s.appConnIDs(t)
	time.Sleep(10 * time.Second) // the fault is time itself: more than three wait_timeouts without a call
	idsAfter := s.appConnIDs(t)
	mixedBurst(h, led, &key, 150, 6, c, c)
	invalidated := h.events.get(dbx.EventInvalidate) - before
	gone := 0
	for _, id := range idsBefore {
		if !slices.Contains(idsAfter, id) {
			gone++
		}
	}
	if len(idsBefore) == 0 || gone != 0 || invalidated != 0 {
		t.Errorf("after 10 s idle: %d of %d idle connections closed by the server, %d invalidated at checkout; want 0",
			gone, len(idsBefore), invalidated)
	}
	if n := c.errors(); n > 0 {
		t.Errorf("%d calls failed (%s)", n, c)
	}
	c.logExamples(t)
	checked, lost := led.check(t, s.present(t))
	figures("keepalive", c.requests, 1, c, checked, lost,
		fmt.Sprintf("wait_timeout=3s idle=10s idle_connections=%d closed_by_server=%d invalidated_at_checkout=%d", len(idsBefore), gone, invalidated))
}
