package dbx

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

func TestKindOf(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want error
	}{
		{&mysql.MySQLError{Number: 1040}, ErrTooManyConnections},
		{&mysql.MySQLError{Number: 1792}, ErrReadOnly},
		{&mysql.MySQLError{Number: 1213}, ErrDeadlock},
		{&mysql.MySQLError{Number: 1205}, ErrLockWaitTimeout},
		{&mysql.MySQLError{Number: 1062}, ErrDuplicateKey},
		{&mysql.MySQLError{Number: 1049}, ErrUnknownDB},
		{&mysql.MySQLError{Number: 1969}, ErrStatementTimeout},
		{&mysql.MySQLError{Number: 3024}, ErrStatementTimeout},
		{&mysql.MySQLError{Number: 2013}, ErrServerGone},
		{&mysql.MySQLError{Number: 2006}, ErrServerGone},
		{fmt.Errorf("x: %w", driver.ErrBadConn), ErrServerGone},
		{mysql.ErrInvalidConn, ErrServerGone},
		{context.DeadlineExceeded, nil},
		{&mysql.MySQLError{Number: 1146}, nil},
		{errors.New("other"), nil},
	} {
		t.Run(tc.err.Error(), func(t *testing.T) {
			err := wrap("ess", "exec", tc.err)
			if got := kindOf(tc.err); got != tc.want {
				t.Errorf("kindOf = %v, want %v", got, tc.want)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("errors.Is(%v, %v) = false", err, tc.want)
			}
			if !errors.Is(err, tc.err) {
				t.Errorf("the cause is not reachable from %v", err)
			}
		})
	}
}

func TestCommitErrorClassification(t *testing.T) {
	p := &pool{name: "ess"}
	nc := &conn{p: p}
	ctx := context.Background()
	for _, tc := range []struct {
		name             string
		err              error
		unknown, retries bool
	}{
		{"lost during commit", mysql.ErrInvalidConn, true, false},
		{"not sent", driver.ErrBadConn, false, true},
		{"deadlock on commit", &mysql.MySQLError{Number: 1213}, false, true},
		{"rolled back by ctx", sql.ErrTxDone, false, false},
		{"session killed while committing", &mysql.MySQLError{Number: 1927}, true, false},
		{"server shutdown while committing", &mysql.MySQLError{Number: 1053}, true, false},
		{"disconnected for inactivity", &mysql.MySQLError{Number: 4031}, true, false},
		{"server gone", &mysql.MySQLError{Number: 2006}, true, false},
		{"refused by the server", &mysql.MySQLError{Number: 1180}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.err
			if !errors.Is(in, sql.ErrTxDone) { // as dbx's driver connection reports it
				in = &DBError{DB: "ess", Op: "commit", Err: in, src: nc}
			}
			err := p.commitError(ctx, in)
			if errors.Is(err, ErrCommitUnknown) != tc.unknown {
				t.Errorf("%v: ErrCommitUnknown = %v, want %v", err, !tc.unknown, tc.unknown)
			}
			retries := !errors.Is(err, ErrCommitUnknown) && ownFailure(err, nc)
			if retries != tc.retries {
				t.Errorf("%v: retried = %v, want %v", err, retries, tc.retries)
			}
			if n := strings.Count(err.Error(), "dbx: "); n != 1 {
				t.Errorf("%q: %d \"dbx: \" prefixes, want 1", err, n)
			}
		})
	}
}

