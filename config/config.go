package config

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/go-sql-driver/mysql"

	"github.com/solarhub/hubdb/dbx"
	"github.com/solarhub/hubdb/internal/testdb"
	"github.com/solarhub/hubdb/migration"
	"github.com/solarhub/hubdb/schema"
)

// Environment variables read by [Load]. HUBDB_<NAME>_DSN (e.g.
// HUBDB_ESS_DSN) overrides EnvDSN for one database. [KnownEnv] lists every
// variable of hubdb; Load rejects other HUBDB_* names.
const (
	// EnvDSN names the server of every database without its own override.
	EnvDSN = "HUBDB_DSN"
	// EnvPrefix is prepended to each logical name to form the physical one.
	EnvPrefix = "HUBDB_DB_PREFIX"
)

// DefaultDSN is the server used when neither the environment nor the file
// names one: the local MariaDB as root, no password.
const DefaultDSN = "root@tcp(127.0.0.1:3306)/"

// Errors a caller can match with errors.Is.
var (
	// ErrUnknownDatabase: a name that is not one of the schema's databases.
	ErrUnknownDatabase = errors.New("unknown database")
	// ErrInvalidDSN: a DSN that does not parse, or that names a database.
	ErrInvalidDSN = errors.New("invalid DSN")
	// ErrInvalidFile: the YAML file does not parse or has unknown keys.
	ErrInvalidFile = errors.New("invalid config file")
	// ErrInvalidPrefix: a prefix that breaks one of the rules of the
	// package documentation (lowercase letters, digits and _, a letter
	// first, _ last, physical names of at most 64 characters).
	ErrInvalidPrefix = errors.New("invalid database prefix")
)

// Config is where every logical database lives. Build it with [Load].
type Config struct {
	// Prefix is prepended to each logical name to form the physical one.
	Prefix string
	// Pool holds the file's pool settings, the defaults of every database.
	Pool dbx.Pool
	// ServerBudget and Instances are the file's server_budget and
	// instances (see dbx.Config): 0 means the dbx default.
	ServerBudget, Instances int

	names []string // sorted
	dbs   map[string]Database
}

// Database is one logical database as configured.
type Database struct {
	// Name is the logical name, e.g. "ess".
	Name string
	// Schema is the physical name: the prefix followed by Name.
	Schema string
	// Server is the server holding Schema; its DBName is empty. With
	// Galera nodes it is the first of them (the one `hubdb migrate` and
	// the other tools use).
	Server *mysql.Config
	// Replicas are the GTID replicas of Server that serve reads (none by
	// default); their DBName is empty.
	Replicas []*mysql.Config
	// Galera are the nodes of the Galera cluster holding Schema, in order
	// of preference, or none; their DBName is empty.
	Galera []*mysql.Config
	// Pool holds the database's own pool settings from the file (unset
	// fields, nil or a zero duration, inherit Config.Pool, then the dbx
	// defaults).
	Pool dbx.Pool
}

// Load builds the configuration from the YAML file at path (none when path
// is empty) and the environment, given as "KEY=value" strings such as
// os.Environ returns. See the package documentation for the precedence.
func Load(path string, environ []string) (*Config, error) {
	var data []byte
	if path != "" {
		var err error
		if data, err = os.ReadFile(path); err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
	}
	return load(path, data, environ)
}

