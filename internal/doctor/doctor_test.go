package doctor

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/solarhub/hubdb/config"
	"github.com/solarhub/hubdb/dbx"
)

// The rules of the checks, on the values the servers report; the checks
// against real servers (misconfigured and well configured) are
// TestDoctor in cmd/hubdb.

func TestParseGrant(t *testing.T) {
	tests := []struct {
		line   string
		want   grant
		parsed bool
	}{
		{"GRANT USAGE ON *.* TO `hubdb_app`@`%` IDENTIFIED BY PASSWORD '*2B602296A79E0A8784ACC5C88D92E46588CCA3C3'",
			grant{privs: []string{"USAGE"}, level: levelGlobal}, true},
		{"GRANT PROCESS, SUPER ON *.* TO `a`@`%` IDENTIFIED BY PASSWORD '*2B60'",
			grant{privs: []string{"PROCESS", "SUPER"}, level: levelGlobal}, true},
		{"GRANT SELECT, INSERT, UPDATE, DELETE ON `stage\\_ess`.* TO `hubdb_app`@`%`",
			grant{privs: []string{"SELECT", "INSERT", "UPDATE", "DELETE"}, level: levelDatabase, db: `stage\_ess`}, true},
		{"GRANT ALL PRIVILEGES ON `other`.* TO `a`@`%` WITH GRANT OPTION",
			grant{privs: []string{"ALL PRIVILEGES"}, level: levelDatabase, db: "other", grantOption: true}, true},
		{"GRANT SELECT (`id`, `name`), UPDATE (`name`) ON `ess`.`batteries` TO `a`@`%`",
			grant{privs: []string{"SELECT", "UPDATE"}, level: levelTable, db: "ess", table: "batteries"}, true},
		{"GRANT EXECUTE ON PROCEDURE `ess`.`p` TO `a`@`%`",
			grant{privs: []string{"EXECUTE"}, level: levelTable, db: "ess", table: "p", routine: "PROCEDURE"}, true},
		{"GRANT PROXY ON ``@`%` TO `root`@`localhost` WITH GRANT OPTION",
			grant{privs: []string{"PROXY"}, level: levelProxy, grantOption: true}, true},
		{"GRANT `reporting` TO `a`@`%`", grant{level: levelRole, role: "reporting"}, true},
		// MySQL 8: privileges listed one by one, dynamic ones on a line of their own.
		{"GRANT SELECT,INSERT,SUPER ON *.* TO `root`@`localhost`", grant{privs: []string{"SELECT", "INSERT", "SUPER"}, level: levelGlobal}, true},
		{"GRANT APPLICATION_PASSWORD_ADMIN,BACKUP_ADMIN ON *.* TO `root`@`localhost` WITH GRANT OPTION",
			grant{privs: []string{"APPLICATION_PASSWORD_ADMIN", "BACKUP_ADMIN"}, level: levelGlobal, grantOption: true}, true},
		{"GRANT SELECT ON `we``ird`.* TO 'a'@'%'", grant{privs: []string{"SELECT"}, level: levelDatabase, db: "we`ird"}, true},
		{"SET DEFAULT ROLE `reporting` FOR `a`@`%`", grant{}, false},
	}
	for _, tt := range tests {
		got, ok := parseGrant(tt.line)
		if ok != tt.parsed || !slices.Equal(got.privs, tt.want.privs) || got.level != tt.want.level || got.db != tt.want.db ||
			got.table != tt.want.table || got.routine != tt.want.routine || got.grantOption != tt.want.grantOption || got.role != tt.want.role {
			t.Errorf("parseGrant(%q) = %+v, %v; want %+v, %v", tt.line, got, ok, tt.want, tt.parsed)
		}
	}
}

func TestLikeMatch(t *testing.T) {
	for _, tt := range []struct {
		pattern, name string
		want          bool
	}{
		{`stage\_ess`, "stage_ess", true},
		{`stage\_ess`, "stageXess", false},
		{"stage_ess", "stageXess", true},
		{"stage_%", "stage_pv", true},
		{`\_hubdb\_verify\_%`, "_hubdb_verify_0123abcd_ess", true},
		{`\_hubdb\_verify\_%`, "ess", false},
		{"ess", "ess", true},
		{"ess", "ess2", false},
		{"%", "", true},
	} {
		if got := likeMatch(tt.pattern, tt.name); got != tt.want {
			t.Errorf("likeMatch(%q, %q) = %v", tt.pattern, tt.name, got)
		}
	}
	if hasWildcard(`stage\_ess`) || !hasWildcard("stage_ess") || !hasWildcard(`a\_%`) {
		t.Error("hasWildcard")
	}
}

