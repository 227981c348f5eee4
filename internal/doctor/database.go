package doctor

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"strings"
	"sync"

	"github.com/go-sql-driver/mysql"

	"github.com/solarhub/hubdb/config"
	"github.com/solarhub/hubdb/dbx"
	"github.com/solarhub/hubdb/migration"
	"github.com/solarhub/hubdb/schema"
)

// statusParallel bounds the migration statuses read at once on one
// server (each opens a connection of its own).
const statusParallel = 4

// checkDatabases runs the checks of each database of s: charset,
// migrations and drift, in that order for each, and, when the user may
// not create the drift check's scratch databases, one drift row for the
// server.
func (e *runEnv) checkDatabases(ctx context.Context, c *conn, s *server) []finding {
	sts := make([]migration.Status, len(s.dbs))
	errs := make([]error, len(s.dbs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, statusParallel)
	for i, d := range s.dbs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(ctx, e.opts.Timeout)
			defer cancel()
			sts[i], errs[i] = e.opts.Migrator.Status(ctx, target(d))
			if errs[i] != nil && ctx.Err() != nil {
				errs[i] = fmt.Errorf("no answer within %v: %w", e.opts.Timeout, errs[i])
			}
		})
	}
	wg.Wait()

	drift := !e.opts.NoDrift && c.canVerify
	var out []finding
	for i, d := range s.dbs {
		out = append(out, e.bounded(ctx, c, s, CheckCharset, func(ctx context.Context, c *conn, _ *server) []finding {
			return e.checkCharset(ctx, c, d)
		})...)
		out = append(out, e.migrationFindings(d, sts[i], errs[i])...)
		if drift {
			out = append(out, e.checkDrift(ctx, d, sts[i], errs[i])...)
		}
	}
	if !e.opts.NoDrift && !c.canVerify {
		admin := mysql.NewConfig()
		admin.User, admin.Passwd, admin.Net, admin.Addr = "hubdb_admin", "PASSWORD", s.cfg.Net, s.cfg.Addr
		out = append(out, finding{name: CheckDrift, verdict: Warn,
			finding: fmt.Sprintf("skipped: %s may not create the scratch databases (%s...) that the drift check migrates and drops; the application user normally cannot",
				account(c.info.user), migration.ScratchPrefix),
			fix: fmt.Sprintf("run doctor as the admin user (HUBDB_DSN of the admin) to check drift, e.g. HUBDB_DSN='%s' hubdb doctor; "+
				"hubdb grants gives the admin user the scratch databases", strings.Replace(admin.FormatDSN(), ":PASSWORD@", ":<password>@", 1))})
	}
	return out
}

// target is the migration target of d.
func target(d config.Database) migration.Target {
	return migration.Target{Name: d.Name, Schema: d.Schema, Server: d.Server}
}

// charsetOf returns the character set of a collation: its name up to the
// first _ (utf8mb4_unicode_ci: utf8mb4; binary: binary).
func charsetOf(collation string) string {
	cs, _, _ := strings.Cut(collation, "_")
	return cs
}

