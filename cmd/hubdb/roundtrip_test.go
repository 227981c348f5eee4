package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/solarhub/hubdb/hubtest"
	"github.com/solarhub/hubdb/internal/testdb"
)

// progressLine matches one line of --all progress, e.g.
// "[ 3/18] ess      - -> 2     41ms  (created stage_ess)".
var progressLine = regexp.MustCompile(`^\[ ?\d+/\d+\] [a-z]+ +(-|\d+) -> (\d+) +\d+(\.\d+)?(ms|s|µs)( +\(created \S+\))?$`)

// wantProgress checks that out has one progress line per database.
func wantProgress(t *testing.T, out string, n int) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != n {
		t.Fatalf("%d progress lines, want %d:\n%s", len(lines), n, out)
	}
	seen := map[string]bool{}
	for i, l := range lines {
		if !progressLine.MatchString(l) {
			t.Errorf("progress line %q does not match %v", l, progressLine)
		}
		if want := "/" + itoa(n) + "] "; !strings.Contains(l, "["+pad(i+1, n)+want) {
			t.Errorf("line %d is %q, want counter %s%s", i+1, l, pad(i+1, n), want)
		}
		seen[strings.Fields(l[strings.Index(l, "]")+1:])[0]] = true
	}
	if len(seen) != n {
		t.Errorf("progress names %d distinct databases, want %d", len(seen), n)
	}
}

// TestRoundTrip is acceptance item 3: up --all, status, down --all --yes,
// up --all on one set of databases that do not exist yet, and up --all on
// a fresh set; the schema after the round trip and on the fresh set equals
// the schema after the first up.
func TestRoundTrip(t *testing.T) {
	d := hubtest.Reserve(t)
	env, prefix := d.Env(), d.Prefix()
	names := databaseNames(t)
	db := serverDB(t, d.Server())

	wantStates(t, env, prefix, "-", "missing")
	start := time.Now()
	r := hubdb(t, env, nil, "migrate", "up", "--all")
	t.Logf("hubdb migrate up --all on a fresh set: %v", time.Since(start).Round(time.Millisecond))
	wantCode(t, r, exitOK)
	wantProgress(t, r.out, len(names))
	if !strings.Contains(r.out, "(created "+prefix+"ess)") {
		t.Errorf("up --all did not report creating %sess:\n%s", prefix, r.out)
	}
	wantStates(t, env, prefix, "latest", "ok")
	before := map[string][]string{}
	for _, name := range names {
		before[name] = testdb.Snapshot(t, db, d.Schema(name))
	}

	r = hubdb(t, env, nil, "migrate", "up", "--all") // nothing left to do
	wantCode(t, r, exitOK)
	wantProgress(t, r.out, len(names))

	r = hubdb(t, env, nil, "migrate", "down", "--all", "--yes")
	wantCode(t, r, exitOK)
	wantProgress(t, r.out, len(names))
	wantStates(t, env, prefix, "0", "pending")

	r = hubdb(t, env, nil, "migrate", "up", "--all")
	wantCode(t, r, exitOK)
	wantStates(t, env, prefix, "latest", "ok")
	for _, name := range names {
		if diff := testdb.DiffSnapshots(before[name], testdb.Snapshot(t, db, d.Schema(name))); diff != "" {
			t.Errorf("%s: schema after down --all and up --all differs:%s", name, diff)
		}
	}

	d2 := hubtest.Reserve(t)
	r = hubdb(t, d2.Env(), nil, "migrate", "up", "--all")
	wantCode(t, r, exitOK)
	for _, name := range names {
		if diff := testdb.DiffSnapshots(before[name], testdb.Snapshot(t, db, d2.Schema(name))); diff != "" {
			t.Errorf("%s: schema on a fresh set differs:%s", name, diff)
		}
	}
}

// TestConcurrentUp runs two "hubdb migrate up --all" at once on the same
// fresh databases (none exists yet): both succeed (one waits for the
// other's lock per database) and every database ends at its latest
// version, clean.
func TestConcurrentUp(t *testing.T) {
	env, prefix := reservedEnv(t)
	var wg sync.WaitGroup
	results := make([]result, 2)
	for i := range results {
		wg.Go(func() { results[i] = hubdb(t, env, nil, "migrate", "up", "--all") })
	}
	wg.Wait()
	for _, r := range results {
		wantCode(t, r, exitOK)
		wantProgress(t, r.out, len(databaseNames(t)))
	}
	wantStates(t, env, prefix, "latest", "ok")
}

// TestSomeDatabases: --db picks databases (repeatable, flags after the
// command), the others stay missing; steps and goto move one database.
func TestSomeDatabases(t *testing.T) {
	env, prefix := reservedEnv(t, "ess", "pv", "ev") // ev is dropped too if a bug creates it
	wantCode(t, hubdb(t, env, nil, "migrate", "up", "--db", "ess", "--db=pv"), exitOK)
	r := hubdb(t, env, nil, "migrate", "status", "--db", "ess", "--db", "pv", "--db", "ev")
	wantCode(t, r, exitOK)
	rows := statusRows(t, r.out)
	if len(rows) != 3 || rows["ess"][5] != "ok" || rows["pv"][5] != "ok" || rows["ev"][5] != "missing" || rows["ev"][1] != prefix+"ev" {
		t.Fatalf("status:\n%s", r.out)
	}

	r = hubdb(t, env, nil, "migrate", "steps", "-1", "--db", "ess") // one step: no confirmation
	wantCode(t, r, exitOK)
	if want := "ess " + itoa(int(latest(t, "ess"))) + " -> " + itoa(int(latest(t, "ess"))-1); !strings.Contains(strings.Join(strings.Fields(r.out), " "), want) {
		t.Errorf("steps -1 printed %q, want %q", r.out, want)
	}
	wantCode(t, hubdb(t, env, nil, "migrate", "goto", "1", "--db", "pv", "--yes"), exitOK)
	wantCode(t, hubdb(t, env, nil, "--help"), exitOK)
	r = hubdb(t, env, nil, "migrate", "status", "--db", "pv")
	if rows := statusRows(t, r.out); rows["pv"][2] != "1" || rows["pv"][5] != "pending" {
		t.Errorf("after goto 1, status:\n%s", r.out)
	}
	wantCode(t, hubdb(t, env, nil, "migrate", "steps", "1", "--db", "pv"), exitOK)
	r = hubdb(t, env, nil, "migrate", "status", "--db", "pv")
	if rows := statusRows(t, r.out); rows["pv"][2] != "2" { // pv's migrations 1 and 2
		t.Errorf("after steps 1, status:\n%s", r.out)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// pad renders i right-aligned to the width of n, as progress lines do.
func pad(i, n int) string { return fmt.Sprintf("%*d", len(strconv.Itoa(n)), i) }
