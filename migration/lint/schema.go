package lint

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// table is what the lint knows of a table from the migrations before the
// statement it checks.
type table struct {
	cols map[string]*column // by lower-case name
	// complete: every column is known (the table came from a CREATE TABLE
	// with a column list, not from a CREATE ... SELECT).
	complete bool
	// charset and collation are the table's defaults ("" unknown).
	charset, collation string
	// fulltext: the table has (or had) a FULLTEXT index, so it has the
	// hidden FTS_DOC_ID column, which makes column changes non-instant.
	fulltext bool
	// clustered: the table has a primary key, or a UNIQUE key of NOT NULL
	// columns, which InnoDB then uses as its primary key.
	clustered bool
}

func newTable() *table { return &table{cols: map[string]*column{}, complete: true} }

func (t *table) clone() *table {
	c := *t
	c.cols = make(map[string]*column, len(t.cols))
	for k, v := range t.cols {
		col := *v
		c.cols[k] = &col
	}
	return &c
}

// column returns the column named name, or nil.
func (t *table) column(name string) *column {
	if t == nil {
		return nil
	}
	return t.cols[strings.ToLower(name)]
}

func (t *table) setColumn(c *column) { t.cols[strings.ToLower(c.name)] = c }

// index marks the columns cols as indexed.
func (t *table) index(cols []string) {
	for _, name := range cols {
		if c := t.column(name); c != nil {
			c.indexed = true
		}
	}
}

// notNull reports whether every column of cols is known to be NOT NULL.
func (t *table) notNull(cols []string) bool {
	for _, name := range cols {
		if c := t.column(name); c == nil || !c.notNull {
			return false
		}
	}
	return len(cols) > 0
}

// setDefaults records the table's default character set and collation as
// a CREATE or ALTER TABLE option gives them ("" when not given).
func (t *table) setDefaults(charset, collation string) {
	switch {
	case collation != "":
		t.charset, t.collation = collationCharset(collation), collation
	case charset != "":
		t.charset, t.collation = charset, ""
	}
}

// column is what the lint knows of one column.
type column struct {
	name       string
	typ        colType
	notNull    bool
	hasDefault bool
	autoInc    bool
	primary    bool   // PRIMARY KEY in the column's definition
	indexed    bool   // in an index (one dropped since included)
	generated  string // "", "virtual" or "stored"
	expr       string // the generation expression
}

// colType is a column's data type, normalised: MariaDB's aliases resolved,
// integer display widths dropped, default lengths filled in.
type colType struct {
	base               string   // lower case: int, varchar, enum, ...
	args               []string // lengths, precision and scale, ENUM and SET values
	unsigned, zerofill bool
	// charset and collation of a character type: the column's own, else
	// the table's default when it was added ("" unknown; collation ""
	// with a charset is that charset's default collation).
	charset, collation string
}

func (t colType) String() string {
	var b strings.Builder
	b.WriteString(strings.ToUpper(t.base))
	if len(t.args) > 0 {
		args := t.args
		if t.base == "enum" || t.base == "set" {
			args = make([]string, len(t.args))
			for i, a := range t.args {
				args[i] = "'" + strings.ReplaceAll(a, "'", "''") + "'"
			}
		}
		b.WriteString("(" + strings.Join(args, ",") + ")")
	}
	if t.unsigned {
		b.WriteString(" UNSIGNED")
	}
	if t.zerofill {
		b.WriteString(" ZEROFILL")
	}
	return b.String()
}

// Groups of types.
var (
	integerTypes = []string{"tinyint", "smallint", "mediumint", "int", "bigint"}
	textTypes    = []string{"tinytext", "text", "mediumtext", "longtext"}
	charTypes    = append([]string{"char", "varchar", "enum", "set"}, textTypes...)
	binaryTypes  = []string{"binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob"}
)

// typeAliases maps MariaDB's type aliases to the type they stand for.
var typeAliases = map[string]string{
	"integer": "int", "int1": "tinyint", "int2": "smallint", "int3": "mediumint", "middleint": "mediumint",
	"int4": "int", "int8": "bigint", "bool": "tinyint", "boolean": "tinyint",
	"dec": "decimal", "numeric": "decimal", "fixed": "decimal", "real": "double", "double precision": "double",
	"float8": "double", "float4": "float", "character": "char", "character varying": "varchar",
	"char varying": "varchar", "long varchar": "mediumtext", "long": "mediumtext", "long varbinary": "mediumblob",
	"nchar": "char", "national char": "char", "national character": "char", "nvarchar": "varchar",
	"national varchar": "varchar", "national character varying": "varchar", "nchar varchar": "varchar",
}

