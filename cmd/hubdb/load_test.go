package main

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/solarhub/hubdb/gen"
	"github.com/solarhub/hubdb/hubtest"
)

// loadEnv gives the test its own migrated databases names (dropped when
// the test ends) and returns the environment pointing hubdb at them.
func loadEnv(t *testing.T, names ...string) (env []string, d *hubtest.Databases) {
	t.Helper()
	d = hubtest.New(t, names...)
	return d.Env(), d
}

// poolRow matches a row of the pools table: database, size, overflow, in
// use, idle, open, waiting, waited, timeouts, leaks.
var poolRow = regexp.MustCompile(`(?m)^ *([a-z]+) +(\d+) +(\d+) +(\d+) +(\d+) +(\d+) +(\d+) +(\d+) +(\d+) +(\d+)$`)

// pools returns the pools table of a load report, by database.
func pools(t *testing.T, out string) map[string][]int {
	t.Helper()
	rows := map[string][]int{}
	for _, m := range poolRow.FindAllStringSubmatch(out, -1) {
		var vals []int
		for _, v := range m[2:] {
			n, _ := strconv.Atoi(v)
			vals = append(vals, n)
		}
		rows[m[1]] = vals
	}
	return rows
}

// TestLoadWrite runs write transactions on two databases and checks, with
// the scratch tables kept, that every reported operation incremented
// exactly one row: the sum of the counters equals the operations.
func TestLoadWrite(t *testing.T) {
	env, d := loadEnv(t, "ess", "pv")
	r := hubdb(t, env, nil, "load", "--workload", "write", "--db", "ess", "--db", "pv",
		"--count", "400", "--concurrency", "8", "--size", "2", "--overflow", "2", "--keep-table")
	wantCode(t, r, exitOK)
	if !strings.Contains(r.out, "write on 2 databases (ess, pv)") ||
		!strings.Contains(r.out, "400 operations in ") || !strings.Contains(r.out, ", 0 failed") {
		t.Errorf("report does not show 400 operations without failures:\n%s", r.out)
	}
	if !regexp.MustCompile(`latency  p50 \S+  p90 \S+  p99 \S+  max \S+`).MatchString(r.out) {
		t.Errorf("report lacks the latency line:\n%s", r.out)
	}
	ps := pools(t, r.out)
	for _, name := range []string{"ess", "pv"} {
		row, ok := ps[name]
		if !ok {
			t.Fatalf("no pool row for %s:\n%s", name, r.out)
		}
		if row[0] != 2 || row[1] != 2 || row[2] != 0 || row[4] > 4 {
			t.Errorf("%s: size %d overflow %d in use %d open %d; want 2, 2, 0 and at most 4", name,
				row[0], row[1], row[2], row[4])
		}
	}
	total := 0
	for _, name := range []string{"ess", "pv"} {
		db := d.DB(name)
		var sum int
		if err := db.QueryRowContext(context.Background(),
			"SELECT CAST(COALESCE(SUM(n), 0) AS SIGNED) FROM hubdb_load").Scan(&sum); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if sum == 0 {
			t.Errorf("%s got no writes: operations go round-robin over the databases", name)
		}
		total += sum
	}
	if total != 400 {
		t.Errorf("the scratch counters add up to %d, want 400 (one increment per write transaction)", total)
	}
}

