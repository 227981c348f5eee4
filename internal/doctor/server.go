package doctor

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/solarhub/hubdb/dbx"
)

// poolSettings are the pool settings of one database that the checks
// judge, as dbx resolves them (dbx.ResolvePool).
type poolSettings struct {
	size, overflow, guaranteed int
	recycle, maxIdle           time.Duration // 0: off
	keepAlive                  time.Duration // 0: off
	keepAliveDefault           bool          // keepAlive is dbx's default for the server's wait_timeout
	prePing                    bool
}

// poolOf resolves the pool settings of database name: its own settings
// over the configuration's pool over dbx's defaults. wait is the
// wait_timeout its connections get, which sets the default keepalive.
func (e *runEnv) poolOf(name string, wait time.Duration) poolSettings {
	r := dbx.ResolvePool(e.pools[name], e.dbx.Defaults, wait)
	return poolSettings{size: r.Size, overflow: r.Overflow, guaranteed: r.Guaranteed, recycle: r.Recycle,
		maxIdle: r.MaxIdleTime, keepAlive: r.KeepAlive, keepAliveDefault: r.KeepAliveDefault, prePing: r.PrePing}
}

// budget is the budget row of the physical server of results[i]: every
// database of the configuration on it (all users), against the ceiling
// dbx's run-time budget uses.
func (e *runEnv) budget(results []*serverResult, i int) Check {
	in := results[i].info
	var names, unlimited []string
	sizes, maxes, guaranteed := 0, 0, 0
	for _, r := range results {
		if r.info == nil || r.info.id != in.id {
			continue
		}
		for _, d := range r.s.all {
			p := e.poolOf(d.Name, r.info.waitSession)
			names = append(names, d.Name)
			sizes += p.size
			guaranteed += p.guaranteed
			if p.overflow == dbx.Unlimited {
				unlimited = append(unlimited, d.Name)
				maxes += p.size
			} else {
				maxes += p.size + p.overflow
			}
		}
	}
	n := len(names)
	m, res, inst, explicit := in.maxConns, dbx.ResolveReserve(e.dbx.Reserve), max(e.dbx.Instances, 1), e.dbx.ServerBudget
	ceiling := explicit
	var basis string
	if explicit > 0 {
		basis = fmt.Sprintf("server_budget %d (max_connections %d)", explicit, m)
	} else {
		ceiling = max((m-res)/inst, 1)
		basis = fmt.Sprintf("(max_connections %d - reserve %d) / %s", m, res, plural(inst, "instance"))
		if e.dbx.Reserve == 0 {
			basis += " (reserve: dbx's default)"
		}
	}
	maxText := fmt.Sprint(maxes)
	if len(unlimited) > 0 {
		maxText += " plus no limit for " + list(unlimited, 3)
	}
	base := fmt.Sprintf("run-time budget %d = %s for %s: sizes add up to %d, maximums to %s; connected now %d, most since the server started %d",
		ceiling, basis, plural(n, "database"), sizes, maxText, in.threadsConnected, in.maxUsed)
	// needed is max_connections giving every pool its maximum.
	needed := res + inst*maxes

	v := OK
	var probs, fixes []string
	problem := func(w Verdict, p, f string) {
		v = worse(v, w)
		probs = append(probs, p)
		fixes = append(fixes, f)
	}
	if ceiling < n {
		fix := fmt.Sprintf("raise max_connections to at least %d (one connection per database; %d lets every pool reach its maximum): "+
			"SET GLOBAL max_connections = <N>, and max_connections = <N> under [mysqld] in the server's configuration so that a restart keeps it",
			res+inst*n, needed)
		if inst > 1 {
			fix += fmt.Sprintf("; or lower instances (%d) if fewer processes share the server", inst)
		}
		if explicit > 0 {
			fix = fmt.Sprintf("raise server_budget to at least %d (the budget needs one connection per database, %d for every pool at its maximum)", n, maxes)
		}
		problem(Fail, fmt.Sprintf("the budget is below the %d databases: under load they cannot each hold a connection and callers wait for one another across databases", n), fix)
	}
	if explicit > 0 && explicit*inst > m {
		problem(Fail, fmt.Sprintf("server_budget %d for each of %s is more than max_connections %d: the server refuses connections (1040) before the budget holds the pools back",
			explicit, plural(inst, "instance"), m),
			fmt.Sprintf("lower server_budget to at most %d, or raise max_connections", max((m-res)/inst, 1)))
	}
	if guaranteed > ceiling {
		problem(Fail, fmt.Sprintf("the pools' guaranteed connections add up to %d, over the budget", guaranteed),
			"lower pool.guaranteed (dbx with StrictChecks refuses to open)")
	}
	if len(unlimited) > 0 {
		problem(Warn, fmt.Sprintf("%s %s no maximum (overflow -1): only the budget bounds it, and under load it takes connections from the other databases",
			list(unlimited, 3), map[bool]string{true: "has", false: "have"}[len(unlimited) == 1]),
			"set pool.overflow (e.g. 20) for "+list(unlimited, 3))
	}
	if sizes > ceiling && ceiling >= n {
		problem(Warn, fmt.Sprintf("the pools keep up to %d idle connections, more than the budget: under load they close each other's idle connections to open their own", sizes),
			fmt.Sprintf("lower pool.size (the budget gives %d per database), or raise max_connections to at least %d", ceiling/max(n, 1), res+inst*sizes))
	}
	if in.maxUsed >= m && m > 0 {
		problem(Warn, "the server has been full since it started (most connections used = max_connections): it refused connections; other clients or processes share it",
			"count the service's processes in instances (or set server_budget), look for other clients (SHOW PROCESSLIST), raise max_connections if the server has the memory")
	}
	finding := base
	if len(probs) > 0 {
		finding += "; " + strings.Join(probs, "; ")
	} else if maxes > ceiling {
		finding += "; the budget caps the maximums at run time (callers wait, up to pool.timeout)"
	}
	return Check{Server: results[i].s.label, Name: CheckBudget, Verdict: v, Finding: finding, Fix: strings.Join(fixes, "; ")}
}

