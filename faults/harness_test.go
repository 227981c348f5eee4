package faults

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/shopspring/decimal"

	"github.com/solarhub/hubdb/dbx"
	"github.com/solarhub/hubdb/gen/audit"
	"github.com/solarhub/hubdb/gen/ess"
	"github.com/solarhub/hubdb/gen/meter"
	"github.com/solarhub/hubdb/internal/devdb"
	"github.com/solarhub/hubdb/migration"
)

// The databases every case loads: three of the eighteen, each with a table
// whose rows a unique key identifies.
var loadDBs = []string{"ess", "meter", "audit"}

// The application user: not SUPER, so max_connections applies to it as to
// a real service (SUPER gets one extra connection).
const (
	appUser     = "app"
	appPassword = "app-fault-pw"
)

// rowTs is the timestamp of every row the load writes; the key is in
// device_id (ess, meter) or org_id (audit).
var rowTs = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// server is one private MariaDB with the load's databases migrated and the
// application user created.
type server struct {
	*devdb.Server
	admin *sql.DB // root, for fault injection and checks
}

// startServer starts a private MariaDB with extra mariadbd args, migrates
// loadDBs and creates the application user. The server stops when the test
// ends.
func startServer(t testing.TB, args ...string) *server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	start := time.Now()
	srv, err := devdb.Start(ctx, devdb.Options{Args: args})
	if err != nil {
		// mariadb-install-db has failed once in many runs on the loaded
		// CI box; a second, fresh datadir is cheap.
		t.Logf("start private MariaDB: %v; trying once more", firstLines(err.Error(), 5))
		srv, err = devdb.Start(ctx, devdb.Options{Args: args})
	}
	if err != nil {
		t.Fatalf("start private MariaDB: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Errorf("stop private MariaDB: %v", err)
		}
	})
	var m migration.Migrator
	for _, name := range loadDBs {
		if err := m.Up(ctx, migration.Target{Name: name, Server: srv.Config()}); err != nil {
			t.Fatalf("migrate %s: %v", name, err)
		}
	}
	adminCfg := srv.Config()
	adminCfg.Logger = quietLogger{} // the restart case leaves it a dead idle connection
	conn, err := mysql.NewConnector(adminCfg)
	if err != nil {
		t.Fatal(err)
	}
	s := &server{Server: srv, admin: sql.OpenDB(conn)}
	t.Cleanup(func() { _ = s.admin.Close() })
	s.admin.SetMaxOpenConns(2)
	stmts := []string{
		fmt.Sprintf("CREATE USER '%s'@'127.0.0.1' IDENTIFIED BY '%s'", appUser, appPassword),
	}
	for _, name := range loadDBs {
		stmts = append(stmts, fmt.Sprintf("GRANT SELECT, INSERT, UPDATE, DELETE ON `%s`.* TO '%s'@'127.0.0.1'", name, appUser))
	}
	for _, q := range stmts {
		if _, err := s.admin.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", strings.Split(q, " IDENTIFIED")[0], err)
		}
	}
	t.Logf("private MariaDB on %s ready in %v", srv.Addr(), time.Since(start).Round(time.Millisecond))
	return s
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	return strings.Join(lines[:min(n, len(lines))], "\n")
}

// quietLogger drops go-sql-driver's messages on the admin connection.
type quietLogger struct{}

func (quietLogger) Print(...any) {}

// appConfig is the application user's connection to addr (the server or a
// proxy in front of it).
func appConfig(addr string) *mysql.Config {
	c := mysql.NewConfig()
	c.User, c.Passwd, c.Net, c.Addr = appUser, appPassword, "tcp", addr
	return c
}

// events counts dbx pool events by kind.
type events struct {
	n [16]atomic.Int64
	m atomic.Pointer[dbx.Manager] // flushed before counts are read
}

func (e *events) on(ev dbx.Event) {
	if k := int(ev.Kind); k >= 0 && k < len(e.n) {
		e.n[k].Add(1)
	}
}

// get returns the count of kind k, once every event raised so far has been
// delivered (close and invalidation events come from a dbx goroutine).
func (e *events) get(k dbx.EventKind) int64 {
	if m := e.m.Load(); m != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = m.FlushEvents(ctx)
	}
	return e.n[k].Load()
}

