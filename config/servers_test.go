package config

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/solarhub/hubdb/internal/devdb"
)

func TestSplitList(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"a@tcp(r1)/", []string{"a@tcp(r1)/"}},
		{"a@tcp(r1)/,b@tcp(r2)/", []string{"a@tcp(r1)/", "b@tcp(r2)/"}},
		{"a@tcp(r1)/ b@tcp(r2)/", []string{"a@tcp(r1)/", "b@tcp(r2)/"}},
		{"  a@tcp(r1)/ ,\n\tb@tcp(r2)/  c@tcp(r3)/\n", []string{"a@tcp(r1)/", "b@tcp(r2)/", "c@tcp(r3)/"}},
		{`"a:p,w d@tcp(r1)/", b@tcp(r2)/`, []string{"a:p,w d@tcp(r1)/", "b@tcp(r2)/"}},
		{`"a:p\"w\\@tcp(r1)/"`, []string{`a:p"w\@tcp(r1)/`}},
		{`"a@tcp(r1)/","b@tcp(r2)/"`, []string{"a@tcp(r1)/", "b@tcp(r2)/"}},
		{`a:p"w@tcp(r1)/`, []string{`a:p"w@tcp(r1)/`}}, // a quote inside is just a character
	}
	for _, tt := range tests {
		got, err := splitList(tt.in)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("splitList(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	errs := []struct {
		in   string
		pos  int
		want string
	}{
		{"a@tcp(r1)/,,b@tcp(r2)/", 2, "empty"},
		{"a@tcp(r1)/,", 2, "empty"},
		{"a@tcp(r1)/ , ", 2, "empty"},
		{",a@tcp(r1)/", 1, "empty"},
		{"   ", 1, "holds no DSN"},
		{`a@tcp(r1)/ "b:Zq9secret@tcp(r2)/`, 2, "double quote is not closed"},
		{`"a:Zq9secret\q@tcp(r1)/"`, 1, "bad escape"},
		{`"a@tcp(r1)/"x`, 1, "text follows its closing double quote"},
		{`a@tcp(r1)/ ""`, 2, "empty double quotes"},
	}
	for _, tt := range errs {
		_, err := splitList(tt.in)
		var le *listError
		if !errors.As(err, &le) || le.pos != tt.pos || !errors.Is(err, ErrInvalidDSN) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("splitList(%q) error = %v (%+v), want element %d: %q", tt.in, err, le, tt.pos, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "Zq9") {
			t.Errorf("splitList(%q) error shows the input: %v", tt.in, err)
		}
	}
}

// addrs returns the addresses of servers.
func addrs(servers []*mysql.Config) []string {
	out := make([]string, len(servers))
	for i, s := range servers {
		out[i] = s.Addr
	}
	return out
}