// grantsOf parses SHOW GRANTS lines.
func grantsOf(t *testing.T, lines ...string) []grant {
	t.Helper()
	var gs []grant
	for _, l := range lines {
		g, ok := parseGrant(l)
		if !ok {
			t.Fatalf("parseGrant(%q) failed", l)
		}
		gs = append(gs, g)
	}
	return gs
}

func TestPrivilegeFindings(t *testing.T) {
	schemas := []string{"stage_ess", "stage_pv"}
	configured := append(slices.Clone(schemas), "stage_site")
	const acct = "'app'@'%'"
	app := []string{
		"GRANT USAGE ON *.* TO `app`@`%` IDENTIFIED BY PASSWORD '*AB'",
		"GRANT SELECT, INSERT, UPDATE, DELETE ON `stage\\_ess`.* TO `app`@`%`",
		"GRANT SELECT, INSERT, UPDATE, DELETE ON `stage\\_pv`.* TO `app`@`%`",
	}
	t.Run("hubdb grants' application user", func(t *testing.T) {
		fs, canVerify := privilegeFindings(grantsOf(t, app...), acct, schemas, configured)
		if len(fs) != 1 || fs[0].verdict != OK || canVerify {
			t.Fatalf("%+v, %v", fs, canVerify)
		}
	})
	t.Run("hubdb grants' admin user", func(t *testing.T) {
		fs, canVerify := privilegeFindings(grantsOf(t,
			"GRANT USAGE ON *.* TO `admin`@`%` IDENTIFIED BY PASSWORD '*AB'",
			"GRANT ALL PRIVILEGES ON `stage\\_pv`.* TO `admin`@`%`",
			"GRANT ALL PRIVILEGES ON `stage\\_ess`.* TO `admin`@`%`",
			"GRANT ALL PRIVILEGES ON `\\_hubdb\\_verify\\_%`.* TO `admin`@`%`",
		), "'admin'@'%'", schemas, configured)
		if !canVerify || len(fs) != 2 || worst(fs) != Warn {
			t.Fatalf("%+v, %v", fs, canVerify)
		}
		if !strings.Contains(fs[1].finding, "ALL PRIVILEGES on stage_ess, stage_pv, beyond") {
			t.Errorf("databases not named in order: %s", fs[1].finding)
		}
	})
	t.Run("SUPER and another database", func(t *testing.T) {
		fs, _ := privilegeFindings(grantsOf(t, append(slices.Clone(app),
			"GRANT SUPER ON *.* TO `app`@`%`",
			"GRANT SELECT ON `elsewhere`.* TO `app`@`%`",
			"GRANT SELECT ON `stage\\_site`.* TO `app`@`%`", // configured, on another server: fine
		)...), acct, schemas, configured)
		if len(fs) != 2 || fs[0].verdict != Fail || fs[1].verdict != Fail {
			t.Fatalf("%+v", fs)
		}
		if !strings.Contains(fs[0].finding, "SUPER") || !strings.HasPrefix(fs[0].fix, "REVOKE SUPER ON *.* FROM 'app'@'%'; ") ||
			!strings.Contains(fs[0].fix, "hubdb grants") {
			t.Errorf("SUPER: %+v", fs[0])
		}
		if !strings.Contains(fs[1].finding, "`elsewhere`, outside the configuration") || !strings.HasPrefix(fs[1].fix, "REVOKE SELECT ON `elsewhere`.* FROM 'app'@'%'") {
			t.Errorf("elsewhere: %+v", fs[1])
		}
	})
	t.Run("root", func(t *testing.T) {
		fs, canVerify := privilegeFindings(grantsOf(t,
			"GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION",
			"GRANT PROXY ON ``@`%` TO `root`@`localhost` WITH GRANT OPTION",
		), "'root'@'localhost'", schemas, configured)
		if !canVerify || len(fs) != 2 || worst(fs) != Fail {
			t.Fatalf("%+v, %v", fs, canVerify)
		}
		// Never tell anyone to revoke root's privileges outright.
		if !strings.HasPrefix(fs[0].fix, "run the applications as a user of their own") {
			t.Errorf("root's fix: %s", fs[0].fix)
		}
	})
	t.Run("missing privileges, an unescaped pattern, a grant option", func(t *testing.T) {
		fs, _ := privilegeFindings(grantsOf(t,
			"GRANT SELECT, INSERT, UPDATE, DELETE ON `stage_ess`.* TO `app`@`%`",
			"GRANT SELECT ON `stage\\_pv`.* TO `app`@`%` WITH GRANT OPTION",
		), acct, schemas, configured)
		want := []struct {
			v    Verdict
			text string
		}{
			{Warn, "`stage_ess`.* is a pattern"},
			{Fail, "WITH GRANT OPTION on `stage\\_pv`.*"},
			{Fail, "lacks INSERT, UPDATE, DELETE on stage_pv"},
		}
		if len(fs) != len(want) {
			t.Fatalf("%+v", fs)
		}
		for i, w := range want {
			if fs[i].verdict != w.v || !strings.Contains(fs[i].finding, w.text) {
				t.Errorf("finding %d: %+v, want %s %q", i, fs[i], w.v, w.text)
			}
		}
	})
}