// hub is the typed handles of loadDBs, opened through dbx.
type hub struct {
	m      *dbx.Manager
	ess    *dbx.DB[*ess.Queries]
	meter  *dbx.DB[*meter.Queries]
	audit  *dbx.DB[*audit.Queries]
	raw    *dbx.DB[dbx.DBTX] // ess, for statements the generated code lacks
	events *events
}

// openHub opens dbx on addr for loadDBs with pool settings p. The manager
// closes when the test ends (closing twice is harmless).
func openHub(t *testing.T, addr string, p dbx.Pool) *hub {
	t.Helper()
	h := &hub{events: &events{}}
	cfg := dbx.Config{
		Defaults: p,
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		OnEvent:  h.events.on,
	}
	for _, name := range loadDBs {
		cfg.DBs = append(cfg.DBs, dbx.DBConfig{Name: name, Server: appConfig(addr)})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	m, err := dbx.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("dbx.Open: %v", err)
	}
	t.Cleanup(func() { _ = m.Close() })
	h.m = m
	h.events.m.Store(m)
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	h.ess, err = dbx.Bind(m, "ess", func(d dbx.DBTX) *ess.Queries { return ess.New(d) })
	must(err)
	h.meter, err = dbx.Bind(m, "meter", func(d dbx.DBTX) *meter.Queries { return meter.New(d) })
	must(err)
	h.audit, err = dbx.Bind(m, "audit", func(d dbx.DBTX) *audit.Queries { return audit.New(d) })
	must(err)
	h.raw, err = dbx.Bind(m, "ess", func(d dbx.DBTX) dbx.DBTX { return d })
	must(err)
	return h
}

// write inserts the row of key k into database loadDBs[k%3] inside fn's
// transaction.
func (h *hub) write(ctx context.Context, k int64, opts ...dbx.TxOption) error {
	switch k % 3 {
	case 0:
		return h.ess.Write(ctx, func(ctx context.Context, q *ess.Queries) error {
			return q.InsertBatteryReading(ctx, essRow(k))
		}, opts...)
	case 1:
		return h.meter.Write(ctx, func(ctx context.Context, q *meter.Queries) error {
			return q.InsertMeterReading(ctx, meter.InsertMeterReadingParams{
				DeviceID: k, Ts: rowTs, ImportEnergyWh: decimal.NewFromInt(k),
				ExportEnergyWh: decimal.Zero, PowerW: decimal.NewFromInt(100),
			})
		}, opts...)
	default:
		return h.audit.Write(ctx, func(ctx context.Context, q *audit.Queries) error {
			_, err := q.InsertAuditEvent(ctx, audit.InsertAuditEventParams{
				OrgID: k, ActorType: audit.AuditEventsActorTypeSystem, Action: "fault",
				EntityType: "key", EntityID: strconv.FormatInt(k, 10),
				Details: json.RawMessage(`{}`), OccurredAt: rowTs,
			})
			return err
		}, opts...)
	}
}

func essRow(k int64) ess.InsertBatteryReadingParams {
	return ess.InsertBatteryReadingParams{
		DeviceID: k, Ts: rowTs, SiteID: 1, SocPct: 50, PowerW: decimal.NewFromInt(10),
		TemperatureC: 20, EnergyInWh: decimal.NewFromInt(k), EnergyOutWh: decimal.Zero,
	}
}

// read reads the row of key k (it may not exist) from loadDBs[k%3].
func (h *hub) read(ctx context.Context, k int64, opts ...dbx.TxOption) error {
	switch k % 3 {
	case 0:
		return h.ess.Read(ctx, func(ctx context.Context, q *ess.Queries) error {
			_, err := q.GetLatestBatteryReading(ctx, ess.GetLatestBatteryReadingParams{DeviceID: k, AtTs: rowTs})
			if errors.Is(err, sql.ErrNoRows) {
				return nil
			}
			return err
		}, opts...)
	case 1:
		return h.meter.Read(ctx, func(ctx context.Context, q *meter.Queries) error {
			_, err := q.ListMeterReadings(ctx, meter.ListMeterReadingsParams{
				DeviceID: k, AfterTs: rowTs.Add(-time.Hour), ToTs: rowTs.Add(time.Hour), Limit: 10,
			})
			return err
		}, opts...)
	default:
		return h.audit.Read(ctx, func(ctx context.Context, q *audit.Queries) error {
			_, err := q.ListOrgAuditEvents(ctx, audit.ListOrgAuditEventsParams{
				OrgID: k, FromTs: rowTs.Add(-time.Hour), ToTs: rowTs.Add(time.Hour), Limit: 10,
			})
			return err
		}, opts...)
	}
}