// TestReplicasAndGalera: where each variable and key applies, and which
// wins.
func TestReplicasAndGalera(t *testing.T) {
	type want struct {
		db       string
		server   string   // address of Server
		replicas []string // addresses
		galera   []string // addresses
	}
	tests := []struct {
		name string
		file string
		env  []string
		want []want
	}{
		{
			name: "HUBDB_REPLICAS: every database on the default server",
			env:  []string{"HUBDB_DSN=app:pw@tcp(db1)/", "HUBDB_REPLICAS=app:pw@tcp(r1)/, app:pw@tcp(r2:3307)/", "HUBDB_PV_DSN=app:pw@tcp(db2)/"},
			want: []want{
				{db: "ess", server: "db1:3306", replicas: []string{"r1:3306", "r2:3307"}},
				{db: "weather", server: "db1:3306", replicas: []string{"r1:3306", "r2:3307"}},
				{db: "pv", server: "db2:3306"},
			},
		},
		{
			name: "HUBDB_REPLICAS with the built-in default server",
			env:  []string{"HUBDB_REPLICAS=root@tcp(127.0.0.1:3307)/"},
			want: []want{{db: "ess", server: "127.0.0.1:3306", replicas: []string{"127.0.0.1:3307"}}},
		},
		{
			name: "HUBDB_<NAME>_REPLICAS replaces HUBDB_REPLICAS for one database, whatever its server",
			env: []string{"HUBDB_DSN=app:pw@tcp(db1)/", "HUBDB_REPLICAS=app:pw@tcp(r1)/ app:pw@tcp(r2)/",
				"HUBDB_ESS_REPLICAS=app:pw@tcp(r3)/", "HUBDB_PV_DSN=app:pw@tcp(db2)/", "HUBDB_PV_REPLICAS=app:pw@tcp(db2r)/"},
			want: []want{
				{db: "ess", server: "db1:3306", replicas: []string{"r3:3306"}},
				{db: "ev", server: "db1:3306", replicas: []string{"r1:3306", "r2:3306"}},
				{db: "pv", server: "db2:3306", replicas: []string{"db2r:3306"}},
			},
		},
		{
			name: "file: replicas of the default server, a database's own, none",
			file: `
dsn: "app:pw@tcp(db1)/"
replicas: ["app:pw@tcp(r1)/", "app:pw@tcp(r2)/"]
databases:
  ess: {replicas: ["app:pw@tcp(r3)/"]}
  pv: {dsn: "app:pw@tcp(db2)/"}
  ev: {dsn: "app:pw@tcp(db3)/", replicas: ["app:pw@tcp(db3r)/"]}
  site: {replicas: []}
`,
			want: []want{
				{db: "weather", server: "db1:3306", replicas: []string{"r1:3306", "r2:3306"}},
				{db: "ess", server: "db1:3306", replicas: []string{"r3:3306"}},
				{db: "pv", server: "db2:3306"},
				{db: "ev", server: "db3:3306", replicas: []string{"db3r:3306"}},
				{db: "site", server: "db1:3306"},
			},
		},
		{
			name: "the environment's replicas beat the file's",
			file: "dsn: \"app:pw@tcp(db1)/\"\nreplicas: [\"app:pw@tcp(fr1)/\"]\ndatabases:\n  ess: {replicas: [\"app:pw@tcp(fr2)/\"]}\n" +
				"  pv: {replicas: [\"app:pw@tcp(fr3)/\"]}\n",
			env: []string{"HUBDB_REPLICAS=app:pw@tcp(er1)/", "HUBDB_PV_REPLICAS=app:pw@tcp(er2)/"},
			want: []want{
				{db: "weather", server: "db1:3306", replicas: []string{"er1:3306"}},
				{db: "ess", server: "db1:3306", replicas: []string{"er1:3306"}},
				{db: "pv", server: "db1:3306", replicas: []string{"er2:3306"}},
			},
		},
		{
			name: "a server from the environment drops the file's replicas",
			file: "dsn: \"app:pw@tcp(db1)/\"\nreplicas: [\"app:pw@tcp(fr1)/\"]\ndatabases:\n  ess: {dsn: \"app:pw@tcp(db2)/\", replicas: [\"app:pw@tcp(fr2)/\"]}\n",
			env:  []string{"HUBDB_DSN=app:pw@tcp(stage)/"},
			want: []want{{db: "weather", server: "stage:3306"}, {db: "ess", server: "stage:3306"}},
		},
		{
			name: "a database's own server drops the shared replicas",
			file: "dsn: \"app:pw@tcp(db1)/\"\nreplicas: [\"app:pw@tcp(fr1)/\"]\ndatabases:\n  ess: {dsn: \"app:pw@tcp(db2)/\"}\n",
			env:  []string{"HUBDB_REPLICAS=app:pw@tcp(er1)/", "HUBDB_PV_DSN=app:pw@tcp(db3)/"},
			want: []want{
				{db: "weather", server: "db1:3306", replicas: []string{"er1:3306"}},
				{db: "ess", server: "db2:3306"},
				{db: "pv", server: "db3:3306"},
			},
		},
		{
			name: "HUBDB_GALERA: every database on the default server, the first node as its server",
			env:  []string{"HUBDB_GALERA=app:pw@tcp(g1)/ app:pw@tcp(g2)/ app:pw@tcp(g3)/", "HUBDB_PV_DSN=app:pw@tcp(db2)/"},
			want: []want{
				{db: "ess", server: "g1:3306", galera: []string{"g1:3306", "g2:3306", "g3:3306"}},
				{db: "pv", server: "db2:3306"},
			},
		},
		{
			name: "HUBDB_<NAME>_GALERA for one database, replicas for the others",
			env:  []string{"HUBDB_DSN=app:pw@tcp(db1)/", "HUBDB_REPLICAS=app:pw@tcp(r1)/", "HUBDB_ESS_GALERA=app:pw@tcp(g1)/,app:pw@tcp(g2)/"},
			want: []want{
				{db: "ess", server: "g1:3306", galera: []string{"g1:3306", "g2:3306"}},
				{db: "pv", server: "db1:3306", replicas: []string{"r1:3306"}},
			},
		},
		{
			name: "file: galera at the top and for one database",
			file: "galera: [\"app:pw@tcp(g1)/\", \"app:pw@tcp(g2)/\"]\ndatabases:\n  ess: {galera: [\"app:pw@tcp(h2)/\", \"app:pw@tcp(h1)/\"]}\n" +
				"  pv: {dsn: \"app:pw@tcp(db2)/\"}\n",
			want: []want{
				{db: "weather", server: "g1:3306", galera: []string{"g1:3306", "g2:3306"}},
				{db: "ess", server: "h2:3306", galera: []string{"h2:3306", "h1:3306"}},
				{db: "pv", server: "db2:3306"},
			},
		},
		{
			name: "the environment beats the file's Galera nodes",
			file: "galera: [\"app:pw@tcp(g1)/\", \"app:pw@tcp(g2)/\"]\ndatabases:\n  ess: {galera: [\"app:pw@tcp(h1)/\", \"app:pw@tcp(h2)/\"]}\n",
			env:  []string{"HUBDB_DSN=app:pw@tcp(stage)/", "HUBDB_PV_GALERA=app:pw@tcp(e1)/ app:pw@tcp(e2)/"},
			want: []want{
				{db: "weather", server: "stage:3306"},
				{db: "ess", server: "stage:3306"},
				{db: "pv", server: "e1:3306", galera: []string{"e1:3306", "e2:3306"}},
			},
		},
		{
			name: "the package documentation's file",
			file: `
dsn: "app:secret@tcp(db1:3306)/"
replicas: ["app:secret@tcp(db1r:3306)/"]  # of dsn; HUBDB_REPLICAS wins
prefix: stage_
pool: {size: 10, overflow: 20, timeout: 30s, recycle: 30m}
databases:
  ess: {dsn: "app:secret@tcp(db2:3306)/", pool: {size: 20}}
  pv:
    galera: ["app:secret@tcp(g1:3306)/", "app:secret@tcp(g2:3306)/", "app:secret@tcp(g3:3306)/"]
  site: {replicas: []}                    # none: site stays on db1 alone
`,
			want: []want{
				{db: "weather", server: "db1:3306", replicas: []string{"db1r:3306"}},
				{db: "ess", server: "db2:3306"},
				{db: "pv", server: "g1:3306", galera: []string{"g1:3306", "g2:3306", "g3:3306"}},
				{db: "site", server: "db1:3306"},
			},
		},
		{
			name: "HUBDB_GALERA beats the file's dsn and replicas",
			file: "dsn: \"app:pw@tcp(db1)/\"\nreplicas: [\"app:pw@tcp(fr1)/\"]\n",
			env:  []string{"HUBDB_GALERA=app:pw@tcp(g1)/ app:pw@tcp(g2)/"},
			want: []want{{db: "ess", server: "g1:3306", galera: []string{"g1:3306", "g2:3306"}}},
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
				if d.Server.Addr != w.server || !slices.Equal(addrs(d.Replicas), w.replicas) || !slices.Equal(addrs(d.Galera), w.galera) {
					t.Errorf("%s: server %s replicas %v galera %v; want %s %v %v",
						w.db, d.Server.Addr, addrs(d.Replicas), addrs(d.Galera), w.server, w.replicas, w.galera)
				}
				tg, err := c.Target(w.db)
				if err != nil || tg.Server.Addr != w.server {
					t.Errorf("%s: target %+v, %v; want server %s", w.db, tg, err, w.server)
				}
			}
		})
	}
}

