package doctor

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/solarhub/hubdb/grants"
	"github.com/solarhub/hubdb/migration"
)

// level is what a GRANT line grants on.
type level int

const (
	levelGlobal   level = iota // ON *.*
	levelDatabase              // ON `db`.*
	levelTable                 // ON `db`.`table`, or a routine
	levelProxy                 // GRANT PROXY ON 'user'@'host'
	levelRole                  // GRANT `role` TO ...
)

// grant is one parsed line of SHOW GRANTS. The line itself is never
// shown: MariaDB's carries the password's hash.
type grant struct {
	privs       []string // upper case, column lists removed, e.g. "SELECT", "ALL PRIVILEGES"
	level       level
	db, table   string // unquoted; db is a LIKE pattern at database level
	routine     string // "PROCEDURE", "FUNCTION", ... for a routine grant
	grantOption bool
	role        string
}

// object renders what g grants on, quoted as GRANT takes it.
func (g grant) object() string {
	switch g.level {
	case levelGlobal:
		return "*.*"
	case levelDatabase:
		return quoteName(g.db) + ".*"
	case levelTable:
		o := quoteName(g.db) + "." + quoteName(g.table)
		if g.routine != "" {
			o = g.routine + " " + o
		}
		return o
	}
	return ""
}

func quoteName(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

// parseGrant parses one line of SHOW GRANTS (MariaDB's or MySQL's); ok is
// false for lines that grant nothing (SET DEFAULT ROLE ...) or that it
// cannot read.
func parseGrant(line string) (g grant, ok bool) {
	rest, found := strings.CutPrefix(line, "GRANT ")
	if !found {
		return grant{}, false
	}
	// The privileges end at " ON " outside quotes and parentheses; a role
	// grant has no ON.
	on, to := -1, -1
	depth, quote := 0, byte(0)
	for i := 0; i < len(rest); i++ {
		ch := rest[i]
		switch {
		case quote != 0:
			if ch == quote {
				quote = 0
			}
		case ch == '`' || ch == '\'' || ch == '"':
			quote = ch
		case ch == '(':
			depth++
		case ch == ')':
			depth--
		case depth == 0 && strings.HasPrefix(rest[i:], " ON ") && on < 0:
			on = i
		case depth == 0 && strings.HasPrefix(rest[i:], " TO ") && to < 0:
			to = i
		}
		if on >= 0 || to >= 0 {
			break
		}
	}
	tail := strings.ToUpper(rest)
	g.grantOption = strings.Contains(tail, " WITH GRANT OPTION") || strings.Contains(tail, " WITH ADMIN OPTION")
	if on < 0 {
		if to < 0 {
			return grant{}, false
		}
		g.level = levelRole
		g.role = unquote(strings.TrimSpace(rest[:to]))
		return g, true
	}
	for _, p := range splitTop(rest[:on]) {
		if i := strings.IndexByte(p, '('); i >= 0 {
			p = p[:i]
		}
		if p = strings.ToUpper(strings.TrimSpace(p)); p != "" {
			g.privs = append(g.privs, p)
		}
	}
	obj := rest[on+len(" ON "):]
	for _, kw := range []string{"PACKAGE BODY ", "PACKAGE ", "PROCEDURE ", "FUNCTION ", "TABLE "} {
		if after, found := strings.CutPrefix(obj, kw); found {
			if kw != "TABLE " {
				g.routine = strings.TrimSpace(kw)
			}
			obj = after
			break
		}
	}
	first, obj := readIdent(obj)
	switch {
	case strings.HasPrefix(obj, "@"):
		g.level = levelProxy
		return g, true
	case !strings.HasPrefix(obj, "."):
		return grant{}, false
	}
	second, _ := readIdent(obj[1:])
	switch {
	case first == "*" && second == "*":
		g.level = levelGlobal
	case second == "*":
		g.level, g.db = levelDatabase, first
	default:
		g.level, g.db, g.table = levelTable, first, second
	}
	return g, true
}

// splitTop splits s at the commas outside parentheses.
func splitTop(s string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// readIdent reads one identifier (`quoted`, 'quoted', * or bare) from the
// start of s and returns it unquoted with the rest of s.
func readIdent(s string) (ident, rest string) {
	if s == "" {
		return "", ""
	}
	if q := s[0]; q == '`' || q == '\'' || q == '"' {
		var b strings.Builder
		for i := 1; i < len(s); i++ {
			if s[i] == q {
				if i+1 < len(s) && s[i+1] == q { // doubled: an escaped quote
					b.WriteByte(q)
					i++
					continue
				}
				return b.String(), s[i+1:]
			}
			b.WriteByte(s[i])
		}
		return b.String(), ""
	}
	end := strings.IndexAny(s, ".@ ")
	if end < 0 {
		end = len(s)
	}
	return s[:end], s[end:]
}

func unquote(s string) string {
	id, _ := readIdent(s)
	return id
}

// likeMatch reports whether name matches the database pattern of a grant,
// where % is any string, _ any character and \ escapes the next one.
func likeMatch(pattern, name string) bool {
	if pattern == "" {
		return name == ""
	}
	switch c := pattern[0]; c {
	case '%':
		for i := 0; i <= len(name); i++ {
			if likeMatch(pattern[1:], name[i:]) {
				return true
			}
		}
		return false
	case '_':
		return name != "" && likeMatch(pattern[1:], name[1:])
	case '\\':
		if len(pattern) > 1 {
			pattern = pattern[1:]
		}
	}
	return name != "" && name[0] == pattern[0] && likeMatch(pattern[1:], name[1:])
}

// hasWildcard reports whether a database pattern holds an unescaped % or _.
func hasWildcard(pattern string) bool {
	for i := 0; i < len(pattern); i++ {
		switch pattern[i] {
		case '\\':
			i++
		case '%', '_':
			return true
		}
	}
	return false
}

// unescapeLike removes the escapes of a pattern without wildcards.
func unescapeLike(pattern string) string {
	return strings.NewReplacer(`\\`, `\`, `\_`, "_", `\%`, "%").Replace(pattern)
}

// appPrivileges are what `hubdb grants` gives the application user on
// each database (grants.AppPrivileges).
var appPrivileges = strings.Split(strings.ReplaceAll(grants.AppPrivileges, " ", ""), ",")

// account renders CURRENT_USER()'s user@host as 'user'@'host'.
func account(user string) string {
	i := strings.LastIndexByte(user, '@')
	if i < 0 {
		return "'" + user + "'"
	}
	return "'" + user[:i] + "'@'" + user[i+1:] + "'"
}

// privilegeFindings judges the grants of acct (the user the doctor
// connected as) for the application's databases on this server (schemas:
// physical names; every schema of the configuration in configured, to
// tell "outside the configuration"). It returns the rows and whether the
// user may create the scratch databases of the drift check.
func privilegeFindings(gs []grant, acct string, schemas, configured []string) (out []finding, canVerify bool) {
	inConfig := func(pattern string) bool {
		for _, s := range configured {
			if likeMatch(pattern, s) {
				return true
			}
		}
		return false
	}
	scratch := migration.ScratchPrefix + "0123abcd_x"
	revoke := func(privs []string, obj string) string {
		return fmt.Sprintf("REVOKE %s ON %s FROM %s", strings.Join(privs, ", "), obj, acct)
	}
	const useGrants = "; or recreate the user with hubdb grants --apply (exactly SELECT, INSERT, UPDATE, DELETE on each hubdb database)"
	fail := func(f, fix string) { out = append(out, finding{verdict: Fail, finding: f, fix: fix + useGrants}) }
	warn := func(f, fix string) { out = append(out, finding{verdict: Warn, finding: f, fix: fix}) }

	have := map[string]map[string]bool{} // schema -> privileges that cover it
	for _, s := range schemas {
		have[s] = map[string]bool{}
	}
	cover := func(pattern string, privs []string, exact bool) {
		for _, s := range schemas {
			if (exact && pattern == s) || (!exact && likeMatch(pattern, s)) {
				for _, p := range privs {
					if p == "ALL" || p == "ALL PRIVILEGES" {
						for _, a := range appPrivileges {
							have[s][a] = true
						}
					}
					have[s][p] = true
				}
			}
		}
	}
	creates := func(privs []string) bool {
		return slices.Contains(privs, "ALL PRIVILEGES") || slices.Contains(privs, "ALL") || slices.Contains(privs, "CREATE")
	}
	extra := func(privs []string) []string {
		var x []string
		for _, p := range privs {
			if p != "USAGE" && !slices.Contains(appPrivileges, p) {
				x = append(x, p)
			}
		}
		return x
	}

	beyond := map[string][]grant{} // database grants with more than the application needs, by those privileges
	var beyondOrder []string
	for _, g := range gs {
		// withOption is what a row says of WITH GRANT OPTION on a line
		// that is wrong anyway; optionRevoked adds it to the REVOKE.
		withOption := ""
		optionRevoked := func(privs []string) []string { return privs }
		if g.grantOption {
			withOption = " WITH GRANT OPTION (the user can hand them to other users)"
			optionRevoked = func(privs []string) []string { return append(slices.Clone(privs), "GRANT OPTION") }
		}
		// A line that is fine but for its grant option is a row of its own.
		optionRow := func() {
			if g.grantOption {
				fail(fmt.Sprintf("WITH GRANT OPTION on %s: the user can hand its privileges to other users", g.object()),
					fmt.Sprintf("REVOKE GRANT OPTION ON %s FROM %s", g.object(), acct))
			}
		}
		switch g.level {
		case levelGlobal:
			x := extra(g.privs)
			if len(x) == 0 {
				optionRow()
				continue // USAGE: the right to log in
			}
			if creates(g.privs) {
				canVerify = true
			}
			cover("%", g.privs, false)
			if slices.Contains(x, "ALL PRIVILEGES") || slices.Contains(x, "ALL") {
				out = append(out, finding{verdict: Fail,
					finding: fmt.Sprintf("ALL PRIVILEGES ON *.*%s: an administrator's account; as the application's, it can read and drop every database, create users, change any setting and shut the server down", withOption),
					fix: fmt.Sprintf("run the applications as a user of their own: hubdb grants --apply creates %s with exactly %s on each hubdb database "+
						"(HUBDB_DSN='%s:<password>@...'); only if %s is meant for the applications, REVOKE ALL PRIVILEGES, GRANT OPTION FROM %s and grant those",
						grants.DefaultApp, grants.AppPrivileges, grants.DefaultApp, acct, acct)})
				continue
			}
			why := "the application needs no global privilege (dbx reads @@global variables, sets session ones and kills its own queries, which need none)"
			if slices.Contains(x, "SUPER") {
				why = "SUPER kills any session, changes global settings, bypasses read_only and takes the connection max_connections keeps for administrators; " + why
			}
			fail(fmt.Sprintf("global privileges %s ON *.*%s: %s", strings.Join(x, ", "), withOption, why), revoke(optionRevoked(x), "*.*"))
		case levelDatabase:
			if likeMatch(g.db, scratch) && creates(g.privs) {
				canVerify = true
			}
			if !inConfig(g.db) {
				if likeMatch(g.db, scratch) {
					warn(fmt.Sprintf("%s on the scratch databases of the drift check (%s.*): the admin user's grant (hubdb grants), beyond what the application needs",
						strings.Join(g.privs, ", "), quoteName(g.db)),
						"run the applications as the application user (hubdb grants --app-user), not as this one")
					optionRow()
					continue
				}
				fail(fmt.Sprintf("%s on database %s%s, outside the configuration: the application reaches data it does not own",
					strings.Join(g.privs, ", "), quoteName(unescapeLike(g.db)), withOption), revoke(optionRevoked(g.privs), g.object()))
				continue
			}
			optionRow()
			if hasWildcard(g.db) {
				warn(fmt.Sprintf("the grant on %s.* is a pattern (an unescaped _ or %% is a wildcard): it also covers databases outside the configuration, such as ones named like it",
					quoteName(g.db)),
					fmt.Sprintf("grant on each database with _ escaped as \\_ (hubdb grants does) and %s", revoke(g.privs, g.object())))
			}
			cover(g.db, g.privs, false)
			if x := extra(g.privs); len(x) > 0 {
				k := strings.Join(x, ", ")
				if beyond[k] == nil {
					beyondOrder = append(beyondOrder, k)
				}
				beyond[k] = append(beyond[k], g)
			}
		case levelTable:
			if !slices.Contains(configured, g.db) { // a table grant names its database exactly
				fail(fmt.Sprintf("%s on %s%s, outside the configuration", strings.Join(g.privs, ", "), g.object(), withOption),
					revoke(optionRevoked(g.privs), g.object()))
				continue
			}
			optionRow()
			cover(g.db, g.privs, true) // not the whole database, but the application may use only these tables
			if x := extra(g.privs); len(x) > 0 {
				warn(fmt.Sprintf("%s on %s, beyond what the application needs (%s)", strings.Join(x, ", "), g.object(), grants.AppPrivileges),
					revoke(x, g.object()))
			}
		case levelProxy:
			fail("PROXY"+withOption+": the user may log in as other users", fmt.Sprintf("REVOKE PROXY ON <the proxied user> FROM %s (SHOW GRANTS names it)", acct))
		case levelRole:
			warn(fmt.Sprintf("role %s: the privileges of a role are not checked here", quoteName(g.role)),
				fmt.Sprintf("check them as an administrator (SHOW GRANTS FOR %s), or grant the user its privileges directly (hubdb grants --apply)", quoteName(g.role)))
		}
	}

	for _, k := range beyondOrder {
		var dbs, revokes []string
		slices.SortFunc(beyond[k], func(a, b grant) int { return strings.Compare(a.db, b.db) }) // SHOW GRANTS has no order
		for _, g := range beyond[k] {
			dbs = append(dbs, unescapeLike(g.db))
			revokes = append(revokes, revoke(extra(g.privs), g.object()))
		}
		warn(fmt.Sprintf("%s on %s, beyond what the application needs (%s): right for the admin user (hubdb migrate), not for the applications",
			k, list(dbs, 3), grants.AppPrivileges),
			fmt.Sprintf("run the applications as a user with %s only (hubdb grants --apply makes one); or %s", grants.AppPrivileges, list(revokes, 1)))
	}

	// Every database of this server needs the application's privileges.
	lacking := map[string][]string{} // missing privileges -> databases
	var lackOrder []string
	for _, s := range schemas {
		var lack []string
		for _, a := range appPrivileges {
			if !have[s][a] {
				lack = append(lack, a)
			}
		}
		if len(lack) > 0 {
			k := strings.Join(lack, ", ")
			if lacking[k] == nil {
				lackOrder = append(lackOrder, k)
			}
			lacking[k] = append(lacking[k], s)
		}
	}
	for _, k := range lackOrder {
		out = append(out, finding{verdict: Fail,
			finding: fmt.Sprintf("the user lacks %s on %s: the application's queries there fail with access denied", k, list(lacking[k], 3)),
			fix:     fmt.Sprintf("GRANT %s ON `<database>`.* TO %s for each (with _ escaped as \\_), or run hubdb grants --apply", grants.AppPrivileges, acct)})
	}
	if len(out) == 0 {
		out = append(out, finding{verdict: OK, finding: fmt.Sprintf("%s has %s on the %s and nothing else: what hubdb grants gives the application user",
			acct, grants.AppPrivileges, plural(len(schemas), "database"))})
	}
	return out, canVerify
}

// checkPrivileges reads SHOW GRANTS FOR CURRENT_USER() and judges it
// against least privilege.
func (e *runEnv) checkPrivileges(ctx context.Context, c *conn, s *server) []finding {
	fs, canVerify, err := e.privileges(ctx, c, s)
	if err != nil {
		c.canVerify = true // unknown: the drift check tries, and says so when it may not
		return []finding{queryFailed(ctx, "", "SHOW GRANTS", err, e.opts.Timeout)}
	}
	c.canVerify = canVerify
	return fs
}

// privileges reads the grants of the doctor's user and judges them.
func (e *runEnv) privileges(ctx context.Context, c *conn, s *server) ([]finding, bool, error) {
	rows, err := c.c.QueryContext(ctx, "SHOW GRANTS FOR CURRENT_USER()")
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	var gs []grant
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return nil, false, err
		}
		if g, ok := parseGrant(line); ok {
			gs = append(gs, g)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	var schemas, configured []string
	for _, d := range s.dbs {
		schemas = append(schemas, d.Schema)
	}
	for _, n := range e.cfg.Names() {
		if d, err := e.cfg.Database(n); err == nil {
			configured = append(configured, d.Schema)
		}
	}
	fs, canVerify := privilegeFindings(gs, account(c.info.user), schemas, configured)
	return fs, canVerify, nil
}
