package testdb

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// snapshotQueries read a schema's structure from information_schema; every
// column is rendered as text and the schema's own name is replaced by "."
// so that two physical copies of one logical database compare equal. The
// version table's structure is included, its rows are not.
var snapshotQueries = []struct{ name, query string }{
	{"table", `SELECT TABLE_NAME, TABLE_TYPE, ENGINE, TABLE_COLLATION, CREATE_OPTIONS, TABLE_COMMENT
		FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?`},
	{"column", `SELECT TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, COLUMN_DEFAULT, IS_NULLABLE, COLUMN_TYPE,
		CHARACTER_SET_NAME, COLLATION_NAME, COLUMN_KEY, EXTRA, COLUMN_COMMENT, GENERATION_EXPRESSION
		FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ?`},
	{"index", `SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, COLUMN_NAME, SUB_PART, NULLABLE, INDEX_TYPE, COLLATION
		FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ?`},
	{"key", `SELECT CONSTRAINT_NAME, TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, POSITION_IN_UNIQUE_CONSTRAINT,
		IF(REFERENCED_TABLE_SCHEMA = TABLE_SCHEMA, '.', REFERENCED_TABLE_SCHEMA), REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME
		FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = ?`},
	{"fk", `SELECT CONSTRAINT_NAME, TABLE_NAME, REFERENCED_TABLE_NAME, UNIQUE_CONSTRAINT_NAME, MATCH_OPTION, UPDATE_RULE, DELETE_RULE
		FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?`},
	{"check", `SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE
		FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?`},
}

// Snapshot returns the structure of the physical database schema as
// sorted lines, one per row of snapshotQueries.
func Snapshot(t testing.TB, db *sql.DB, schema string) []string {
	t.Helper()
	ctx := context.Background()
	var lines []string
	for _, q := range snapshotQueries {
		rows, err := db.QueryContext(ctx, q.query, schema)
		if err != nil {
			t.Fatalf("snapshot %s of %s: %v", q.name, schema, err)
		}
		cols, _ := rows.Columns()
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatalf("snapshot %s of %s: %v", q.name, schema, err)
			}
			parts := []string{q.name}
			for _, v := range vals {
				if v.Valid {
					parts = append(parts, v.String)
				} else {
					parts = append(parts, "NULL")
				}
			}
			lines = append(lines, strings.Join(parts, "|"))
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("snapshot %s of %s: %v", q.name, schema, err)
		}
		_ = rows.Close()
	}
	slices.Sort(lines)
	return lines
}

// DiffSnapshots describes how got differs from want, or returns "" when equal.
func DiffSnapshots(want, got []string) string {
	if slices.Equal(want, got) {
		return ""
	}
	var b strings.Builder
	for _, l := range want {
		if !slices.Contains(got, l) {
			fmt.Fprintf(&b, "\n  - %s", l)
		}
	}
	for _, l := range got {
		if !slices.Contains(want, l) {
			fmt.Fprintf(&b, "\n  + %s", l)
		}
	}
	if b.Len() == 0 {
		fmt.Fprintf(&b, "\n  same rows, different counts: %d before, %d after", len(want), len(got))
	}
	return b.String()
}