// TestReplicasDBX: DBX fills Replicas and Galera with copies whose DBName
// is the physical name; Database returns copies too.
func TestReplicasDBX(t *testing.T) {
	c, err := Load("", []string{"HUBDB_DB_PREFIX=stage_", "HUBDB_DSN=app:pw@tcp(db1)/", "HUBDB_REPLICAS=ro:pw@tcp(r1)/ ro:pw@tcp(r2)/",
		"HUBDB_PV_GALERA=app:pw@tcp(g1)/ app:pw@tcp(g2)/ app:pw@tcp(g3)/"})
	if err != nil {
		t.Fatal(err)
	}
	cfg := c.DBX()
	for _, d := range cfg.DBs {
		for _, s := range slices.Concat([]*mysql.Config{d.Server}, d.Replicas, d.Galera) {
			if s.DBName != "stage_"+d.Name {
				t.Errorf("%s: %s: DBName %q", d.Name, Redact(s), s.DBName)
			}
		}
		switch d.Name {
		case "pv":
			if len(d.Replicas) != 0 || !slices.Equal(addrs(d.Galera), []string{"g1:3306", "g2:3306", "g3:3306"}) || d.Server.Addr != "g1:3306" {
				t.Errorf("pv: server %s replicas %v galera %v", d.Server.Addr, addrs(d.Replicas), addrs(d.Galera))
			}
		default:
			if d.Galera != nil || !slices.Equal(addrs(d.Replicas), []string{"r1:3306", "r2:3306"}) || d.Replicas[0].User != "ro" {
				t.Errorf("%s: replicas %v galera %v", d.Name, addrs(d.Replicas), addrs(d.Galera))
			}
		}
	}
	// Changing what DBX or Database returned changes nothing in c.
	cfg.DBs[0].Replicas[0].Addr = "changed"
	d, _ := c.Database("pv")
	d.Galera[1].Addr = "changed"
	ess, _ := c.Database("ess")
	ess.Replicas[1].User = "changed"
	again := c.DBX()
	if a := again.DBs[0].Replicas[0].Addr; a != "r1:3306" {
		t.Errorf("changing DBX's replica changed the config: %s", a)
	}
	if d, _ := c.Database("pv"); d.Galera[1].Addr != "g2:3306" {
		t.Errorf("changing a Database's node changed the config: %s", d.Galera[1].Addr)
	}
	if d, _ := c.Database("ess"); d.Replicas[1].User != "ro" {
		t.Errorf("changing a Database's replica changed the config: %s", d.Replicas[1].User)
	}
	if !strings.Contains(c.String(), "\npv: stage_pv on Galera nodes app@tcp(g1:3306)/, app@tcp(g2:3306)/, app@tcp(g3:3306)/\n") ||
		!strings.Contains(c.String(), "\ness: stage_ess on app@tcp(db1:3306)/, replicas ro@tcp(r1:3306)/, ro@tcp(r2:3306)/\n") {
		t.Errorf("String:\n%s", c)
	}
}

