package dbxpage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/solarhub/hubdb/dbx"
	"github.com/solarhub/hubdb/hubtest"
)

// TestPageHTTP causes real warnings on a real Manager (a leak and an idle
// transaction, a pool timeout, a slow query), then checks that the page
// served over HTTP shows each pool's numbers as m.Status() has them, the
// warnings with the test's own file:line, and the queries by name.
func TestPageHTTP(t *testing.T) {
	t.Parallel()
	cfg := hubtest.Empty(t, "ess", "pv").Config()
	cfg.Defaults.Size, cfg.Defaults.Overflow = dbx.Int(1), dbx.Int(1)
	cfg.Defaults.LeakThreshold = 100 * time.Millisecond
	cfg.Defaults.IdleInTxThreshold = 100 * time.Millisecond
	cfg.Defaults.SlowQueryThreshold = 20 * time.Millisecond
	for i := range cfg.DBs {
		if cfg.DBs[i].Name == "ess" { // one connection: a second caller times out
			cfg.DBs[i].Pool = dbx.Pool{Overflow: dbx.Int(0), Timeout: 100 * time.Millisecond}
		}
	}
	rec := NewRecorder(RecorderOptions{})
	m := openManager(t, rec.Instrument(cfg))
	ess, pv := bind(t, m, "ess"), bind(t, m, "pv")
	ctx := context.Background()

	for range 5 {
		var n int
		if err := pv.Queries(ctx).QueryRowContext(ctx, fastSQL).Scan(&n); err != nil {
			t.Fatal(err)
		}
	}
	var slept int
	slowFile, slowLine := nextLine()
	if err := pv.Queries(ctx).QueryRowContext(ctx, slowSQL).Scan(&slept); err != nil {
		t.Fatal(err)
	}

	// ess's only connection held in a transaction that runs nothing: a
	// leak and an idle transaction, then a caller that times out.
	held, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	hold := func(ctx context.Context, q dbx.DBTX) error { close(held); <-release; return nil }
	leakFile, leakLine := nextLine()
	go func() { done <- ess.Write(ctx, hold) }()
	released := false
	releaseTx := func() {
		if !released {
			released = true
			close(release)
			if err := <-done; err != nil {
				t.Errorf("the held transaction: %v", err)
			}
		}
	}
	defer releaseTx()
	<-held
	waitFor(t, "the leak and idle-in-transaction warnings", func() bool {
		return hasWarning(rec, dbx.EventLeak, "ess") && hasWarning(rec, dbx.EventIdleInTx, "ess")
	})
	if _, err := ess.Queries(ctx).ExecContext(ctx, "DO 1"); !errors.Is(err, dbx.ErrPoolTimeout) {
		t.Fatalf("a second caller on ess got %v, want ErrPoolTimeout", err)
	}

	srv := httptest.NewServer(New(m, rec, Options{Title: "test pools"}))
	defer srv.Close()

	// The page against the status read just before and just after it: the
	// two agree when nothing moved meanwhile (nothing runs now but the
	// held transaction); retry otherwise.
	var page string
	var want map[string]Pool
	var wantSrv dbx.ServerStatus
	var resp *http.Response
	for attempt := 0; ; attempt++ {
		before, beforeSrv := pools(m), m.Servers()
		resp, page = get(t, http.MethodGet, srv.URL)
		after, afterSrv := pools(m), m.Servers()
		if maps.Equal(before, after) && len(beforeSrv) == 1 && len(afterSrv) == 1 &&
			serverKey(beforeSrv[0]) == serverKey(afterSrv[0]) {
			want, wantSrv = after, afterSrv[0]
			break
		}
		if attempt == 20 {
			t.Fatalf("the pools kept changing:\nbefore %v %v\nafter %v %v", before, beforeSrv, after, afterSrv)
		}
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET: %s\n%s", resp.Status, page)
	}
	for k, v := range map[string]string{
		"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
	} {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
	if c := resp.Header.Get("Content-Security-Policy"); !strings.Contains(c, "default-src 'none'") || strings.Contains(c, "script-src") {
		t.Errorf("Content-Security-Policy %q: want default-src 'none' and no script source", c)
	}
	if !strings.Contains(page, `<meta http-equiv="refresh" content="5">`) {
		t.Errorf("no 5 s refresh in the page")
	}

	rows := poolRows(t, page)
	if got, wantDBs := slices.Sorted(maps.Keys(rows)), []string{"ess", "pv"}; !slices.Equal(got, wantDBs) {
		t.Fatalf("pool rows %v, want %v", got, wantDBs)
	}
	for db, p := range want {
		if !maps.Equal(rows[db], poolCells(p)) {
			t.Errorf("%s: the page shows\n%v\nm.Status() has\n%v", db, rows[db], poolCells(p))
		}
	}
	if e := want["ess"]; e.InUse != 1 || e.Max != 1 || e.Timeouts < 1 || e.Leaks < 1 {
		t.Errorf("ess: %+v, want 1 in use of 1, a timeout and a leak", e)
	}
	budget := fmt.Sprintf(`data-budget="%d" data-ceiling="%d" data-max-connections="%d" data-open="%d" data-in-use="%d" data-idle="%d"`,
		wantSrv.Budget, wantSrv.Ceiling, wantSrv.MaxConnections, wantSrv.Open, wantSrv.InUse, wantSrv.Idle)
	if !strings.Contains(page, budget) || !strings.Contains(page, `data-server="`+wantSrv.Addr+`"`) {
		t.Errorf("the server's line lacks %s (server %s)", budget, wantSrv.Addr)
	}

	// the warnings, each with the caller's file:line from this file
	ts := tables(page)
	wantSites := map[string]string{
		"leak": site(leakFile, leakLine), "idle in transaction": site(leakFile, leakLine),
		"slow query": site(slowFile, slowLine), "pool timeout": "",
	}
	for kind, s := range wantSites {
		found := false
		for _, r := range ts["warnings"] {
			if r.key == kind && (s == "" || r.site == s) {
				found = true
			}
		}
		if !found {
			t.Errorf("no %q warning at %q among %+v", kind, s, ts["warnings"])
		}
	}
	queries := map[string]map[string]string{}
	for _, r := range ts["queries"] {
		queries[r.key+"."+r.cells["name"]] = r.cells
	}
	if q := queries["pv.SlowOne"]; q["count"] != "1" || q["slow"] != "1" {
		t.Errorf("SlowOne: %v, want count 1, slow 1", q)
	}
	if q := queries["pv.FastOne"]; q["count"] != "5" || q["errors"] != "0" {
		t.Errorf("FastOne: %v, want count 5, no errors", q)
	}
	if ts["queries"][0].cells["name"] != "SlowOne" {
		t.Errorf("the slowest query listed first is %v, want SlowOne", ts["queries"][0].cells)
	}

	// the JSON form: the same snapshot for machines
	resp, body := get(t, http.MethodGet, srv.URL+"?format=json")
	if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("JSON Content-Type %q", ct)
	}
	var snap Snapshot
	if err := json.Unmarshal([]byte(body), &snap); err != nil {
		t.Fatalf("decode the JSON form: %v\n%s", err, body)
	}
	if len(snap.Servers) != 1 || len(snap.Servers[0].Pools) != 2 || snap.Servers[0].Pools[0].DB != "ess" ||
		snap.Servers[0].Pools[0].Size != 1 || snap.Servers[0].Addr != wantSrv.Addr {
		t.Errorf("JSON servers %+v", snap.Servers)
	}
	var slow *QueryStats
	for i, q := range snap.Queries {
		if q.Name == "SlowOne" {
			slow = &snap.Queries[i]
		}
	}
	if slow == nil || slow.Count != 1 || slow.Max < 50*time.Millisecond || slow.P99 > slow.Max || slow.P99 < slow.Max*4/5 {
		t.Errorf("JSON SlowOne %+v: want one statement, max at least SLEEP's 50ms, p99 within a quarter below it", slow)
	}
	if snap.WarningTotals["leak"] < 1 || snap.WarningTotals["pool timeout"] < 1 || !snap.Recording {
		t.Errorf("JSON warning totals %v (recording %v)", snap.WarningTotals, snap.Recording)
	}

	releaseTx()

	t.Run("requests", func(t *testing.T) {
		for _, c := range []struct {
			method, query string
			code          int
			has, hasNot   string
		}{
			{"GET", "?refresh=0", 200, "not reloading", "http-equiv"},
			{"GET", "?refresh=30", 200, `content="30"`, ""},
			{"GET", "?refresh=soon", 400, "refresh must be", ""},
			{"GET", "?format=xml", 400, `unknown format "xml"`, ""},
			{"POST", "", 405, "only answers GET", ""},
			{"HEAD", "", 200, "", "<html"},
		} {
			resp, body := get(t, c.method, srv.URL+c.query)
			if resp.StatusCode != c.code || !strings.Contains(body, c.has) || c.hasNot != "" && strings.Contains(body, c.hasNot) {
				t.Errorf("%s %s: %s, want %d with %q and without %q:\n%s", c.method, c.query, resp.Status, c.code, c.has, c.hasNot, body)
			}
			if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("%s %s: headers %v", c.method, c.query, resp.Header)
			}
		}
		if resp, _ := get(t, "POST", srv.URL); resp.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("405 without Allow: GET, HEAD")
		}
	})

	t.Run("without a recorder", func(t *testing.T) {
		rr := httptest.NewRecorder()
		New(m, nil, Options{}).ServeHTTP(rr, httptest.NewRequest("GET", "/debug/dbx", nil))
		body := rr.Body.String()
		if rr.Code != 200 || !strings.Contains(body, "Not recording") || len(poolRows(t, body)) != 2 {
			t.Errorf("%d:\n%s", rr.Code, body)
		}
	})
}