// parseColumn reads a column definition (name, type, attributes) for a
// column of t (nil: unknown table), resolving its character set with the
// table's defaults.
func parseColumn(toks []token, t *table) (*column, error) {
	w := &words{toks: toks}
	c := &column{name: w.next().name()}
	if c.name == "" {
		return nil, fmt.Errorf("no column name in %q", tokText(toks))
	}
	c.typ = parseType(w)
	if c.typ.base == "" {
		return nil, fmt.Errorf("no type for column %s", c.name)
	}
	for w.i < len(w.toks) {
		switch tok := w.next(); {
		case tok.is("NOT") && w.accept("NULL"):
			c.notNull = true
		case tok.is("NULL"):
			c.notNull = false
		case tok.is("DEFAULT"):
			c.hasDefault = true
			skipExpr(w)
		case tok.is("AUTO_INCREMENT"):
			c.autoInc = true
		case tok.is("PRIMARY") && w.accept("KEY"):
			c.primary, c.notNull, c.indexed = true, true, true
		case tok.is("UNIQUE"), tok.is("KEY"):
			c.indexed = true
		case tok.is("COLLATE"):
			w.accept("=")
			c.typ.collation = strings.ToLower(w.next().name())
		case tok.is("CHARACTER") && w.accept("SET"), tok.is("CHARSET"):
			c.typ.charset = strings.ToLower(w.next().name())
		case tok.is("GENERATED"):
			w.accept("ALWAYS")
		case tok.is("AS"):
			c.expr = tokText(w.group())
			c.generated = "virtual"
		case tok.is("STORED"), tok.is("PERSISTENT"):
			c.generated = "stored"
		case tok.is("ON"), tok.is("COMMENT"), tok.is("CHECK"), tok.is("REFERENCES"):
			skipExpr(w)
		}
	}
	if slices.Contains(charTypes, c.typ.base) {
		c.typ.charset, c.typ.collation = resolveCharset(c.typ.charset, c.typ.collation, t)
	}
	if c.typ.base == "timestamp" && c.notNull && !c.hasDefault {
		c.hasDefault = true // implicitly 0 or CURRENT_TIMESTAMP, as the server's settings say
	}
	return c, nil
}

// skipExpr consumes one expression operand: a parenthesised group, or a
// token (with a following group, for a function call).
func skipExpr(w *words) {
	if w.group() != nil {
		return
	}
	w.next()
	w.group()
}

// parseType reads a data type and its modifiers.
func parseType(w *words) colType {
	var t colType
	first := w.next()
	if first.kind != tWord {
		return t
	}
	base := strings.ToLower(first.text)
	national := false
	for _, two := range []string{"precision", "varying", "varchar", "char", "character", "varbinary"} {
		if _, ok := typeAliases[base+" "+two]; ok && w.accept(two) {
			base += " " + two
			if base == "national character" && w.accept("varying") {
				base += " varying"
			}
			break
		}
	}
	if strings.HasPrefix(base, "national") || strings.HasPrefix(base, "nchar") || base == "nvarchar" {
		national = true
	}
	if base == "bool" || base == "boolean" {
		t.args = []string{"1"}
	}
	if a, ok := typeAliases[base]; ok {
		base = a
	}
	t.base = base
	if g := w.group(); g != nil {
		t.args = nil
		for _, part := range splitTop(g) {
			if len(part) == 1 && part[0].kind == tString {
				t.args = append(t.args, part[0].text) // an ENUM or SET value
			} else {
				t.args = append(t.args, tokText(part))
			}
		}
	}
	if national {
		t.charset = "utf8mb3"
	}
	for {
		switch {
		case w.accept("UNSIGNED"):
			t.unsigned = true
		case w.accept("SIGNED"):
		case w.accept("ZEROFILL"):
			t.zerofill, t.unsigned = true, true
		case w.accept("BINARY"):
			if slices.Contains(charTypes, t.base) {
				t.collation = "_bin" // completed by resolveCharset
			}
		case w.accept("CHARACTER", "SET"), w.accept("CHARSET"):
			t.charset = strings.ToLower(w.next().name())
		case w.accept("COLLATE"):
			t.collation = strings.ToLower(w.next().name())
		case w.accept("ASCII"):
			t.charset = "latin1"
		case w.accept("UNICODE"):
			t.charset = "ucs2"
		default:
			normalize(&t)
			return t
		}
	}
}

