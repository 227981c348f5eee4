// Package doctor checks the servers and databases of a hubdb
// configuration the way an operator would, one finding per row: the
// connection budget against max_connections, the pools' recycle,
// keepalive and idle time against wait_timeout, a strict sql_mode, the
// character sets and collations, TLS in use and verified, the user's
// privileges (least privilege: what `hubdb grants` gives the application
// user), the migrations (missing, pending, dirty, out of order, gone,
// edited) and drift. It is the engine of `hubdb doctor`.
//
// [Run] connects to every server once, as the application does (the
// configuration's DSN, TLS settings and dbx's connection settings), with a
// bounded time for each check. A server that does not answer is one
// failed "connect" row naming the cause and the fix; the other servers are
// still checked. No finding contains a password: servers are shown with
// config.Redact, SHOW GRANTS lines (which carry the password's hash) are
// never repeated, and every password of the configuration is masked in
// the report before it is returned.
package doctor

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/solarhub/hubdb/config"
	"github.com/solarhub/hubdb/dbx"
	"github.com/solarhub/hubdb/migration"
)

// Verdict is the outcome of one check.
type Verdict string

// The verdicts, from good to bad.
const (
	// OK: nothing to do.
	OK Verdict = "ok"
	// Warn: works, but the operator should look (or the check was skipped).
	Warn Verdict = "warn"
	// Fail: wrong; `hubdb doctor` exits 1.
	Fail Verdict = "fail"
)

// rank orders the verdicts, worst last.
func (v Verdict) rank() int {
	switch v {
	case OK:
		return 0
	case Warn:
		return 1
	}
	return 2
}

// worse returns the worse of v and w.
func worse(v, w Verdict) Verdict {
	if w.rank() > v.rank() {
		return w
	}
	return v
}

// Names of the checks, the Check.Name values: stable identifiers for
// scripts reading `hubdb doctor --json`.
const (
	CheckConnect     = "connect"      // the server answers (only reported when it does not)
	CheckTLS         = "tls"          // the connection is encrypted and the certificate verified
	CheckPrivileges  = "privileges"   // SHOW GRANTS FOR CURRENT_USER() against least privilege
	CheckSQLMode     = "sql_mode"     // STRICT_TRANS_TABLES or STRICT_ALL_TABLES
	CheckBudget      = "budget"       // the pools against the server's connection budget
	CheckWaitTimeout = "wait_timeout" // recycle, keepalive and idle time against wait_timeout
	CheckCharset     = "charset"      // utf8mb4 / utf8mb4_unicode_ci
	CheckMigrations  = "migrations"   // missing, pending, dirty, history problems
	CheckDrift       = "drift"        // the live structure against the migrations
)

// Check is one finding.
type Check struct {
	// Server is the server as config.Redact shows it (user@tcp(host:port)/),
	// never with its password.
	Server string `json:"server"`
	// DB is the logical database name; empty for a server-wide check.
	DB string `json:"db"`
	// Name is the check, one of the Check* constants.
	Name string `json:"check"`
	// Verdict is ok, warn or fail.
	Verdict Verdict `json:"verdict"`
	// Finding says what was found, with the numbers it was judged by.
	Finding string `json:"finding"`
	// Fix says what to do; empty for an ok check with nothing to add.
	Fix string `json:"fix,omitempty"`
}

// Report is the result of [Run]: every check, server by server in the
// order of the configuration's databases, server-wide checks first.
type Report struct {
	Checks []Check `json:"checks"`
}

// Failed reports whether any check failed.
func (r Report) Failed() bool { return r.Count(Fail) > 0 }

// Count returns how many checks have verdict v.
func (r Report) Count(v Verdict) int {
	n := 0
	for _, c := range r.Checks {
		if c.Verdict == v {
			n++
		}
	}
	return n
}

// Defaults of [Options].
const (
	// DefaultTimeout bounds connecting to a server and each check on it.
	DefaultTimeout = 10 * time.Second
	// DefaultDriftTimeout bounds the drift check of one database (it
	// migrates a scratch database).
	DefaultDriftTimeout = 2 * time.Minute
)

