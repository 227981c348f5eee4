package compat

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"unicode"

	"github.com/go-sql-driver/mysql"

	"github.com/solarhub/hubdb/internal/testdb"
	"github.com/solarhub/hubdb/schema"
)

// DocLink is the section of the conventions that explains the fix.
const DocLink = "docs/schema-conventions.md#expand-contract"

// MySQL and MariaDB error numbers that a schema change causes.
const (
	errNonUnique   = 1052 // ER_NON_UNIQ_ERROR: Column 'x' in SELECT is ambiguous
	errBadField    = 1054 // ER_BAD_FIELD_ERROR: Unknown column 'x' in 'SELECT'
	errNoSuchTable = 1146 // ER_NO_SUCH_TABLE: Table 'db.t' doesn't exist
)

// What a finding is about.
const (
	kindOther = iota
	kindColumn
	kindAmbiguous
	kindTable
	kindDatabase
)

// Finding is a query of the base revision that the new schema breaks.
type Finding struct {
	// Query is the base revision's query.
	Query Query
	// Base is the revision it comes from.
	Base Base
	// Err is why it fails: the server's error (a *mysql.MySQLError, with
	// the scratch database's name replaced by the logical one) from
	// preparing or explaining the query, or that its database is gone.
	Err error
	// Column is the column the server did not find, or found twice (an
	// unqualified name that a new column made ambiguous), as the server
	// names it (x or t.x).
	Column string
	// Table is the table the server did not find, e.g. site.sites.
	Table string

	kind int
}

// Message is the server's message without its number, e.g. "Unknown
// column 'x' in 'SELECT'".
func (f Finding) Message() string {
	var me *mysql.MySQLError
	if errors.As(f.Err, &me) {
		return me.Message
	}
	return f.Err.Error()
}

// Fix is what to do about it: the expand/contract rule.
func (f Finding) Fix() string {
	const rule = "the previous release still uses %s during a rolling deploy: expand/contract — %s in this release, " +
		"stop using it in the code, drop it in a later release once no running release uses it (" + DocLink + ")"
	switch f.kind {
	case kindColumn:
		return fmt.Sprintf(rule, "this column", "keep the column (or add the new one beside it)")
	case kindTable:
		return fmt.Sprintf(rule, "this table", "keep the table (or create the new one beside it)")
	case kindDatabase:
		return fmt.Sprintf(rule, "this database", "keep the database's migrations")
	case kindAmbiguous:
		return "a column this release adds makes an unqualified column of the previous release's query ambiguous, " +
			"and the previous release still runs during a rolling deploy: give the new column another name, or qualify " +
			"the column in the code (table.column) one release before adding it (" + DocLink + ")"
	}
	return fmt.Sprintf(rule, "what this query uses", "keep it (or add its replacement beside it)")
}

// String is the finding as check-compat prints it: the query, the base,
// the server's message, and on a second line the fix.
func (f Finding) String() string {
	return fmt.Sprintf("%s (base %s): %s\n\tfix: %s", f.Query.ID(), f.Base.Short, f.Message(), f.Fix())
}

// Result is the outcome of [Checker.Check].
type Result struct {
	// Base is the revision whose queries were checked.
	Base Base
	// Queries is how many queries were checked.
	Queries int
	// Databases is how many databases they belong to.
	Databases int
	// Findings are the queries that fail, in the order of the queries.
	Findings []Finding
}