// load is Load with the file's contents already read (none when path is
// empty).
func load(path string, data []byte, environ []string) (*Config, error) {
	names, err := schema.Databases(schema.FS)
	if err != nil {
		return nil, fmt.Errorf("config: list databases: %w", err)
	}
	env := parseEnv(environ)
	var f fileConfig
	if path != "" {
		if f, err = decodeFile(path, data, names); err != nil {
			return nil, err
		}
	}
	if err := checkEnv(env, names); err != nil {
		return nil, err
	}

	if f.ServerBudget < 0 || f.Instances < 0 {
		return nil, fmt.Errorf("config: %s: %w: server_budget and instances must not be negative", path, ErrInvalidFile)
	}
	c := &Config{Pool: f.Pool, ServerBudget: f.ServerBudget, Instances: f.Instances,
		names: names, dbs: make(map[string]Database, len(names))}
	switch {
	case env[EnvPrefix] != "":
		c.Prefix = env[EnvPrefix]
		err = checkPrefix(EnvPrefix, c.Prefix, names)
	case f.Prefix != "":
		c.Prefix = f.Prefix
		err = checkPrefix(path+": prefix", c.Prefix, names)
	}
	if err != nil {
		return nil, err
	}

	tp, err := loadTLS(path, f.TLS, env)
	if err != nil {
		return nil, err
	}
	if err := checkLevels(path, env, f, names); err != nil {
		return nil, err
	}
	places := make(map[string]placement, len(names))
	for _, name := range names {
		places[name] = place(name, path, env, f)
	}
	servers := map[string]*mysql.Config{} // parsed, by source key
	lists := map[string][]*mysql.Config{} // parsed, by source key
	for _, name := range names {
		p := places[name]
		d := Database{Name: name, Schema: c.Prefix + name, Pool: f.Databases[name].Pool}
		if p.at.role == roleServer {
			server, ok := servers[p.at.key]
			if !ok {
				if server, err = parseServer(p.at.dsn); err == nil {
					err = tp.apply(server)
				}
				if err != nil {
					return nil, fmt.Errorf("config: %s (%s): %w", p.at.key, users(p.at.key, names, places), err)
				}
				servers[p.at.key] = server
			}
			d.Server = server
		} else {
			if d.Galera, err = cachedList(lists, p.at, tp, names, places); err != nil {
				return nil, err
			}
			d.Server = d.Galera[0]
		}
		if p.replicas != nil {
			if p.at.role == roleGalera {
				return nil, fmt.Errorf("config: database %s: %w: it has Galera nodes (%s) and replicas (%s); "+
					"a database has one or the other, so unset one", name, ErrInvalidTopology, p.at.key, p.replicas.key)
			}
			if d.Replicas, err = cachedList(lists, *p.replicas, tp, names, places); err != nil {
				return nil, err
			}
			for i, r := range d.Replicas {
				if sameServer(r, d.Server) {
					return nil, fmt.Errorf("config: %s: replica %d of %d (%s): %w: it is %s, the primary itself (%s); list only its replicas",
						p.replicas.key, i+1, len(d.Replicas), users(p.replicas.key, names, places), ErrInvalidTopology,
						Redact(r), p.at.key)
				}
			}
		}
		c.dbs[name] = d
	}
	return c, nil
}

// cachedList returns the servers of list source s, parsing them the first
// time.
func cachedList(lists map[string][]*mysql.Config, s source, tp *tlsPlan, names []string, places map[string]placement) ([]*mysql.Config, error) {
	if l, ok := lists[s.key]; ok {
		return l, nil
	}
	l, err := parseList(s, tp, users(s.key, names, places))
	if err != nil {
		return nil, err
	}
	lists[s.key] = l
	return l, nil
}

// users describes the databases that source key serves, for messages:
// "server of database ess", "replicas of database account and 17 more".
func users(key string, names []string, places map[string]placement) string {
	var using []string
	what := "server"
	for _, name := range names {
		p := places[name]
		switch {
		case p.at.key == key:
			using = append(using, name)
			if p.at.role == roleGalera {
				what = "Galera nodes"
			}
		case p.replicas != nil && p.replicas.key == key:
			using = append(using, name)
			what = "replicas"
		}
	}
	switch len(using) {
	case 0:
		return "no database"
	case 1:
		return what + " of database " + using[0]
	default:
		return fmt.Sprintf("%s of database %s and %d more", what, using[0], len(using)-1)
	}
}

// overrideName returns the database named by a HUBDB_<NAME>_DSN,
// HUBDB_<NAME>_REPLICAS or HUBDB_<NAME>_GALERA variable, in lower case; it
// does not check that the database exists.
func overrideName(key string) (string, bool) {
	mid, ok := strings.CutPrefix(key, "HUBDB_")
	if !ok {
		return "", false
	}
	for _, suffix := range dbSuffixes {
		if name, ok := strings.CutSuffix(mid, "_"+suffix); ok && name != "" {
			return strings.ToLower(name), true
		}
	}
	return "", false
}

// maxNameLen is MySQL's limit on the length of a database name.
const maxNameLen = 64

// checkPrefix enforces the prefix rules of the package documentation:
// lowercase ASCII letters, digits and _; a letter first; _ last; and the
// longest physical name at most maxNameLen characters. Its errors say
// which rule failed but not the prefix (the variable may hold something
// pasted in the wrong place).
func checkPrefix(where, prefix string, names []string) error {
	const fix = "use lowercase letters, digits and _, starting with a letter and ending with _, e.g. stage_"
	fail := func(format string, args ...any) error {
		return fmt.Errorf("config: %s: %w: %s; %s", where, ErrInvalidPrefix, fmt.Sprintf(format, args...), fix)
	}
	if testdb.IsSetPrefix(prefix) {
		return nil // a test's databases (hubtest.Databases.Prefix)
	}
	for i := 0; i < len(prefix); i++ {
		if c := prefix[i]; !(c == '_' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			what := "is not a lowercase letter, digit or _"
			if c >= 'A' && c <= 'Z' {
				what = "is upper case (servers with lower_case_table_names=1 fold database names to lower case, others do not)"
			}
			return fail("character %d %s", i+1, what)
		}
	}
	if c := prefix[0]; c < 'a' || c > 'z' {
		return fail("it must start with a letter (MySQL allows a digit there but warns that a name such as 1e1_ess can read as a number)")
	}
	if !strings.HasSuffix(prefix, "_") {
		return fail("it must end with _ (so stage_ess, not stageess, shows where the prefix ends)")
	}
	longest := ""
	for _, name := range names {
		if len(name) > len(longest) {
			longest = name
		}
	}
	if n := len(prefix) + len(longest); n > maxNameLen {
		return fail("it has %d characters, which makes the physical name of %s %d characters, over MySQL's %d; use at most %d",
			len(prefix), longest, n, maxNameLen, maxNameLen-len(longest))
	}
	return nil
}

