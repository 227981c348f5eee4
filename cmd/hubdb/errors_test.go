package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/solarhub/hubdb/hubtest"
)

// wantOneLineError checks that r failed with exit status 1 and printed
// exactly one line on stderr, containing each of parts.
func wantOneLineError(t *testing.T, r result, parts ...string) {
	t.Helper()
	wantCode(t, r, exitError)
	lines := strings.Split(strings.TrimRight(r.err, "\n"), "\n")
	if len(lines) != 1 || lines[0] == "" {
		t.Fatalf("stderr has %d lines, want one:\n%s", len(lines), r.err)
	}
	for _, p := range parts {
		if !strings.Contains(lines[0], p) {
			t.Errorf("error %q lacks %q", lines[0], p)
		}
	}
	t.Logf("%s", lines[0])
}

// TestDirty: a dirty database refuses up with a one-line error naming the
// database, the version and the force command; status shows it dirty; the
// suggested force command, typed with the flag after the version, works.
func TestDirty(t *testing.T) {
	d := hubtest.Empty(t, "ess")
	env, prefix := d.Env(), d.Prefix()
	wantCode(t, hubdb(t, env, nil, "migrate", "up", "--db", "ess"), exitOK)
	db := d.DB("ess")
	if _, err := db.ExecContext(context.Background(), "UPDATE schema_migrations SET dirty = 1"); err != nil {
		t.Fatal(err)
	}
	v := itoa(int(latest(t, "ess")))
	prev := itoa(int(latest(t, "ess")) - 1)
	force := `hubdb migrate force ` + prev + ` --db ess`
	wantOneLineError(t, hubdb(t, env, nil, "migrate", "up", "--db", "ess"),
		"migrate up ess", "(database "+prefix+"ess)", "dirty at version "+v, force)
	wantOneLineError(t, hubdb(t, env, nil, "migrate", "down", "--db", "ess", "--yes"), "migrate down ess", "dirty", force)

	r := hubdb(t, env, nil, "migrate", "status", "--db", "ess")
	wantCode(t, r, exitOK)
	if row := statusRows(t, r.out)["ess"]; row[2] != v || row[4] != "yes" || row[5] != "dirty" {
		t.Errorf("status row %v, want version %s, dirty yes, state dirty", row, v)
	}

	wantCode(t, hubdb(t, env, nil, strings.Fields(force)[1:]...), exitOK)
	wantCode(t, hubdb(t, env, nil, "migrate", "up", "--db", "ess"), exitOK)
	r = hubdb(t, env, nil, "migrate", "status", "--db", "ess")
	if row := statusRows(t, r.out)["ess"]; row[2] != v || row[5] != "ok" {
		t.Errorf("after force and up, status row %v", row)
	}
}

// TestMissing: down, goto and force on a database that does not exist
// fail with one line naming it and how to create it, and create nothing;
// up --no-create refuses too.
func TestMissing(t *testing.T) {
	env, prefix := reservedEnv(t, "ess") // does not exist; dropped if a bug creates it
	for _, args := range [][]string{
		{"down", "--db", "ess", "--yes"},
		{"goto", "1", "--db", "ess"},
		{"force", "1", "--db", "ess"},
		{"up", "--db", "ess", "--no-create"},
	} {
		wantOneLineError(t, hubdb(t, env, nil, append([]string{"migrate"}, args...)...),
			"migrate "+args[0], prefix+"ess", "database does not exist", `hubdb migrate up --db ess`)
	}
	r := hubdb(t, env, nil, "migrate", "status", "--db", "ess")
	wantCode(t, r, exitOK)
	if row := statusRows(t, r.out)["ess"]; row[2] != "-" || row[5] != "missing" {
		t.Errorf("status row %v, want missing", row)
	}
}

// TestUnreachable: a closed loopback port gives, per database, one line
// naming it, the address and the fix; the password is not shown.
func TestUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	const pw = "Unreach4blePw"
	env := []string{"HUBDB_DSN=app:" + pw + "@tcp(" + addr + ")/?timeout=2s", "HUBDB_DB_PREFIX=t0_"}
	r := hubdb(t, env, nil, "migrate", "up", "--db", "ess")
	wantOneLineError(t, r, "migrate up ess", "cannot reach the MySQL server at "+addr, "connection refused", "HUBDB_ESS_DSN")
	noSecrets(t, r, pw)

	r = hubdb(t, env, nil, "migrate", "status")
	wantCode(t, r, exitError)
	if n := strings.Count(r.err, "cannot reach the MySQL server"); n != len(databaseNames(t)) {
		t.Errorf("status: %d unreachable errors, want one per database:\n%s", n, r.err)
	}
	noSecrets(t, r, pw)
}