// Options tune [Run].
type Options struct {
	// DBs are the logical databases to check; none means all. The budget
	// check always counts every database of the configuration on a server
	// (the application opens them all).
	DBs []string
	// Timeout bounds connecting and each check. Default DefaultTimeout.
	Timeout time.Duration
	// DriftTimeout bounds the drift check of one database. Default
	// DefaultDriftTimeout.
	DriftTimeout time.Duration
	// NoDrift skips the drift check.
	NoDrift bool
	// Migrator reads the migration status and verifies drift. Default the
	// zero Migrator (the embedded migrations).
	Migrator *migration.Migrator
}

// server is one connection target of the configuration: the databases
// that share a DSN (same user and address).
type server struct {
	label string        // config.Redact of the server
	cfg   *mysql.Config // the DSN as configured (no database)
	dbs   []config.Database
	all   []config.Database // every database of the configuration on it
}

// serverResult is what the checks of one server found.
type serverResult struct {
	s      *server
	info   *serverInfo // nil: the server did not answer
	checks []Check     // in report order, without the budget
	budget int         // index in checks where the budget row goes
}

// Run checks the servers and databases of cfg and returns the report. It
// fails only on bad options (a database cfg does not know); everything
// found on the servers, including a server that does not answer, is a
// check of the report.
func Run(ctx context.Context, cfg *config.Config, opts Options) (Report, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.DriftTimeout <= 0 {
		opts.DriftTimeout = DefaultDriftTimeout
	}
	if opts.Migrator == nil {
		opts.Migrator = &migration.Migrator{}
	}
	servers, err := groupServers(cfg, opts.DBs)
	if err != nil {
		return Report{}, err
	}
	dc := cfg.DBX()
	pools := make(map[string]dbx.Pool, len(dc.DBs))
	for _, d := range dc.DBs {
		pools[d.Name] = d.Pool
	}
	env := &runEnv{cfg: cfg, dbx: dc, pools: pools, opts: opts}

	results := make([]*serverResult, len(servers))
	var wg sync.WaitGroup
	for i, s := range servers {
		wg.Go(func() { results[i] = env.checkServer(ctx, s) })
	}
	wg.Wait()

	var r Report
	for i, res := range results {
		checks := res.checks
		if res.info != nil && firstOfPhysical(results, i) {
			b := env.budget(results, i)
			checks = slices.Insert(slices.Clone(checks), res.budget, b)
		}
		r.Checks = append(r.Checks, checks...)
	}
	scrub(&r, cfg)
	return r, nil
}

// runEnv is what every check of one Run shares.
type runEnv struct {
	cfg   *config.Config
	dbx   dbx.Config
	pools map[string]dbx.Pool // each database's own pool settings
	opts  Options
}

// groupServers returns the servers of the selected databases (all when
// names is empty), in the order of their first database.
func groupServers(cfg *config.Config, names []string) ([]*server, error) {
	all := cfg.Names()
	selected := map[string]bool{}
	for _, n := range names {
		if _, err := cfg.Database(n); err != nil {
			return nil, fmt.Errorf("doctor: %w", err)
		}
		selected[n] = true
	}
	var out []*server
	byKey := map[string]*server{}
	for _, n := range all {
		d, err := cfg.Database(n)
		if err != nil {
			return nil, fmt.Errorf("doctor: %w", err)
		}
		key := serverKey(d.Server)
		s := byKey[key]
		if s == nil {
			s = &server{label: config.Redact(d.Server), cfg: d.Server}
			byKey[key] = s
			out = append(out, s)
		}
		s.all = append(s.all, d)
		if len(names) == 0 || selected[n] {
			s.dbs = append(s.dbs, d)
		}
	}
	return slices.DeleteFunc(out, func(s *server) bool { return len(s.dbs) == 0 }), nil
}

// serverKey tells servers apart: same user and address, and the same
// parameters (the key is never shown: it holds the password).
func serverKey(c *mysql.Config) string {
	return config.Redact(c) + "\x00" + c.FormatDSN()
}

// firstOfPhysical reports whether results[i] is the first answering
// server of its physical server (dbx's budget is per @@hostname:@@port,
// whatever the user).
func firstOfPhysical(results []*serverResult, i int) bool {
	for _, r := range results[:i] {
		if r.info != nil && r.info.id == results[i].info.id {
			return false
		}
	}
	return true
}

