package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/go-sql-driver/mysql"
)

// Environment variables of replicas and Galera nodes, each a DSN list (see
// the package documentation for the syntax). HUBDB_<NAME>_REPLICAS and
// HUBDB_<NAME>_GALERA (e.g. HUBDB_ESS_REPLICAS) set them for one database.
const (
	// EnvReplicas lists the GTID replicas of the default server (EnvDSN,
	// else the file's dsn): every database whose server is the default
	// one reads from them.
	EnvReplicas = "HUBDB_REPLICAS"
	// EnvGalera lists, in order of preference, the nodes of the Galera
	// cluster that holds every database on the default server, in place of
	// EnvDSN.
	EnvGalera = "HUBDB_GALERA"
)

// ErrInvalidTopology: replicas or Galera nodes that cannot be used as
// given: a database with both, a Galera list of fewer than 2 nodes, a
// server listed twice in one list, a replica that is its own primary, or a
// server and Galera nodes (or replicas and Galera nodes) set at the same
// level.
var ErrInvalidTopology = errors.New("invalid server topology")

// minGaleraNodes is the fewest Galera nodes a list may have: with one,
// there is nothing to fail over to.
const minGaleraNodes = 2

// role is what a source's servers are to the databases that use it.
type role int

const (
	roleServer   role = iota // one DSN: the database's server
	roleGalera               // a DSN list: the nodes of its Galera cluster
	roleReplicas             // a DSN list: the replicas of its server
)

// source is one setting that places servers: a DSN or a DSN list, from the
// environment or the file.
type source struct {
	// key names the setting in messages: "HUBDB_ESS_DSN",
	// "hubdb.yaml: databases.ess.replicas", "default DSN".
	key  string
	role role
	// dsnKey names the server setting of the same level, for a Galera
	// source's messages ("HUBDB_DSN", "hubdb.yaml: dsn").
	dsnKey string
	dsn    string   // roleServer
	text   string   // a list from the environment, to be split
	items  []string // a list from the file
	env    bool     // the list is text
}

// noun names one server of s in messages.
func (s source) noun() string {
	switch s.role {
	case roleGalera:
		return "node"
	case roleReplicas:
		return "replica"
	}
	return "server"
}

// placement is where one database lives: its server or its Galera nodes,
// and its replicas' source (nil: none).
type placement struct {
	at       source
	replicas *source
}

// dbKey returns the environment variable of setting suffix ("DSN",
// "REPLICAS", "GALERA") for database name, e.g. HUBDB_ESS_REPLICAS.
func dbKey(name, suffix string) string {
	return "HUBDB_" + strings.ToUpper(name) + "_" + suffix
}

// dbSuffixes are the settings that each database has a variable for.
var dbSuffixes = []string{"DSN", "REPLICAS", "GALERA"}

// place returns where database name lives, following the precedence of the
// package documentation: the first level (the database's variables, the
// shared variables, the file's database entry, the file's top level, the
// default) that sets a server or Galera nodes gives them, and the replicas
// are HUBDB_<NAME>_REPLICAS, else those of that level and the levels below
// it that share its server: the shared lists only for a database on the
// default server, the file's lists only for a server from the file (or
// the default DSN).
func place(name, path string, env map[string]string, f fileConfig) placement {
	db := f.Databases[name]
	fileKey := func(k string) string { return path + ": " + k }
	dbFileKey := func(k string) string { return path + ": databases." + name + "." + k }
	envList := func(key string, r role) *source {
		if env[key] == "" {
			return nil
		}
		return &source{key: key, role: r, text: env[key], env: true}
	}
	fileList := func(key string, items []string, r role) *source {
		if items == nil { // not in the file; replicas: [] is set, and means none
			return nil
		}
		return &source{key: key, role: r, items: items}
	}
	first := func(ss ...*source) *source {
		for _, s := range ss {
			if s != nil {
				return s
			}
		}
		return nil
	}
	server := func(key, dsn string) source { return source{key: key, role: roleServer, dsn: dsn} }
	galera := func(s *source, dsnKey string) source { s.dsnKey = dsnKey; return *s }

	ownReplicas := envList(dbKey(name, "REPLICAS"), roleReplicas)
	envReplicas := envList(EnvReplicas, roleReplicas)
	dbReplicas := fileList(dbFileKey("replicas"), db.Replicas, roleReplicas)
	topReplicas := fileList(fileKey("replicas"), f.Replicas, roleReplicas)
	if len(db.Galera) == 0 {
		db.Galera = nil
	}
	if len(f.Galera) == 0 {
		f.Galera = nil
	}
	switch {
	case env[dbKey(name, "DSN")] != "":
		return placement{server(dbKey(name, "DSN"), env[dbKey(name, "DSN")]), ownReplicas}
	case env[dbKey(name, "GALERA")] != "":
		return placement{galera(envList(dbKey(name, "GALERA"), roleGalera), dbKey(name, "DSN")), ownReplicas}
	case env[EnvDSN] != "":
		return placement{server(EnvDSN, env[EnvDSN]), first(ownReplicas, envReplicas)}
	case env[EnvGalera] != "":
		return placement{galera(envList(EnvGalera, roleGalera), EnvDSN), first(ownReplicas, envReplicas)}
	case db.DSN != "":
		return placement{server(dbFileKey("dsn"), db.DSN), first(ownReplicas, dbReplicas)}
	case db.Galera != nil:
		return placement{galera(fileList(dbFileKey("galera"), db.Galera, roleGalera), dbFileKey("dsn")), first(ownReplicas, dbReplicas)}
	}
	shared := first(ownReplicas, envReplicas, dbReplicas, topReplicas)
	switch {
	case f.DSN != "":
		return placement{server(fileKey("dsn"), f.DSN), shared}
	case f.Galera != nil:
		return placement{galera(fileList(fileKey("galera"), f.Galera, roleGalera), fileKey("dsn")), shared}
	}
	return placement{server("default DSN", DefaultDSN), shared}
}