// TestReplicasTLS: the TLS settings apply to every replica and node, each
// with its own *tls.Config and host name; a DSN's tls= stays its own.
func TestReplicasTLS(t *testing.T) {
	certs, err := devdb.NewCerts(t.TempDir(), "config")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Load("", []string{"HUBDB_TLS_CA=" + certs.CA, "HUBDB_DSN=app:pw@tcp(db1)/",
		"HUBDB_REPLICAS=app:pw@tcp(r1)/ app:pw@tcp(r2)/?tls=false", "HUBDB_PV_GALERA=app:pw@tcp(g1)/ app:pw@tcp(g2)/"})
	if err != nil {
		t.Fatal(err)
	}
	ess, _ := c.Database("ess")
	r1, r2 := ess.Replicas[0], ess.Replicas[1]
	if r1.TLS == nil || r1.TLS.RootCAs == nil || r1.TLS.ServerName != "r1" || r1.TLS == ess.Server.TLS || r2.TLS != nil {
		t.Errorf("replicas' TLS: r1 %+v, r2 %+v", r1.TLS, r2.TLS)
	}
	pv, _ := c.Database("pv")
	for i, n := range pv.Galera {
		if n.TLS == nil || n.TLS.RootCAs == nil || n.TLS.ServerName != fmt.Sprintf("g%d", i+1) {
			t.Errorf("node %d: TLS %+v", i+1, n.TLS)
		}
	}
	if pv.Galera[0].TLS == pv.Galera[1].TLS {
		t.Error("two nodes share one *tls.Config")
	}
}