func worst(fs []finding) Verdict {
	v := OK
	for _, f := range fs {
		v = worse(v, f.verdict)
	}
	return v
}

func TestJudgeIdle(t *testing.T) {
	env := &runEnv{pools: map[string]dbx.Pool{}}
	def := func(wt time.Duration) poolSettings { return env.poolOf("x", wt) }
	tests := []struct {
		name string
		p    poolSettings
		wt   time.Duration
		want Verdict
		text string
	}{
		{"defaults, 8h", def(8 * time.Hour), 8 * time.Hour, OK, "pinged within 6m15s"},
		{"defaults, 60s", def(time.Minute), time.Minute, OK, "keepalive 20s (default"},
		{"keepalive close to wait_timeout", poolSettings{keepAlive: 45 * time.Second, prePing: true}, time.Minute, Warn, "over 80%"},
		{"nothing bounds idle time, pre-ping on", poolSettings{prePing: true}, time.Minute, Warn, "without limit"},
		{"nothing bounds idle time, pre-ping off", poolSettings{}, time.Minute, Fail, "pre-ping is off"},
		{"recycle above wait_timeout", poolSettings{recycle: time.Hour}, 10 * time.Minute, Fail, "up to 1h before it is closed (recycle)"},
		{"max idle time below", poolSettings{maxIdle: 5 * time.Minute}, 10 * time.Minute, OK, "closed (max_idle_time) within 5m"},
	}
	for _, tt := range tests {
		f := judgeIdle(tt.p, tt.wt, tt.wt, false, "")
		if f.verdict != tt.want || !strings.Contains(f.finding, tt.text) || (f.verdict != OK && f.fix == "") {
			t.Errorf("%s: %+v; want %s with %q", tt.name, f, tt.want, tt.text)
		}
	}
}

// budgetOf runs the budget rule for n databases with pool p on a server
// of max_connections maxConns.
func budgetOf(n, maxConns, maxUsed int, p dbx.Pool, cfg dbx.Config) Check {
	cfg.Defaults = p
	env := &runEnv{dbx: cfg, pools: map[string]dbx.Pool{}}
	s := &server{label: "app@tcp(db1:3306)/"}
	for i := range n {
		s.all = append(s.all, config.Database{Name: string(rune('a' + i))})
	}
	rs := []*serverResult{{s: s, info: &serverInfo{id: "db1:3306", maxConns: maxConns, maxUsed: maxUsed, waitSession: 8 * time.Hour}}}
	return env.budget(rs, 0)
}

