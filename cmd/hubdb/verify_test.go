package main

import (
	"strings"
	"testing"

	"github.com/solarhub/hubdb/gen"
	"github.com/solarhub/hubdb/hubtest"
)

// TestVerify: `hubdb migrate verify` passes databases as their migrations
// left them and prints a hand-made ALTER as a per-table diff, exit 1.
func TestVerify(t *testing.T) {
	d := hubtest.New(t, gen.NameESS, gen.NameSite)
	env := d.Env()
	r := hubdb(t, env, nil, "migrate", "verify", "--db", "ess", "--db", "site")
	wantCode(t, r, exitOK)
	for _, n := range []string{"ess", "site"} {
		if !strings.Contains(r.out, n+" ("+d.Schema(n)+") at version ") || !strings.Contains(r.out, "matches its migrations") {
			t.Errorf("verify of clean databases:\n%s", r.all())
		}
	}
	if _, err := d.DB(gen.NameSite).Exec("ALTER TABLE sites ADD COLUMN note VARCHAR(40) NULL"); err != nil {
		t.Fatal(err)
	}
	r = hubdb(t, env, nil, "migrate", "verify", "--db", "site")
	wantCode(t, r, exitError)
	for _, want := range []string{"site (" + d.Schema("site") + ") at version ", "DRIFT in 1 tables", "  table sites:",
		"    + column note: ", "varchar(40) NULL"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("verify after a hand-made ALTER does not say %q:\n%s", want, r.all())
		}
	}
	if !strings.Contains(r.err, "fix: ") {
		t.Errorf("no fix: %s", r.err)
	}
	r = hubdb(t, env, nil, "migrate", "verify")
	wantCode(t, r, exitUsage)
}