// pools reads m's pools as the page converts them.
func pools(m *dbx.Manager) map[string]Pool {
	out := map[string]Pool{}
	for _, s := range m.Status() {
		out[s.DB] = poolOf(s)
	}
	return out
}

// serverKey is the part of a server's status the page shows.
func serverKey(s dbx.ServerStatus) string {
	return fmt.Sprint(s.Addr, s.Budget, s.Ceiling, s.MaxConnections, s.Open, s.InUse, s.Idle, s.BudgetWaiting,
		s.Steals, s.Shrinks, s.Refused, s.BudgetTimeouts)
}

// TestPageShowsNoSecrets connects as a user with a password, causes a
// warning, and checks that neither the password nor the user appears in
// the page or its JSON form.
func TestPageShowsNoSecrets(t *testing.T) {
	t.Parallel()
	d := hubtest.Empty(t, "ess")
	admin := hubtest.OpenServer(t, d.Server())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	user, pass := "dbxpage_"+randomHex(t, 6), "Pw-"+randomHex(t, 12)
	hosts := []string{"%", "localhost"}
	var accounts []string
	for _, h := range hosts {
		accounts = append(accounts, fmt.Sprintf("'%s'@'%s'", user, h))
	}
	specs := make([]string, len(accounts)) // IDENTIFIED BY applies to one account
	for i, a := range accounts {
		specs[i] = a + " IDENTIFIED BY '" + pass + "'"
	}
	if _, err := admin.ExecContext(ctx, "CREATE USER "+strings.Join(specs, ", ")); err != nil {
		// only the user for this check needs the privilege; the kit's
		// other tests do not
		t.Skipf("the test server's user cannot create a user with a password (%v): the page's redaction is not checked", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP USER IF EXISTS "+strings.Join(accounts, ", ")); err != nil {
			t.Errorf("drop the test user: %v", err)
		}
	})
	for _, a := range accounts {
		if _, err := admin.ExecContext(ctx, "GRANT ALL PRIVILEGES ON `"+d.Schema("ess")+"`.* TO "+a); err != nil {
			t.Fatal(err)
		}
	}
	cfg := d.Config()
	for i := range cfg.DBs {
		cfg.DBs[i].Server.User, cfg.DBs[i].Server.Passwd = user, pass
		cfg.DBs[i].Pool = dbx.Pool{Size: dbx.Int(1), Overflow: dbx.Int(0), Timeout: 50 * time.Millisecond}
	}
	rec := NewRecorder(RecorderOptions{})
	m := openManager(t, rec.Instrument(cfg))
	ess := bind(t, m, "ess")
	err := ess.Write(ctx, func(ctx context.Context, q dbx.DBTX) error {
		other := dbx.Detach(ctx) // a second connection: none left
		_, err := ess.Queries(other).ExecContext(other, "DO 1")
		return err
	})
	if !errors.Is(err, dbx.ErrPoolTimeout) {
		t.Fatalf("got %v, want ErrPoolTimeout", err)
	}
	srv := httptest.NewServer(New(m, rec, Options{}))
	defer srv.Close()
	for _, q := range []string{"", "?format=json"} {
		_, body := get(t, http.MethodGet, srv.URL+q)
		if !strings.Contains(body, "pool timeout") {
			t.Errorf("page%s lacks the pool timeout warning:\n%s", q, body)
		}
		for _, secret := range []string{pass, user, user + ":"} {
			if strings.Contains(body, secret) {
				t.Errorf("page%s shows %q:\n%s", q, secret, body)
			}
		}
	}
}

func randomHex(t *testing.T, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