// TestLoadTimeoutsAndCleanup gives 20 workers one connection and a 1 ms
// pool timeout: the report must count pool timeouts by type and in the
// pool's status, and the scratch table must be gone afterwards.
func TestLoadTimeoutsAndCleanup(t *testing.T) {
	env, d := loadEnv(t, "alarm")
	r := hubdb(t, env, nil, "load", "--workload", "read", "--db", "alarm", "--count", "300",
		"--concurrency", "20", "--size", "1", "--overflow", "0", "--timeout", "1ms")
	wantCode(t, r, exitOK)
	m := regexp.MustCompile(`(?m)^  pool timeout +(\d+)  e\.g\. dbx: alarm: acquire: pool timeout`).FindStringSubmatch(r.out)
	if m == nil {
		t.Fatalf("no pool timeouts among the errors by type:\n%s", r.out)
	}
	timeouts, _ := strconv.Atoi(m[1])
	row := pools(t, r.out)["alarm"]
	if row == nil || row[7] != timeouts {
		t.Errorf("pool row %v: want TIMEOUTS %d as in the errors by type:\n%s", row, timeouts, r.out)
	}
	var n int
	err := d.DB("alarm").QueryRowContext(context.Background(),
		"SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'hubdb_load'",
		d.Schema("alarm")).Scan(&n)
	if err != nil || n != 0 {
		t.Errorf("scratch table left behind (%d tables, err %v)", n, err)
	}
}

// TestLoadScenario runs the scenario workload with 20 requests.
func TestLoadScenario(t *testing.T) {
	env, _ := loadEnv(t, "ess")
	r := hubdb(t, env, nil, "load", "--workload", "scenario", "--requests", "20", "--pattern", "scoped")
	wantCode(t, r, exitOK)
	for _, want := range []string{`(?m)^ +scoped +20 +hubdb +20 +0 `, `(?m)^ +scoped +20 +database/sql +20 +0 `,
		`(?m)^Overload: `} {
		if !regexp.MustCompile(want).MatchString(r.out) {
			t.Errorf("scenario report lacks %s:\n%s", want, r.out)
		}
	}
	if strings.Contains(r.out, "held    ") {
		t.Errorf("--pattern scoped ran held too:\n%s", r.out)
	}
}

// TestLoadRefusesRemoteServer checks the loopback rail; nothing is dialled.
func TestLoadRefusesRemoteServer(t *testing.T) {
	r := hubdb(t, []string{"HUBDB_DSN=root@tcp(192.0.2.1:3306)/"}, nil, "load", "--count", "1")
	wantCode(t, r, exitError)
	if !strings.Contains(r.err, "database account: server 192.0.2.1:3306 is not on a loopback address") {
		t.Errorf("stderr does not explain the refusal:\n%s", r.err)
	}
}

func TestLoadUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--workload", "delete"}, `unknown workload "delete"`},
		{[]string{"--dbs", "2", "--db", "ess"}, "either --dbs K or --db NAME"},
		{[]string{"--dbs", strconv.Itoa(len(gen.Names) + 1)}, fmt.Sprintf("--dbs %d: there are %d databases", len(gen.Names)+1, len(gen.Names))},
		{[]string{"--db", "nope"}, `unknown database "nope"`},
		{[]string{"--concurrency", "5000"}, "--concurrency must be 1 to 1000"},
		{[]string{"--duration", "1h"}, "--duration must be above 0 and at most 10m0s"},
		{[]string{"--count", "5", "--duration", "1s"}, "either --duration or --count"},
		{[]string{"--size", "0"}, "--size must be at least 1"},
		{[]string{"--workload", "scenario", "--db", "pv"}, "the scenario runs on the ess database only"},
		{[]string{"--pattern", "lazy"}, `unknown pattern "lazy"`},
		{[]string{"extra"}, `unexpected argument "extra"`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := hubdb(t, []string{"HUBDB_DSN=root@tcp(127.0.0.1:1)/"}, nil, append([]string{"load"}, tc.args...)...)
			wantCode(t, r, exitUsage)
			if !strings.Contains(r.err, tc.want) || !strings.Contains(r.err, "Usage: hubdb load") {
				t.Errorf("stderr lacks %q and the usage:\n%s", tc.want, r.err)
			}
		})
	}
	r := hubdb(t, nil, nil, "load", "--help")
	wantCode(t, r, exitOK)
	if !strings.HasPrefix(r.out, "Usage: hubdb load") {
		t.Errorf("--help printed %q", r.out)
	}
}