// keyQueries list, per database, the keys of the rows present.
var keyQueries = map[string]string{
	"ess":   "SELECT device_id FROM ess.battery_readings",
	"meter": "SELECT device_id FROM meter.meter_readings",
	"audit": "SELECT org_id FROM audit.audit_events",
}

// present returns the keys of every row of the load present on the server.
func (s *server) present(t *testing.T) map[int64]bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	keys := map[int64]bool{}
	for _, name := range loadDBs {
		rows, err := s.admin.QueryContext(ctx, keyQueries[name])
		if err != nil {
			t.Fatalf("list keys of %s: %v", name, err)
		}
		for rows.Next() {
			var k int64
			if err := rows.Scan(&k); err != nil {
				t.Fatal(err)
			}
			keys[k] = true
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

// ledger records the outcome of every write by its unique key.
type ledger struct {
	mu     sync.Mutex
	ok     map[int64]bool
	failed map[int64]error
}

func newLedger() *ledger { return &ledger{ok: map[int64]bool{}, failed: map[int64]error{}} }

func (l *ledger) record(k int64, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err == nil {
		l.ok[k] = true
	} else {
		l.failed[k] = err
	}
}

// check compares the ledger with the rows present: a write that returned
// nil must be present (else it is lost); a write that failed must be
// absent unless its error says the commit outcome is unknown. It returns
// the rows checked and the rows lost, and fails t for each violation.
func (l *ledger) check(t *testing.T, present map[int64]bool) (checked, lost int) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var phantom, unknownCommitted, unknownAbsent int
	for k := range l.ok {
		checked++
		if !present[k] {
			lost++
			if lost <= 5 {
				t.Errorf("write %d returned nil but its row is missing", k)
			}
		}
	}
	for k, err := range l.failed {
		checked++
		switch {
		case !present[k]:
			if errors.Is(err, dbx.ErrCommitUnknown) {
				unknownAbsent++
			}
		case errors.Is(err, dbx.ErrCommitUnknown):
			unknownCommitted++
		default:
			phantom++
			if phantom <= 5 {
				t.Errorf("write %d failed with %q (not ErrCommitUnknown) but its row is present", k, err)
			}
		}
	}
	if lost > 0 || phantom > 0 {
		t.Errorf("%d rows lost, %d rows present after an error that did not say the outcome was unknown", lost, phantom)
	}
	t.Logf("ledger: %d ok, %d failed (%d commit-unknown committed, %d commit-unknown absent)",
		len(l.ok), len(l.failed), unknownCommitted, unknownAbsent)
	return checked, lost
}

// classify names the condition of a call's error for the figures.
func classify(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, dbx.ErrCommitUnknown):
		return "commit_unknown"
	case errors.Is(err, dbx.ErrTooManyConnections):
		return "too_many_connections"
	case errors.Is(err, dbx.ErrPoolTimeout):
		return "pool_timeout"
	case errors.Is(err, dbx.ErrStatementTimeout):
		return "statement_timeout"
	case errors.Is(err, context.DeadlineExceeded):
		return "deadline"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, dbx.ErrServerGone):
		return "server_gone"
	case errors.Is(err, dbx.ErrDuplicateKey):
		return "duplicate_key"
	case errors.Is(err, dbx.ErrClosed):
		return "closed"
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return "mysql_" + strconv.Itoa(int(me.Number))
	}
	return "other"
}

// tally counts calls by outcome and checks each call's duration against
// its deadline.
type tally struct {
	mu       sync.Mutex
	byKind   map[string]int64
	examples map[string]string
	requests int64
	// maxOver is the largest time a call ran past its ctx deadline;
	// overdue counts calls that ran past it by more than the tolerance.
	maxOver time.Duration
	overdue int64
}

// deadlineTolerance is how long a call may run past its ctx deadline:
// scheduling on a loaded 2-core machine under -race, not a timeout.
const deadlineTolerance = 500 * time.Millisecond

func newTally() *tally { return &tally{byKind: map[string]int64{}, examples: map[string]string{}} }