// checkCharset compares the database's default, its tables' and its text
// columns' character sets and collations with utf8mb4 /
// dbx.DefaultCollation. A missing database has no row (the migrations row
// says it is missing).
func (e *runEnv) checkCharset(ctx context.Context, c *conn, d config.Database) []finding {
	want := dbx.DefaultCollation
	var dbCharset, dbCollation string
	err := c.c.QueryRowContext(ctx,
		"SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?",
		d.Schema).Scan(&dbCharset, &dbCollation)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return []finding{queryFailed(ctx, d.Name, "information_schema.SCHEMATA", err, e.opts.Timeout)}
	}
	tables, err := c.c.QueryContext(ctx,
		"SELECT TABLE_NAME, IFNULL(TABLE_COLLATION, '') FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
		d.Schema)
	if err != nil {
		return []finding{queryFailed(ctx, d.Name, "information_schema.TABLES", err, e.opts.Timeout)}
	}
	var n int
	var badTables, otherTables []string
	converted := map[string]bool{}
	for tables.Next() {
		var t, coll string
		if err := tables.Scan(&t, &coll); err != nil {
			tables.Close()
			return []finding{queryFailed(ctx, d.Name, "information_schema.TABLES", err, e.opts.Timeout)}
		}
		n++
		switch {
		case charsetOf(coll) != "utf8mb4":
			badTables = append(badTables, fmt.Sprintf("%s (%s)", t, coll))
			converted[t] = true
		case coll != want:
			otherTables = append(otherTables, fmt.Sprintf("%s (%s)", t, coll))
			converted[t] = true
		}
	}
	if err := errors.Join(tables.Err(), tables.Close()); err != nil {
		return []finding{queryFailed(ctx, d.Name, "information_schema.TABLES", err, e.opts.Timeout)}
	}
	jsonCols := e.jsonColumns(ctx, c, d.Schema) // before the next query: one connection, one result at a time
	cols, err := c.c.QueryContext(ctx,
		`SELECT TABLE_NAME, COLUMN_NAME, CHARACTER_SET_NAME, COLLATION_NAME FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA = ? AND CHARACTER_SET_NAME IS NOT NULL AND (CHARACTER_SET_NAME <> 'utf8mb4' OR COLLATION_NAME <> ?)
		ORDER BY TABLE_NAME, ORDINAL_POSITION`, d.Schema, want)
	if err != nil {
		return []finding{queryFailed(ctx, d.Name, "information_schema.COLUMNS", err, e.opts.Timeout)}
	}
	var badCols, otherCols []string
	for cols.Next() {
		var t, col, cs, coll string
		if err := cols.Scan(&t, &col, &cs, &coll); err != nil {
			cols.Close()
			return []finding{queryFailed(ctx, d.Name, "information_schema.COLUMNS", err, e.opts.Timeout)}
		}
		if converted[t] || jsonCols[t+"."+col] && coll == "utf8mb4_bin" {
			continue // the table's row says it; MariaDB's JSON is LONGTEXT in utf8mb4_bin by design
		}
		if cs != "utf8mb4" {
			badCols = append(badCols, fmt.Sprintf("%s.%s (%s)", t, col, coll))
		} else {
			otherCols = append(otherCols, fmt.Sprintf("%s.%s (%s)", t, col, coll))
		}
	}
	if err := errors.Join(cols.Err(), cols.Close()); err != nil {
		return []finding{queryFailed(ctx, d.Name, "information_schema.COLUMNS", err, e.opts.Timeout)}
	}

	base := fmt.Sprintf("default %s / %s; %s", dbCharset, dbCollation, plural(n, "table"))
	v := OK
	var probs, fixes []string
	if dbCharset != "utf8mb4" {
		v = Fail
		probs = append(probs, "the database's default is not utf8mb4: a table a migration creates without CHARSET gets "+dbCharset)
	} else if dbCollation != want {
		v = worse(v, Warn)
		probs = append(probs, "the database's default collation is not "+want)
	}
	if dbCharset != "utf8mb4" || dbCollation != want {
		fixes = append(fixes, fmt.Sprintf("ALTER DATABASE %s CHARACTER SET utf8mb4 COLLATE %s", quoteName(d.Schema), want))
	}
	if len(badTables)+len(badCols) > 0 {
		v = Fail
		if len(badTables) > 0 {
			probs = append(probs, "tables not in utf8mb4 (text outside their character set is lost): "+list(badTables, 3))
		}
		if len(badCols) > 0 {
			probs = append(probs, "columns not in utf8mb4: "+list(badCols, 3))
		}
	}
	if len(otherTables)+len(otherCols) > 0 {
		v = worse(v, Warn)
		if len(otherTables) > 0 {
			probs = append(probs, "tables in another collation than "+want+" (joins and comparisons with the other tables fail with 'Illegal mix of collations' or sort differently): "+list(otherTables, 3))
		}
		if len(otherCols) > 0 {
			probs = append(probs, "columns in another collation than "+want+": "+list(otherCols, 3))
		}
	}
	if len(badTables)+len(badCols)+len(otherTables)+len(otherCols) > 0 {
		fixes = append(fixes, fmt.Sprintf("in a new migration, ALTER TABLE <table> CONVERT TO CHARACTER SET utf8mb4 COLLATE %s for each "+
			"(check the index lengths first: utf8mb4 takes up to 4 bytes a character)", want))
	}
	if len(probs) == 0 {
		return []finding{{db: d.Name, verdict: OK, finding: fmt.Sprintf("%s, every table and text column %s", base, want)}}
	}
	return []finding{{db: d.Name, verdict: v, finding: base + ": " + strings.Join(probs, "; "), fix: strings.Join(fixes, "; ")}}
}

