package lint

import (
	"slices"
	"strings"
)

// alterTable checks ALTER TABLE name spec, spec, ... [partitioning] and
// applies it to the model.
func (fl *fileLint) alterTable(w *words) {
	w.accept("IF", "EXISTS")
	name := w.tableName()
	if w.accept("WAIT") {
		w.next()
	}
	w.accept("NOWAIT")
	specs := splitTop(w.rest())
	a := &alter{fl: fl, name: name, t: fl.tables[name], empty: fl.created[name]}
	for _, s := range specs {
		if len(s) > 0 && s[0].is("ADD") && slices.ContainsFunc(s, func(t token) bool { return t.is("PRIMARY") }) {
			a.addsPrimary = true
		}
	}
	for _, s := range specs {
		if len(s) > 0 {
			a.spec(s)
		}
	}
}

// alter is one ALTER TABLE statement.
type alter struct {
	fl          *fileLint
	name        string
	t           *table // nil: not created by the earlier migrations
	empty       bool   // created in this file
	addsPrimary bool   // the statement has an ADD PRIMARY KEY
}

func (a *alter) flag(rule string, line int, detail string) {
	if !a.empty {
		a.fl.flag(rule, line, detail)
	}
}

// spec checks one alter specification.
func (a *alter) spec(s []token) {
	w := &words{toks: s}
	line := s[0].line
	// Partitioning comes after the last specification, without a comma.
	for i, t := range s {
		if t.is("PARTITION") && i+1 < len(s) && s[i+1].is("BY") || t.is("REMOVE") && i+1 < len(s) && s[i+1].is("PARTITIONING") {
			a.flag(rulePartitioning, t.line, strings.ToUpper(t.text)+" "+strings.ToUpper(s[i+1].text)+" on "+a.name)
			s = s[:i]
			w.toks = s
			break
		}
	}
	if len(s) == 0 {
		return
	}
	switch {
	case w.accept("ADD"):
		a.add(w, line)
	case w.accept("MODIFY"):
		w.accept("COLUMN")
		ifExists := w.accept("IF", "EXISTS")
		a.change(w.rest(), "", ifExists, line)
	case w.accept("CHANGE"):
		w.accept("COLUMN")
		ifExists := w.accept("IF", "EXISTS")
		old := w.next().name()
		a.change(w.rest(), old, ifExists, line)
	case w.accept("DROP"):
		a.drop(w, line)
	case w.accept("RENAME"):
		switch {
		case w.accept("COLUMN"):
			old := w.next().name()
			w.accept("TO")
			if c := a.t.column(old); c != nil {
				delete(a.t.cols, strings.ToLower(old))
				c.name = w.next().name()
				a.t.setColumn(c)
			}
		case w.accept("INDEX"), w.accept("KEY"):
		default:
			_ = w.accept("TO") || w.accept("AS")
			a.fl.renameTable(a.name, w.tableName())
		}
	case w.accept("CONVERT", "TO"):
		_ = w.accept("CHARACTER", "SET") || w.accept("CHARSET")
		w.accept("=")
		charset := canonicalCharset(w.next().name())
		charset, collation := resolveCharset(charset, collationOf(w.rest()), nil)
		a.flag(ruleConvertCharset, line, "CONVERT TO CHARACTER SET "+charset+" on "+a.name)
		a.convert(charset, collation)
	case w.accept("ORDER", "BY"):
		a.flag(ruleOrderBy, line, "ORDER BY on "+a.name)
	case w.accept("FORCE"):
		a.flag(ruleRebuildTable, line, "FORCE on "+a.name)
	case w.accept("ALTER"):
		// ALTER [COLUMN] c SET DEFAULT / DROP DEFAULT, ALTER INDEX: instant
	default:
		a.options(w, line)
	}
}

// collationOf finds COLLATE [=] name in toks.
func collationOf(toks []token) string {
	_, collation := tableCharset(toks)
	return collation
}

// options checks table options: ENGINE, ROW_FORMAT and KEY_BLOCK_SIZE
// rebuild the table; the default character set and collation are
// recorded (instant: they apply to new columns).
func (a *alter) options(w *words, line int) {
	charset, collation := tableCharset(w.rest())
	if a.t != nil {
		a.t.setDefaults(charset, collation)
	}
	for _, t := range w.rest() {
		for _, opt := range []string{"ENGINE", "ROW_FORMAT", "KEY_BLOCK_SIZE"} {
			if t.is(opt) {
				a.flag(ruleRebuildTable, t.line, opt+"= on "+a.name)
			}
		}
	}
}

