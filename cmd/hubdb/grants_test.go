package main

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/solarhub/hubdb/dbx"
	"github.com/solarhub/hubdb/gen/maintenance"
	"github.com/solarhub/hubdb/grants"
	"github.com/solarhub/hubdb/hubtest"
)

// TestGrants creates a throwaway admin and application user with "hubdb
// grants --apply" on the test server, migrates every database as the
// admin user, and shows what each user can do: the application user
// reads and writes its tables through dbx and the generated queries but
// cannot drop or create anything or touch another prefix's databases (nor
// a database the unescaped "_" wildcard would have matched); the admin
// user cannot create users or touch other databases either. The passwords
// never appear in any output.
func TestGrants(t *testing.T) {
	d := hubtest.Reserve(t) // no database exists yet: the admin user creates them
	env, prefix, server := d.Env(), d.Prefix(), d.Server()
	root := serverDB(t, server)
	ctx := context.Background()
	suffix := randomHex(t)
	admin, app := "hubdb_t"+suffix+"a", "hubdb_t"+suffix+"b"
	adminPw, appPw := "AdmQ7"+suffix+"pw", "AppQ7"+suffix+"pw"
	t.Cleanup(func() {
		for _, u := range []string{admin, app} {
			if _, err := root.ExecContext(context.Background(), "DROP USER IF EXISTS '"+u+"'@'%'"); err != nil {
				t.Errorf("drop user %s: %v", u, err)
			}
		}
	})
	users := []string{"--admin-user", admin, "--app-user", app}
	withPw := append([]string{"HUBDB_ADMIN_PASSWORD=" + adminPw, "HUBDB_APP_PASSWORD=" + appPw}, env...)
	var outputs []result

	// Printing needs no password, shows placeholders and creates nothing.
	r := hubdb(t, withPw, nil, append([]string{"grants"}, users...)...)
	wantCode(t, r, exitOK)
	outputs = append(outputs, r)
	n := len(databaseNames(t))
	if got := strings.Count(r.out, "GRANT SELECT, INSERT, UPDATE, DELETE ON `"+strings.ReplaceAll(prefix, "_", `\_`)); got != n {
		t.Errorf("printed %d application grants on escaped %s* names, want %d:\n%s", got, prefix, n, r.out)
	}
	for _, want := range []string{"IDENTIFIED BY '<HUBDB_ADMIN_PASSWORD>'", "IDENTIFIED BY '<HUBDB_APP_PASSWORD>'", "REVOKE ALL PRIVILEGES"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("printed SQL lacks %q", want)
		}
	}
	if c := countUsers(t, root, admin, app); c != 0 {
		t.Fatalf("printing created %d users", c)
	}

	// --apply without passwords and without a terminal refuses.
	r = hubdb(t, env, nil, append([]string{"grants", "--apply"}, users...)...)
	wantOneLineError(t, r, "HUBDB_ADMIN_PASSWORD is not set", "not a terminal")
	outputs = append(outputs, r)

	// --apply from the environment, then again from the prompt (the
	// statements are idempotent).
	r = hubdb(t, withPw, nil, append([]string{"grants", "--apply"}, users...)...)
	wantCode(t, r, exitOK)
	outputs = append(outputs, r)
	r = hubdb(t, env, fakeTerminal{strings.NewReader(adminPw + "\n" + appPw + "\n")}, append([]string{"grants", "--apply"}, users...)...)
	wantCode(t, r, exitOK)
	outputs = append(outputs, r)
	if !strings.Contains(r.err, "Password for "+admin) || !strings.Contains(r.err, "Password for "+app) {
		t.Errorf("no prompt on stderr: %q", r.err)
	}
	if c := countUsers(t, root, admin, app); c != 2 {
		t.Fatalf("after --apply, %d of the 2 users exist", c)
	}

	// The admin user migrates every database, creating them.
	adminEnv := []string{"HUBDB_DSN=" + userDSN(server, admin, adminPw), "HUBDB_DB_PREFIX=" + prefix}
	r = hubdb(t, adminEnv, nil, "migrate", "up", "--all")
	wantCode(t, r, exitOK)
	outputs = append(outputs, r)
	// ... and may verify them (the scratch databases are its own).
	r = hubdb(t, adminEnv, nil, "migrate", "verify", "--db", "ess", "--db", "site")
	wantCode(t, r, exitOK)
	outputs = append(outputs, r)

	// Another prefix's database and the database the "_" of the prefix
	// would match as a wildcard.
	other := hubtest.New(t, "maintenance").Schema("maintenance")
	neighbour := strings.Replace(prefix, "_", "x", 1) + "maintenance"
	if _, err := root.ExecContext(ctx, "CREATE DATABASE `"+neighbour+"`"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = root.ExecContext(context.Background(), "DROP DATABASE IF EXISTS `"+neighbour+"`") })

	// The application user reads and writes through dbx and sqlc.
	appServer, err := mysql.ParseDSN(userDSN(server, app, appPw))
	if err != nil {
		t.Fatal(err)
	}
	m, err := dbx.Open(ctx, dbx.Config{DBs: []dbx.DBConfig{{Name: "maintenance", Schema: d.Schema("maintenance"), Server: appServer}}})
	if err != nil {
		t.Fatalf("dbx.Open as the application user: %v", err)
	}
	defer m.Close()
	db, err := dbx.Bind(m, "maintenance", func(d dbx.DBTX) *maintenance.Queries { return maintenance.New(d) })
	if err != nil {
		t.Fatal(err)
	}
	var id int64
	err = db.Write(ctx, func(ctx context.Context, q *maintenance.Queries) error {
		id, err = q.CreateWorkOrder(ctx, maintenance.CreateWorkOrderParams{OrgID: 1, SiteID: 2, Title: "inverter check",
			Description: "least privilege", Priority: maintenance.WorkOrdersPriorityNormal, CreatedBy: 3})
		return err
	})
	if err != nil {
		t.Fatalf("write as the application user: %v", err)
	}
	wo, err := db.Queries(ctx).GetWorkOrder(ctx, id)
	if err != nil || wo.Title != "inverter check" {
		t.Fatalf("read as the application user: %+v, %v", wo, err)
	}

	appDB := openAs(t, server, app, appPw, d.Schema("maintenance"))
	adminDB := openAs(t, server, admin, adminPw, d.Schema("maintenance"))
	for _, tt := range []struct {
		who  string
		db   *sql.DB
		sql  string
		want uint16
	}{
		{"app", appDB, "DROP TABLE work_orders", 1142},
		{"app", appDB, "TRUNCATE TABLE work_orders", 1142},
		{"app", appDB, "CREATE TABLE t_extra (id INT)", 1142},
		{"app", appDB, "ALTER TABLE work_orders ADD COLUMN x INT", 1142},
		{"app", appDB, "CREATE DATABASE `" + prefix + "extra`", 1044},
		{"app", appDB, "SELECT COUNT(*) FROM `" + other + "`.work_orders", 1142},
		{"app", appDB, "DELETE FROM `" + other + "`.work_orders", 1142},
		{"app", appDB, "USE `" + other + "`", 1044},
		{"app", appDB, "USE `" + neighbour + "`", 1044},
		{"app", appDB, "CREATE USER 'hubdb_t" + suffix + "c'@'%'", 1227},
		{"admin", adminDB, "USE `" + other + "`", 1044},
		{"admin", adminDB, "DROP DATABASE `" + other + "`", 1044},
		{"admin", adminDB, "USE `" + neighbour + "`", 1044},
		{"admin", adminDB, "CREATE USER 'hubdb_t" + suffix + "c'@'%'", 1227},
	} {
		_, err := tt.db.ExecContext(ctx, tt.sql)
		var me *mysql.MySQLError
		if !errors.As(err, &me) || me.Number != tt.want {
			t.Errorf("%s: %s: error %v, want MySQL error %d", tt.who, tt.sql, err, tt.want)
			continue
		}
		t.Logf("%s: %s: %v", tt.who, tt.sql, err)
	}
	// The refused statements changed nothing.
	var left int
	if err := root.QueryRowContext(ctx, "SELECT COUNT(*) FROM `"+d.Schema("maintenance")+"`.work_orders").Scan(&left); err != nil || left != 1 {
		t.Errorf("work_orders has %d rows (%v), want the one written", left, err)
	}
	if err := root.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", other).Scan(&left); err != nil || left != 1 {
		t.Errorf("the other prefix's database is gone (%v)", err)
	}

	for _, r := range outputs {
		noSecrets(t, r, adminPw, appPw)
	}
}