// checkLevels rejects a level (the environment's shared variables, one
// database's variables, the file's top level, one database's entry) that
// sets Galera nodes together with a server or with replicas: whichever
// databases it applies to, one of the two would be ignored, or the
// database would have both.
func checkLevels(path string, env map[string]string, f fileConfig, names []string) error {
	conflict := func(galeraKey, otherKey, fix string) error {
		return fmt.Errorf("config: %s: %w: %s is set too; %s", galeraKey, ErrInvalidTopology, otherKey, fix)
	}
	const serverFix = "the Galera nodes take the place of the server, so unset one of the two"
	const replicasFix = "a database has replicas or Galera nodes, not both, so unset one of the two"
	check := func(galera bool, galeraKey string, dsn bool, dsnKey string, replicas bool, replicasKey string) error {
		switch {
		case galera && dsn:
			return conflict(galeraKey, dsnKey, serverFix)
		case galera && replicas:
			return conflict(galeraKey, replicasKey, replicasFix)
		}
		return nil
	}
	if err := check(env[EnvGalera] != "", EnvGalera, env[EnvDSN] != "", EnvDSN, env[EnvReplicas] != "", EnvReplicas); err != nil {
		return err
	}
	for _, name := range names {
		g, d, r := dbKey(name, "GALERA"), dbKey(name, "DSN"), dbKey(name, "REPLICAS")
		if err := check(env[g] != "", g, env[d] != "", d, env[r] != "", r); err != nil {
			return err
		}
	}
	if path == "" {
		return nil
	}
	if err := check(len(f.Galera) > 0, path+": galera", f.DSN != "", "dsn", len(f.Replicas) > 0, "replicas"); err != nil {
		return err
	}
	for _, name := range names {
		db := f.Databases[name]
		at := path + ": databases." + name + "."
		if err := check(len(db.Galera) > 0, at+"galera", db.DSN != "", "dsn", len(db.Replicas) > 0, "replicas"); err != nil {
			return err
		}
	}
	return nil
}

// listError is a problem with one element of a DSN list, at position pos
// (from 1).
type listError struct {
	pos int
	err error
}

func (e *listError) Error() string { return e.err.Error() }
func (e *listError) Unwrap() error { return e.err }

// splitList splits a DSN list from the environment: DSNs separated by
// commas or whitespace (a comma with whitespace around it is one
// separator). A DSN that holds a comma or whitespace, or begins with a
// double quote, is written as a Go double-quoted string ("..." with \" and
// \\ inside). An empty element, as in "a,,b", "a," or ",a", is an error:
// it is most often a variable that was empty in "$A,$B". No error holds
// any of s.
func splitList(s string) ([]string, error) {
	var out []string
	i := 0
	fail := func(format string, args ...any) error {
		return &listError{pos: len(out) + 1, err: fmt.Errorf("%w: %s", ErrInvalidDSN, fmt.Sprintf(format, args...))}
	}
	const empty = "empty (a comma with no DSN before or after it, e.g. \"$A,$B\" with B unset); remove the comma"
	skipSpace := func() {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
	}
	for {
		skipSpace()
		if i == len(s) {
			if len(out) == 0 {
				return nil, fail("the list holds no DSN; unset the variable for none")
			}
			return out, nil
		}
		if s[i] == ',' {
			return nil, fail(empty)
		}
		var elem string
		if s[i] == '"' {
			end, ok := closingQuote(s, i)
			if !ok {
				return nil, fail("its double quote is not closed")
			}
			var err error
			if elem, err = strconv.Unquote(s[i : end+1]); err != nil {
				return nil, fail("bad escape inside double quotes (write \\\" for a quote and \\\\ for a backslash)")
			}
			if elem == "" {
				return nil, fail("empty double quotes; remove them")
			}
			i = end + 1
			if i < len(s) && !isSpace(s[i]) && s[i] != ',' {
				return nil, fail("text follows its closing double quote; put a comma or a space after it")
			}
		} else {
			start := i
			for i < len(s) && !isSpace(s[i]) && s[i] != ',' {
				i++
			}
			elem = s[start:i]
		}
		out = append(out, elem)
		skipSpace()
		if i < len(s) && s[i] == ',' {
			i++
			skipSpace()
			if i == len(s) || s[i] == ',' {
				return nil, fail(empty)
			}
		}
	}
}

