package main

import (
	"context"
	"strings"
	"testing"

	"github.com/solarhub/hubdb/hubtest"
	"github.com/solarhub/hubdb/migration"
)

// TestHistoryFlags: when a database's history disagrees with the embedded
// files (here the history says 000001 had other content, as it does after
// the file is edited, and lacks 000002, as it does when the file arrived
// after a later one ran), status flags the database, names each file on
// stderr and exits 1; up refuses with one line naming the first file and
// the fix; force records the files as they are and up works again.
func TestHistoryFlags(t *testing.T) {
	d := hubtest.Empty(t, "ess")
	env := d.Env()
	wantCode(t, hubdb(t, env, nil, "migrate", "up", "--db", "ess"), exitOK)
	db := d.DB("ess")
	ctx := context.Background()
	for _, q := range []string{
		"UPDATE " + migration.HistoryTable + " SET checksum = REPEAT('0', 64) WHERE version = 1",
		"DELETE FROM " + migration.HistoryTable + " WHERE version = 2",
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	r := hubdb(t, env, nil, "migrate", "status", "--db", "ess")
	wantCode(t, r, exitError)
	if row := statusRows(t, r.out)["ess"]; row[5] != "edited" {
		t.Errorf("status row %v, want state edited", row)
	}
	for _, want := range []string{"ess/000001_", "was edited after it was applied", "ess/000002_", "was never applied"} {
		if !strings.Contains(r.err, want) {
			t.Errorf("status stderr does not say %q:\n%s", want, r.err)
		}
	}
	v := itoa(int(latest(t, "ess")))
	wantOneLineError(t, hubdb(t, env, nil, "migrate", "up", "--db", "ess"),
		"migrate up ess", "applied migration file was edited", "ess/000001_", "new migration",
		"hubdb migrate force "+v+" --db ess", "1 more: hubdb migrate status --db ess")

	wantCode(t, hubdb(t, env, nil, "migrate", "force", v, "--db", "ess"), exitOK)
	r = hubdb(t, env, nil, "migrate", "status", "--db", "ess")
	wantCode(t, r, exitOK)
	if row := statusRows(t, r.out)["ess"]; row[5] != "ok" {
		t.Errorf("status row %v after force, want ok", row)
	}
	wantCode(t, hubdb(t, env, nil, "migrate", "up", "--db", "ess"), exitOK)
}
