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
	// Server is the server holding Schema; its DBName is empty.
	Server *mysql.Config
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
	servers := map[string]*mysql.Config{} // parsed, by source description
	for _, name := range names {
		src, dsn := serverSource(name, path, env, f)
		server, ok := servers[src]
		if !ok {
			if server, err = parseServer(dsn); err == nil {
				err = tp.apply(server)
			}
			if err != nil {
				return nil, fmt.Errorf("config: %s (%s): %w", src, users(src, path, names, env, f), err)
			}
			servers[src] = server
		}
		c.dbs[name] = Database{
			Name:   name,
			Schema: c.Prefix + name,
			Server: server,
			Pool:   f.Databases[name].Pool,
		}
	}
	return c, nil
}

// serverSource returns where the server of database name comes from (a
// description such as "HUBDB_ESS_DSN" or "hubdb.yaml: dsn") and its DSN.
func serverSource(name, path string, env map[string]string, f fileConfig) (src, dsn string) {
	if key := overrideKey(name); env[key] != "" {
		return key, env[key]
	}
	if env[EnvDSN] != "" {
		return EnvDSN, env[EnvDSN]
	}
	if d := f.Databases[name].DSN; d != "" {
		return path + ": databases." + name + ".dsn", d
	}
	if f.DSN != "" {
		return path + ": dsn", f.DSN
	}
	return "default DSN", DefaultDSN
}

// users names the databases served by source src, for error messages.
func users(src, path string, names []string, env map[string]string, f fileConfig) string {
	var using []string
	for _, name := range names {
		if s, _ := serverSource(name, path, env, f); s == src {
			using = append(using, name)
		}
	}
	switch len(using) {
	case 0:
		return "no database"
	case 1:
		return "server of database " + using[0]
	default:
		return fmt.Sprintf("server of database %s and %d more", using[0], len(using)-1)
	}
}

// overrideKey returns the environment variable overriding name's server.
func overrideKey(name string) string {
	return "HUBDB_" + strings.ToUpper(name) + "_DSN"
}

// overrideName returns the database named by a HUBDB_<NAME>_DSN variable,
// in lower case; it does not check that the database exists.
func overrideName(key string) (string, bool) {
	mid, ok := strings.CutPrefix(key, "HUBDB_")
	if !ok {
		return "", false
	}
	mid, ok = strings.CutSuffix(mid, "_DSN")
	if !ok || mid == "" {
		return "", false
	}
	return strings.ToLower(mid), true
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

// Database returns the configuration of the logical database name, with a
// copy of its server that the caller may change.
func (c *Config) Database(name string) (Database, error) {
	d, ok := c.dbs[name]
	if !ok {
		return Database{}, fmt.Errorf("config: %w", unknown(name, c.names))
	}
	d.Server = d.Server.Clone()
	return d, nil
}

// Target returns the migration target of the logical database name.
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
// server (with DBName set to the physical name), physical name and pool
// settings, Config.Pool as the defaults.
func (c *Config) DBX() dbx.Config {
	cfg := dbx.Config{Defaults: c.Pool, ServerBudget: c.ServerBudget, Instances: c.Instances,
		DBs: make([]dbx.DBConfig, 0, len(c.names))}
	for _, name := range c.names {
		d := c.dbs[name]
		server := d.Server.Clone()
		server.DBName = d.Schema
		cfg.DBs = append(cfg.DBs, dbx.DBConfig{Name: name, Schema: d.Schema, Server: server, Pool: d.Pool})
	}
	return cfg
}