// scrub masks every password of the configuration in the report, a last
// guard behind the checks' own care (a server message quoting a DSN).
func scrub(r *Report, cfg *config.Config) {
	var secrets []string
	for _, n := range cfg.Names() {
		if d, err := cfg.Database(n); err == nil && d.Server.Passwd != "" && !slices.Contains(secrets, d.Server.Passwd) {
			secrets = append(secrets, d.Server.Passwd)
		}
	}
	for i := range r.Checks {
		c := &r.Checks[i]
		for _, p := range secrets {
			c.Server = strings.ReplaceAll(c.Server, p, "xxxxx")
			c.Finding = strings.ReplaceAll(c.Finding, p, "xxxxx")
			c.Fix = strings.ReplaceAll(c.Fix, p, "xxxxx")
		}
	}
}

// checkServer runs every check of s on one connection.
func (e *runEnv) checkServer(ctx context.Context, s *server) *serverResult {
	res := &serverResult{s: s}
	add := func(db, name string, v Verdict, finding, fix string) {
		res.checks = append(res.checks, Check{Server: s.label, DB: db, Name: name, Verdict: v, Finding: finding, Fix: fix})
	}
	c, err := e.connect(ctx, s)
	if err != nil {
		finding, fix := connectFailure(err, s, e.opts.Timeout)
		add("", CheckConnect, Fail, finding, fix)
		return res
	}
	defer c.close()
	res.info = c.info

	// Server-wide checks, each bounded by the check timeout.
	for _, chk := range []struct {
		name string
		fn   func(ctx context.Context, c *conn, s *server) []finding
	}{
		{CheckTLS, e.checkTLS},
		{CheckPrivileges, e.checkPrivileges},
		{CheckSQLMode, e.checkSQLMode},
		{CheckBudget, nil}, // placed here once every server answered
		{CheckWaitTimeout, e.checkWaitTimeout},
		{CheckCharset, e.checkServerCharset},
	} {
		if chk.fn == nil {
			res.budget = len(res.checks)
			continue
		}
		for _, f := range e.bounded(ctx, c, s, chk.name, chk.fn) {
			add(f.db, chk.name, f.verdict, f.finding, f.fix)
		}
	}
	for _, f := range e.checkDatabases(ctx, c, s) {
		add(f.db, f.name, f.verdict, f.finding, f.fix)
	}
	return res
}

// finding is one row of a check before the server is filled in.
type finding struct {
	db, name string // name: only for checkDatabases, which mixes checks
	verdict  Verdict
	finding  string
	fix      string
}

// bounded runs fn with the check timeout; a query that fails or does not
// answer in time is a failed row of that check.
func (e *runEnv) bounded(ctx context.Context, c *conn, s *server, name string, fn func(context.Context, *conn, *server) []finding) []finding {
	ctx, cancel := context.WithTimeout(ctx, e.opts.Timeout)
	defer cancel()
	fs := fn(ctx, c, s)
	for i := range fs {
		if fs[i].name == "" {
			fs[i].name = name
		}
	}
	return fs
}

// queryFailed is the row of a check whose query failed.
func queryFailed(ctx context.Context, db, what string, err error, timeout time.Duration) finding {
	if ctx.Err() != nil {
		return finding{db: db, verdict: Fail, finding: fmt.Sprintf("could not check: %s did not answer within %v", what, timeout),
			fix: "check the server's load and the network, then run hubdb doctor again (a lock on information_schema or a slow disk can stall it)"}
	}
	return finding{db: db, verdict: Fail, finding: fmt.Sprintf("could not check: %s: %v", what, oneLine(err)),
		fix: "check that the user may read it (see the privileges row), then run hubdb doctor again"}
}

// oneLine puts an error's text on one line.
func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", " ") }

// dsnHint names where the DSN of s comes from, for fixes.
func dsnHint(s *server) string {
	if len(s.all) == 1 {
		return fmt.Sprintf("HUBDB_DSN or HUBDB_%s_DSN", strings.ToUpper(s.all[0].Name))
	}
	return "HUBDB_DSN, HUBDB_<NAME>_DSN or the config file's dsn"
}

// plural returns "1 database", "2 databases".
func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// list shows at most max items, then how many more there are.
func list(items []string, max int) string {
	if len(items) <= max {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:max], ", "), len(items)-max)
}