// add records one call that started at start, had deadline dl (zero: none)
// and ended with err now.
func (c *tally) add(start, dl time.Time, err error) string {
	end := time.Now()
	kind := classify(err)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.requests++
	c.byKind[kind]++
	if err != nil && c.examples[kind] == "" {
		c.examples[kind] = err.Error()
	}
	if !dl.IsZero() {
		if over := end.Sub(dl); over > c.maxOver {
			c.maxOver = over
		}
		if end.Sub(dl) > deadlineTolerance {
			c.overdue++
		}
	}
	return kind
}

// addKind records one call whose outcome is not an error value.
func (c *tally) addKind(kind string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.requests++
	c.byKind[kind]++
}

func (c *tally) count(kind string) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.byKind[kind]
}

func (c *tally) errors() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.requests - c.byKind["ok"]
}

// String lists the outcomes, e.g. "ok=900 deadline=3 server_gone=12".
func (c *tally) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	kinds := slices.Sorted(maps.Keys(c.byKind))
	parts := make([]string, 0, len(kinds))
	for _, k := range kinds {
		parts = append(parts, fmt.Sprintf("%s=%d", k, c.byKind[k]))
	}
	return strings.Join(parts, " ")
}

// logExamples logs the first error of each kind.
func (c *tally) logExamples(t *testing.T) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range slices.Sorted(maps.Keys(c.examples)) {
		t.Logf("first %s error: %s", k, c.examples[k])
	}
}

// figures prints the case's one line of figures to stdout, so that
// `go test -v` shows it and RELIABILITY.md can quote it.
func figures(name string, requests, faults int64, c *tally, checked, lost int, extra ...string) {
	line := fmt.Sprintf("FIGURES %s: requests=%d faults=%d errors[%s] rows_checked=%d rows_lost=%d",
		name, requests, faults, c, checked, lost)
	if len(extra) > 0 {
		line += " " + strings.Join(extra, " ")
	}
	fmt.Println(line)
}

// mixedBurst makes n calls, parallel at a time, each under a 5 s deadline:
// even calls write a new key (numbered from *key on, recorded in led and
// writes), odd calls read the key written before (recorded in reads).
func mixedBurst(h *hub, led *ledger, key *int64, n, parallel int, writes, reads *tally) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, parallel)
	for i := range n {
		*key++
		k := *key
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			dl, _ := ctx.Deadline()
			start := time.Now()
			if i%2 == 0 {
				err := h.write(ctx, k)
				led.record(k, err)
				writes.add(start, dl, err)
				return
			}
			reads.add(start, dl, h.read(ctx, k-1))
		})
	}
	wg.Wait()
}

// baseline returns the goroutine count once it has stopped changing.
func baseline() int {
	runtime.GC()
	return runtime.NumGoroutine()
}

// settleGoroutines polls until the goroutine count is at most base, for at
// most 10 s, and returns the last count. Goroutines of closed connections
// (driver watchers, database/sql openers, toxiproxy links) end shortly
// after Close returns.
func settleGoroutines(t *testing.T, base int) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	n := runtime.NumGoroutine()
	for n > base && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		n = runtime.NumGoroutine()
	}
	if n > base {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		t.Errorf("goroutines: %d after closing, baseline %d; stacks:\n%s", n, base, buf)
	}
	return n
}

// waitFor polls cond every 20 ms until it holds or timeout passes, and
// reports whether it held: bounded polling of state, not a sleep standing
// in for synchronisation.
func waitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// statusInt reads one global status counter.
func (s *server) statusInt(t *testing.T, name string) int64 {
	t.Helper()
	var n string
	var v int64
	err := s.admin.QueryRowContext(context.Background(), "SHOW GLOBAL STATUS LIKE '"+name+"'").Scan(&n, &v)
	if err != nil {
		t.Fatalf("status %s: %v", name, err)
	}
	return v
}

// appConns counts the application user's connections on the server.
func (s *server) appConns(t *testing.T) int {
	t.Helper()
	var n int
	err := s.admin.QueryRowContext(context.Background(),
		"SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = ?", appUser).Scan(&n)
	if err != nil {
		t.Fatalf("processlist: %v", err)
	}
	return n
}

// inUse returns the sum of InUse over the hub's pools.
func (h *hub) inUse() int { return h.m.Status().InUse() }