// normalize drops what does not change a type and fills in default lengths.
func normalize(t *colType) {
	switch {
	case slices.Contains(integerTypes, t.base), t.base == "year",
		slices.Contains(textTypes, t.base), strings.HasSuffix(t.base, "blob"):
		t.args = nil
	case t.base == "decimal" && len(t.args) == 0:
		t.args = []string{"10", "0"}
	case t.base == "decimal" && len(t.args) == 1:
		t.args = append(t.args, "0")
	case (t.base == "char" || t.base == "binary" || t.base == "bit") && len(t.args) == 0:
		t.args = []string{"1"}
	case (t.base == "datetime" || t.base == "time" || t.base == "timestamp") && len(t.args) == 0:
		t.args = []string{"0"}
	}
	if slices.Contains(binaryTypes, t.base) {
		t.charset, t.collation = "binary", "binary"
	}
}

// resolveCharset gives a character column the character set and collation
// it has on the server: its own, else the table's defaults (nil table:
// unknown, "").
func resolveCharset(charset, collation string, t *table) (string, string) {
	charset = canonicalCharset(charset)
	if collation == "_bin" { // the BINARY attribute
		if charset == "" && t != nil {
			charset = t.charset
		}
		if charset == "" {
			return "", ""
		}
		return charset, charset + "_bin"
	}
	collation = canonicalCollation(collation)
	switch {
	case collation != "":
		return collationCharset(collation), collation
	case charset != "":
		return charset, "" // the set's default collation, not the table's
	case t != nil:
		return t.charset, t.collation
	}
	return "", ""
}

// canonicalCharset is the server's name of a character set: utf8 is
// utf8mb3 on MariaDB 10.6 and later.
func canonicalCharset(cs string) string {
	cs = strings.ToLower(cs)
	if cs == "utf8" {
		return "utf8mb3"
	}
	return cs
}

func canonicalCollation(c string) string {
	c = strings.ToLower(c)
	if strings.HasPrefix(c, "utf8_") {
		return "utf8mb3_" + c[len("utf8_"):]
	}
	return c
}

// collationCharset is the character set of a collation: its name up to the
// first _.
func collationCharset(c string) string {
	c = canonicalCollation(c)
	if i := strings.IndexByte(c, '_'); i > 0 {
		return c[:i]
	}
	return c
}

// maxBytes is the longest character of a character set in bytes, 0 when
// the lint does not know the set.
func maxBytes(charset string) int {
	switch charset {
	case "utf8mb4", "utf16", "utf16le", "utf32", "gb18030":
		return 4
	case "utf8mb3", "ujis", "eucjpms":
		return 3
	case "ucs2", "big5", "gbk", "sjis", "cp932", "euckr", "gb2312":
		return 2
	case "latin1", "latin2", "latin5", "latin7", "ascii", "binary", "cp1250", "cp1251", "cp1256", "cp1257",
		"cp850", "cp852", "cp866", "dec8", "greek", "hebrew", "hp8", "keybcs2", "koi8r", "koi8u", "macce",
		"macroman", "swe7", "tis620", "armscii8", "geostd8":
		return 1
	}
	return 0
}

// columnChange says whether changing old into nw (MODIFY or CHANGE) is a
// change the server cannot make in place (ruleColumnType) or one that
// rebuilds the table (ruleColumnNull), and why; "" when it is instant or in
// place without a rebuild. old nil: the column is not known.
func columnChange(old, nw *column) (rule, why string) {
	if old == nil {
		return ruleColumnType, fmt.Sprintf("the current definition of %s is not known from the earlier migrations", nw.name)
	}
	subject := old.name
	if !strings.EqualFold(old.name, nw.name) {
		subject = old.name + " (renamed " + nw.name + ")"
	}
	switch {
	case nw.autoInc && !old.autoInc:
		return ruleColumnType, subject + " becomes AUTO_INCREMENT"
	case nw.generated != old.generated:
		return ruleColumnType, fmt.Sprintf("%s changes from %s to %s", subject, genName(old.generated), genName(nw.generated))
	case nw.generated == "stored" && nw.expr != old.expr:
		return ruleColumnType, subject + " gets a new STORED expression"
	}
	if why := typeChange(old.typ, nw.typ, old.indexed); why != "" {
		return ruleColumnType, subject + " " + why
	}
	if old.notNull != nw.notNull {
		if nw.notNull {
			return ruleColumnNull, subject + " changes from NULL to NOT NULL"
		}
		return ruleColumnNull, subject + " changes from NOT NULL to NULL"
	}
	return "", ""
}

