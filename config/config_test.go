package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/solarhub/hubdb/dbx"
	"github.com/solarhub/hubdb/schema"
)

// knownDBs returns the databases of schema/ (the registry's names).
func knownDBs(t *testing.T) []string {
	t.Helper()
	names, err := schema.Databases(schema.FS)
	if err != nil {
		t.Fatal(err)
	}
	return names
}

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
		also     error    // a second error the result matches, if any
		want     string   // the whole message, the file's directory removed
		contains []string // in the message
		secret   string   // never in the message
	}{
		{
			name: "unknown override variable", env: []string{"HUBDB_ESSS_DSN=root@tcp(h)/"},
			is: ErrUnknownDatabase, also: ErrUnknownSetting,
			contains: []string{"config: HUBDB_ESSS_DSN is not a hubdb setting: unknown database \"esss\"", "valid: account, alarm,", "weather); did you mean HUBDB_ESS_DSN?"},
		},
		{
			name: "unknown database in the file", file: "dsn: \"r@tcp(h)/\"\ndatabases:\n  esss: {pool: {size: 3}}\n",
			is: ErrUnknownDatabase, contains: []string{"config: hubdb.yaml:3: databases.esss: unknown database \"esss\" (valid: account", `weather); did you mean "ess"?`},
		},
		{
			name: "database name in the wrong case", file: "databases:\n  ESS: {pool: {size: 3}}\n",
			is: ErrUnknownDatabase, contains: []string{"hubdb.yaml:2: databases.ESS: unknown database", `did you mean "ess"?`},
		},
		{
			name: "a database key that is not a name is not shown", file: "databases:\n  \"app:Zq9secretZq9@tcp(h)/\": {}\n",
			is: ErrUnknownDatabase, contains: []string{"hubdb.yaml:2: databases:", "not a database name"}, secret: "Zq9secret",
		},
		{
			name: "unknown top-level key", file: "dsn: \"r@tcp(h)/\"\npol: {size: 3}\n",
			is:   ErrInvalidFile,
			want: `config: hubdb.yaml:2: invalid config file: unknown key "pol"; did you mean "pool"?`,
		},
		{
			name: "unknown key in the top-level pool", file: "pool: {sise: 3}\n",
			is:   ErrInvalidFile,
			want: `config: hubdb.yaml:1: invalid config file: unknown key "sise" in pool; did you mean "size"?`,
		},
		{
			name: "unknown key in a database's pool", file: "dsn: \"r@tcp(h)/\"\ndatabases:\n  ess:\n    pool: {size: 3, sise: 4}\n",
			is:   ErrInvalidFile,
			want: `config: hubdb.yaml:4: invalid config file: unknown key "sise" in databases.ess.pool; did you mean "size"?`,
		},
		{
			name: "unknown key in block style, after a merge", file: "pool: &p {size: 3}\ndatabases:\n  pv:\n    pool:\n      <<: *p\n      timeout: 1s\n      overflw: 2\n",
			is:   ErrInvalidFile,
			want: `config: hubdb.yaml:7: invalid config file: unknown key "overflw" in databases.pv.pool; did you mean "overflow"?`,
		},
		{
			name: "unknown key inside a merged anchor", file: "databases:\n  ess: &e\n    dsn: \"r@tcp(h)/\"\n  pv:\n    <<: *e\n    pol: {}\n",
			is:   ErrInvalidFile,
			want: `config: hubdb.yaml:6: invalid config file: unknown key "pol" in databases.pv; did you mean "pool"?`,
		},
		{
			name: "unknown key in a database entry", file: "databases:\n  ess: {dns: \"r@tcp(h)/\"}\n",
			is:   ErrInvalidFile,
			want: `config: hubdb.yaml:2: invalid config file: unknown key "dns" in databases.ess; did you mean "dsn"?`,
		},
		{
			name: "unknown key in tls", file: "tls:\n  ca: /etc/ca.pem\n  server_nmae: db\n",
			is:   ErrInvalidFile,
			want: `config: hubdb.yaml:3: invalid config file: unknown key "server_nmae" in tls; did you mean "server_name"?`,
		},
		{
			name: "key in the wrong case", file: "pool: {Size: 3}\n",
			is: ErrInvalidFile, contains: []string{`hubdb.yaml:1: invalid config file: unknown key "Size" in pool; did you mean "size"?`},
		},
		{
			name: "unknown key with nothing near lists the keys", file: "pool: {colour: red}\n",
			is: ErrInvalidFile, contains: []string{`hubdb.yaml:1: invalid config file: unknown key "colour" in pool (keys: size, overflow, timeout,`, "statement_cache, overflow_idle_time, slow_query_threshold, replica_reads, max_replica_lag, replica_poll, causal_wait, plain_reads_on_replicas)"},
		},
		{
			name: "a key that is not a name is not shown", file: "dsn: \"r@tcp(h)/\"\n\"app:Zq9secretZq9@tcp(h)/\": 1\n",
			is: ErrInvalidFile, contains: []string{"hubdb.yaml:2: invalid config file: a key that is not a plain name (keys: dsn, replicas, galera, prefix, pool, databases, tls, server_budget, instances)"},
			secret: "Zq9secret",
		},
		{
			name: "bare number as duration", file: "pool: {timeout: 30}\n",
			is: ErrInvalidFile, contains: []string{"hubdb.yaml:1: invalid config file:", "a duration such as 30s"},
		},
		{
			name: "wrong type never echoes the value", file: "pool: {size: \"hunter2pw\"}\n",
			is: ErrInvalidFile, contains: []string{"hubdb.yaml:1: invalid config file:", "into int"}, secret: "hunter2",
		},
		{
			name: "syntax error", file: "dsn: \"r@tcp(h)/\"\nprefix: a_\n  pool: {size: 3}\n",
			is: ErrInvalidFile, want: "config: hubdb.yaml:3: invalid config file: mapping values are not allowed in this context",
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
			is: ErrInvalidDSN, contains: []string{"HUBDB_DSN", fmt.Sprintf("server of database account and %d more", len(knownDBs(t))-1), "not terminated"}, secret: "Zq9secretZq9",
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := ""
			if tt.file != "" {
				path = writeFile(t, tt.file)
			}
			_, err := Load(path, tt.env)
			checkError(t, err, tt.is, tt.also, tt.want, tt.contains, tt.secret, filepath.Dir(path))
		})
	}
}