// Summary is the one-line outcome, e.g. "check-compat: base 1a2b3c4
// (merge base of HEAD with main): 191 queries of 18 databases checked
// against the new schema, 0 fail".
func (r *Result) Summary() string {
	return fmt.Sprintf("check-compat: base %s: %s of %s checked against the new schema, %d fail",
		r.Base, plural(r.Queries, "query", "queries"), plural(r.Databases, "database", "databases"), len(r.Findings))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// Checker prepares queries of an earlier revision against scratch copies
// of the new schema, made and dropped by the test kit's machinery
// (internal/testdb) on a test server.
type Checker struct {
	// Server is the test server (no database). The copies are made there
	// under the kit's _hubtest_ names and dropped afterwards.
	Server *mysql.Config
	// Source holds the new schema's migrations, a directory per database.
	// Nil: schema.FS, the migrations of this build.
	Source fs.FS
	// Migrate migrates each copy with golang-migrate instead of copying the
	// kit's templates (for migrations the copy cannot reproduce).
	Migrate bool
}

// Check prepares every query of base (queries, e.g. from
// [Repo.BaseQueries]) server-side, in its database, against the new
// schema: a statement that names a column or table the new schema lacks
// fails at prepare. A query that prepares is also EXPLAINed with NULL
// arguments, which resolves what MariaDB's prepare leaves to execution (a
// DELETE's ORDER BY); EXPLAIN reads no rows and changes none. A query
// whose database the new schema no longer has is a finding too. The error
// is for a check that could not run (the server, the migrations), not for
// findings.
func (c *Checker) Check(ctx context.Context, base Base, queries []Query) (_ *Result, retErr error) {
	source := c.Source
	if source == nil {
		source = schema.FS
	}
	res := &Result{Base: base, Queries: len(queries)}
	var dbs []string
	byDB := map[string][]Query{}
	for _, q := range queries {
		if byDB[q.DB] == nil {
			dbs = append(dbs, q.DB)
		}
		byDB[q.DB] = append(byDB[q.DB], q)
	}
	res.Databases = len(dbs)
	if len(queries) == 0 {
		return res, nil
	}
	if c.Server == nil {
		return nil, errors.New("compat: no test server")
	}
	have, err := schema.Databases(source)
	if err != nil {
		return nil, fmt.Errorf("compat: read the new schema's migrations: %w", err)
	}
	var present []string
	for _, db := range dbs {
		if slices.Contains(have, db) {
			present = append(present, db)
		}
	}
	var set *testdb.Set
	if len(present) > 0 {
		engine, err := testdb.Open(ctx, c.Server)
		if err != nil {
			return nil, fmt.Errorf("compat: %w", err)
		}
		mode := testdb.Copied
		if c.Migrate {
			mode = testdb.Migrated
		}
		if set, err = engine.Create(ctx, source, mode, present...); err != nil {
			return nil, fmt.Errorf("compat: the new schema: %w", err)
		}
		defer func() {
			if err := set.Drop(context.WithoutCancel(ctx)); err != nil && retErr == nil {
				retErr = fmt.Errorf("compat: drop the scratch databases %s*: %w", set.Prefix, err)
			}
		}()
	}
	for _, name := range dbs {
		if !slices.Contains(present, name) {
			for _, q := range byDB[name] {
				res.Findings = append(res.Findings, Finding{Query: q, Base: base, kind: kindDatabase,
					Err: fmt.Errorf("database %s is not in the new schema (no schema/%s)", q.DB, q.DB)})
			}
			continue
		}
		found, err := c.checkDB(ctx, set.Schemas[name], base, byDB[name])
		if err != nil {
			return nil, err
		}
		res.Findings = append(res.Findings, found...)
	}
	return res, nil
}

// checkDB checks queries, all of one database, in the scratch database
// physical, on one connection.
func (c *Checker) checkDB(ctx context.Context, physical string, base Base, queries []Query) ([]Finding, error) {
	cfg := c.Server.Clone()
	cfg.DBName = physical
	cfg.InterpolateParams = false // the driver then prepares on the server
	cfg.MultiStatements = false
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("compat: %w", err)
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("compat: connect to %s: %w", physical, err)
	}
	defer conn.Close()
	var out []Finding
	for _, q := range queries {
		serverErr, err := prepare(ctx, conn, q.SQL)
		if err != nil {
			return nil, fmt.Errorf("compat: %s: %w", q.ID(), err)
		}
		if serverErr != nil {
			out = append(out, finding(q, base, serverErr, physical))
		}
	}
	return out, nil
}

// prepare prepares text on the server, then EXPLAINs it with NULL for every
// parameter. serverErr is the server's refusal (the query is broken); err
// is anything else (the check could not run).
func prepare(ctx context.Context, conn *sql.Conn, text string) (serverErr *mysql.MySQLError, err error) {
	split := func(err error) (*mysql.MySQLError, error) {
		var me *mysql.MySQLError
		if errors.As(err, &me) {
			return me, nil
		}
		return nil, err
	}
	var params int
	err = conn.Raw(func(dc any) error {
		prep, ok := dc.(driver.ConnPrepareContext)
		if !ok {
			return errors.New("the driver cannot prepare with a context")
		}
		stmt, err := prep.PrepareContext(ctx, text)
		if err != nil {
			return err
		}
		params = stmt.NumInput()
		return stmt.Close()
	})
	if err != nil {
		return split(err)
	}
	if !explainable(text) {
		return nil, nil
	}
	rows, err := conn.QueryContext(ctx, "EXPLAIN "+text, make([]any, params)...)
	if err != nil {
		return split(err)
	}
	for rows.Next() {
	}
	if err := rows.Close(); err != nil {
		return split(err)
	}
	return split(rows.Err())
}

// explainable reports whether EXPLAIN takes the statement: SELECT, WITH,
// INSERT, REPLACE, UPDATE and DELETE (its first word after sqlc's comment
// lines and any opening parentheses).
func explainable(text string) bool {
	for line := range strings.Lines(text) {
		line = strings.TrimLeft(strings.TrimSpace(line), "( \t")
		if line == "" || strings.HasPrefix(line, "--") {
			continue
		}
		end := strings.IndexFunc(line, func(r rune) bool { return !unicode.IsLetter(r) })
		if end < 0 {
			end = len(line)
		}
		switch strings.ToUpper(line[:end]) {
		case "SELECT", "WITH", "INSERT", "REPLACE", "UPDATE", "DELETE":
			return true
		}
		return false
	}
	return false
}

// finding classifies the server's error for q, which ran in the scratch
// database physical.
func finding(q Query, base Base, me *mysql.MySQLError, physical string) Finding {
	logical := *me
	logical.Message = strings.ReplaceAll(me.Message, physical+".", q.DB+".")
	f := Finding{Query: q, Base: base, Err: &logical}
	switch me.Number {
	case errBadField:
		f.Column, f.kind = quoted(logical.Message, "Unknown column "), kindColumn
	case errNonUnique:
		f.Column, f.kind = quoted(logical.Message, "Column "), kindAmbiguous
	case errNoSuchTable:
		f.Table, f.kind = quoted(logical.Message, "Table "), kindTable
	}
	return f
}

// quoted returns the first '...' of msg after prefix, e.g. x of "Unknown
// column 'x' in 'SELECT'".
func quoted(msg, prefix string) string {
	rest, ok := strings.CutPrefix(msg, prefix+"'")
	if !ok {
		return ""
	}
	name, _, ok := strings.Cut(rest, "'")
	if !ok {
		return ""
	}
	return name
}
