package testdb

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/solarhub/hubdb/migration"
)

// Snapshot returns the structure of the physical database schema as
// sorted lines (migration.ReadStructure's, "table: line"), failing the
// test on an error. The version table's structure is included, its rows
// are not.
func Snapshot(t testing.TB, db *sql.DB, schema string) []string {
	t.Helper()
	s, err := migration.ReadStructure(context.Background(), db, schema)
	if err != nil {
		t.Fatalf("snapshot of %s: %v", schema, err)
	}
	return s.Lines()
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