func TestReplicasErrors(t *testing.T) {
	const secret = "Zq9secretZq9"
	n := len(knownDBs(t)) - 1 // the other databases
	tests := []struct {
		name     string
		file     string
		env      []string
		is       error
		want     string
		contains []string
	}{
		{
			name: "bad element, by position",
			env:  []string{"HUBDB_REPLICAS=app:" + secret + "@tcp(r1)/ app:" + secret + "@tcp(r2/"},
			is:   ErrInvalidDSN,
			want: fmt.Sprintf("config: HUBDB_REPLICAS: replica 2 of 2 (replicas of database account and %d more): invalid DSN: "+
				"network address not terminated (missing closing brace) (in a DSN list, a DSN holding a comma or whitespace goes in double quotes)", n),
		},
		{
			name: "a password with a comma, unquoted",
			env:  []string{"HUBDB_ESS_REPLICAS=app:Zq9se,cretZq9@tcp(r1)/"},
			is:   ErrInvalidDSN,
			want: "config: HUBDB_ESS_REPLICAS: replica 1 of 2 (replicas of database ess): invalid DSN: missing the slash separating the database name " +
				"(in a DSN list, a DSN holding a comma or whitespace goes in double quotes)",
		},
		{
			name: "an empty element",
			env:  []string{"HUBDB_ESS_REPLICAS=app:" + secret + "@tcp(r1)/,,app:" + secret + "@tcp(r2)/"},
			is:   ErrInvalidDSN,
			want: "config: HUBDB_ESS_REPLICAS: replica 2 (replicas of database ess): invalid DSN: empty (a comma with no DSN before or after it, " +
				`e.g. "$A,$B" with B unset); remove the comma`,
		},
		{
			name: "an unclosed quote",
			env:  []string{"HUBDB_GALERA=app:" + secret + "@tcp(g1)/ \"app:" + secret + "@tcp(g2)/"},
			is:   ErrInvalidDSN,
			want: fmt.Sprintf("config: HUBDB_GALERA: node 2 (Galera nodes of database account and %d more): invalid DSN: its double quote is not closed", n),
		},
		{
			name: "bad element in the file",
			file: "dsn: \"app:pw@tcp(db1)/\"\ndatabases:\n  ess: {replicas: [\"app:" + secret + "@tcp(r1)/\", \"app:" + secret + "@tcp(r2)/ess\"]}\n",
			is:   ErrInvalidDSN,
			want: "config: hubdb.yaml: databases.ess.replicas: replica 2 of 2 (replicas of database ess): invalid DSN: it names a database; " +
				`end it with "/" (the database name comes from the logical name and HUBDB_DB_PREFIX)`,
		},
		{
			name: "a replica without a user",
			env:  []string{"HUBDB_DSN=app:" + secret + "@tcp(db1)/", "HUBDB_REPLICAS=tcp(r1:3306)/"},
			is:   ErrInvalidDSN,
			want: fmt.Sprintf("config: HUBDB_REPLICAS: replica 1 of 1 (replicas of database account and %d more): invalid DSN: it names no user; "+
				"write user:password@ before the address (a replica takes nothing from the primary's or another DSN)", n),
		},
		{
			name: "a node without a user",
			file: "galera: [\"app:" + secret + "@tcp(g1)/\", \"tcp(g2)/\"]\n",
			is:   ErrInvalidDSN,
			contains: []string{"config: hubdb.yaml: galera: node 2 of 2 (Galera nodes of database account and", "it names no user",
				"(a node takes nothing from the primary's or another DSN)"},
		},
		{
			name: "the same replica twice",
			env:  []string{"HUBDB_ESS_REPLICAS=app:" + secret + "@tcp(r1)/ ro:" + secret + "@tcp(R1:3306)/?tls=false"},
			is:   ErrInvalidTopology,
			want: "config: HUBDB_ESS_REPLICAS (replicas of database ess): invalid server topology: replicas 1 and 2 are both ro@tcp(R1:3306)/; list each server once",
		},
		{
			name: "the same node twice",
			file: "galera: [\"app:" + secret + "@tcp(g1)/\", \"app:" + secret + "@tcp(g2)/\", \"app:" + secret + "@tcp(g1:3306)/\"]\n",
			is:   ErrInvalidTopology,
			contains: []string{"config: hubdb.yaml: galera (Galera nodes of database account and",
				"invalid server topology: nodes 1 and 3 are both app@tcp(g1:3306)/; list each server once"},
		},
		{
			name: "a replica that is the primary",
			env:  []string{"HUBDB_DSN=app:" + secret + "@tcp(db1)/", "HUBDB_PV_REPLICAS=app:" + secret + "@tcp(r1)/ ro:" + secret + "@tcp(db1:3306)/"},
			is:   ErrInvalidTopology,
			want: "config: HUBDB_PV_REPLICAS: replica 2 of 2 (replicas of database pv): invalid server topology: it is ro@tcp(db1:3306)/, " +
				"the primary itself (HUBDB_DSN); list only its replicas",
		},
		{
			name: "a replica that is the primary, in the file",
			file: "dsn: \"app:" + secret + "@unix(/run/mysqld.sock)/\"\nreplicas: [\"app:" + secret + "@unix(/run/mysqld.sock)/\"]\n",
			is:   ErrInvalidTopology,
			contains: []string{"config: hubdb.yaml: replicas: replica 1 of 1 (replicas of database account and",
				"it is app@unix(/run/mysqld.sock)/, the primary itself (hubdb.yaml: dsn)"},
		},
		{
			name: "a Galera list of one node",
			env:  []string{"HUBDB_ESS_GALERA=app:" + secret + "@tcp(g1)/"},
			is:   ErrInvalidTopology,
			want: "config: HUBDB_ESS_GALERA (Galera nodes of database ess): invalid server topology: 1 node; " +
				"a Galera cluster needs at least 2 to fail over (for one server, use HUBDB_ESS_DSN)",
		},
		{
			name: "a Galera list of one node, in the file",
			file: "databases:\n  ess: {galera: [\"app:" + secret + "@tcp(g1)/\"]}\n",
			is:   ErrInvalidTopology,
			contains: []string{"config: hubdb.yaml: databases.ess.galera (Galera nodes of database ess): invalid server topology: 1 node;",
				"(for one server, use hubdb.yaml: databases.ess.dsn)"},
		},
		{
			name: "HUBDB_DSN and HUBDB_GALERA",
			env:  []string{"HUBDB_DSN=app:" + secret + "@tcp(db1)/", "HUBDB_GALERA=app:" + secret + "@tcp(g1)/ app:" + secret + "@tcp(g2)/"},
			is:   ErrInvalidTopology,
			want: "config: HUBDB_GALERA: invalid server topology: HUBDB_DSN is set too; the Galera nodes take the place of the server, so unset one of the two",
		},
		{
			name: "HUBDB_REPLICAS and HUBDB_GALERA",
			env:  []string{"HUBDB_REPLICAS=app:" + secret + "@tcp(r1)/", "HUBDB_GALERA=app:" + secret + "@tcp(g1)/ app:" + secret + "@tcp(g2)/"},
			is:   ErrInvalidTopology,
			want: "config: HUBDB_GALERA: invalid server topology: HUBDB_REPLICAS is set too; a database has replicas or Galera nodes, not both, so unset one of the two",
		},
		{
			name: "one database's server and Galera nodes",
			env:  []string{"HUBDB_ESS_DSN=app:" + secret + "@tcp(db1)/", "HUBDB_ESS_GALERA=app:" + secret + "@tcp(g1)/ app:" + secret + "@tcp(g2)/"},
			is:   ErrInvalidTopology,
			want: "config: HUBDB_ESS_GALERA: invalid server topology: HUBDB_ESS_DSN is set too; the Galera nodes take the place of the server, so unset one of the two",
		},
		{
			name:     "one database's replicas and Galera nodes",
			env:      []string{"HUBDB_ESS_REPLICAS=app:" + secret + "@tcp(r1)/", "HUBDB_ESS_GALERA=app:" + secret + "@tcp(g1)/ app:" + secret + "@tcp(g2)/"},
			is:       ErrInvalidTopology,
			contains: []string{"config: HUBDB_ESS_GALERA: invalid server topology: HUBDB_ESS_REPLICAS is set too"},
		},
		{
			name: "dsn and galera in the file, even where the environment overrides them",
			file: "dsn: \"app:" + secret + "@tcp(db1)/\"\ngalera: [\"app:" + secret + "@tcp(g1)/\", \"app:" + secret + "@tcp(g2)/\"]\n",
			env:  []string{"HUBDB_DSN=app:" + secret + "@tcp(db9)/"},
			is:   ErrInvalidTopology,
			want: "config: hubdb.yaml: galera: invalid server topology: dsn is set too; the Galera nodes take the place of the server, so unset one of the two",
		},
		{
			name: "replicas and galera in one database's entry",
			file: "databases:\n  pv:\n    galera: [\"app:" + secret + "@tcp(g1)/\", \"app:" + secret + "@tcp(g2)/\"]\n    replicas: [\"app:" + secret + "@tcp(r1)/\"]\n",
			is:   ErrInvalidTopology,
			want: "config: hubdb.yaml: databases.pv.galera: invalid server topology: replicas is set too; a database has replicas or Galera nodes, not both, so unset one of the two",
		},
		{
			name: "Galera nodes from one level, replicas from another",
			env:  []string{"HUBDB_GALERA=app:" + secret + "@tcp(g1)/ app:" + secret + "@tcp(g2)/", "HUBDB_SITE_REPLICAS=app:" + secret + "@tcp(r1)/"},
			is:   ErrInvalidTopology,
			want: "config: database site: invalid server topology: it has Galera nodes (HUBDB_GALERA) and replicas (HUBDB_SITE_REPLICAS); a database has one or the other, so unset one",
		},
		{
			name: "Galera nodes from the file, replicas from the environment",
			file: "galera: [\"app:" + secret + "@tcp(g1)/\", \"app:" + secret + "@tcp(g2)/\"]\n",
			env:  []string{"HUBDB_REPLICAS=app:" + secret + "@tcp(r1)/"},
			is:   ErrInvalidTopology,
			want: "config: database account: invalid server topology: it has Galera nodes (hubdb.yaml: galera) and replicas (HUBDB_REPLICAS); a database has one or the other, so unset one",
		},
		{
			name:     "a list where a DSN goes",
			file:     "replicas: \"app:" + secret + "@tcp(r1)/, app:" + secret + "@tcp(r2)/\"\n",
			is:       ErrInvalidFile,
			contains: []string{"config: hubdb.yaml:1: invalid config file: cannot unmarshal !!str a value into []string"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := ""
			if tt.file != "" {
				path = writeFile(t, tt.file)
			}
			_, err := Load(path, tt.env)
			checkError(t, err, tt.is, nil, tt.want, tt.contains, "Zq9se", filepath.Dir(path))
		})
	}
}

