package lint

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/solarhub/hubdb/schema"
)

// Finding is one statement of a migration that a rule flags.
type Finding struct {
	// DB is the database: the directory of the migration.
	DB string
	// File is the migration's file name, e.g. 000003_reading_value.up.sql.
	File string
	// Line is the line of the flagged clause (of the statement for
	// OPTIMIZE TABLE and CREATE INDEX).
	Line int
	// Statement is the statement, shortened to about 100 characters.
	Statement string
	// Rule is the rule's name (see [Rules]).
	Rule string
	// Kind is the rule's kind.
	Kind Kind
	// Reason says what the statement does on the server: the flagged part
	// and the rule's reason.
	Reason string
	// Fix is the alternative.
	Fix string
	// Accepted: a reviewer accepted the statement with a marker
	// "-- hubdb:lint-accept <rule> <why>".
	Accepted bool
	// Why is the accepting marker's reason.
	Why string
}

// String is the finding as hubdb migrate lint prints it:
// db/file:line: rule: reason; fix: fix, and the reviewer's reason when it
// is accepted.
func (f Finding) String() string {
	s := fmt.Sprintf("%s/%s:%d: %s: %s; fix: %s", f.DB, f.File, f.Line, f.Rule, f.Reason, f.Fix)
	if f.Accepted {
		s += " [accepted: " + f.Why + "]"
	}
	return s
}

// Marker is the comment that accepts a reviewed statement, followed by the
// rule's name and the reason (required). It goes on a comment line before
// the statement, inside it, or after its ; on the same line.
const Marker = "hubdb:lint-accept"

// Lint checks the up migrations of the database db in fsys (nil: the
// embedded [schema.FS]): fsys holds db/NNNNNN_title.up.sql files, as
// schema.FS does. Every file is read, in version order, to know the
// tables; only files of a version above since are reported (0: all).
// Statements on a table created earlier in the same file are not flagged:
// the table is empty. The findings are in file and line order, accepted
// ones included; the error joins every problem of the files (a bad
// marker, an unterminated quote), each with its file and line.
func Lint(fsys fs.FS, db string, since uint) ([]Finding, error) {
	if fsys == nil {
		fsys = schema.FS
	}
	files, err := upFiles(fsys, db)
	if err != nil {
		return nil, err
	}
	model := map[string]*table{}
	var findings []Finding
	var errs []error
	for _, f := range files {
		src, err := fs.ReadFile(fsys, path.Join(db, f.name))
		if err != nil {
			errs = append(errs, fmt.Errorf("lint: %w", err))
			continue
		}
		fl := &fileLint{db: db, file: f.name, tables: model, created: map[string]bool{}, fkChecks: true}
		fl.run(string(src))
		if f.version > since {
			findings = append(findings, fl.findings...)
			errs = append(errs, fl.errs...)
		}
	}
	return findings, errors.Join(errs...)
}