func genName(g string) string {
	if g == "" {
		return "a plain column"
	}
	return "a " + strings.ToUpper(g) + " generated column"
}

// typeChange says why changing type o into n (of a column in an index:
// indexed) copies the table, or "".
// The limits are MariaDB 10.11's, as the package's tests find them.
func typeChange(o, n colType, indexed bool) string {
	if o.base != n.base || o.unsigned != n.unsigned || o.zerofill != n.zerofill {
		return fmt.Sprintf("changes type from %s to %s", o, n)
	}
	switch o.base {
	case "varchar", "varbinary":
		ol, err1 := strconv.Atoi(first(o.args))
		nl, err2 := strconv.Atoi(first(n.args))
		if err1 != nil || err2 != nil {
			return fmt.Sprintf("changes type from %s to %s", o, n)
		}
		if nl < ol {
			return fmt.Sprintf("shrinks from %s to %s", o, n)
		}
		om, nm := maxBytes(o.charset), maxBytes(n.charset)
		if om == 0 || nm == 0 {
			return fmt.Sprintf("changes from %s to %s in a character set the lint does not know", o, n)
		}
		// One length byte up to 255 bytes, two above; lengths of at most
		// 127 bytes are stored in one byte either way.
		if ob, nb := ol*om, nl*nm; ob >= 128 && ob <= 255 && nb > 255 {
			return fmt.Sprintf("grows from %s (%d bytes) to %s (%d bytes), past 255 bytes", o, ob, n, nb)
		}
	case "enum", "set":
		if len(n.args) < len(o.args) || !slices.Equal(o.args, n.args[:len(o.args)]) {
			return fmt.Sprintf("changes its values from %s to %s (only appending is in place)", o, n)
		}
		if valueBytes(o.base, len(o.args)) != valueBytes(n.base, len(n.args)) {
			return fmt.Sprintf("grows from %s to %s, past the values one storage size holds", o, n)
		}
	default:
		if !slices.Equal(o.args, n.args) {
			return fmt.Sprintf("changes type from %s to %s", o, n)
		}
	}
	if slices.Contains(charTypes, o.base) {
		return charsetChange(o, n, indexed)
	}
	return ""
}

// charsetChange says why changing the character set or collation of a
// character column copies the table, or "".
func charsetChange(o, n colType, indexed bool) string {
	text := slices.Contains(textTypes, o.base)
	switch {
	case o.charset == n.charset && o.collation == n.collation:
		return ""
	case o.charset == "" || n.charset == "":
		return "may change its character set (the lint does not know the table's default)"
	case o.base == "enum" || o.base == "set":
		return fmt.Sprintf("changes the character set or collation of an %s column", strings.ToUpper(o.base))
	case text && indexed:
		return fmt.Sprintf("changes the character set or collation of an indexed %s column", strings.ToUpper(o.base))
	case o.charset == n.charset:
		return "" // a new collation of a (VAR)CHAR (its indexes are rebuilt online) or a TEXT
	case o.charset == "utf8mb3" && n.charset == "utf8mb4":
		return "" // the VARCHAR lengths are checked by typeChange
	}
	return fmt.Sprintf("changes its character set from %s to %s", o.charset, n.charset)
}

// valueBytes is the storage size of an ENUM or SET of n values.
func valueBytes(base string, n int) int {
	if base == "enum" {
		if n <= 255 {
			return 1
		}
		return 2
	}
	b := (n + 7) / 8
	if b > 4 {
		b = 8
	}
	return b
}

func first(ss []string) string {
	if len(ss) == 0 {
		return ""
	}
	return ss[0]
}

// tokText is toks as SQL text with single spaces, quotes put back.
func tokText(toks []token) string {
	var b strings.Builder
	for i, t := range toks {
		if i > 0 && !t.isPunct(")") && !t.isPunct(",") && !t.isPunct(".") &&
			!toks[i-1].isPunct("(") && !toks[i-1].isPunct(".") {
			b.WriteByte(' ')
		}
		switch t.kind {
		case tString:
			b.WriteString("'" + strings.ReplaceAll(t.text, "'", "''") + "'")
		case tIdent:
			b.WriteString("`" + strings.ReplaceAll(t.text, "`", "``") + "`")
		default:
			b.WriteString(t.text)
		}
	}
	return b.String()
}
