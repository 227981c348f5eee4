package config

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/solarhub/hubdb/schema"
)

// writeFile writes a config file into a temporary directory.
func writeFile(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hubdb.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoad(t *testing.T) {
	type want struct {
		db, schema, user, addr string
	}
	tests := []struct {
		name string
		file string // YAML; empty means no file
		env  []string
		want []want
	}{
		{
			name: "defaults",
			want: []want{{"ess", "ess", "root", "127.0.0.1:3306"}, {"pv", "pv", "root", "127.0.0.1:3306"}},
		},
		{
			name: "HUBDB_DSN for all",
			env:  []string{"HUBDB_DSN=app:pw@tcp(db1:3307)/"},
			want: []want{{"ess", "ess", "app", "db1:3307"}, {"audit", "audit", "app", "db1:3307"}},
		},
		{
			name: "per-database override",
			env:  []string{"HUBDB_DSN=app:pw@tcp(db1)/", "HUBDB_ESS_DSN=ess:pw@tcp(db2:3306)/"},
			want: []want{{"ess", "ess", "ess", "db2:3306"}, {"pv", "pv", "app", "db1:3306"}},
		},
		{
			name: "prefix from the environment",
			env:  []string{"HUBDB_DB_PREFIX=stage_"},
			want: []want{{"ess", "stage_ess", "root", "127.0.0.1:3306"}},
		},
		{
			name: "empty variables count as unset",
			file: "dsn: \"f@tcp(file:1)/\"\nprefix: f_\n",
			env:  []string{"HUBDB_DSN=", "HUBDB_DB_PREFIX=", "HUBDB_ESS_DSN="},
			want: []want{{"ess", "f_ess", "f", "file:1"}},
		},
		{
			name: "file: server, per-database server, prefix",
			file: "dsn: \"app:secret@tcp(db1:3306)/\"\nprefix: stage_\ndatabases:\n  ess: {dsn: \"app:secret@tcp(db2:3306)/\"}\n",
			want: []want{{"ess", "stage_ess", "app", "db2:3306"}, {"pv", "stage_pv", "app", "db1:3306"}},
		},
		{
			name: "environment over file, at every level",
			file: "dsn: \"f@tcp(file:1)/\"\nprefix: f_\ndatabases:\n  ess: {dsn: \"fe@tcp(file:2)/\"}\n  pv: {dsn: \"fp@tcp(file:3)/\"}\n",
			env:  []string{"HUBDB_DSN=e@tcp(env:1)/", "HUBDB_DB_PREFIX=e_", "HUBDB_PV_DSN=ep@tcp(env:3)/"},
			want: []want{{"ess", "e_ess", "e", "env:1"}, {"pv", "e_pv", "ep", "env:3"}, {"ev", "e_ev", "e", "env:1"}},
		},
		{
			name: "the test server variable is not an override",
			env:  []string{"HUBDB_TEST_DSN=x@tcp(test:1)/"},
			want: []want{{"ess", "ess", "root", "127.0.0.1:3306"}},
		},
		{
			name: "a later duplicate variable wins",
			env:  []string{"HUBDB_DSN=a@tcp(one:1)/", "HUBDB_DSN=b@tcp(two:2)/"},
			want: []want{{"ess", "ess", "b", "two:2"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := ""
			if tt.file != "" {
				path = writeFile(t, tt.file)
			}
			c, err := Load(path, tt.env)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			for _, w := range tt.want {
				d, err := c.Database(w.db)
				if err != nil {
					t.Fatal(err)
				}
				if d.Schema != w.schema || d.Server.User != w.user || d.Server.Addr != w.addr || d.Server.DBName != "" {
					t.Errorf("%s: got schema %q server %s (dbname %q), want %q %s@tcp(%s)/",
						w.db, d.Schema, Redact(d.Server), d.Server.DBName, w.schema, w.user, w.addr)
				}
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name     string
		file     string
		env      []string
		is       error
		contains []string // in the message
		secret   string   // never in the message
	}{
		{
			name: "unknown override variable", env: []string{"HUBDB_ESSS_DSN=root@tcp(h)/"},
			is: ErrUnknownDatabase, contains: []string{"HUBDB_ESSS_DSN", `"esss"`, "valid: account, alarm,", "weather"},
		},
		{
			name: "unknown database in the file", file: "databases:\n  esss: {pool: {size: 3}}\n",
			is: ErrUnknownDatabase, contains: []string{"hubdb.yaml: databases.esss", "valid: account"},
		},
		{
			name: "unknown key", file: "dsn: \"r@tcp(h)/\"\npol: {size: 3}\n",
			is: ErrInvalidFile, contains: []string{"hubdb.yaml", "line 2", "field pol not found"},
		},
		{
			name: "unknown pool key", file: "pool: {sise: 3}\n",
			is: ErrInvalidFile, contains: []string{"field sise not found"},
		},
		{
			name: "bare number as duration", file: "pool: {timeout: 30}\n",
			is: ErrInvalidFile, contains: []string{"line 1", "a duration such as 30s"},
		},
		{
			name: "wrong type never echoes the value", file: "pool: {size: \"hunter2pw\"}\n",
			is: ErrInvalidFile, contains: []string{"line 1", "into int"}, secret: "hunter2",
		},
		{
			name: "two documents", file: "prefix: a_\n---\nprefix: b_\n",
			is: ErrInvalidFile, contains: []string{"more than one YAML document"},
		},
		{
			name: "bad override DSN", env: []string{"HUBDB_ESS_DSN=app:Zq9secretZq9@tcp(db2:3306"},
			is: ErrInvalidDSN, contains: []string{"HUBDB_ESS_DSN", "server of database ess", "missing the slash"}, secret: "Zq9secretZq9",
		},
		{
			name: "bad shared DSN", env: []string{"HUBDB_DSN=app:Zq9secretZq9@tcp(db2:3306/"},
			is: ErrInvalidDSN, contains: []string{"HUBDB_DSN", "server of database account and 17 more", "not terminated"}, secret: "Zq9secretZq9",
		},
		{
			name: "bad parameter value is not echoed", env: []string{"HUBDB_PV_DSN=app:pw@tcp(h)/?parseTime=Zq9secretZq9"},
			is: ErrInvalidDSN, contains: []string{"HUBDB_PV_DSN", "database pv", "boolean"}, secret: "Zq9secretZq9",
		},
		{
			name: "slash in an unescaped password", env: []string{"HUBDB_DSN=app:Zq9se/cretZq9@tcp(h:1)"},
			is: ErrInvalidDSN, contains: []string{"HUBDB_DSN"}, secret: "Zq9se",
		},
		{
			name: "DSN that names a database", file: "databases:\n  ess: {dsn: \"app:Zq9secretZq9@tcp(h)/ess\"}\n",
			is: ErrInvalidDSN, contains: []string{"hubdb.yaml: databases.ess.dsn", "server of database ess", "names a database"}, secret: "Zq9secretZq9",
		},
		{
			name: "bad file DSN", file: "dsn: \"app:Zq9secretZq9@foo(h)/\"\n",
			is: ErrInvalidDSN, contains: []string{"hubdb.yaml: dsn", "unknown network"}, secret: "Zq9secretZq9",
		},
		{
			name: "bad prefix", env: []string{"HUBDB_DB_PREFIX=stage-"},
			is: ErrInvalidPrefix, contains: []string{"HUBDB_DB_PREFIX", "letters, digits and _"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := ""
			if tt.file != "" {
				path = writeFile(t, tt.file)
			}
			_, err := Load(path, tt.env)
			if !errors.Is(err, tt.is) {
				t.Fatalf("Load error = %v, want one matching %v", err, tt.is)
			}
			msg := err.Error()
			for _, s := range tt.contains {
				if !strings.Contains(msg, s) {
					t.Errorf("message %q lacks %q", msg, s)
				}
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("message has more than one line: %q", msg)
			}
			if tt.secret != "" && strings.Contains(msg, tt.secret) {
				t.Errorf("message %q contains the secret", msg)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"), nil)
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "nope.yaml") {
		t.Fatalf("got %v, want a not-exist error naming the file", err)
	}
}

func TestNamesAndTargets(t *testing.T) {
	want, err := schema.Databases(schema.FS)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Load("", []string{"HUBDB_DB_PREFIX=p_"})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Names(); !slices.Equal(got, want) {
		t.Fatalf("Names = %v, want %v", got, want)
	}
	all, err := c.Targets(nil)
	if err != nil || len(all) != len(want) {
		t.Fatalf("Targets(nil) = %d targets, %v; want %d", len(all), err, len(want))
	}
	ts, err := c.Targets([]string{"pv", "ess"})
	if err != nil {
		t.Fatal(err)
	}
	if ts[0].Name != "pv" || ts[0].Schema != "p_pv" || ts[1].Name != "ess" || ts[1].Schema != "p_ess" {
		t.Errorf("Targets = %+v", ts)
	}
	// The caller gets a copy of the server.
	ts[0].Server.User = "changed"
	if d, _ := c.Database("pv"); d.Server.User != "root" {
		t.Errorf("changing a target's server changed the config: user %q", d.Server.User)
	}
	_, err = c.Targets([]string{"ess", "esss"})
	if !errors.Is(err, ErrUnknownDatabase) || !strings.Contains(err.Error(), `"esss"`) || !strings.Contains(err.Error(), "valid: account") {
		t.Errorf("Targets(esss) error = %v", err)
	}
}

func TestDBX(t *testing.T) {
	path := writeFile(t, `
dsn: "app:pw@tcp(db1:3306)/"
prefix: stage_
pool: {size: 10, overflow: 20, timeout: 30s, recycle: 30m, disable_pre_ping: true}
databases:
  ess: {dsn: "app:pw@tcp(db2:3306)/", pool: {size: 20, max_idle_time: 1m30s}}
`)
	c, err := Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := c.DBX()
	if len(cfg.DBs) != len(c.Names()) {
		t.Fatalf("DBX has %d databases, want %d", len(cfg.DBs), len(c.Names()))
	}
	if p := cfg.Defaults; !eqInt(p.Size, 10) || !eqInt(p.Overflow, 20) || p.Timeout != 30*time.Second || p.Recycle != 30*time.Minute || !p.DisablePrePing {
		t.Errorf("Defaults = %+v", p)
	}
	for _, d := range cfg.DBs {
		if d.Schema != "stage_"+d.Name || d.Server.DBName != d.Schema {
			t.Errorf("%s: schema %q, server %s", d.Name, d.Schema, Redact(d.Server))
		}
		switch d.Name {
		case "ess":
			if d.Server.Addr != "db2:3306" || !eqInt(d.Pool.Size, 20) || d.Pool.MaxIdleTime != 90*time.Second || d.Pool.Overflow != nil {
				t.Errorf("ess: %s pool %+v", Redact(d.Server), d.Pool)
			}
		default:
			if d.Server.Addr != "db1:3306" || d.Pool.Size != nil {
				t.Errorf("%s: %s pool %+v", d.Name, Redact(d.Server), d.Pool)
			}
		}
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ dsn, want string }{
		{"root@tcp(127.0.0.1:3306)/", "root@tcp(127.0.0.1:3306)/"},
		{"app:s3cret@tcp(db1)/stage_ess?tls=skip-verify&parseTime=true", "app@tcp(db1:3306)/stage_ess"},
		{"app:s3cret@unix(/run/mysqld/mysqld.sock)/", "app@unix(/run/mysqld/mysqld.sock)/"},
		{"/", "tcp(127.0.0.1:3306)/"},
		{"s3cret:s3cret@tcp(h:1)/", "xxxxx@tcp(h:1)/"},
		// Found by FuzzRedact: the mask must not spell the password again.
		{"x:x@tcp(x:1)/", "*****@tcp(*****:1)/"},
		{"x:xa@tcp(xaa:1)/", "x@tcp(*****a:1)/"},
		{"x*#:x*#@tcp(h:1)/", "@tcp(h:1)/"},
	}
	for _, tt := range tests {
		t.Run(tt.dsn, func(t *testing.T) {
			cfg, err := mysql.ParseDSN(tt.dsn)
			if err != nil {
				t.Fatal(err)
			}
			if got := Redact(cfg); got != tt.want {
				t.Errorf("Redact = %q, want %q", got, tt.want)
			}
		})
	}
	if got := Redact(nil); got != "<nil>" {
		t.Errorf("Redact(nil) = %q", got)
	}
}

// eqInt reports whether p is set to n.
func eqInt(p *int, n int) bool { return p != nil && *p == n }