// LintAll runs [Lint] on every database of fsys (nil: the embedded
// [schema.FS]), in name order.
func LintAll(fsys fs.FS, since uint) ([]Finding, error) {
	if fsys == nil {
		fsys = schema.FS
	}
	dbs, err := schema.Databases(fsys)
	if err != nil {
		return nil, fmt.Errorf("lint: %w", err)
	}
	var all []Finding
	var errs []error
	for _, db := range dbs {
		f, err := Lint(fsys, db, since)
		all = append(all, f...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return all, errors.Join(errs...)
}

// upFile is one up migration.
type upFile struct {
	name    string
	version uint
}

var upName = regexp.MustCompile(`^([0-9]+)_.*\.up\.sql$`)

// upFiles lists the up migrations of db in version order.
func upFiles(fsys fs.FS, db string) ([]upFile, error) {
	entries, err := fs.ReadDir(fsys, db)
	if err != nil {
		return nil, fmt.Errorf("lint: the migrations of %s: %w", db, err)
	}
	var files []upFile
	for _, e := range entries {
		m := upName.FindStringSubmatch(e.Name())
		if m == nil || e.IsDir() {
			continue
		}
		v, err := strconv.ParseUint(m[1], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("lint: %s/%s: version: %w", db, e.Name(), err)
		}
		files = append(files, upFile{name: e.Name(), version: uint(v)})
	}
	slices.SortFunc(files, func(a, b upFile) int { return int(a.version) - int(b.version) })
	return files, nil
}

// fileLint checks one file.
type fileLint struct {
	db, file string
	tables   map[string]*table // the database's tables so far, updated by the file
	created  map[string]bool   // tables created (empty) in this file
	fkChecks bool              // the session's foreign_key_checks
	findings []Finding
	errs     []error
	stmt     statement
	hits     []hit // findings of the current statement
}

// hit is one finding of a statement before the markers are applied.
type hit struct {
	rule, detail string
	line         int
}

func (fl *fileLint) errorf(line int, format string, args ...any) {
	fl.errs = append(fl.errs, fmt.Errorf("lint: %s/%s:%d: %s", fl.db, fl.file, line, fmt.Sprintf(format, args...)))
}

func (fl *fileLint) run(src string) {
	stmts, trailing, err := split(src)
	if err != nil {
		fl.errs = append(fl.errs, fmt.Errorf("lint: %s/%s: %w", fl.db, fl.file, err))
		return
	}
	for _, st := range stmts {
		fl.stmt, fl.hits = st, nil
		fl.statement(&words{toks: st.toks})
		fl.report()
	}
	for _, c := range trailing {
		if _, ok := strings.CutPrefix(c.text, Marker); ok {
			fl.errorf(c.line, "%s is not followed by a statement", Marker)
		}
	}
}

// flag records a finding of rule at line on the current statement.
func (fl *fileLint) flag(rule string, line int, detail string) {
	fl.hits = append(fl.hits, hit{rule: rule, detail: detail, line: line})
}

// report turns the current statement's hits into findings, applying its
// accept markers.
func (fl *fileLint) report() {
	type marker struct {
		rule, why string
		line      int
		used      bool
	}
	var markers []*marker
	for _, c := range fl.stmt.comments {
		rest, ok := strings.CutPrefix(c.text, Marker)
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		switch {
		case len(fields) == 0:
			fl.errorf(c.line, "%s needs a rule and a reason", Marker)
		case len(fields) == 1:
			fl.errorf(c.line, "%s %s needs a reason after the rule", Marker, fields[0])
		default:
			if _, ok := ruleByName(fields[0]); !ok {
				fl.errorf(c.line, "%s: unknown rule %q (rules: %s)", Marker, fields[0], strings.Join(ruleNames(), ", "))
				continue
			}
			why := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "*/"))
			markers = append(markers, &marker{rule: fields[0], why: strings.TrimSpace(why[len(fields[0]):]), line: c.line})
		}
	}
	for _, h := range fl.hits {
		r, _ := ruleByName(h.rule)
		f := Finding{DB: fl.db, File: fl.file, Line: h.line, Statement: shorten(fl.stmt.text, 100),
			Rule: r.Name, Kind: r.Kind, Reason: h.detail + ": " + r.Reason, Fix: r.Fix}
		for _, m := range markers {
			if m.rule == h.rule {
				f.Accepted, f.Why, m.used = true, m.why, true
			}
		}
		fl.findings = append(fl.findings, f)
	}
	for _, m := range markers {
		if !m.used {
			fl.errorf(m.line, "%s %s: the statement has no %s finding (remove the marker)", Marker, m.rule, m.rule)
		}
	}
}

func ruleNames() []string {
	names := make([]string, len(rules))
	for i, r := range rules {
		names[i] = r.Name
	}
	return names
}

// shorten cuts s to about n bytes, at a space, with "..." appended.
func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := strings.LastIndexByte(s[:n], ' ')
	if cut < n/2 {
		cut = n
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
	}
	return s[:cut] + " ..."
}

