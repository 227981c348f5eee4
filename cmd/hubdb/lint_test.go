package main

import (
	"strings"
	"testing"
	"testing/fstest"
)

// TestMigrateLint: `hubdb migrate lint` passes the repository's own
// migrations, every database by default, without a server: the DSN points
// at a port where nothing listens.
func TestMigrateLint(t *testing.T) {
	env := []string{"HUBDB_DSN=root@tcp(127.0.0.1:1)/"}
	for _, args := range [][]string{{"migrate", "lint"}, {"migrate", "lint", "--all"}, {"migrate", "--since", "1", "lint", "--db", "ess", "--db", "pv"}} {
		r := hubdb(t, env, nil, args...)
		wantCode(t, r, exitOK)
		n := "18"
		if len(args) > 3 {
			n = "2"
		}
		if !strings.HasPrefix(r.out, "lint: "+n+" databases (") || !strings.HasSuffix(r.out, ": 0 findings to fix, 0 accepted\n") || r.err != "" {
			t.Errorf("%v:\n%s", args, r.all())
		}
	}
}

// TestMigrateLintFindings: a locking statement is printed with its file,
// line, rule, reason and fix and fails the run; an accepted one is marked
// and does not; a bad marker fails it too.
func TestMigrateLintFindings(t *testing.T) {
	saved := lintFS
	t.Cleanup(func() { lintFS = saved })
	lintFS = fstest.MapFS{
		"ess/000001_init.up.sql": {Data: []byte("CREATE TABLE t (id BIGINT NOT NULL PRIMARY KEY, v INT NULL, w INT NULL);\n")},
		"ess/000002_v.up.sql": {Data: []byte("ALTER TABLE t MODIFY v BIGINT NULL;\n" +
			"-- hubdb:lint-accept column-null t has ten rows\nALTER TABLE t MODIFY w INT NOT NULL;\n")},
		"pv/000001_init.up.sql": {Data: []byte("CREATE TABLE u (id BIGINT NOT NULL PRIMARY KEY);\n")},
		"pv/000002_u.up.sql":    {Data: []byte("-- hubdb:lint-accept column-type nothing to accept\nALTER TABLE u ADD COLUMN x INT NULL;\n")},
	}
	r := hubdb(t, nil, nil, "migrate", "lint", "--db", "ess")
	wantCode(t, r, exitError)
	lines := strings.Split(strings.TrimSuffix(r.out, "\n"), "\n")
	if len(lines) != 3 ||
		!strings.HasPrefix(lines[0], "ess/000002_v.up.sql:1: column-type: v changes type from INT to BIGINT: changing a column's type copies the table") ||
		!strings.Contains(lines[0], "; fix: expand/contract: ") ||
		!strings.HasPrefix(lines[1], "ess/000002_v.up.sql:3: column-null: ") || !strings.HasSuffix(lines[1], " [accepted: t has ten rows]") ||
		lines[2] != "lint: 1 databases (every migration): 1 findings to fix, 1 accepted" {
		t.Errorf("stdout:\n%s", r.out)
	}
	if !strings.Contains(r.err, "hubdb: fix: ") || !strings.Contains(r.err, "-- hubdb:lint-accept <rule> <why>") {
		t.Errorf("stderr: %s", r.err)
	}

	r = hubdb(t, nil, nil, "migrate", "lint", "--db", "ess", "--since", "2")
	wantCode(t, r, exitOK)
	if r.out != "lint: 1 databases (migrations after version 2): 0 findings to fix, 0 accepted\n" {
		t.Errorf("--since 2: %s", r.all())
	}

	r = hubdb(t, nil, nil, "migrate", "lint", "--db", "pv")
	wantCode(t, r, exitError)
	if !strings.Contains(r.err, "hubdb: lint: pv/000002_u.up.sql:1: hubdb:lint-accept column-type: the statement has no column-type finding") ||
		!strings.HasSuffix(r.out, "0 findings to fix, 0 accepted\n") {
		t.Errorf("a marker without a finding:\n%s", r.all())
	}
}

// TestMigrateLintUsage: lint's command-line errors exit with status 2.
func TestMigrateLintUsage(t *testing.T) {
	for args, msg := range map[string]string{
		"migrate lint extra":          `lint takes no argument, got "extra"`,
		"migrate lint --db nope":      `unknown database "nope"`,
		"migrate lint --all --db ess": "either --db or --all, not both",
		"migrate status --since 2":    "--since is a flag of lint",
		"migrate lint --since x":      `invalid value "x" for flag -since`,
	} {
		r := hubdb(t, nil, nil, strings.Fields(args)...)
		wantCode(t, r, exitUsage)
		if !strings.Contains(r.err, msg) || !strings.Contains(r.err, "  lint       flag statements") {
			t.Errorf("%s: stderr lacks %q or the usage:\n%s", args, msg, r.err)
		}
	}
}