// checkWaitTimeout compares each database's idle limits with the
// wait_timeout its connections get: one row for the server when every
// database has the same settings, else one per database.
func (e *runEnv) checkWaitTimeout(_ context.Context, c *conn, s *server) []finding {
	in := c.info
	wt := in.waitSession
	var out []finding
	for _, d := range s.dbs {
		p := e.poolOf(d.Name, wt)
		out = append(out, judgeIdle(p, wt, in.waitGlobal, hasParam(s, "wait_timeout"), d.Name))
	}
	same := true
	for _, f := range out[1:] {
		same = same && f.verdict == out[0].verdict && f.finding == out[0].finding
	}
	if same {
		out = []finding{out[0]}
		out[0].db = ""
	}
	return out
}

// judgeIdle decides the wait_timeout row of one database's pool p whose
// connections get wait_timeout wt (GLOBAL global).
func judgeIdle(p poolSettings, wt, global time.Duration, dsnParam bool, db string) finding {
	// The longest an idle connection goes without a round trip: the
	// keepalive pings it (checked every quarter of keepalive), max idle
	// time and recycle close it.
	var bound time.Duration
	var by string
	consider := func(d time.Duration, what string) {
		if d > 0 && (bound == 0 || d < bound) {
			bound, by = d, what
		}
	}
	if p.keepAlive > 0 {
		consider(p.keepAlive+p.keepAlive/4, "pinged")
	}
	consider(p.maxIdle, "closed (max_idle_time)")
	consider(p.recycle, "closed (recycle)")

	ka := "off"
	if p.keepAlive > 0 {
		ka = fmtDur(p.keepAlive)
		if p.keepAliveDefault {
			ka += " (default: a third of wait_timeout, at most 5m)"
		}
	}
	off := func(d time.Duration) string {
		if d <= 0 {
			return "off"
		}
		return fmtDur(d)
	}
	pre := "on"
	if !p.prePing {
		pre = "off"
	}
	waitText := fmt.Sprintf("wait_timeout %s", fmtDur(wt))
	if global != wt {
		waitText += fmt.Sprintf(" in the application's sessions (GLOBAL %s", fmtDur(global))
		if dsnParam {
			waitText += "; the DSN's wait_timeout parameter sets the session's"
		}
		waitText += ")"
	} else {
		waitText += " (GLOBAL and the application's sessions)"
	}
	settings := fmt.Sprintf("keepalive %s, max_idle_time %s, recycle %s, pre-ping %s", ka, off(p.maxIdle), off(p.recycle), pre)
	fix := fmt.Sprintf("leave pool.keep_alive unset (a third of wait_timeout) or set it below %s, or set pool.max_idle_time below %s; "+
		"or raise wait_timeout (SET GLOBAL wait_timeout and wait_timeout under [mysqld])", fmtDur(wt/3), fmtDur(wt))
	switch {
	case bound == 0 || bound >= wt:
		span := "without limit"
		if bound > 0 {
			span = "up to " + fmtDur(bound) + " before it is " + by
		}
		if !p.prePing {
			return finding{db: db, verdict: Fail, fix: fix + "; and turn pre-ping back on (disable_pre_ping: false)",
				finding: fmt.Sprintf("%s; %s: an idle connection waits %s, longer than wait_timeout, and pre-ping is off: "+
					"the server closes it first and the next checkout gets a dead connection (2006/2013)", waitText, settings, span)}
		}
		return finding{db: db, verdict: Warn, fix: fix,
			finding: fmt.Sprintf("%s; %s: an idle connection waits %s, longer than wait_timeout: the server closes it first; "+
				"pre-ping catches it at checkout, at the cost of a reconnect and an 'Aborted connection' in the server's log", waitText, settings, span)}
	case bound >= wt*4/5:
		return finding{db: db, verdict: Warn, fix: fix,
			finding: fmt.Sprintf("%s; %s: an idle connection is %s within %s, over 80%% of wait_timeout: the timing of the sweep can let the server close it first",
				waitText, settings, by, fmtDur(bound))}
	}
	return finding{db: db, verdict: OK,
		finding: fmt.Sprintf("%s; %s: an idle connection is %s within %s", waitText, settings, by, fmtDur(bound))}
}