// jsonValid matches the check MariaDB adds to a JSON column.
var jsonValid = regexp.MustCompile("^json_valid\\(`([^`]+)`\\)$")

// jsonColumns returns the columns ("table.column") of schema that
// MariaDB's JSON type made: LONGTEXT in utf8mb4_bin with a json_valid
// check. On a server without information_schema.CHECK_CONSTRAINTS (MySQL's
// JSON columns have no character set) it returns none.
func (e *runEnv) jsonColumns(ctx context.Context, c *conn, schema string) map[string]bool {
	out := map[string]bool{}
	rows, err := c.c.QueryContext(ctx,
		"SELECT TABLE_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?", schema)
	if err != nil {
		return out
	}
	defer rows.Close()
	for rows.Next() {
		var t, clause string
		if rows.Scan(&t, &clause) != nil {
			return out
		}
		if m := jsonValid.FindStringSubmatch(strings.TrimSpace(clause)); m != nil {
			out[t+"."+m[1]] = true
		}
	}
	return out
}

// source is the migrations of the Migrator.
func (e *runEnv) source() fs.FS {
	if e.opts.Migrator.Source != nil {
		return e.opts.Migrator.Source
	}
	return schema.FS
}

// migrationFindings are the migrations rows of d: one for its state and
// one per history problem.
func (e *runEnv) migrationFindings(d config.Database, st migration.Status, err error) []finding {
	row := func(v Verdict, f, fix string) finding {
		return finding{db: d.Name, name: CheckMigrations, verdict: v, finding: f, fix: fix}
	}
	if err != nil {
		var me *migration.Error
		if errors.As(err, &me) {
			fix := me.Fix
			if fix == "" {
				fix = "hubdb migrate status --db " + d.Name + " shows the error"
			}
			return []finding{row(Fail, "could not read the status: "+oneLine(me.Err), fix)}
		}
		return []finding{row(Fail, "could not read the status: "+oneLine(err), "hubdb migrate status --db "+d.Name+" shows the error")}
	}
	up := fmt.Sprintf("hubdb migrate up --db %s as the admin user (before the applications that need the new versions start)", d.Name)
	var out []finding
	versions, _ := migration.Versions(e.source(), d.Name)
	switch {
	case !st.Exists:
		out = append(out, row(Fail, fmt.Sprintf("missing: database %s does not exist (latest version %d)", d.Schema, st.Latest),
			fmt.Sprintf("create and migrate it: %s; or check HUBDB_DB_PREFIX (the physical name is the prefix followed by %s) and the DSN", up, d.Name)))
	case st.Dirty:
		prev := uint(0)
		for _, v := range versions {
			if v < st.Version {
				prev = v
			}
		}
		out = append(out, row(Fail, fmt.Sprintf("dirty at version %d: migration %06d failed part-way and the database is in between", st.Version, st.Version),
			fmt.Sprintf("repair what migration %06d left behind, then run hubdb migrate force %d --db %s and migrate again", st.Version, prev, d.Name)))
	case st.Version > st.Latest:
		out = append(out, row(Warn, fmt.Sprintf("at version %d, newer than the latest migration here (%d): a newer hubdb migrated it", st.Version, st.Latest),
			"run the doctor (and the applications) of that release"))
	case st.Pending():
		n := 0
		for _, v := range versions {
			if v > st.Version {
				n++
			}
		}
		out = append(out, row(Fail, fmt.Sprintf("pending: at version %d, latest %d (%s to apply)", st.Version, st.Latest, plural(n, "migration")), up))
	}
	for _, p := range st.Problems {
		var f, fix string
		switch p.Kind {
		case migration.OutOfOrder:
			f = fmt.Sprintf("out-of-order: %s (version %d) is below the applied version %d and was never applied: hubdb migrate up refuses to run", p.File, p.Version, st.Version)
			fix = fmt.Sprintf("renumber it above the others so it runs next; or, if its change is already on the server, record it with hubdb migrate force %d --db %s", st.Version, d.Name)
		case migration.Gone:
			f = fmt.Sprintf("gone: %s (version %d) was applied and is no longer among the migrations", p.File, p.Version)
			fix = fmt.Sprintf("restore it from version control (git log --all -- schema/%s)", p.File)
		default:
			f = fmt.Sprintf("edited: %s (version %d) differs from what was applied", p.File, p.Version)
			fix = fmt.Sprintf("restore it as applied (git log -p -- schema/%s) and put the change into a new migration", p.File)
		}
		out = append(out, row(Fail, f, fix))
	}
	if len(out) == 0 {
		out = append(out, row(OK, fmt.Sprintf("at the latest version %d; the history matches the files", st.Version), ""))
	}
	return out
}