// TestGrantsUsage: bad names are usage errors; help goes to stdout.
func TestGrantsUsage(t *testing.T) {
	r := hubdb(t, nil, nil, "grants", "--app-user", "bad'name")
	wantCode(t, r, exitUsage)
	if !strings.Contains(r.err, `application user "bad'name"`) {
		t.Errorf("stderr: %s", r.err)
	}
	r = hubdb(t, nil, nil, "grants", "--app-user", grants.DefaultAdmin)
	wantCode(t, r, exitUsage)
	if !strings.Contains(r.err, "they must differ") {
		t.Errorf("stderr: %s", r.err)
	}
	r = hubdb(t, nil, nil, "grants", "--db", "esss")
	wantCode(t, r, exitUsage)
	r = hubdb(t, nil, nil, "grants", "--help")
	wantCode(t, r, exitOK)
	if !strings.Contains(r.out, "HUBDB_APP_PASSWORD") {
		t.Errorf("help: %s", r.out)
	}
}

func countUsers(t *testing.T, root *sql.DB, names ...string) int {
	t.Helper()
	var n int
	if err := root.QueryRowContext(context.Background(),
		"SELECT COUNT(*) FROM mysql.user WHERE User IN (?, ?)", names[0], names[1]).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// userDSN returns a DSN for user on the test server.
func userDSN(server *mysql.Config, user, pw string) string {
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net, cfg.Addr = user, pw, server.Net, server.Addr
	return cfg.FormatDSN()
}

// openAs opens one connection as user on database schema.
func openAs(t *testing.T, server *mysql.Config, user, pw, schema string) *sql.DB {
	t.Helper()
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net, cfg.Addr, cfg.DBName = user, pw, server.Net, server.Addr, schema
	cfg.Timeout = 5 * time.Second
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(connector)
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { _ = db.Close() })
	return db
}
