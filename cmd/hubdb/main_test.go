package main

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/solarhub/hubdb/hubtest"
	"github.com/solarhub/hubdb/migration"
	"github.com/solarhub/hubdb/schema"
)

// result is what one run of hubdb printed and returned.
type result struct {
	code     int
	out, err string
}

// all returns stdout and stderr together, for checks that apply to both.
func (r result) all() string { return r.out + r.err }

// hubdb runs the command in-process with the given environment and stdin.
func hubdb(t *testing.T, env []string, stdin io.Reader, args ...string) result {
	t.Helper()
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, stdin, &out, &errOut, env)
	return result{code: code, out: out.String(), err: errOut.String()}
}

// testEnv gives the test its own empty databases names (every database
// when none is named), dropped when it ends, and returns the environment
// pointing hubdb at them and their prefix. The other databases of the
// registry do not exist under the prefix.
func testEnv(t *testing.T, names ...string) (env []string, prefix string) {
	t.Helper()
	d := hubtest.Empty(t, names...)
	return d.Env(), d.Prefix()
}

// reservedEnv reserves names (every database when none is named) for the
// test: none of them exists yet, and whichever of them the commands create
// are dropped when it ends. It returns the environment pointing hubdb at
// them and their prefix.
func reservedEnv(t *testing.T, names ...string) (env []string, prefix string) {
	t.Helper()
	d := hubtest.Reserve(t, names...)
	return d.Env(), d.Prefix()
}

// serverDB is a plain *sql.DB on server with no database selected (for
// statements such as CREATE USER), closed when the test ends.
func serverDB(t *testing.T, server *mysql.Config) *sql.DB {
	t.Helper()
	return hubtest.OpenServer(t, server)
}

func databaseNames(t *testing.T) []string {
	t.Helper()
	names, err := schema.Databases(schema.FS)
	if err != nil || len(names) == 0 {
		t.Fatalf("schema.Databases = %v, %v", names, err)
	}
	return names
}

// wantCode fails the test unless r exited with code.
func wantCode(t *testing.T, r result, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit status %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.out, r.err)
	}
}

// noSecrets fails the test if any of secrets appears in r's output.
func noSecrets(t *testing.T, r result, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(r.all(), s) {
			t.Errorf("output contains the password %q:\n%s", s, r.all())
		}
	}
}

// statusRows parses the output of "hubdb migrate status" into rows of
// fields by database name.
func statusRows(t *testing.T, out string) map[string][]string {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "DATABASE") {
		t.Fatalf("status output has no header:\n%s", out)
	}
	rows := map[string][]string{}
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) != 6 {
			t.Fatalf("status row %q has %d fields, want 6", l, len(f))
		}
		rows[f[0]] = f
	}
	return rows
}

// wantStates runs status and checks every database's state and version;
// version "latest" stands for each database's latest version.
func wantStates(t *testing.T, env []string, prefix, version, state string) {
	t.Helper()
	r := hubdb(t, env, nil, "migrate", "status")
	wantCode(t, r, exitOK)
	rows := statusRows(t, r.out)
	names := databaseNames(t)
	if len(rows) != len(names) {
		t.Fatalf("status shows %d databases, want %d:\n%s", len(rows), len(names), r.out)
	}
	for _, name := range names {
		want := version
		if version == "latest" {
			want = strconv.FormatUint(uint64(latest(t, name)), 10)
		}
		row := rows[name]
		if row == nil || row[1] != prefix+name || row[2] != want || row[4] != "no" || row[5] != state {
			t.Errorf("status of %s = %v; want schema %s%s, version %s, not dirty, %s", name, row, prefix, name, want, state)
		}
	}
}

// latest returns the latest migration version of database name.
func latest(t *testing.T, name string) uint {
	t.Helper()
	versions, err := migration.Versions(schema.FS, name)
	if err != nil {
		t.Fatal(err)
	}
	return versions[len(versions)-1]
}