// unknown returns the error for a name that is not a database, suggesting
// the nearest database.
func unknown(name string, names []string) error {
	err := unknownList(name, names)
	if near, ok := nearest(name, names); ok {
		return fmt.Errorf("%w; did you mean %q?", err, near)
	}
	return err
}

// unknownList returns the error for a name that is not a database, listing
// the databases.
func unknownList(name string, names []string) error {
	return fmt.Errorf("%w %q (valid: %s)", ErrUnknownDatabase, name, strings.Join(names, ", "))
}

// parseEnv turns "KEY=value" strings into a map; a later entry wins.
func parseEnv(environ []string) map[string]string {
	env := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	return env
}

// Names returns the logical names of all databases, sorted.
func (c *Config) Names() []string { return slices.Clone(c.names) }

// Database returns the configuration of the logical database name, with
// copies of its servers that the caller may change.
func (c *Config) Database(name string) (Database, error) {
	d, ok := c.dbs[name]
	if !ok {
		return Database{}, fmt.Errorf("config: %w", unknown(name, c.names))
	}
	d.Server = d.Server.Clone()
	d.Replicas = cloneAll(d.Replicas)
	d.Galera = cloneAll(d.Galera)
	return d, nil
}

// String renders d for status and log output, every server as [Redact]
// shows it (never a password), e.g.
//
//	ess: stage_ess on app@tcp(db1:3306)/, replicas app@tcp(db2:3306)/, app@tcp(db3:3306)/
//	pv: stage_pv on Galera nodes app@tcp(g1:3306)/, app@tcp(g2:3306)/, app@tcp(g3:3306)/
func (d Database) String() string {
	schema := d.Schema
	if schema == "" {
		schema = d.Name
	}
	if len(d.Galera) > 0 {
		return d.Name + ": " + schema + " on Galera nodes " + redactAll(d.Galera)
	}
	out := d.Name + ": " + schema + " on " + Redact(d.Server)
	if len(d.Replicas) > 0 {
		out += ", replicas " + redactAll(d.Replicas)
	}
	return out
}

// String renders every database as [Database.String] does, one line each,
// sorted by name: no password appears.
func (c *Config) String() string {
	lines := make([]string, len(c.names))
	for i, name := range c.names {
		lines[i] = c.dbs[name].String()
	}
	return strings.Join(lines, "\n")
}

// Target returns the migration target of the logical database name. For a
// database on a Galera cluster, the target's server is the first node:
// `hubdb migrate` runs on that one node, and Galera replicates the DDL to
// the others (total order isolation, the default wsrep_OSU_method).
func (c *Config) Target(name string) (migration.Target, error) {
	d, err := c.Database(name)
	if err != nil {
		return migration.Target{}, err
	}
	return migration.Target{Name: d.Name, Schema: d.Schema, Server: d.Server}, nil
}

// Targets returns the migration targets of names, in the order given; an
// empty or nil names means every database.
func (c *Config) Targets(names []string) ([]migration.Target, error) {
	if len(names) == 0 {
		names = c.names
	}
	out := make([]migration.Target, 0, len(names))
	for _, name := range names {
		t, err := c.Target(name)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// DBX returns the pool manager's configuration for every database: its
// server, replicas and Galera nodes (copies, with DBName set to the
// physical name), physical name and pool settings, Config.Pool as the
// defaults. For a Galera database Server is the first node, which dbx
// ignores.
func (c *Config) DBX() dbx.Config {
	cfg := dbx.Config{Defaults: c.Pool, ServerBudget: c.ServerBudget, Instances: c.Instances,
		DBs: make([]dbx.DBConfig, 0, len(c.names))}
	withSchema := func(servers []*mysql.Config, schema string) []*mysql.Config {
		out := cloneAll(servers)
		for _, s := range out {
			s.DBName = schema
		}
		return out
	}
	for _, name := range c.names {
		d := c.dbs[name]
		server := d.Server.Clone()
		server.DBName = d.Schema
		cfg.DBs = append(cfg.DBs, dbx.DBConfig{Name: name, Schema: d.Schema, Server: server, Pool: d.Pool,
			Replicas: withSchema(d.Replicas, d.Schema), Galera: withSchema(d.Galera, d.Schema)})
	}
	return cfg
}