// TestReplicaTLSError: a TLS setting a replica's DSN contradicts is an
// error naming the replica by position.
func TestReplicaTLSError(t *testing.T) {
	certs, err := devdb.NewCerts(t.TempDir(), "config")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Load("", []string{"HUBDB_TLS_CA=" + certs.CA, "HUBDB_ESS_REPLICAS=app:Zq9secretZq9@tcp(r1)/ app:Zq9secretZq9@tcp(r2)/?tls=skip-verify"})
	checkError(t, err, ErrInvalidTLS, nil, "config: HUBDB_ESS_REPLICAS: replica 2 of 2 (replicas of database ess): invalid TLS settings: "+
		"tls=skip-verify does not verify the server, so the CA of HUBDB_TLS_CA would be ignored; use tls=true", nil, "Zq9secret", ".")
}

// TestReplicaPasswordNeverShown: a password given in HUBDB_REPLICAS (and
// the other lists) appears in no error of Load and in no String or Redact
// output, however the list goes wrong.
func TestReplicaPasswordNeverShown(t *testing.T) {
	const pw = "Zq9secretZq9"
	good := "app:" + pw + "@tcp(r1)/"
	bad := []string{
		"app:" + pw + "@tcp(r1/",
		"app:" + pw + "@tcp(r1)/ess",
		"app:" + pw + "@tcp(r1)/?parseTime=" + pw,
		"app:" + pw + "@tcp(r1)/?tls=" + pw,
		"app:" + pw + "@bogus(r1)/",
		"app:Zq9se,cretZq9@tcp(r1)/",
		"app:Zq9se cretZq9@tcp(r1)/",
		`"app:` + pw + `@tcp(r1)/`,
		`"app:` + pw + `\x@tcp(r1)/"`,
		`"app:` + pw + `@tcp(r1)/"` + pw,
		good + ",," + good,
		good + ",",
		good + " " + good,
		"app:" + pw + "@tcp(r1)/ ro:" + pw + "@tcp(R1)/",
		":" + pw + "@tcp(r2)/",
		"app:" + pw + "@tcp(db1)/",
	}
	var outputs []string
	for _, list := range bad {
		for _, key := range []string{"HUBDB_REPLICAS", "HUBDB_ESS_REPLICAS", "HUBDB_GALERA", "HUBDB_ESS_GALERA"} {
			_, err := Load("", []string{"HUBDB_DSN=app:" + pw + "@tcp(db1)/", key + "=" + list})
			if err == nil {
				if key == "HUBDB_GALERA" {
					continue // HUBDB_DSN is set too: always an error
				}
				t.Errorf("%s=%s: no error", key, list)
				continue
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("%s=%s: error of more than one line: %q", key, list, err)
			}
			outputs = append(outputs, err.Error())
		}
	}
	c, err := Load("", []string{"HUBDB_DSN=app:" + pw + "@tcp(db1)/", "HUBDB_REPLICAS=" + good + " \"app:" + pw + ",@tcp(r2)/\"",
		"HUBDB_PV_GALERA=app:" + pw + "@tcp(g1)/,app:" + pw + "@tcp(g2)/"})
	if err != nil {
		t.Fatal(err)
	}
	outputs = append(outputs, c.String())
	for _, name := range c.Names() {
		d, _ := c.Database(name)
		outputs = append(outputs, d.String(), fmt.Sprint(d), fmt.Sprintf("%v %s", d, d))
		for _, s := range slices.Concat(d.Replicas, d.Galera) {
			outputs = append(outputs, Redact(s))
		}
	}
	for _, d := range c.DBX().DBs {
		for _, s := range slices.Concat(d.Replicas, d.Galera) {
			outputs = append(outputs, Redact(s))
		}
	}
	for _, out := range outputs {
		if strings.Contains(out, "Zq9se") || strings.Contains(out, "cretZq9") {
			t.Errorf("output shows the password: %q", out)
		}
	}
	if d, _ := c.Database("ess"); len(d.Replicas) != 2 || d.Replicas[1].Passwd != pw+"," {
		t.Errorf("quoted replica: %d replicas", len(d.Replicas))
	}
}

