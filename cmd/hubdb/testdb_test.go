package main

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/solarhub/hubdb/gen"
	"github.com/solarhub/hubdb/hubtest"
	"github.com/solarhub/hubdb/internal/testdb"
)

// TestTestdbListAndDrop: `hubdb testdb` lists the kit's databases by
// prefix, asks before dropping (refusing without a terminal), leaves the
// copies of running test processes, and drops kept ones with --yes.
func TestTestdbListAndDrop(t *testing.T) {
	ctx := context.Background()
	server := hubtest.Server(t)
	env := []string{testdb.EnvDSN + "=" + server.FormatDSN()}
	e, err := testdb.Open(ctx, server)
	if err != nil {
		t.Fatal(err)
	}
	// A set kept for a failed test, as the kit leaves one.
	kept, err := e.Create(ctx, nil, testdb.Empty, gen.NameESS, gen.NamePV)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kept.Keep(ctx, "TestSomething/sub"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kept.Drop(ctx) })
	// A running test's set: this process is alive.
	live := hubtest.Empty(t, gen.NameSite)

	r := hubdb(t, env, nil, "testdb", "list", kept.Prefix)
	wantCode(t, r, exitOK)
	for _, n := range kept.Names {
		if !regexp.MustCompile(`(?m)^` + kept.Schemas[n] + ` +kept: TestSomething/sub failed at 20`).MatchString(r.out) {
			t.Errorf("list does not show %s as kept:\n%s", kept.Schemas[n], r.out)
		}
	}
	r = hubdb(t, env, nil, "testdb", "list")
	if !regexp.MustCompile(`(?m)^`+live.Schema(gen.NameSite)+` +copy, its process is running$`).MatchString(r.out) ||
		!regexp.MustCompile(`(?m)^_hubtest_kit +kit$`).MatchString(r.out) {
		t.Errorf("list of every database of the kit:\n%s", r.out)
	}

	// No terminal and no --yes: refused, nothing dropped.
	r = hubdb(t, env, nil, "testdb", "drop", kept.Prefix)
	wantCode(t, r, exitError)
	if !strings.Contains(r.err, "pass --yes") {
		t.Errorf("drop without --yes: %s", r.all())
	}
	if got, _ := testdb.List(ctx, testdb.Connect(server), kept.Prefix); len(got) != 2 {
		t.Fatalf("a refused drop dropped something: %+v", got)
	}

	// A prefix that covers the running test's set too: that one is left.
	common := testdb.Marker + e.Owner() + "_"
	if !strings.HasPrefix(live.Prefix(), common) {
		t.Fatalf("the running set %s is not under %s: the case proves nothing", live.Prefix(), common)
	}
	r = hubdb(t, env, nil, "testdb", "drop", "--yes", common)
	wantCode(t, r, exitOK)
	if !strings.Contains(r.err, "leaving "+live.Schema(gen.NameSite)+": its test process is still running") {
		t.Errorf("drop did not leave the running test's database:\n%s", r.all())
	}
	got, err := testdb.List(ctx, testdb.Connect(server), common)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Name != live.Schema(gen.NameSite) {
		t.Errorf("after drop --yes %s: %+v, want only the running test's database", common, got)
	}
}

// TestTestdbRefuses: prefixes outside the kit are usage errors, and a bad
// DSN's password is not shown.
func TestTestdbRefuses(t *testing.T) {
	for _, args := range [][]string{
		{"testdb", "drop", "stage_"},
		{"testdb", "drop", "--yes", "ess"},
		{"testdb", "drop"},
		{"testdb", "list", "t1a2b3c4_"},
		{"testdb", "nuke"},
	} {
		r := hubdb(t, nil, nil, args...)
		wantCode(t, r, exitUsage)
	}
	r := hubdb(t, []string{testdb.EnvDSN + "=root:s3cret@tcp(127.0.0.1:3306"}, nil, "testdb", "list")
	wantCode(t, r, exitError)
	noSecrets(t, r, "s3cret")
	r = hubdb(t, []string{testdb.EnvDSN + "=root:s3cret@tcp(192.0.2.7:3306)/"}, nil, "testdb", "list")
	wantCode(t, r, exitError)
	if !strings.Contains(r.err, "HUBDB_TEST_ALLOW=192.0.2.7:3306") {
		t.Errorf("a remote server: %s", r.all())
	}
	noSecrets(t, r, "s3cret")
}
