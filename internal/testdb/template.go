package testdb

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/solarhub/hubdb/migration"
)

// scriptFormat is part of every template's hash: a change to what a
// template's script holds, or to what a migrated database holds besides
// its migrations' tables (3: migration.HistoryTable), gets new templates
// instead of copies of old ones.
const scriptFormat = "hubtest-script-3"

// buildLockTimeout bounds the wait for another process building the same
// template (GET_LOCK takes whole seconds).
const buildLockTimeout = 300

// Hash is the schema version of database db in source: a digest of the
// names and contents of the files of source's directory db, in name order.
// Editing, adding or removing a migration changes it.
func Hash(source fs.FS, db string) (string, error) {
	entries, err := fs.ReadDir(source, db)
	if err != nil {
		return "", fmt.Errorf("testdb: migrations of %s: %w", db, err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00", scriptFormat, db)
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := fs.ReadFile(source, path.Join(db, e.Name()))
		if err != nil {
			return "", fmt.Errorf("testdb: migrations of %s: %w", db, err)
		}
		fmt.Fprintf(h, "%s\x00%d\x00", e.Name(), len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:hashLen], nil
}

// template is a ready template: what it takes to make a copy of it.
type template struct {
	Name      string   `json:"-"`
	Charset   string   `json:"charset"`
	Collation string   `json:"collation"`
	Tables    []string `json:"tables"` // CREATE TABLE statements, unqualified
	Rows      []string `json:"rows"`   // an INSERT of the rows of each table that has some
}

// templateBuild is one template's build within this process: the first
// caller builds (or loads), the others wait for it.
type templateBuild struct {
	done chan struct{}
	tpl  *template
	err  error
}

// template returns the ready template of db at source's schema version,
// building it the first time on this server: once per process (a Go map of
// builds) and once per server (a server lock named after the template, so
// parallel test binaries do not race). A build that failed is reported to
// every caller of this process rather than retried per test.
func (e *Engine) template(ctx context.Context, source fs.FS, db string) (*template, error) {
	hash, err := Hash(source, db)
	if err != nil {
		return nil, err
	}
	name := templateName(hash, db)
	e.mu.Lock()
	b := e.templates[name]
	if b == nil {
		b = &templateBuild{done: make(chan struct{})}
		e.templates[name] = b
		e.mu.Unlock()
		b.tpl, b.err = e.loadOrBuild(ctx, source, db, hash, name)
		if b.err != nil && ctx.Err() != nil {
			// The builder's context ended: let the next caller try again.
			e.mu.Lock()
			delete(e.templates, name)
			e.mu.Unlock()
		}
		close(b.done)
	} else {
		e.mu.Unlock()
		select {
		case <-b.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return b.tpl, b.err
}

func (e *Engine) loadOrBuild(ctx context.Context, source fs.FS, db, hash, name string) (*template, error) {
	conn, err := e.admin.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("testdb: template %s: %w", name, err)
	}
	defer conn.Close()
	var got sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, ?)", name, buildLockTimeout).Scan(&got); err != nil {
		return nil, fmt.Errorf("testdb: template %s: take the build lock: %w", name, err)
	}
	if got.Int64 != 1 {
		return nil, fmt.Errorf("testdb: template %s: another process held the build lock for %d s", name, buildLockTimeout)
	}
	defer func() { _, _ = conn.ExecContext(context.WithoutCancel(ctx), "DO RELEASE_LOCK(?)", name) }()

	if tpl, err := e.load(ctx, conn, name); err != nil || tpl != nil {
		return tpl, err
	}
	tpl, err := e.build(ctx, conn, source, db, name)
	if err != nil {
		return nil, fmt.Errorf("testdb: build template %s of %s: %w", name, db, err)
	}
	script, _ := json.Marshal(tpl)
	if _, err := conn.ExecContext(ctx, "INSERT INTO "+quoteIdent(metaSchema)+".templates (name, db, hash, script, built_at) VALUES (?, ?, ?, ?, UTC_TIMESTAMP(6))",
		name, db, hash, string(script)); err != nil {
		return nil, fmt.Errorf("testdb: template %s: mark it ready: %w", name, err)
	}
	return tpl, nil
}

// load returns the template when it is marked ready and still exists, or
// nil when it must be built (it is then removed, with its mark).
func (e *Engine) load(ctx context.Context, conn *sql.Conn, name string) (*template, error) {
	var script string
	err := conn.QueryRowContext(ctx, "SELECT script FROM "+quoteIdent(metaSchema)+".templates WHERE name = ?", name).Scan(&script)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("testdb: template %s: %w", name, err)
	}
	var exists int
	if err := conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", name).Scan(&exists); err != nil {
		return nil, fmt.Errorf("testdb: template %s: %w", name, err)
	}
	if script != "" && exists == 1 {
		tpl := &template{Name: name}
		if err := json.Unmarshal([]byte(script), tpl); err == nil {
			return tpl, nil
		}
	}
	// Not ready: a build that died part-way, a template dropped by hand, or
	// a mark without its database. Start again from nothing.
	if _, err := conn.ExecContext(ctx, "DELETE FROM "+quoteIdent(metaSchema)+".templates WHERE name = ?; DROP DATABASE IF EXISTS "+quoteIdent(name), name); err != nil {
		return nil, fmt.Errorf("testdb: template %s: remove the unfinished build: %w", name, err)
	}
	return nil, nil
}

