package config

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/go-sql-driver/mysql"

	"github.com/solarhub/hubdb/dbx"
	"github.com/solarhub/hubdb/migration"
	"github.com/solarhub/hubdb/schema"
)

// Environment variables read by [Load]. HUBDB_<NAME>_DSN (e.g.
// HUBDB_ESS_DSN) overrides EnvDSN for one database.
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
	// ErrInvalidPrefix: a prefix that cannot start a database name.
	ErrInvalidPrefix = errors.New("invalid database prefix")
)

// reservedEnv are HUBDB_*_DSN variables that are not database overrides.
var reservedEnv = map[string]bool{
	"HUBDB_TEST_DSN": true, // the test server (internal/testdb)
}

// Config is where every logical database lives. Build it with [Load].
type Config struct {
	// Prefix is prepended to each logical name to form the physical one.
	Prefix string
	// Pool holds the file's pool settings, the defaults of every database.
	Pool dbx.Pool

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
	// Pool holds the database's own pool settings from the file (zero
	// fields inherit Config.Pool, then the dbx defaults).
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
		if f, err = decodeFile(path, data); err != nil {
			return nil, err
		}
		for name := range f.Databases {
			if !slices.Contains(names, name) {
				return nil, fmt.Errorf("config: %s: databases.%s: %w", path, name, unknown(name, names))
			}
		}
	}
	for key := range env {
		name, ok := overrideName(key)
		if ok && !slices.Contains(names, name) {
			return nil, fmt.Errorf("config: %s: %w", key, unknown(name, names))
		}
	}

	c := &Config{Pool: f.Pool, names: names, dbs: make(map[string]Database, len(names))}
	switch {
	case env[EnvPrefix] != "":
		c.Prefix = env[EnvPrefix]
		err = checkPrefix(EnvPrefix, c.Prefix)
	case f.Prefix != "":
		c.Prefix = f.Prefix
		err = checkPrefix(path+": prefix", c.Prefix)
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

// overrideName returns the database named by a HUBDB_<NAME>_DSN variable.
func overrideName(key string) (string, bool) {
	if reservedEnv[key] || !strings.HasPrefix(key, "HUBDB_") || !strings.HasSuffix(key, "_DSN") {
		return "", false
	}
	mid := strings.TrimSuffix(strings.TrimPrefix(key, "HUBDB_"), "_DSN")
	if mid == "" || len(key) < len("HUBDB__DSN") {
		return "", false
	}
	return strings.ToLower(mid), true
}

// checkPrefix accepts prefixes that keep every physical name a plain
// identifier of at most 64 characters.
func checkPrefix(where, prefix string) error {
	if len(prefix) > 40 {
		return fmt.Errorf("config: %s: %w: longer than 40 characters", where, ErrInvalidPrefix)
	}
	for _, r := range prefix {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return fmt.Errorf("config: %s: %w: use only letters, digits and _", where, ErrInvalidPrefix)
		}
	}
	return nil
}

// unknown returns the error for a name that is not a database.
func unknown(name string, names []string) error {
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
	cfg := dbx.Config{Defaults: c.Pool, DBs: make([]dbx.DBConfig, 0, len(c.names))}
	for _, name := range c.names {
		d := c.dbs[name]
		server := d.Server.Clone()
		server.DBName = d.Schema
		cfg.DBs = append(cfg.DBs, dbx.DBConfig{Name: name, Schema: d.Schema, Server: server, Pool: d.Pool})
	}
	return cfg
}