// hasParam reports whether the DSN of s sets the session variable name.
func hasParam(s *server, name string) bool {
	_, ok := s.cfg.Params[name]
	return ok
}

// fmtDur formats d without zero units: 8h, 5m, 6m15s.
func fmtDur(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	s := d.Round(time.Second).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// strictModes are the sql_mode flags that make MariaDB and MySQL refuse a
// value a column cannot hold instead of truncating it with a warning.
var strictModes = []string{"STRICT_TRANS_TABLES", "STRICT_ALL_TABLES"}

func isStrict(mode string) bool {
	for _, m := range strings.Split(strings.ToUpper(mode), ",") {
		if slices.Contains(strictModes, strings.TrimSpace(m)) {
			return true
		}
	}
	return false
}

// checkSQLMode: the application's sessions (dbx sets no sql_mode of its
// own, so they get the server's GLOBAL one unless the DSN sets it) must be
// strict; a non-strict GLOBAL with a strict DSN is a warning.
func (e *runEnv) checkSQLMode(_ context.Context, c *conn, s *server) []finding {
	in := c.info
	glob, sess := in.sqlModeGlobal, in.sqlModeSession
	modes := fmt.Sprintf("GLOBAL '%s', the application's sessions '%s' (dbx sets no sql_mode of its own", glob, sess)
	if hasParam(s, "sql_mode") {
		modes += "; the DSN's sql_mode parameter sets the session's"
	}
	modes += ")"
	want := strictMode(glob)
	globalFix := fmt.Sprintf("SET GLOBAL sql_mode = '%s' (new connections get it: restart the applications, or wait for their pools' recycle) "+
		"and add sql_mode = %s under [mysqld] in the server's configuration so that a restart keeps it", want, want)
	switch {
	case !isStrict(sess):
		fix := globalFix
		if hasParam(s, "sql_mode") {
			fix = "remove the sql_mode parameter from the DSN (" + dsnHint(s) + ")"
			if !isStrict(glob) {
				fix += "; " + globalFix
			}
		}
		return []finding{{verdict: Fail, fix: fix, finding: "not strict: " + modes +
			": the server truncates a too-long string and clips an out-of-range number with only a warning instead of failing the statement"}}
	case !isStrict(glob):
		return []finding{{verdict: Warn, fix: globalFix, finding: "strict only through the DSN: " + modes +
			": other clients (and a DSN without the parameter) write with truncation"}}
	}
	return []finding{{verdict: OK, finding: "strict: " + modes}}
}

// strictMode returns mode with STRICT_TRANS_TABLES added in front.
func strictMode(mode string) string {
	var parts []string
	for _, m := range strings.Split(mode, ",") {
		if m = strings.TrimSpace(m); m != "" {
			parts = append(parts, m)
		}
	}
	return strings.Join(append([]string{"STRICT_TRANS_TABLES"}, parts...), ",")
}

// checkTLS: the doctor's connection is made with the configuration's TLS
// settings, as the application's; its Ssl_cipher says whether it is
// encrypted, the settings whether the certificate was verified.
func (e *runEnv) checkTLS(_ context.Context, c *conn, s *server) []finding {
	in := c.info
	t := s.cfg.TLS
	on := in.sslCipher != ""
	if s.cfg.Net == "unix" && !on {
		return []finding{{verdict: OK, finding: "unix socket: the connection does not leave the machine, TLS is not needed"}}
	}
	enableServer := "enable TLS on the server (ssl_cert, ssl_key and ssl_ca under [mysqld], then restart it), then "
	if in.haveSSL == "YES" {
		enableServer = ""
	}
	setCA := enableServer + "set HUBDB_TLS_CA (or tls.ca in the config file) to the CA that signed the server's certificate: " +
		"verified TLS for every server whose DSN does not say tls=false"
	switch {
	case !on && t == nil:
		what := "not encrypted: the DSN has no tls= and no CA is configured; passwords and data cross the network in the clear"
		if s.cfg.TLSConfig == "false" {
			what = "not encrypted: the DSN says tls=false; passwords and data cross the network in the clear"
		}
		if in.haveSSL != "" && in.haveSSL != "YES" {
			what += fmt.Sprintf(" (the server offers no TLS: have_ssl %s)", in.haveSSL)
		}
		return []finding{{verdict: Fail, finding: what, fix: setCA}}
	case !on:
		return []finding{{verdict: Fail, fix: setCA + "; use tls=true, not preferred",
			finding: fmt.Sprintf("not encrypted: tls=%s fell back to plaintext (the server offers no TLS)", s.cfg.TLSConfig)}}
	}
	session := fmt.Sprintf("encrypted (%s, %s)", in.sslVersion, in.sslCipher)
	if t == nil || t.InsecureSkipVerify {
		return []finding{{verdict: Fail, fix: "set HUBDB_TLS_CA to the CA that signed the server's certificate and use tls=true (a CA alone turns verified TLS on)",
			finding: fmt.Sprintf("%s, but the server's certificate is not verified (tls=%s without a CA): anyone in the middle can pose as the server", session, s.cfg.TLSConfig)}}
	}
	against := "the system's CA certificates"
	if t.RootCAs != nil {
		against = "the configured CA"
	}
	f := fmt.Sprintf("%s; the server's certificate is verified against %s for the name %s", session, against, t.ServerName)
	if in.requireSecure == "OFF" {
		f += "; the server also accepts plaintext logins (require_secure_transport OFF)"
	}
	return []finding{{verdict: OK, finding: f}}
}

// checkServerCharset: the application's connection must be utf8mb4 in the
// collation of the tables; the server's default character set, used by
// databases and tables created without one, should be too.
func (e *runEnv) checkServerCharset(_ context.Context, c *conn, s *server) []finding {
	in := c.info
	conn := fmt.Sprintf("connection %s / %s, server default %s / %s", in.charsetConn, in.collationConn, in.charsetServer, in.collationServer)
	if in.charsetConn != "utf8mb4" {
		return []finding{{verdict: Fail, finding: conn + ": the application's text is converted to " + in.charsetConn + " and loses what it cannot hold",
			fix: "remove the collation parameter from the DSN (dbx then uses " + dbx.DefaultCollation + "), or set a utf8mb4 one"}}
	}
	var probs, fixes []string
	if in.collationConn != dbx.DefaultCollation {
		probs = append(probs, "the connection's collation is "+in.collationConn+", not the tables' "+dbx.DefaultCollation+": comparisons of literals sort and match differently")
		fixes = append(fixes, "drop the collation parameter from the DSN ("+dsnHint(s)+"): dbx then uses "+dbx.DefaultCollation)
	}
	if in.charsetServer != "utf8mb4" || in.collationServer != dbx.DefaultCollation {
		probs = append(probs, "a database or table created by hand without a character set gets "+in.charsetServer+" / "+in.collationServer+
			" (hubdb migrate sets utf8mb4 itself)")
		fixes = append(fixes, "set character_set_server = utf8mb4 and collation_server = "+dbx.DefaultCollation+
			" under [mysqld] in the server's configuration (and SET GLOBAL both for databases created before the restart)")
	}
	if len(probs) > 0 {
		return []finding{{verdict: Warn, finding: conn + ": " + strings.Join(probs, "; "), fix: strings.Join(fixes, "; ")}}
	}
	return []finding{{verdict: OK, finding: conn}}
}
