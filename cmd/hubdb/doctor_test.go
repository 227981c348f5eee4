package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/solarhub/hubdb/config"
	"github.com/solarhub/hubdb/gen"
	"github.com/solarhub/hubdb/internal/devdb"
	"github.com/solarhub/hubdb/internal/doctor"
	"github.com/solarhub/hubdb/migration"
)

// TestDoctor runs hubdb doctor against two private MariaDB servers of its
// own (never the shared test server, whose settings it must not change):
//
//   - one misconfigured on purpose: sql_mode without STRICT_*,
//     max_connections 20 (below one connection for each of the registry's pools), no TLS, an application user
//     with SUPER and a grant on a database outside the configuration, pools
//     that let idle connections outlive wait_timeout with pre-ping off, a
//     database left pending, one dirty, one with an edited migration and a
//     latin1 table: every finding is reported, with its fix, in the table
//     and in --json, and the exit status is 1;
//   - one configured well: verified TLS, strict mode, the users of hubdb
//     grants --apply, every database migrated: exit 0, only ok and warn
//     (drift skipped for the application user, checked for the admin).
//
// No output ever holds a password.
func TestDoctor(t *testing.T) {
	certs, err := devdb.NewCerts(t.TempDir(), "doctor")
	if err != nil {
		t.Fatal(err)
	}
	// Both servers start at once: each takes a few seconds.
	var bad, good *devdb.Server
	var badErr, goodErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		bad, badErr = doctorServer(devdb.Options{Args: []string{"--sql-mode=NO_ENGINE_SUBSTITUTION", "--max-connections=20"}})
	})
	wg.Go(func() { good, goodErr = doctorServer(devdb.Options{TLS: certs}) })
	wg.Wait()
	for _, s := range []*devdb.Server{bad, good} {
		if s != nil {
			t.Cleanup(func() {
				if err := s.Stop(); err != nil {
					t.Errorf("stop the private MariaDB: %v", err)
				}
			})
		}
	}
	if badErr != nil || goodErr != nil {
		t.Fatalf("start the private servers: %v; %v", badErr, goodErr)
	}

	t.Run("misconfigured", func(t *testing.T) { doctorMisconfigured(t, bad) })
	t.Run("configured well", func(t *testing.T) { doctorWell(t, good, certs) })
	t.Run("a server that does not answer", func(t *testing.T) { doctorUnreachable(t, good, certs) })
	t.Run("usage", func(t *testing.T) {
		for _, args := range [][]string{{"doctor", "extra"}, {"doctor", "--db", "esss"}, {"doctor", "--timeout", "0s"}, {"doctor", "--bogus"}} {
			r := hubdb(t, nil, nil, args...)
			wantCode(t, r, exitUsage)
			if !strings.Contains(r.err, "Usage: hubdb doctor") {
				t.Errorf("%v: no usage text:\n%s", args, r.err)
			}
		}
		r := hubdb(t, nil, nil, "doctor", "--help")
		wantCode(t, r, exitOK)
		if !strings.Contains(r.out, "least privilege") {
			t.Errorf("help: %s", r.out)
		}
	})
}

