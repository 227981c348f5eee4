package hubgen

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/solarhub/hubdb/schema"
)

func TestSQLType(t *testing.T) {
	for def, want := range map[string]string{
		"DECIMAL(12,1) NOT NULL COMMENT 'x'":                "DECIMAL(12,1)",
		"ENUM('idle','fault') NOT NULL":                     "ENUM('idle','fault')",
		"bigint unsigned NOT NULL":                          "BIGINT UNSIGNED",
		"DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)": "DATETIME(6)",
		"ENUM('a (b)','c') NULL":                            "ENUM('a (b)','c')",
	} {
		if got := sqlType(def); got != want {
			t.Errorf("sqlType(%q) = %q, want %q", def, got, want)
		}
	}
}

// TestEveryDatabaseDocumented: every database of schema/ has a generated
// package doc naming its tables, and every decimal or enum field of its
// models says its SQL type (so no struct went unmatched to its table).
func TestEveryDatabaseDocumented(t *testing.T) {
	names, err := schema.Databases(schema.FS)
	if err != nil {
		t.Fatal(err)
	}
	field := regexp.MustCompile("^\\t\\w+\\s+(\\S+)\\s+`json:\"\\w+\"`$")
	for _, db := range names {
		desc, cols, err := Schema(filepath.Join("../../schema", db))
		if err != nil || len(cols) == 0 || desc == "" {
			t.Errorf("%s: description %q, %d columns, %v", db, desc, len(cols), err)
			continue
		}
		doc, err := os.ReadFile(filepath.Join("../../gen", db, "doc.go"))
		if err != nil || !strings.Contains(string(doc), "// Package "+db+" ") || !strings.Contains(string(doc), cols[0].Table) {
			t.Errorf("%s: gen/%s/doc.go missing or without its tables: %v", db, db, err)
		}
		models, err := os.ReadFile(filepath.Join("../../gen", db, "models.go"))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(models), "\n")
		for i, l := range lines {
			m := field.FindStringSubmatch(l)
			if m == nil || !strings.HasPrefix(m[1], "decimal.") {
				continue
			}
			if i == 0 || !strings.HasPrefix(strings.TrimSpace(lines[i-1]), "// SQL DECIMAL(") {
				t.Errorf("%s: models.go:%d: %s has no SQL type comment", db, i+1, strings.TrimSpace(l))
			}
		}
	}
}
