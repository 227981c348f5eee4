package migration

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// structureQueries read a schema's structure from information_schema, one
// line per table, column, index column, key column, foreign key and check;
// each starts with the table's name. The schema's own name is replaced by
// "." so that two physical copies of one logical database compare equal.
var structureQueries = []struct{ kind, query string }{
	{"table", `SELECT TABLE_NAME, '', CONCAT_WS(' ', TABLE_TYPE, ENGINE, TABLE_COLLATION, NULLIF(CREATE_OPTIONS, ''),
			IF(TABLE_COMMENT = '', NULL, CONCAT('comment=', QUOTE(TABLE_COMMENT))))
		FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?`},
	{"column", `SELECT TABLE_NAME, COLUMN_NAME, CONCAT_WS(' ', CONCAT('#', ORDINAL_POSITION), COLUMN_TYPE,
			IF(IS_NULLABLE = 'YES', 'NULL', 'NOT NULL'), CONCAT('default=', COALESCE(COLUMN_DEFAULT, 'none')),
			CONCAT('charset=', CHARACTER_SET_NAME), CONCAT('collate=', COLLATION_NAME), NULLIF(EXTRA, ''),
			IF(COLUMN_COMMENT = '', NULL, CONCAT('comment=', QUOTE(COLUMN_COMMENT))),
			IF(GENERATION_EXPRESSION IS NULL OR GENERATION_EXPRESSION = '', NULL, CONCAT('as=', GENERATION_EXPRESSION)))
		FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ?`},
	{"index", `SELECT TABLE_NAME, CONCAT(INDEX_NAME, ' #', SEQ_IN_INDEX), CONCAT_WS(' ', COLUMN_NAME,
			IF(NON_UNIQUE = 0, 'unique', NULL), CONCAT('part=', SUB_PART), INDEX_TYPE, CONCAT('order=', COLLATION))
		FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ?`},
	{"key", `SELECT TABLE_NAME, CONCAT(CONSTRAINT_NAME, ' #', ORDINAL_POSITION), CONCAT_WS(' ', COLUMN_NAME,
			CONCAT('-> ', IF(REFERENCED_TABLE_SCHEMA = TABLE_SCHEMA, '.', REFERENCED_TABLE_SCHEMA), '.', REFERENCED_TABLE_NAME, '.', REFERENCED_COLUMN_NAME))
		FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = ?`},
	{"foreign key", `SELECT TABLE_NAME, CONSTRAINT_NAME, CONCAT_WS(' ', CONCAT('-> ', REFERENCED_TABLE_NAME),
			CONCAT('unique=', UNIQUE_CONSTRAINT_NAME), CONCAT('match=', MATCH_OPTION), CONCAT('on update ', UPDATE_RULE), CONCAT('on delete ', DELETE_RULE))
		FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?`},
	{"check", `SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE
		FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?`},
}

// Structure is a schema's structure: for each table, its sorted lines such
// as "column soc_pct: #4 decimal(5,2) NOT NULL default=none ...". Two
// databases have the same tables, columns (type, nullability, default,
// character set), indexes, keys, foreign keys and checks exactly when their
// Structures are equal. Rows are not part of it.
type Structure map[string][]string

// Queryer is a *sql.DB, *sql.Conn or *sql.Tx.
type Queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// ReadStructure reads the structure of the physical database schema.
func ReadStructure(ctx context.Context, db Queryer, schema string) (Structure, error) {
	out := Structure{}
	for _, q := range structureQueries {
		rows, err := db.QueryContext(ctx, q.query, schema)
		if err != nil {
			return nil, fmt.Errorf("read the %s structure of %s: %w", q.kind, schema, err)
		}
		for rows.Next() {
			var table, name string
			var desc sql.NullString
			if err := rows.Scan(&table, &name, &desc); err != nil {
				_ = rows.Close()
				return nil, fmt.Errorf("read the %s structure of %s: %w", q.kind, schema, err)
			}
			line := q.kind
			if name != "" {
				line += " " + name
			}
			out[table] = append(out[table], line+": "+desc.String)
		}
		err = rows.Close()
		if err == nil {
			err = rows.Err()
		}
		if err != nil {
			return nil, fmt.Errorf("read the %s structure of %s: %w", q.kind, schema, err)
		}
	}
	for t := range out {
		slices.Sort(out[t])
	}
	return out, nil
}

// Lines returns the structure as one sorted list of "table: line" lines.
func (s Structure) Lines() []string {
	var out []string
	for _, t := range slices.Sorted(maps.Keys(s)) {
		for _, l := range s[t] {
			out = append(out, t+": "+l)
		}
	}
	return out
}

// TableDiff is how one table of a live database differs from what its
// migrations produce: lines only the migrations' table has (Missing) and
// lines only the live one has (Extra). A table the live database lacks has
// every line Missing; one it has in addition, every line Extra.
type TableDiff struct {
	Table          string
	Missing, Extra []string
}

// Diff compares live with want, table by table, in table order.
func Diff(want, live Structure) []TableDiff {
	tables := map[string]bool{}
	for t := range want {
		tables[t] = true
	}
	for t := range live {
		tables[t] = true
	}
	var out []TableDiff
	for _, t := range slices.Sorted(maps.Keys(tables)) {
		d := TableDiff{Table: t}
		for _, l := range want[t] {
			if !slices.Contains(live[t], l) {
				d.Missing = append(d.Missing, l)
			}
		}
		for _, l := range live[t] {
			if !slices.Contains(want[t], l) {
				d.Extra = append(d.Extra, l)
			}
		}
		if len(d.Missing)+len(d.Extra) > 0 {
			out = append(out, d)
		}
	}
	return out
}

// String renders the table's difference, one line per change, indented:
//
//	table battery_readings:
//	  - column power_w: #3 int(11) NOT NULL ...   (what the migrations give)
//	  + column power_w: #3 bigint(20) NOT NULL ...   (what the database has)
func (d TableDiff) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "table %s:", d.Table)
	for _, l := range d.Missing {
		fmt.Fprintf(&b, "\n  - %s", l)
	}
	for _, l := range d.Extra {
		fmt.Fprintf(&b, "\n  + %s", l)
	}
	return b.String()
}