// checkError checks that err matches is (and also, when not nil), that its
// message, with dir removed, is want (when not empty) and contains each of
// contains, and that it is one line without secret.
func checkError(t *testing.T, err, is, also error, want string, contains []string, secret, dir string) {
	t.Helper()
	if !errors.Is(err, is) || also != nil && !errors.Is(err, also) {
		t.Fatalf("error = %v, want one matching %v and %v", err, is, also)
	}
	msg := err.Error()
	if dir != "." {
		msg = strings.ReplaceAll(msg, dir+string(filepath.Separator), "")
	}
	if want != "" && msg != want {
		t.Errorf("message\n%s\nwant\n%s", msg, want)
	}
	for _, s := range contains {
		if !strings.Contains(msg, s) {
			t.Errorf("message %q lacks %q", msg, s)
		}
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("message has more than one line: %q", msg)
	}
	if secret != "" && strings.Contains(msg, secret) {
		t.Errorf("message %q contains the secret", msg)
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
	if !errors.Is(err, ErrUnknownDatabase) || !strings.Contains(err.Error(), `"esss"`) || !strings.Contains(err.Error(), "valid: account") ||
		!strings.HasSuffix(err.Error(), `weather); did you mean "ess"?`) {
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

// TestPrefixRules: each rule of the package documentation, from the
// environment and from the file, with a message saying the rule and the
// fix but not the prefix.
func TestPrefixRules(t *testing.T) {
	const fix = "; use lowercase letters, digits and _, starting with a letter and ending with _, e.g. stage_"
	ok52 := "a" + strings.Repeat("b", 50) + "_" // 52 + len("notification") = 64
	// _hubtest_1a2b3c4d_7_: a test's prefix from the test kit (the one
	// accepted shape beginning with an underscore).
	for _, p := range []string{"stage_", "t0a1b2c3_", "a_", "a__", "blue_green_", ok52, "_hubtest_1a2b3c4d_7_"} {
		c, err := Load("", []string{"HUBDB_DB_PREFIX=" + p})
		if err != nil {
			t.Errorf("prefix %q: %v", p, err)
			continue
		}
		if d, _ := c.Database("notification"); d.Schema != p+"notification" || len(d.Schema) > 64 {
			t.Errorf("prefix %q: schema %q", p, d.Schema)
		}
	}
	tests := []struct {
		name, prefix, want string
	}{
		{"dash", "stage-x_", "character 6 is not a lowercase letter, digit or _"},
		{"dot", "stage.x_", "character 6 is not a lowercase letter, digit or _"},
		{"space", "zq9 secret_", "character 4 is not a lowercase letter, digit or _"},
		{"non-ASCII", "stäge_", "character 3 is not a lowercase letter, digit or _"},
		{"upper case", "stage_A_", "character 7 is upper case (servers with lower_case_table_names=1 fold database names to lower case, others do not)"},
		{"leading digit", "9lives_", "it must start with a letter (MySQL allows a digit there but warns that a name such as 1e1_ess can read as a number)"},
		{"leading underscore", "_blue_", "it must start with a letter (MySQL allows a digit there but warns that a name such as 1e1_ess can read as a number)"},
		{"not quite a test kit's", "_hubtest_1a2b3c4d_", "it must start with a letter (MySQL allows a digit there but warns that a name such as 1e1_ess can read as a number)"},
		{"a test kit's template", "_hubtest_tpl_", "it must start with a letter (MySQL allows a digit there but warns that a name such as 1e1_ess can read as a number)"},
		{"no trailing underscore", "blue", "it must end with _ (so stage_ess, not stageess, shows where the prefix ends)"},
		{"too long", ok52 + "x_", "it has 54 characters, which makes the physical name of notification 66 characters, over MySQL's 64; use at most 52"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load("", []string{"HUBDB_DB_PREFIX=" + tt.prefix})
			checkError(t, err, ErrInvalidPrefix, nil, "config: HUBDB_DB_PREFIX: invalid database prefix: "+tt.want+fix, nil, "", ".")
			if strings.Contains(err.Error(), tt.prefix) {
				t.Errorf("message %q repeats the prefix", err)
			}
			path := writeFile(t, "prefix: "+strconv.Quote(tt.prefix)+"\n")
			_, err = Load(path, nil)
			checkError(t, err, ErrInvalidPrefix, nil, "config: hubdb.yaml: prefix: invalid database prefix: "+tt.want+fix, nil, "", filepath.Dir(path))
		})
	}
}

// TestPoolPointers: a pool key written with 0 decodes to a pointer to 0,
// distinct from a key left out (nil); -1 is kept for unlimited overflow.
func TestPoolPointers(t *testing.T) {
	path := writeFile(t, `
pool: {overflow: 0}
databases:
  ess:
    pool: {size: 3}
  pv:
    pool: {size: 0, overflow: -1}
`)
	c, err := Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := c.DBX()
	if p := cfg.Defaults; p.Size != nil || !eqInt(p.Overflow, 0) {
		t.Errorf("pool: {overflow: 0} gave Size %v, Overflow %v; want nil and a pointer to 0", p.Size, p.Overflow)
	}
	for _, d := range cfg.DBs {
		p := d.Pool
		switch d.Name {
		case "ess":
			if !eqInt(p.Size, 3) || p.Overflow != nil {
				t.Errorf("ess: {size: 3} gave Size %v, Overflow %v; want 3 and nil", p.Size, p.Overflow)
			}
		case "pv":
			if !eqInt(p.Size, 0) || !eqInt(p.Overflow, dbx.Unlimited) {
				t.Errorf("pv: {size: 0, overflow: -1} gave Size %v, Overflow %v", p.Size, p.Overflow)
			}
		default:
			if p.Size != nil || p.Overflow != nil {
				t.Errorf("%s: no pool gave Size %v, Overflow %v; want nil", d.Name, p.Size, p.Overflow)
			}
		}
	}
}

// TestMergeKeys: YAML anchors and merge keys are accepted wherever the
// keys they bring are.
func TestMergeKeys(t *testing.T) {
	path := writeFile(t, `
pool: &small {size: 2, timeout: 5s}
databases:
  ess: &remote
    dsn: "app:pw@tcp(db2:3306)/"
    pool:
      <<: *small
      overflow: 1
  pv:
    <<: *remote
  ev:
    pool: {<<: [*small], recycle: 1m}
`)
	c, err := Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range c.DBX().DBs {
		switch d.Name {
		case "ess", "pv":
			if d.Server.Addr != "db2:3306" || !eqInt(d.Pool.Size, 2) || !eqInt(d.Pool.Overflow, 1) || d.Pool.Timeout != 5*time.Second {
				t.Errorf("%s: %s pool %+v", d.Name, Redact(d.Server), d.Pool)
			}
		case "ev":
			if !eqInt(d.Pool.Size, 2) || d.Pool.Recycle != time.Minute {
				t.Errorf("ev: pool %+v", d.Pool)
			}
		}
	}
}

// TestServerBudgetSettings: server_budget, instances and the pools' budget
// fields reach dbx.Config.
func TestServerBudgetSettings(t *testing.T) {
	path := writeFile(t, `
server_budget: 40
instances: 4
pool: {guaranteed: 2, keep_alive: 1m, warm_up: true}
`)
	c, err := Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := c.DBX()
	if cfg.ServerBudget != 40 || cfg.Instances != 4 || cfg.Defaults.Guaranteed != 2 ||
		cfg.Defaults.KeepAlive != time.Minute || !cfg.Defaults.WarmUp {
		t.Errorf("dbx config %+v, defaults %+v", cfg, cfg.Defaults)
	}
	if _, err := Load(writeFile(t, "instances: -1\n"), nil); !errors.Is(err, ErrInvalidFile) {
		t.Errorf("instances: -1: %v, want ErrInvalidFile", err)
	}
	if _, err := Load(writeFile(t, "server_budgett: 3\n"), nil); !errors.Is(err, ErrInvalidFile) || !strings.Contains(err.Error(), "server_budget") {
		t.Errorf("typo: %v, want the nearest key server_budget", err)
	}
}