// TestOwnFailure: only a failure on the transaction's own connection is
// retried, and a failed ROLLBACK never makes fn's error retryable.
func TestOwnFailure(t *testing.T) {
	p := &pool{name: "ess"}
	own, other := &conn{p: p}, &conn{p: p}
	gone := &mysql.MySQLError{Number: 2013}
	business := errors.New("no")
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"own connection lost", &DBError{DB: "ess", Op: "exec", Err: gone, src: own}, true},
		{"fn wrapped it", fmt.Errorf("saving: %w", &DBError{DB: "ess", Op: "exec", Err: gone, src: own}), true},
		{"another connection lost", &DBError{DB: "ess", Op: "exec", Err: gone, src: other}, false},
		{"another database", &DBError{DB: "pv", Op: "exec", Err: gone}, false},
		{"business error, rollback failed", &rollbackFailed{err: business,
			rollback: &DBError{DB: "ess", Op: "rollback", Err: gone, src: own}}, false},
		{"commit unknown", &DBError{DB: "ess", Op: "commit", Err: fmt.Errorf("%w: %w", ErrCommitUnknown, gone), src: own}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ownFailure(tc.err, own); got != tc.want {
				t.Errorf("ownFailure(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
	rf := &rollbackFailed{err: business, rollback: &DBError{DB: "ess", Op: "rollback", Err: gone, src: own}}
	if errors.Is(rf, ErrServerGone) || !errors.Is(rf, business) || !strings.Contains(rf.Error(), "rollback failed") {
		t.Errorf("%v: want it to match only fn's error and say the rollback failed", rf)
	}
}

// TestPoolTimeoutLogLimiter lets one line through per interval and counts
// the rest.
func TestPoolTimeoutLogLimiter(t *testing.T) {
	var l logLimiter
	t0 := time.Unix(1000, 0)
	if ok, n := l.allow(t0); !ok || n != 0 {
		t.Fatalf("first: %v, %d", ok, n)
	}
	for i := range 5 {
		if ok, _ := l.allow(t0.Add(time.Duration(i+1) * 100 * time.Millisecond)); ok {
			t.Fatalf("line %d within the interval allowed", i)
		}
	}
	if ok, n := l.allow(t0.Add(PoolTimeoutLogInterval)); !ok || n != 5 {
		t.Errorf("after the interval: %v, %d suppressed; want true, 5", ok, n)
	}
}

// TestDriverLogIsDebug: the driver's own messages go to the Manager's
// logger at debug level, naming the database.
func TestDriverLogIsDebug(t *testing.T) {
	var buf strings.Builder
	warn := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}))
	driverLogger{log: warn, db: "ess"}.Print("closing connection: use of closed network connection")
	if buf.Len() != 0 {
		t.Errorf("driver line logged at warn level: %s", buf.String())
	}
	debug := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	driverLogger{log: debug, db: "ess"}.Print("closing connection")
	if out := buf.String(); !strings.Contains(out, "level=DEBUG") || !strings.Contains(out, "db=ess") {
		t.Errorf("driver line at debug: %q", out)
	}
}

// TestBackoffWithoutMaximum does not panic and does not wait.
func TestBackoffWithoutMaximum(t *testing.T) {
	o := txOptions{backoffBase: -time.Millisecond, backoffMax: -time.Second}
	for n := 1; n < 4; n++ {
		if err := backoff(context.Background(), o, n); err != nil {
			t.Fatal(err)
		}
	}
}

func TestGateTimeoutAndClose(t *testing.T) {
	g := newGate(1)
	if g.acquire(context.Background(), 0, nil) != admitted {
		t.Fatal("first caller not admitted")
	}
	var in, waiting int
	start := time.Now()
	if r := g.acquire(context.Background(), 50*time.Millisecond, func(i, w int) { in, waiting = i, w }); r != timedOut {
		t.Fatalf("result %v, want timedOut", r)
	}
	if time.Since(start) < 50*time.Millisecond || in != 1 || waiting != 1 {
		t.Errorf("timed out after %v with in use %d, waiting %d", time.Since(start), in, waiting)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if r := g.acquire(ctx, time.Minute, nil); r != ctxDone {
		t.Errorf("result %v, want ctxDone", r)
	}
	res := make(chan gateResult)
	g.onQueue = func(int) { g.close() }
	go func() { res <- g.acquire(context.Background(), 0, nil) }()
	if r := <-res; r != gateClosed {
		t.Errorf("result %v, want gateClosed", r)
	}
	g.release()
	if in, w, _, timeouts := g.counts(); in != 0 || w != 0 || timeouts != 1 {
		t.Errorf("counts %d %d %d", in, w, timeouts)
	}
}

func TestFuncPackage(t *testing.T) {
	for fn, want := range map[string]string{
		"github.com/solarhub/hubdb/dbx.(*DB[...]).Read":        "github.com/solarhub/hubdb/dbx",
		"github.com/solarhub/hubdb/dbx_test.TestX.func1":       "github.com/solarhub/hubdb/dbx_test",
		"github.com/solarhub/hubdb/gen/ess.(*Queries).GetSite": "github.com/solarhub/hubdb/gen/ess",
		"main.main": "main",
	} {
		if got := funcPackage(fn); got != want {
			t.Errorf("funcPackage(%q) = %q, want %q", fn, got, want)
		}
	}
}

// TestZeroMeansZero: Size and Overflow of 0 are settings, nil inherits;
// -1 is an unlimited overflow; impossible pools are configuration errors.
func TestZeroMeansZero(t *testing.T) {
	for _, tc := range []struct {
		name                string
		own, defaults       Pool
		size, overflow, max int
	}{
		{"all defaults", Pool{}, Pool{}, DefaultSize, DefaultOverflow, DefaultSize + DefaultOverflow},
		{"no overflow", Pool{Overflow: Int(0)}, Pool{}, DefaultSize, 0, DefaultSize},
		{"own zero beats the defaults", Pool{Overflow: Int(0)}, Pool{Overflow: Int(5)}, DefaultSize, 0, DefaultSize},
		{"inherited", Pool{}, Pool{Size: Int(3), Overflow: Int(0)}, 3, 0, 3},
		{"no idle connections", Pool{Size: Int(0), Overflow: Int(4)}, Pool{}, 0, 4, 4},
		{"unlimited", Pool{Overflow: Int(Unlimited)}, Pool{}, DefaultSize, -1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := resolve(tc.own, tc.defaults)
			if s.size != tc.size || s.overflow != tc.overflow || s.max() != tc.max {
				t.Errorf("size %d overflow %d max %d; want %d %d %d", s.size, s.overflow, s.max(), tc.size, tc.overflow, tc.max)
			}
			st := Status{Size: s.size, Overflow: s.overflow}
			if st.Max() != tc.max {
				t.Errorf("Status.Max() = %d, want %d", st.Max(), tc.max)
			}
		})
	}
	for _, p := range []Pool{{Overflow: Int(-2)}, {Size: Int(-1)}, {Size: Int(0), Overflow: Int(0)}} {
		cfg := Config{DBs: []DBConfig{{Name: "ess", Server: mysql.NewConfig(), Pool: p}}}
		if err := validate(cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("pool %+v: validate = %v, want ErrConfig", p, err)
		}
	}
}

