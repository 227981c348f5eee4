package main

import (
	"slices"
	"strings"
	"testing"
)

// TestParseMigrate checks that flags are accepted before and after the
// command and its number, and that negative numbers are arguments.
func TestParseMigrate(t *testing.T) {
	tests := []struct {
		args []string
		want migrateOpts
	}{
		{[]string{"force", "2", "--db", "ess"}, migrateOpts{sub: "force", arg: 2, dbs: []string{"ess"}}},
		{[]string{"--db", "ess", "steps", "-2", "--yes"}, migrateOpts{sub: "steps", arg: -2, dbs: []string{"ess"}, yes: true}},
		{[]string{"steps", "--db=ess", "-3", "--db", "pv"}, migrateOpts{sub: "steps", arg: -3, dbs: []string{"ess", "pv"}}},
		{[]string{"--all", "up", "--no-create", "-config", "x.yaml"}, migrateOpts{sub: "up", all: true, noCreate: true, config: "x.yaml"}},
		{[]string{"status"}, migrateOpts{sub: "status"}},
		{[]string{"goto", "0", "--all", "--yes=true"}, migrateOpts{sub: "goto", all: true, yes: true}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			got, err := parseMigrate(tt.args)
			if err != nil {
				t.Fatal(err)
			}
			if got.sub != tt.want.sub || got.arg != tt.want.arg || !slices.Equal(got.dbs, tt.want.dbs) ||
				got.all != tt.want.all || got.yes != tt.want.yes || got.noCreate != tt.want.noCreate || got.config != tt.want.config {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestUsageErrors: bad command lines exit with status 2, say what is wrong
// and print the usage text; none needs a server.
func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		msg  string
	}{
		{nil, "Usage: hubdb <command>"},
		{[]string{"frob"}, `unknown command "frob"`},
		{[]string{"migrate"}, "missing command"},
		{[]string{"migrate", "frob", "--all"}, `unknown command "frob"`},
		{[]string{"migrate", "up"}, "up needs --db NAME (repeatable) or --all"},
		{[]string{"migrate", "down", "--yes"}, "down needs --db NAME"},
		{[]string{"migrate", "up", "--all", "--db", "ess"}, "either --db or --all, not both"},
		{[]string{"migrate", "up", "extra", "--all"}, `up takes no argument, got "extra"`},
		{[]string{"migrate", "steps", "--all"}, "steps needs exactly one number"},
		{[]string{"migrate", "steps", "0", "--all"}, "N must not be 0"},
		{[]string{"migrate", "goto", "two", "--all"}, `"two" is not a number`},
		{[]string{"migrate", "force", "-1", "--all"}, "must not be negative"},
		{[]string{"migrate", "up", "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"migrate", "up", "--db"}, "flag needs an argument: -db"},
		{[]string{"migrate", "up", "--db", "esss"}, `unknown database "esss" (valid: account, alarm,`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := hubdb(t, nil, nil, tt.args...)
			wantCode(t, r, exitUsage)
			if !strings.Contains(r.err, tt.msg) {
				t.Errorf("stderr lacks %q:\n%s", tt.msg, r.err)
			}
			if !strings.Contains(r.err, "Usage: hubdb") {
				t.Errorf("stderr has no usage text:\n%s", r.err)
			}
			if r.out != "" {
				t.Errorf("stdout not empty: %q", r.out)
			}
		})
	}
}

// TestHelp: --help prints the usage on stdout and exits 0.
func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"--help"}, {"migrate", "--help"}, {"migrate", "-h"}} {
		r := hubdb(t, nil, nil, args...)
		wantCode(t, r, exitOK)
		if !strings.Contains(r.out, "Usage: hubdb") || r.err != "" {
			t.Errorf("%v: stdout %q stderr %q", args, r.out, r.err)
		}
	}
}