var autoIncrement = regexp.MustCompile(` AUTO_INCREMENT=\d+`)

// build migrates the template up with golang-migrate and reads back what a
// copy needs: the database's character set, each table's CREATE TABLE and
// an INSERT of the rows of each table that holds some (the version table;
// reference data a migration inserts). The script stands alone: copies do
// not read the template database, which may be dropped while tests run.
func (e *Engine) build(ctx context.Context, conn *sql.Conn, source fs.FS, db, name string) (*template, error) {
	m := migration.Migrator{Source: source}
	if err := m.Up(ctx, migration.Target{Name: db, Schema: name, Server: e.server}); err != nil {
		return nil, err
	}
	tpl := &template{Name: name}
	if err := conn.QueryRowContext(ctx, "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", name).
		Scan(&tpl.Charset, &tpl.Collation); err != nil {
		return nil, err
	}
	var others int
	if err := conn.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE <> 'BASE TABLE') +
		(SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?) +
		(SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ?) +
		(SELECT COUNT(*) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ?)`, name, name, name, name).Scan(&others); err != nil {
		return nil, err
	}
	if others > 0 {
		return nil, errors.New("its migrations create views, triggers, routines or events, which the kit does not copy yet; " +
			"use the kit's Migrate option to migrate each copy instead")
	}
	tables, err := queryStrings(ctx, conn, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME", name)
	if err != nil {
		return nil, err
	}
	for _, t := range tables {
		var tn, ddl string
		if err := conn.QueryRowContext(ctx, "SHOW CREATE TABLE "+quoteIdent(name)+"."+quoteIdent(t)).Scan(&tn, &ddl); err != nil {
			return nil, err
		}
		var hasRows int
		if err := conn.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM "+quoteIdent(name)+"."+quoteIdent(t)+")").Scan(&hasRows); err != nil {
			return nil, err
		}
		if hasRows == 0 {
			ddl = autoIncrement.ReplaceAllString(ddl, "")
		} else {
			cols, err := queryStrings(ctx, conn, `SELECT COLUMN_NAME FROM information_schema.COLUMNS
				WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND IS_GENERATED = 'NEVER' ORDER BY ORDINAL_POSITION`, name, t)
			if err != nil {
				return nil, err
			}
			ins, err := rowsInsert(ctx, conn, name, t, cols)
			if err != nil {
				return nil, err
			}
			tpl.Rows = append(tpl.Rows, ins)
		}
		tpl.Tables = append(tpl.Tables, ddl)
	}
	if !slices.Contains(tables, migration.VersionTable) {
		return nil, fmt.Errorf("no %s table after migrating", migration.VersionTable)
	}
	return tpl, nil
}

// rowsInsert is an INSERT of every row of schema.table, the values quoted
// by the server (QUOTE renders any value, binary included, as a literal
// that reads back the same, and NULL as NULL).
func rowsInsert(ctx context.Context, conn *sql.Conn, schema, table string, cols []string) (string, error) {
	quoted := make([]string, len(cols))
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = quoteIdent(c)
		quoted[i] = "QUOTE(" + quoteIdent(c) + ")"
	}
	tuples, err := queryStrings(ctx, conn, "SELECT CONCAT('(', CONCAT_WS(', ', "+strings.Join(quoted, ", ")+"), ')') FROM "+
		quoteIdent(schema)+"."+quoteIdent(table))
	if err != nil {
		return "", fmt.Errorf("read the rows of %s: %w", table, err)
	}
	return "INSERT INTO " + quoteIdent(table) + " (" + strings.Join(names, ", ") + ") VALUES " + strings.Join(tuples, ", "), nil
}

// queryer is a *sql.DB or a *sql.Conn.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// queryStrings returns the first column of every row of query.
func queryStrings(ctx context.Context, q queryer, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// script appends to b the statements that make schema a copy of tpl; they
// run with foreign_key_checks off, so the tables' order does not matter.
func (tpl *template) script(b *strings.Builder, schema string) {
	fmt.Fprintf(b, "CREATE DATABASE %s CHARACTER SET %s COLLATE %s;\nUSE %s;\n", quoteIdent(schema), tpl.Charset, tpl.Collation, quoteIdent(schema))
	for _, s := range tpl.Tables {
		b.WriteString(s)
		b.WriteString(";\n")
	}
	for _, s := range tpl.Rows {
		b.WriteString(s)
		b.WriteString(";\n")
	}
}