// TestAccessDenied creates a throwaway user. With a wrong password, and
// with the right one but no privilege to create the database, hubdb fails
// with one line naming the database, the cause and the fix; neither
// password appears anywhere.
func TestAccessDenied(t *testing.T) {
	d := hubtest.Reserve(t, "ess", "pv") // neither exists; up must create ess, and is refused
	env, prefix, server := d.Env(), d.Prefix(), d.Server()
	suffix := randomHex(t)
	user, right, wrong := "hubdb_t"+suffix, "Right"+suffix+"Pw", "Wrong"+suffix+"Pw"
	admin := serverDB(t, server)
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "CREATE USER '"+user+"'@'%' IDENTIFIED BY '"+right+"'"); err != nil {
		t.Fatalf("create user: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), "DROP USER IF EXISTS '"+user+"'@'%'"); err != nil {
			t.Errorf("drop user: %v", err)
		}
	})
	dsn := func(pw string) string {
		cfg := mysql.NewConfig()
		cfg.User, cfg.Passwd, cfg.Net, cfg.Addr = user, pw, server.Net, server.Addr
		return cfg.FormatDSN()
	}

	r := hubdb(t, append(env, "HUBDB_ESS_DSN="+dsn(wrong)), nil, "migrate", "up", "--db", "ess")
	wantOneLineError(t, r, "migrate up ess", "access denied", user, "check the user and password", "HUBDB_ESS_DSN")
	noSecrets(t, r, right, wrong)

	r = hubdb(t, append(env, "HUBDB_ESS_DSN="+dsn(right)), nil, "migrate", "up", "--db", "ess")
	wantOneLineError(t, r, "migrate up ess", "access denied", prefix+"ess")
	noSecrets(t, r, right, wrong)

	r = hubdb(t, append(env, "HUBDB_DSN="+dsn(wrong)), nil, "migrate", "status", "--db", "pv")
	wantOneLineError(t, r, "migrate status pv", "access denied")
	noSecrets(t, r, right, wrong)
}

// TestBadDSN: a DSN that does not parse fails before anything runs, with
// one line naming the variable and the database, not the DSN.
func TestBadDSN(t *testing.T) {
	const pw = "BadDsnSecretPw"
	for _, tt := range []struct{ env, parts string }{
		{"HUBDB_DSN=app:" + pw + "@tcp(db1:3306", "HUBDB_DSN"},
		{"HUBDB_ESS_DSN=app:" + pw + "@tcp(db1)/?parseTime=" + pw, "HUBDB_ESS_DSN (server of database ess)"},
		{"HUBDB_ESSS_DSN=app:" + pw + "@tcp(db1)/", `HUBDB_ESSS_DSN is not a hubdb setting: unknown database "esss"`},
	} {
		r := hubdb(t, []string{tt.env}, nil, "migrate", "up", "--all")
		wantOneLineError(t, r, tt.parts)
		noSecrets(t, r, pw)
	}
}

// TestUnknownVariable: a misspelt HUBDB_* variable stops every command
// before it connects, with one line naming the variable and the one meant,
// not its value.
func TestUnknownVariable(t *testing.T) {
	const pw = "UnknownVarSecretPw"
	for _, tt := range []struct {
		env  []string
		args []string
		want string
	}{
		{[]string{"HUBDB_DB_PREFX=stage_" + pw}, []string{"migrate", "status"},
			"hubdb: config: HUBDB_DB_PREFX is not a hubdb setting; did you mean HUBDB_DB_PREFIX?"},
		{[]string{"HUBDB_DNS=app:" + pw + "@tcp(db1)/"}, []string{"migrate", "up", "--all"},
			"hubdb: config: HUBDB_DNS is not a hubdb setting; did you mean HUBDB_DSN?"},
		{[]string{"HUBDB_APP_PASWORD=" + pw}, []string{"grants"},
			"hubdb: config: HUBDB_APP_PASWORD is not a hubdb setting; did you mean HUBDB_APP_PASSWORD?"},
	} {
		r := hubdb(t, tt.env, nil, tt.args...)
		wantOneLineError(t, r, tt.want)
		noSecrets(t, r, pw)
	}
}

// TestConfirmation: down, steps -N (N > 1) and goto more than one step down
// refuse without --yes when stdin is not a terminal, and ask on a
// terminal, going ahead only on "yes". Nothing changes when refused.
func TestConfirmation(t *testing.T) {
	env, _ := testEnv(t)
	wantCode(t, hubdb(t, env, nil, "migrate", "up", "--db", "ess", "--db", "pv"), exitOK)
	v := itoa(int(latest(t, "ess")))
	for _, args := range [][]string{
		{"down", "--db", "ess"},
		{"down", "--all"},
		{"steps", "-2", "--db", "ess"},
		{"goto", "0", "--db", "ess"},
	} {
		r := hubdb(t, env, strings.NewReader("yes\n"), append([]string{"migrate"}, args...)...)
		wantOneLineError(t, r, "refusing to run without confirmation", "stdin is not a terminal", "pass --yes")
		if r.out != "" {
			t.Errorf("%v printed %q", args, r.out)
		}
	}
	r := hubdb(t, env, fakeTerminal{strings.NewReader("no\n")}, "migrate", "down", "--db", "ess", "--db", "pv")
	wantCode(t, r, exitError)
	if !strings.Contains(r.err, `Type "yes" to continue`) || !strings.Contains(r.err, "not confirmed; nothing changed") {
		t.Errorf("stderr:\n%s", r.err)
	}
	r = hubdb(t, env, nil, "migrate", "status", "--db", "ess", "--db", "pv")
	if rows := statusRows(t, r.out); rows["ess"][2] != v || rows["pv"][5] != "ok" {
		t.Fatalf("a refused down changed something:\n%s", r.out)
	}

	r = hubdb(t, env, fakeTerminal{strings.NewReader("yes\n")}, "migrate", "down", "--db", "ess")
	wantCode(t, r, exitOK)
	if !strings.Contains(r.err, "ess") || !strings.Contains(r.out, "ess") {
		t.Errorf("down on a terminal: stdout %q stderr %q", r.out, r.err)
	}
	r = hubdb(t, env, nil, "migrate", "status", "--db", "ess")
	if row := statusRows(t, r.out)["ess"]; row[2] != "0" {
		t.Errorf("after a confirmed down, ess is at %s", row[2])
	}
}

// fakeTerminal is a stdin that says it is a terminal.
type fakeTerminal struct{ *strings.Reader }

func (fakeTerminal) isTerminal() bool { return true }

func randomHex(t *testing.T) string {
	t.Helper()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