// BenchmarkBudgetPathOverhead measures, without a network, the work the
// server budget adds to every checkout and checkin of a pooled
// connection: the reservation check, the state changes and the idle
// hand-off check.
func BenchmarkBudgetPathOverhead(b *testing.B) {
	p := &pool{name: "ess", conns: map[*conn]struct{}{}}
	p.budget = newBudget("s:3306", "s:3306", 151, -1, Config{})
	p.budget.join(p)
	c := &conn{p: p}
	c.state.Store(connIdle)
	p.idle.Add(1)
	p.spare.Add(1)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if t, err := p.budget.reserve(ctx, p, time.Time{}); t != nil || err != nil {
			b.Fatal("reserve took a permit with an idle connection")
		}
		if !c.checkOut() {
			b.Fatal("checkout")
		}
		if c.state.CompareAndSwap(connBusy, connIdle) { // checkin
			p.idle.Add(1)
			p.spare.Add(1)
			p.budget.idled(p)
		}
	}
}

// TestGuaranteedConnections: a pool's Guaranteed connections are reserved
// for it: others can neither open into the reservation nor steal its idle
// connections below it.
func TestGuaranteedConnections(t *testing.T) {
	b := newBudget("s:3306", "s:3306", 20, -1, Config{}) // budget 10
	newPool := func(name string, floor int) *pool {
		p := &pool{name: name, conns: map[*conn]struct{}{}, set: settings{floor: floor}, gate: newGate(10)}
		p.budget = b
		b.join(p)
		return p
	}
	a, o := newPool("a", 4), newPool("o", 0)
	now := time.Now()
	b.mu.Lock()
	for b.canOpen(o, now) {
		b.take(o)
	}
	if o.budgetOpen != 6 {
		t.Errorf("the other pool opened %d of the budget 10, want 6 (4 reserved for a)", o.budgetOpen)
	}
	for b.canOpen(a, now) {
		b.take(a)
	}
	if a.budgetOpen != 4 || b.open != 10 {
		t.Errorf("a holds %d, the server %d; want 4 and 10", a.budgetOpen, b.open)
	}
	for range 4 { // a's connections sit idle
		c := &conn{p: a}
		c.state.Store(connIdle)
		a.idle.Add(1)
		a.conns[c] = struct{}{}
	}
	if v := b.stealable(o); v != nil {
		t.Error("an idle connection of a pool at its guarantee was stolen")
	}
	b.mu.Unlock()
}

// TestClosedWhileIdleKeepsCounts: a connection database/sql closes while
// it is idle (idle time, lifetime, surplus) leaves the pool's idle and
// unclaimed counts exact, so later callers do not count on it.
func TestClosedWhileIdleKeepsCounts(t *testing.T) {
	p := &pool{name: "ess", conns: map[*conn]struct{}{}}
	p.budget = newBudget("s:3306", "s:3306", 151, -1, Config{})
	p.budget.join(p)
	p.budget.mu.Lock()
	p.budget.take(p)
	p.budget.mu.Unlock()
	c := &conn{p: p}
	p.budget.register(c)
	c.state.Store(connIdle)
	p.idle.Add(1)
	p.spare.Add(1)
	if p.budget.retire(c) { // as conn.Close does, around closing the socket
		p.budget.drop(c)
	}
	if p.idle.Load() != 0 || p.spare.Load() != 0 || p.budgetOpen != 0 || p.budget.open != 0 {
		t.Errorf("after close: idle %d spare %d open %d/%d; want all 0", p.idle.Load(), p.spare.Load(), p.budgetOpen, p.budget.open)
	}
	if p.budget.retire(c) { // database/sql closes once; a second call changes nothing
		t.Error("a second close found the permit still held")
		p.budget.drop(c)
	}
	if p.budget.open != 0 {
		t.Errorf("a second close released another permit: open %d", p.budget.open)
	}
}