func TestBudget(t *testing.T) {
	tests := []struct {
		name         string
		n, max, used int
		pool         dbx.Pool
		cfg          dbx.Config
		want         Verdict
		finding, fix string
		notFinding   string
	}{
		{name: "defaults on 151", n: 18, max: 151, used: 20, want: Warn,
			finding: "run-time budget 141 = (max_connections 151 - reserve 10) / 1 instance", fix: "raise max_connections to at least 190"},
		{name: "defaults on 300", n: 18, max: 300, used: 20, want: OK, finding: "the budget caps the maximums at run time"},
		{name: "20 connections for 18 databases", n: 18, max: 20, used: 3, want: Fail,
			finding: "below the 18 databases", fix: "raise max_connections to at least 28 (one connection per database; 550"},
		{name: "small pools fit", n: 18, max: 100, pool: dbx.Pool{Size: dbx.Int(2), Overflow: dbx.Int(3)}, want: OK,
			finding: "sizes add up to 36, maximums to 90", notFinding: "caps"},
		{name: "unlimited overflow", n: 2, max: 151, pool: dbx.Pool{Overflow: dbx.Int(dbx.Unlimited)}, want: Warn,
			finding: "a, b have no maximum (overflow -1)", fix: "set pool.overflow"},
		{name: "server budget over max_connections", n: 2, max: 50, cfg: dbx.Config{ServerBudget: 40, Instances: 2}, want: Fail,
			finding: "server_budget 40 for each of 2 instances is more than max_connections 50", fix: "lower server_budget to at most 20"},
		{name: "guaranteed over the budget", n: 2, max: 30, pool: dbx.Pool{Guaranteed: 15}, want: Fail, finding: "guaranteed connections add up to 30"},
		{name: "the server has been full", n: 2, max: 100, used: 100, want: Warn, finding: "has been full since it started"},
	}
	for _, tt := range tests {
		c := budgetOf(tt.n, tt.max, tt.used, tt.pool, tt.cfg)
		if c.Verdict != tt.want || !strings.Contains(c.Finding, tt.finding) || !strings.Contains(c.Fix, tt.fix) ||
			(tt.notFinding != "" && strings.Contains(c.Finding, tt.notFinding)) || (c.Verdict != OK && c.Fix == "") {
			t.Errorf("%s: %+v\nwant %s, finding with %q, fix with %q", tt.name, c, tt.want, tt.finding, tt.fix)
		}
	}
}

func TestSQLModeHelpers(t *testing.T) {
	if !isStrict("ERROR_FOR_DIVISION_BY_ZERO,STRICT_TRANS_TABLES") || !isStrict("strict_all_tables") || isStrict("NO_ENGINE_SUBSTITUTION") || isStrict("") {
		t.Error("isStrict")
	}
	if got := strictMode(""); got != "STRICT_TRANS_TABLES" {
		t.Errorf("strictMode(\"\") = %q", got)
	}
	if got := strictMode("NO_ENGINE_SUBSTITUTION"); got != "STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION" {
		t.Errorf("strictMode = %q", got)
	}
	for d, want := range map[time.Duration]string{8 * time.Hour: "8h", 5 * time.Minute: "5m", 375 * time.Second: "6m15s", 90 * time.Minute: "1h30m", 20 * time.Second: "20s"} {
		if got := fmtDur(d); got != want {
			t.Errorf("fmtDur(%v) = %q, want %q", d, got, want)
		}
	}
}

// TestGroupServers: databases sharing a DSN are one server; a selection
// keeps the servers of the selected databases, each still knowing all of
// its databases (for the budget); an unknown name is an error.
func TestGroupServers(t *testing.T) {
	cfg, err := config.Load("", []string{"HUBDB_DSN=app:Pw1secret@tcp(db1:3306)/", "HUBDB_ESS_DSN=app:Pw2secret@tcp(db2:3306)/"})
	if err != nil {
		t.Fatal(err)
	}
	ss, err := groupServers(cfg, nil)
	if err != nil || len(ss) != 2 {
		t.Fatalf("%d servers, %v", len(ss), err)
	}
	n := len(cfg.Names())
	if ss[0].label != "app@tcp(db1:3306)/" || len(ss[0].dbs) != n-1 || ss[1].label != "app@tcp(db2:3306)/" || len(ss[1].dbs) != 1 {
		t.Errorf("servers: %s %d, %s %d", ss[0].label, len(ss[0].dbs), ss[1].label, len(ss[1].dbs))
	}
	ss, err = groupServers(cfg, []string{"pv"})
	if err != nil || len(ss) != 1 || len(ss[0].dbs) != 1 || len(ss[0].all) != n-1 {
		t.Fatalf("selection: %+v, %v", ss, err)
	}
	if _, err := Run(context.Background(), cfg, Options{DBs: []string{"esss"}}); !errors.Is(err, config.ErrUnknownDatabase) {
		t.Errorf("Run with an unknown database: %v", err)
	}

	r := Report{Checks: []Check{{Server: "x", Finding: "refused: Pw1secret", Fix: "see Pw2secret"}}}
	scrub(&r, cfg)
	if strings.Contains(r.Checks[0].Finding+r.Checks[0].Fix, "secret") {
		t.Errorf("not scrubbed: %+v", r.Checks[0])
	}
}