// statement checks one statement and updates the model with it.
func (fl *fileLint) statement(w *words) {
	switch {
	case w.accept("ALTER"):
		w.accept("ONLINE")
		w.accept("IGNORE")
		if w.accept("TABLE") {
			fl.alterTable(w)
		}
	case w.accept("CREATE"):
		fl.create(w)
	case w.accept("DROP"):
		w.accept("TEMPORARY")
		if w.accept("TABLE") || w.accept("TABLES") {
			w.accept("IF", "EXISTS")
			for _, part := range splitTop(w.rest()) {
				name := (&words{toks: part}).tableName()
				delete(fl.tables, name)
				delete(fl.created, name)
			}
		}
	case w.accept("RENAME", "TABLE"):
		for _, part := range splitTop(w.rest()) {
			pw := &words{toks: part}
			from := pw.tableName()
			if pw.accept("TO") {
				fl.renameTable(from, pw.tableName())
			}
		}
	case w.accept("OPTIMIZE"):
		_ = w.accept("NO_WRITE_TO_BINLOG") || w.accept("LOCAL")
		if w.accept("TABLE") {
			for _, part := range splitTop(w.rest()) {
				if name := (&words{toks: part}).tableName(); !fl.created[name] {
					fl.flag(ruleRebuildTable, fl.stmt.line, "OPTIMIZE TABLE "+name)
				}
			}
		}
	case w.accept("SET"):
		fl.set(w.rest())
	}
}

func (fl *fileLint) renameTable(from, to string) {
	if t, ok := fl.tables[from]; ok {
		delete(fl.tables, from)
		fl.tables[to] = t
	}
	if fl.created[from] {
		delete(fl.created, from)
		fl.created[to] = true
	}
}

// set follows SET foreign_key_checks = 0|1 (the session's, not GLOBAL).
func (fl *fileLint) set(toks []token) {
	for i, t := range toks {
		if !t.is("foreign_key_checks") || i+2 >= len(toks) {
			continue
		}
		global := i > 0 && toks[i-1].is("GLOBAL") || i > 1 && toks[i-1].isPunct(".") && toks[i-2].is("GLOBAL")
		j := i + 1
		if toks[j].isPunct(":") {
			j++
		}
		if global || !toks[j].isPunct("=") || j+1 >= len(toks) {
			continue
		}
		switch v := strings.ToLower(toks[j+1].text); v {
		case "0", "off", "false":
			fl.fkChecks = false
		case "1", "on", "true":
			fl.fkChecks = true
		}
	}
}

// create handles CREATE TABLE and CREATE INDEX.
func (fl *fileLint) create(w *words) {
	orReplace := w.accept("OR", "REPLACE")
	if w.accept("TEMPORARY") {
		return
	}
	if w.accept("TABLE") {
		fl.createTable(w, orReplace)
		return
	}
	_ = w.accept("ONLINE") || w.accept("OFFLINE")
	kind := ""
	switch {
	case w.accept("FULLTEXT"):
		kind = "FULLTEXT"
	case w.accept("SPATIAL"):
		kind = "SPATIAL"
	case w.accept("UNIQUE"):
		kind = "UNIQUE"
	}
	if !w.accept("INDEX") && !w.accept("KEY") {
		return
	}
	for w.i < len(w.toks) && !w.peek().is("ON") {
		w.next()
	}
	if !w.accept("ON") {
		return
	}
	name := w.tableName()
	fl.addIndex(kind, name, keyColumns(w.group()), fl.stmt.line, "CREATE "+kind+" INDEX on "+name)
}

// addIndex records an index on cols of the table, and flags a FULLTEXT or
// SPATIAL index added to a table that was not created in this file, and a
// UNIQUE index that becomes the table's primary key.
func (fl *fileLint) addIndex(kind, tableName string, cols []string, line int, detail string) {
	if t := fl.tables[tableName]; t != nil {
		defer t.index(cols)
	}
	switch kind {
	case "UNIQUE":
		if t := fl.tables[tableName]; t != nil && !t.clustered && t.notNull(cols) {
			if !fl.created[tableName] {
				fl.flag(rulePrimaryKey, line, detail+": the table has no primary key and the columns are NOT NULL, "+
					"so the index becomes its primary key")
			}
			t.clustered = true
		}
	case "FULLTEXT":
		if !fl.created[tableName] {
			fl.flag(ruleFulltextIndex, line, detail)
		}
		if t := fl.tables[tableName]; t != nil {
			t.fulltext = true
		}
	case "SPATIAL":
		if !fl.created[tableName] {
			fl.flag(ruleSpatialIndex, line, detail)
		}
	}
}