// TestReplicaPoolKeys: the replica settings of dbx.Pool pass the strict key
// check in both pool sections, and a misspelt one gets a suggestion, as do
// the new keys.
func TestReplicaPoolKeys(t *testing.T) {
	path := writeFile(t, `
dsn: "app:pw@tcp(db1)/"
replicas: ["app:pw@tcp(r1)/"]
pool: {replica_reads: prefer, max_replica_lag: 2s, replica_poll: 100ms, causal_wait: 20ms, plain_reads_on_replicas: true}
databases:
  ess:
    replicas: ["app:pw@tcp(r2)/", "app:pw@tcp(r3)/"]
    pool: {replica_reads: replica, max_replica_lag: 1s}
  pv:
    pool: {replica_reads: primary}
`)
	c, err := Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := c.DBX()
	if p := cfg.Defaults; p.ReplicaReads != "prefer" || p.MaxReplicaLag != 2*time.Second || p.ReplicaPoll != 100*time.Millisecond ||
		p.CausalWait != 20*time.Millisecond || !p.PlainReadsOnReplicas {
		t.Errorf("defaults %+v", p)
	}
	for _, d := range cfg.DBs {
		switch d.Name {
		case "ess":
			if d.Pool.ReplicaReads != "replica" || d.Pool.MaxReplicaLag != time.Second || len(d.Replicas) != 2 {
				t.Errorf("ess: pool %+v, %d replicas", d.Pool, len(d.Replicas))
			}
		case "pv":
			if d.Pool.ReplicaReads != "primary" || len(d.Replicas) != 1 {
				t.Errorf("pv: pool %+v, %d replicas", d.Pool, len(d.Replicas))
			}
		}
	}
	for _, tt := range []struct{ file, want string }{
		{"pool: {max_replica_lagg: 2s}\n", `config: hubdb.yaml:1: invalid config file: unknown key "max_replica_lagg" in pool; did you mean "max_replica_lag"?`},
		{"databases:\n  ess:\n    pool: {replica_read: prefer}\n", `config: hubdb.yaml:3: invalid config file: unknown key "replica_read" in databases.ess.pool; did you mean "replica_reads"?`},
		{"pool: {causal_wiat: 1s}\n", `config: hubdb.yaml:1: invalid config file: unknown key "causal_wiat" in pool; did you mean "causal_wait"?`},
		{"replica: [\"app:pw@tcp(r1)/\"]\n", `config: hubdb.yaml:1: invalid config file: unknown key "replica"; did you mean "replicas"?`},
		{"galara: []\n", `config: hubdb.yaml:1: invalid config file: unknown key "galara"; did you mean "galera"?`},
		{"databases:\n  ess: {replica: []}\n", `config: hubdb.yaml:2: invalid config file: unknown key "replica" in databases.ess; did you mean "replicas"?`},
		{"databases:\n  ess: {gallera: []}\n", `config: hubdb.yaml:2: invalid config file: unknown key "gallera" in databases.ess; did you mean "galera"?`},
	} {
		path := writeFile(t, tt.file)
		_, err := Load(path, nil)
		checkError(t, err, ErrInvalidFile, nil, tt.want, nil, "", filepath.Dir(path))
	}
}