// closingQuote returns the index of the double quote closing the one at
// s[start], skipping backslash escapes.
func closingQuote(s string, start int) (int, bool) {
	for j := start + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case '"':
			return j, true
		}
	}
	return 0, false
}

// isSpace reports whether c is ASCII whitespace.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// parseList parses the DSN list of source s (a Galera or replicas list)
// and applies the TLS plan to each server. Every element must parse, name
// its user (nothing is taken from another DSN) and be a server that no
// other element of the list names; a Galera list needs minGaleraNodes.
// users describes the databases using s, for messages.
func parseList(s source, tp *tlsPlan, users string) ([]*mysql.Config, error) {
	noun := s.noun()
	items := s.items
	if s.env {
		var err error
		if items, err = splitList(s.text); err != nil {
			var le *listError
			errors.As(err, &le)
			return nil, fmt.Errorf("config: %s: %s %d (%s): %w", s.key, noun, le.pos, users, err)
		}
	}
	out := make([]*mysql.Config, 0, len(items))
	for i, dsn := range items {
		at := fmt.Sprintf("%s: %s %d of %d (%s)", s.key, noun, i+1, len(items), users)
		if strings.TrimSpace(dsn) == "" {
			return nil, fmt.Errorf("config: %s: %w: empty; remove it or write its DSN", at, ErrInvalidDSN)
		}
		cfg, err := parseServer(dsn)
		if err == nil {
			err = tp.apply(cfg)
		}
		if err != nil {
			if s.env && errors.Is(err, ErrInvalidDSN) {
				err = fmt.Errorf("%w (in a DSN list, a DSN holding a comma or whitespace goes in double quotes)", err)
			}
			return nil, fmt.Errorf("config: %s: %w", at, err)
		}
		if cfg.User == "" {
			return nil, fmt.Errorf("config: %s: %w: it names no user; write user:password@ before the address "+
				"(a %s takes nothing from the primary's or another DSN)", at, ErrInvalidDSN, noun)
		}
		for j, prev := range out {
			if sameServer(prev, cfg) {
				return nil, fmt.Errorf("config: %s (%s): %w: %ss %d and %d are both %s; list each server once",
					s.key, users, ErrInvalidTopology, noun, j+1, i+1, Redact(cfg))
			}
		}
		out = append(out, cfg)
	}
	if s.role == roleGalera && len(out) < minGaleraNodes {
		return nil, fmt.Errorf("config: %s (%s): %w: %d node; a Galera cluster needs at least %d to fail over (for one server, use %s)",
			s.key, users, ErrInvalidTopology, len(out), minGaleraNodes, s.dsnKey)
	}
	return out, nil
}

// sameServer reports whether a and b reach the same server: the same
// network (tcp4 and tcp6 count as tcp) and address, the host compared
// without regard to case.
func sameServer(a, b *mysql.Config) bool {
	netw := func(c *mysql.Config) string {
		if strings.HasPrefix(c.Net, "tcp") {
			return "tcp"
		}
		return c.Net
	}
	return netw(a) == netw(b) && strings.EqualFold(a.Addr, b.Addr)
}

// redactAll renders servers with Redact, separated by ", ".
func redactAll(servers []*mysql.Config) string {
	parts := make([]string, len(servers))
	for i, s := range servers {
		parts[i] = Redact(s)
	}
	return strings.Join(parts, ", ")
}

// cloneAll returns a copy of each of servers (nil for none).
func cloneAll(servers []*mysql.Config) []*mysql.Config {
	if len(servers) == 0 {
		return nil
	}
	out := make([]*mysql.Config, len(servers))
	for i, s := range servers {
		out[i] = s.Clone()
	}
	return out
}