// checkDrift verifies d's live structure against its migrations (a
// scratch database migrated to its version).
func (e *runEnv) checkDrift(ctx context.Context, d config.Database, st migration.Status, statusErr error) []finding {
	row := func(v Verdict, f, fix string) []finding {
		return []finding{{db: d.Name, name: CheckDrift, verdict: v, finding: f, fix: fix}}
	}
	const again = "fix what the migrations row says, then run hubdb doctor again"
	switch {
	case statusErr != nil:
		return row(Warn, "skipped: the migration status could not be read (see migrations)", again)
	case !st.Exists:
		return row(Warn, "skipped: the database is missing (see migrations)", again)
	case st.Dirty:
		return row(Warn, "skipped: the database is dirty (see migrations)", again)
	}
	ctx, cancel := context.WithTimeout(ctx, e.opts.DriftTimeout)
	defer cancel()
	dr, err := e.opts.Migrator.Verify(ctx, target(d))
	if err != nil {
		var myErr *mysql.MySQLError
		if errors.Is(err, migration.ErrAccessDenied) || errors.As(err, &myErr) && (myErr.Number == 1044 || myErr.Number == 1142 || myErr.Number == 1227) {
			return row(Warn, "skipped: the user may not create the scratch database "+migration.ScratchPrefix+"...: "+oneLine(rootCause(err)),
				"run doctor as the admin user (HUBDB_DSN of the admin) to check drift")
		}
		if ctx.Err() != nil {
			return row(Fail, fmt.Sprintf("could not check: no answer within %v", e.opts.DriftTimeout),
				"run hubdb migrate verify --db "+d.Name+" when the server is quieter")
		}
		var me *migration.Error
		if errors.As(err, &me) && me.Fix != "" {
			return row(Fail, "could not check: "+oneLine(me.Err), me.Fix)
		}
		return row(Fail, "could not check: "+oneLine(err), "hubdb migrate verify --db "+d.Name+" shows the error")
	}
	if dr.Clean() {
		return row(OK, fmt.Sprintf("the structure matches the migrations at version %d", dr.Version), "")
	}
	var tables []string
	for _, td := range dr.Tables {
		first := ""
		switch {
		case len(td.Extra) > 0:
			first = "+ " + td.Extra[0]
		case len(td.Missing) > 0:
			first = "- " + td.Missing[0]
		}
		if n := len(td.Extra) + len(td.Missing); n > 1 {
			first += fmt.Sprintf(" and %d more", n-1)
		}
		tables = append(tables, fmt.Sprintf("%s (%s)", td.Table, first))
	}
	return row(Fail, fmt.Sprintf("drift at version %d in %s: %s (- what the migrations give, + what the database has)",
		dr.Version, plural(len(dr.Tables), "table"), list(tables, 3)),
		fmt.Sprintf("turn each hand-made change into a migration (the next version) or revert it; hubdb migrate verify --db %s prints the whole difference", d.Name))
}