// TestDatabaseString: the rendering of Database.String, schema defaulting
// to the name.
func TestDatabaseString(t *testing.T) {
	srv := func(dsn string) *mysql.Config {
		c, err := mysql.ParseDSN(dsn)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for _, tt := range []struct {
		d    Database
		want string
	}{
		{Database{Name: "ess", Server: srv("app:pw@tcp(db1)/")}, "ess: ess on app@tcp(db1:3306)/"},
		{Database{Name: "ess", Schema: "s_ess", Server: srv("app:pw@tcp(db1)/"), Replicas: []*mysql.Config{srv("ro:pw@tcp(r1)/")}},
			"ess: s_ess on app@tcp(db1:3306)/, replicas ro@tcp(r1:3306)/"},
		{Database{Name: "pv", Server: srv("a:pw@tcp(g1)/"), Galera: []*mysql.Config{srv("a:pw@tcp(g1)/"), srv("a:pw@tcp(g2)/")}},
			"pv: pv on Galera nodes a@tcp(g1:3306)/, a@tcp(g2:3306)/"},
	} {
		if got := tt.d.String(); got != tt.want {
			t.Errorf("String = %q, want %q", got, tt.want)
		}
	}
}

// FuzzSplitList: splitList never panics, its errors hold none of the
// input, and a list written back with every element quoted splits into the
// same elements.
func FuzzSplitList(f *testing.F) {
	for _, s := range []string{"a@tcp(r1)/, b@tcp(r2)/", `"a:p,w@tcp(r1)/" b@tcp(r2)/`, "a,,b", `"a\q"`, "  "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		items, err := splitList(s)
		if err != nil {
			var le *listError
			if !errors.As(err, &le) || le.pos < 1 || !errors.Is(err, ErrInvalidDSN) {
				t.Fatalf("error %v: not a listError matching ErrInvalidDSN", err)
			}
			if run := longestAlnumRun(s); len(run) >= 8 && strings.Contains(err.Error(), run) {
				t.Fatalf("error %q shows the input", err)
			}
			return
		}
		quoted := make([]string, len(items))
		for i, it := range items {
			if it == "" {
				t.Fatalf("splitList(%q) gave an empty element", s)
			}
			quoted[i] = strconv.Quote(it)
		}
		again, err := splitList(strings.Join(quoted, ", "))
		if err != nil || !slices.Equal(again, items) {
			t.Fatalf("quoted %q: %q, %v; want %q", quoted, again, err, items)
		}
	})
}