func doctorMisconfigured(t *testing.T, srv *devdb.Server) {
	ctx := context.Background()
	root := serverDB(t, srv.Config())
	rootEnv := []string{"HUBDB_DSN=" + srv.DSN()}
	cfg, err := config.Load("", rootEnv)
	if err != nil {
		t.Fatal(err)
	}
	targets, err := cfg.Targets(nil)
	if err != nil {
		t.Fatal(err)
	}
	m := &migration.Migrator{}
	for _, tg := range targets {
		if tg.Name == "weather" {
			err = m.Steps(ctx, tg, 1) // left pending
		} else {
			err = m.Up(ctx, tg)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	pw := "DocPw" + randomHex(t) + "x"
	doctorExec(t, root,
		"UPDATE alarm.schema_migrations SET dirty = 1",                                              // a migration failed part-way
		"UPDATE audit.schema_migrations_history SET checksum = REPEAT('0', 64) WHERE version = 1",   // edited after it was applied
		"CREATE TABLE ess.notes_latin1 (id INT PRIMARY KEY, body VARCHAR(40)) CHARACTER SET latin1", // a hand-made latin1 table
		"CREATE DATABASE elsewhere",                                            // not hubdb's
		"CREATE USER 'doc_app'@'%' IDENTIFIED BY '"+pw+"'",                     // the application's user...
		"GRANT SUPER ON *.* TO 'doc_app'@'%'",                                  // ...with SUPER
		"GRANT SELECT, INSERT, UPDATE, DELETE ON elsewhere.* TO 'doc_app'@'%'", // ...and another database
	)
	for _, tg := range targets {
		doctorExec(t, root, "GRANT SELECT, INSERT, UPDATE, DELETE ON `"+tg.Schema+"`.* TO 'doc_app'@'%'")
	}
	// Pools whose idle connections outlive wait_timeout, unnoticed.
	file := filepath.Join(t.TempDir(), "hubdb.yaml")
	if err := os.WriteFile(file, []byte("pool: {keep_alive: -1s, max_idle_time: -1s, recycle: -1s, disable_pre_ping: true}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"HUBDB_DSN=" + userDSN(srv.Config(), "doc_app", pw)}

	r := hubdb(t, env, nil, "doctor", "--config", file, "--json")
	wantCode(t, r, exitError)
	noSecrets(t, r, pw)
	checks := doctorChecks(t, r.out)
	for _, w := range []struct{ db, check string }{
		{"", doctor.CheckTLS}, {"", doctor.CheckSQLMode}, {"", doctor.CheckBudget}, {"", doctor.CheckWaitTimeout},
		{"weather", doctor.CheckMigrations}, {"alarm", doctor.CheckMigrations}, {"audit", doctor.CheckMigrations}, {"ess", doctor.CheckCharset},
	} {
		c := doctorWant(t, checks, w.db, w.check, doctor.Fail)
		if c.Fix == "" {
			t.Errorf("%s %s: a failure without a fix: %+v", w.db, w.check, c)
		}
	}
	for _, w := range []struct{ db, check, text string }{
		{"", doctor.CheckTLS, "not encrypted"},
		{"", doctor.CheckSQLMode, "not strict: GLOBAL 'NO_ENGINE_SUBSTITUTION'"},
		{"", doctor.CheckBudget, "run-time budget 10 = (max_connections 20 - reserve 10)"},
		{"", doctor.CheckBudget, fmt.Sprintf("below the %d databases", len(gen.Names))},
		{"", doctor.CheckPrivileges, "global privileges SUPER ON *.*"},
		{"", doctor.CheckPrivileges, "database `elsewhere`, outside the configuration"},
		{"", doctor.CheckWaitTimeout, "pre-ping is off"},
		{"weather", doctor.CheckMigrations, "pending: at version 1, latest 2"},
		{"alarm", doctor.CheckMigrations, "dirty at version 2"},
		{"audit", doctor.CheckMigrations, "edited: audit/000001_init.up.sql"},
		{"ess", doctor.CheckCharset, "notes_latin1 (latin1_swedish_ci)"},
		{"", doctor.CheckDrift, "skipped: 'doc_app'@'%' may not create the scratch databases"},
	} {
		if !doctorHasFinding(checks, w.db, w.check, w.text) {
			t.Errorf("no %s %s finding with %q in:\n%s", w.db, w.check, w.text, r.out)
		}
	}
	for _, w := range []struct{ check, fix string }{
		{doctor.CheckSQLMode, "SET GLOBAL sql_mode = 'STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION'"},
		{doctor.CheckPrivileges, "REVOKE SUPER ON *.* FROM 'doc_app'@'%'"},
		{doctor.CheckBudget, "raise max_connections to at least 28"},
	} {
		if !doctorHasFix(checks, w.check, w.fix) {
			t.Errorf("no %s fix with %q", w.check, w.fix)
		}
	}
	doctorWant(t, checks, "ess", doctor.CheckMigrations, doctor.OK)
	doctorWant(t, checks, "pv", doctor.CheckCharset, doctor.OK)

	// The table says the same, row for row.
	r2 := hubdb(t, env, nil, "doctor", "--config", file)
	wantCode(t, r2, exitError)
	noSecrets(t, r2, pw)
	lines := strings.Split(strings.TrimSpace(r2.out), "\n")
	if !strings.HasPrefix(lines[0], "SERVER") || !strings.Contains(lines[0], "FINDING") || !strings.Contains(lines[0], "FIX") {
		t.Fatalf("no table header:\n%s", r2.out)
	}
	rows := 0
	for _, l := range lines[1:] {
		if strings.HasPrefix(l, "doc_app@tcp("+srv.Addr()+")/ ") {
			rows++
		}
	}
	if rows != len(checks.Checks) {
		t.Errorf("the table has %d rows, --json %d checks:\n%s", rows, len(checks.Checks), r2.out)
	}
	if want := fmt.Sprintf("fail on 1 server and %d databases: FAILED", len(gen.Names)); !strings.Contains(lines[len(lines)-1], want) {
		t.Errorf("summary line %q lacks %q", lines[len(lines)-1], want)
	}
	for _, want := range []string{"FAIL", "SUPER", "pending: at version 1", "REVOKE SUPER ON *.* FROM 'doc_app'@'%'"} {
		if !strings.Contains(r2.out, want) {
			t.Errorf("the table lacks %q", want)
		}
	}
	t.Logf("misconfigured server:\n%s", r2.out)

	// As root (who may create the scratch databases), a hand-made
	// change is drift; a database as migrated is not.
	doctorExec(t, root, "ALTER TABLE site.sites ADD COLUMN note VARCHAR(40) NULL")
	r = hubdb(t, rootEnv, nil, "doctor", "--db", "site", "--db", "pv", "--json")
	wantCode(t, r, exitError)
	checks = doctorChecks(t, r.out)
	doctorWant(t, checks, "pv", doctor.CheckDrift, doctor.OK)
	if c := doctorWant(t, checks, "site", doctor.CheckDrift, doctor.Fail); !strings.Contains(c.Finding, "sites (+ column note: ") || c.Fix == "" {
		t.Errorf("site's drift: %+v", c)
	}
	if !doctorHasFinding(checks, "", doctor.CheckPrivileges, "ALL PRIVILEGES ON *.* WITH GRANT OPTION") {
		t.Errorf("root's privileges are not flagged:\n%s", r.out)
	}
}

func doctorWell(t *testing.T, srv *devdb.Server, certs *devdb.Certs) {
	rootEnv := []string{"HUBDB_DSN=" + srv.DSN(), "HUBDB_TLS_CA=" + certs.CA}
	adminPw, appPw := "AdmD"+randomHex(t)+"pw", "AppD"+randomHex(t)+"pw"
	r := hubdb(t, append([]string{"HUBDB_ADMIN_PASSWORD=" + adminPw, "HUBDB_APP_PASSWORD=" + appPw}, rootEnv...), nil, "grants", "--apply")
	wantCode(t, r, exitOK)
	adminEnv := []string{"HUBDB_DSN=" + userDSN(srv.Config(), doctorAdminUser, adminPw), "HUBDB_TLS_CA=" + certs.CA}
	appEnv := []string{"HUBDB_DSN=" + userDSN(srv.Config(), doctorAppUser, appPw), "HUBDB_TLS_CA=" + certs.CA}
	r = hubdb(t, adminEnv, nil, "migrate", "up", "--all")
	wantCode(t, r, exitOK)

	// The application user: nothing fails; drift is skipped with a warning.
	r = hubdb(t, appEnv, nil, "doctor")
	wantCode(t, r, exitOK)
	noSecrets(t, r, adminPw, appPw)
	t.Logf("well-configured server, as the application user:\n%s", r.out)
	r = hubdb(t, appEnv, nil, "doctor", "--json")
	wantCode(t, r, exitOK)
	noSecrets(t, r, adminPw, appPw)
	checks := doctorChecks(t, r.out)
	if checks.Fail != 0 {
		t.Errorf("%d failed checks:\n%s", checks.Fail, r.out)
	}
	for _, c := range checks.Checks {
		if c.Verdict == doctor.Warn && c.Name != doctor.CheckDrift {
			t.Errorf("unexpected warning: %+v", c)
		}
	}
	for _, name := range []string{doctor.CheckTLS, doctor.CheckPrivileges, doctor.CheckSQLMode, doctor.CheckBudget, doctor.CheckWaitTimeout, doctor.CheckCharset} {
		doctorWant(t, checks, "", name, doctor.OK)
	}
	if !doctorHasFinding(checks, "", doctor.CheckTLS, "verified against the configured CA for the name 127.0.0.1") {
		t.Errorf("TLS not reported verified:\n%s", r.out)
	}
	if !doctorHasFinding(checks, "", doctor.CheckPrivileges, fmt.Sprintf("has SELECT, INSERT, UPDATE, DELETE on the %d databases and nothing else", len(gen.Names))) {
		t.Errorf("the application user's privileges:\n%s", r.out)
	}
	doctorWant(t, checks, "", doctor.CheckDrift, doctor.Warn)
	for _, name := range databaseNames(t) {
		doctorWant(t, checks, name, doctor.CheckMigrations, doctor.OK)
		doctorWant(t, checks, name, doctor.CheckCharset, doctor.OK)
	}

	// The admin user checks drift too (and is told it is more than an
	// application needs).
	r = hubdb(t, adminEnv, nil, "doctor", "--db", "ess", "--db", "site", "--json")
	wantCode(t, r, exitOK)
	noSecrets(t, r, adminPw, appPw)
	checks = doctorChecks(t, r.out)
	doctorWant(t, checks, "ess", doctor.CheckDrift, doctor.OK)
	doctorWant(t, checks, "site", doctor.CheckDrift, doctor.OK)
	if !doctorHasFinding(checks, "", doctor.CheckPrivileges, "ALL PRIVILEGES on account, alarm, analysis and 15 more, beyond what the application needs") {
		t.Errorf("the admin user's privileges:\n%s", r.out)
	}
}

// doctorUnreachable: a server that does not answer is one failed row
// naming the cause and the fix; the other server is still checked.
func doctorUnreachable(t *testing.T, srv *devdb.Server, certs *devdb.Certs) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	_ = l.Close() // nothing listens there now
	env := []string{"HUBDB_DSN=" + srv.DSN(), "HUBDB_TLS_CA=" + certs.CA, "HUBDB_ESS_DSN=nobody:Secret9z@tcp(" + closed + ")/"}
	r := hubdb(t, env, nil, "doctor", "--db", "ess", "--db", "site", "--no-drift", "--json")
	wantCode(t, r, exitError)
	noSecrets(t, r, "Secret9z")
	checks := doctorChecks(t, r.out)
	c := doctorWant(t, checks, "", doctor.CheckConnect, doctor.Fail)
	if c.Server != "nobody@tcp("+closed+")/" || !strings.Contains(c.Finding, "connection refused") ||
		!strings.Contains(c.Finding, "1 database not checked") || !strings.Contains(c.Fix, "start the server") {
		t.Errorf("the unreachable server's row: %+v", c)
	}
	doctorWant(t, checks, "site", doctor.CheckMigrations, doctor.OK)
	for _, ch := range checks.Checks {
		if ch.DB == "ess" {
			t.Errorf("a check of ess, whose server does not answer: %+v", ch)
		}
	}
}

// The user names hubdb grants creates by default.
const (
	doctorAdminUser = "hubdb_admin"
	doctorAppUser   = "hubdb_app"
)

// doctorServer starts a private MariaDB (the caller stops it).
func doctorServer(opts devdb.Options) (*devdb.Server, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return devdb.Start(ctx, opts)
}

// doctorExec runs statements on db, failing the test on the first error.
func doctorExec(t *testing.T, db *sql.DB, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := db.ExecContext(context.Background(), s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// doctorReport is the --json output.
type doctorReport struct {
	Checks         []doctor.Check `json:"checks"`
	OK, Warn, Fail int
}

func doctorChecks(t *testing.T, out string) doctorReport {
	t.Helper()
	var r doctorReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("--json output does not parse: %v\n%s", err, out)
	}
	if len(r.Checks) == 0 || r.OK+r.Warn+r.Fail != len(r.Checks) {
		t.Fatalf("--json: %d checks, counts %d+%d+%d:\n%s", len(r.Checks), r.OK, r.Warn, r.Fail, out)
	}
	return r
}

// doctorWant returns the first check of db and name, failing the test
// unless there is one with verdict v.
func doctorWant(t *testing.T, r doctorReport, db, name string, v doctor.Verdict) doctor.Check {
	t.Helper()
	var seen []doctor.Check
	for _, c := range r.Checks {
		if c.DB == db && c.Name == name {
			if c.Verdict == v {
				return c
			}
			seen = append(seen, c)
		}
	}
	t.Errorf("no %s check of %q with verdict %s; found %+v", name, db, v, seen)
	return doctor.Check{}
}

func doctorHasFinding(r doctorReport, db, name, text string) bool {
	for _, c := range r.Checks {
		if c.DB == db && c.Name == name && strings.Contains(c.Finding, text) {
			return true
		}
	}
	return false
}

func doctorHasFix(r doctorReport, name, text string) bool {
	for _, c := range r.Checks {
		if c.Name == name && strings.Contains(c.Fix, text) {
			return true
		}
	}
	return false
}