// add checks ADD COLUMN, ADD INDEX, ADD CONSTRAINT and the like.
func (a *alter) add(w *words, line int) {
	column := w.accept("COLUMN")
	ifNotExists := w.accept("IF", "NOT", "EXISTS")
	if column || ifNotExists {
		a.addColumns(w, ifNotExists, line)
		return
	}
	if w.accept("CONSTRAINT") {
		w.accept("IF", "NOT", "EXISTS")
		if p := w.peek(); !p.is("PRIMARY") && !p.is("UNIQUE") && !p.is("FOREIGN") && !p.is("CHECK") {
			w.next() // the constraint's name
		}
	}
	switch p := w.peek(); {
	case p.is("PRIMARY"):
		a.flag(rulePrimaryKey, line, "ADD PRIMARY KEY on "+a.name)
		cols := keyColumns(skipToGroup(w))
		for _, c := range cols {
			if col := a.t.column(c); col != nil {
				col.notNull = true
			}
		}
		if a.t != nil {
			a.t.clustered = true
			a.t.index(cols)
		}
	case p.is("FULLTEXT"), p.is("SPATIAL"), p.is("UNIQUE"):
		kind := strings.ToUpper(p.text)
		a.fl.addIndex(kind, a.name, keyColumns(skipToGroup(w)), line, "ADD "+kind+" INDEX on "+a.name)
	case p.is("FOREIGN"):
		if a.fl.fkChecks {
			a.flag(ruleForeignKey, line, "ADD FOREIGN KEY on "+a.name+" with foreign_key_checks on")
		}
		a.fl.addIndex("", a.name, keyColumns(skipToGroup(w)), line, "") // the index it needs
	case p.is("CHECK"):
		a.flag(ruleCheckConstraint, line, "ADD CHECK on "+a.name)
	case p.is("INDEX"), p.is("KEY"):
		a.fl.addIndex("", a.name, keyColumns(skipToGroup(w)), line, "") // built online without a rebuild
	case p.is("PERIOD"), p.is("PARTITION"), p.is("SYSTEM"):
	default:
		a.addColumns(w, false, line)
	}
}

// addColumns checks ADD [COLUMN] [IF NOT EXISTS] col_def, or a
// parenthesised list of them.
func (a *alter) addColumns(w *words, ifNotExists bool, line int) {
	defs := [][]token{w.rest()}
	if g := w.group(); g != nil {
		defs = splitTop(g)
	}
	for _, def := range defs {
		c, err := parseColumn(def, a.t)
		if err != nil {
			continue
		}
		if ifNotExists && a.t.column(c.name) != nil {
			continue // a no-op on the server
		}
		subject := a.name + "." + c.name
		if a.t != nil && a.t.fulltext {
			a.flag(ruleFulltextTable, line, "ADD COLUMN "+subject+" (the table has a FULLTEXT index)")
		}
		switch {
		case c.generated == "stored":
			a.flag(ruleStoredColumn, line, "ADD COLUMN "+subject+" AS (...) STORED")
		case c.autoInc:
			a.flag(ruleAutoIncrement, line, "ADD COLUMN "+subject+" AUTO_INCREMENT")
		case c.notNull && !c.hasDefault && c.generated == "" && !c.primary:
			a.flag(ruleNotNullNoDefault, line, "ADD COLUMN "+subject+" "+c.typ.String()+" NOT NULL without a DEFAULT")
		}
		if c.primary {
			a.flag(rulePrimaryKey, line, "ADD COLUMN "+subject+" PRIMARY KEY")
			if a.t != nil {
				a.t.clustered = true
			}
		}
		if a.t != nil {
			a.t.setColumn(c)
		}
	}
}

// change checks MODIFY (old "") or CHANGE old: the definition in def
// against the column's current one.
func (a *alter) change(def []token, old string, ifExists bool, line int) {
	c, err := parseColumn(def, a.t)
	if err != nil {
		return
	}
	if old == "" {
		old = c.name
	}
	prev := a.t.column(old)
	if prev == nil && ifExists && a.t != nil && a.t.complete {
		return // no such column: a no-op on the server
	}
	if rule, why := columnChange(prev, c); rule != "" {
		a.flag(rule, line, why)
	}
	if a.t != nil {
		delete(a.t.cols, strings.ToLower(old))
		c.indexed = prev != nil && prev.indexed
		a.t.setColumn(c)
	}
}

// drop checks DROP PRIMARY KEY and DROP COLUMN; other DROPs are in place
// without a rebuild.
func (a *alter) drop(w *words, line int) {
	switch {
	case w.accept("PRIMARY", "KEY"):
		if !a.addsPrimary {
			a.flag(ruleDropPrimaryKey, line, "DROP PRIMARY KEY on "+a.name+" without ADD PRIMARY KEY")
		}
		if a.t != nil {
			a.t.clustered = false // until the next UNIQUE NOT NULL key
		}
	case w.accept("INDEX"), w.accept("KEY"), w.accept("FOREIGN"), w.accept("CONSTRAINT"), w.accept("CHECK"),
		w.accept("PARTITION"), w.accept("SYSTEM"), w.accept("PERIOD"):
	default:
		w.accept("COLUMN")
		w.accept("IF", "EXISTS")
		name := w.next().name()
		if a.t.column(name) == nil && a.t != nil && a.t.complete {
			return
		}
		if a.t != nil && a.t.fulltext {
			a.flag(ruleFulltextTable, line, "DROP COLUMN "+a.name+"."+name+" (the table has a FULLTEXT index)")
		}
		if a.t != nil {
			delete(a.t.cols, strings.ToLower(name))
		}
	}
}

// convert applies CONVERT TO CHARACTER SET to the model: every character
// column gets the new set, and TEXT types grow to hold as many characters.
func (a *alter) convert(charset, collation string) {
	if a.t == nil {
		return
	}
	for _, c := range a.t.cols {
		if !slices.Contains(charTypes, c.typ.base) {
			continue
		}
		if i := slices.Index(textTypes, c.typ.base); i >= 0 && i < len(textTypes)-1 && maxBytes(charset) > maxBytes(c.typ.charset) {
			c.typ.base = textTypes[i+1]
		}
		c.typ.charset, c.typ.collation = charset, collation
	}
	a.t.charset, a.t.collation = charset, collation
}