// createTable records a table created with a column list, LIKE another
// table or from a SELECT.
func (fl *fileLint) createTable(w *words, orReplace bool) {
	ifNotExists := w.accept("IF", "NOT", "EXISTS")
	name := w.tableName()
	if _, exists := fl.tables[name]; exists && ifNotExists && !orReplace {
		return // a no-op on the server
	}
	if w.accept("LIKE") || w.peek().isPunct("(") && len(w.toks) > w.i+1 && w.toks[w.i+1].is("LIKE") {
		w.accept("(")
		w.accept("LIKE")
		t := newTable()
		t.complete = false
		if src := fl.tables[w.tableName()]; src != nil {
			t = src.clone()
		}
		fl.tables[name], fl.created[name] = t, true
		return
	}
	body := w.group()
	t := newTable()
	opts := w.rest()
	charset, collation := tableCharset(opts)
	t.setDefaults(charset, collation)
	fromSelect := slices.ContainsFunc(opts, func(tok token) bool { return tok.is("SELECT") })
	if body == nil || fromSelect {
		t.complete = false
	}
	var primary []string
	var unique, keys [][]string
	for _, def := range splitTop(body) {
		dw := &words{toks: def}
		has := func(w string) bool { return slices.ContainsFunc(def, func(t token) bool { return t.is(w) }) }
		switch first := dw.peek(); {
		case len(def) == 0:
		case first.is("PRIMARY"), first.is("CONSTRAINT") && has("PRIMARY"):
			primary = append(primary, keyColumns(skipToGroup(dw))...)
			t.clustered = true
		case first.is("UNIQUE"), first.is("CONSTRAINT") && has("UNIQUE"):
			unique = append(unique, keyColumns(skipToGroup(dw)))
		case first.is("FULLTEXT"), first.is("KEY"), first.is("INDEX"), first.is("SPATIAL"),
			first.is("CONSTRAINT") && has("FOREIGN"), first.is("FOREIGN"):
			t.fulltext = t.fulltext || first.is("FULLTEXT")
			keys = append(keys, keyColumns(skipToGroup(dw)))
		case first.is("CONSTRAINT"), first.is("CHECK"), first.is("PERIOD"):
		default:
			c, err := parseColumn(def, t)
			if err != nil {
				t.complete = false
				continue
			}
			t.setColumn(c)
			t.clustered = t.clustered || c.primary
		}
	}
	for _, p := range primary {
		if c := t.column(p); c != nil {
			c.notNull = true
		}
	}
	t.index(primary)
	for _, u := range unique {
		t.clustered = t.clustered || t.notNull(u)
		t.index(u)
	}
	for _, k := range keys {
		t.index(k)
	}
	fl.tables[name] = t
	fl.created[name] = !fromSelect
}

// skipToGroup consumes the tokens up to the next ( and returns the group.
func skipToGroup(w *words) []token {
	for w.i < len(w.toks) && !w.peek().isPunct("(") {
		w.next()
	}
	return w.group()
}

// keyColumns returns the column names of an index's column list.
func keyColumns(g []token) []string {
	var cols []string
	for _, part := range splitTop(g) {
		if len(part) > 0 {
			cols = append(cols, part[0].name())
		}
	}
	return cols
}

// tableCharset finds DEFAULT CHARSET= / CHARACTER SET / COLLATE in table
// options.
func tableCharset(opts []token) (charset, collation string) {
	w := &words{toks: opts}
	for w.i < len(w.toks) {
		switch {
		case w.accept("CHARACTER", "SET"), w.accept("CHARSET"):
			w.accept("=")
			charset = canonicalCharset(w.next().name())
		case w.accept("COLLATE"):
			w.accept("=")
			collation = canonicalCollation(w.next().name())
		default:
			if w.peek().isPunct("(") {
				w.group()
			} else {
				w.next()
			}
		}
	}
	return charset, collation
}
