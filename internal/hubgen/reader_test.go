package hubgen

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/solarhub/hubdb/schema"
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		sql  string
		want Kind
	}{
		{"-- name: A :one\nSELECT * FROM t WHERE id = ?", Reads},
		{"-- name: A :many\n/* comment */ select a from t", Reads},
		{"-- name: A :many\n(SELECT a FROM t) UNION (SELECT b FROM u)", Reads},
		{"-- name: A :one\nWITH x AS (SELECT 1) SELECT * FROM x", Reads},
		{"-- name: A :one\nSELECT 'FOR UPDATE' FROM t", Reads}, // inside a string
		{"-- name: A :one\nSELECT a FROM t WHERE id = ? FOR UPDATE", Writes},
		{"-- name: A :one\nSELECT a FROM t WHERE id = ? FOR SHARE", Writes},
		{"-- name: A :one\nSELECT a FROM t LOCK IN SHARE MODE", Writes},
		{"-- name: A :one\nselect a from t for update skip locked", Writes},
		{"-- name: A :exec\nINSERT INTO t (a) VALUES (?) ON DUPLICATE KEY UPDATE a = VALUES(a)", Writes},
		{"-- name: A :exec\nUPDATE t SET a = ?", Writes},
		{"-- name: A :execrows\nDELETE FROM t WHERE a < ?", Writes},
		{"-- name: A :exec\nREPLACE INTO t VALUES (?)", Writes},
	} {
		got, err := Classify("A", tc.sql)
		if err != nil || got != tc.want {
			t.Errorf("Classify(%q) = %v, %v; want %v", tc.sql, got, err, tc.want)
		}
	}
	for _, sql := range []string{
		"-- name: Odd :exec\nCALL refresh(?)",
		"-- name: Odd :exec\nWITH x AS (SELECT 1) UPDATE t SET a = 1",
		"-- name: Odd :exec\n",
	} {
		if _, err := Classify("Odd", sql); err == nil || !strings.Contains(err.Error(), "Odd") {
			t.Errorf("Classify(%q) = %v; want an error naming the query", sql, err)
		}
	}
}

// TestEveryQueryClassified: every query of every database (as many as
// queries/ has "-- name:" headers) is classified, each database has at
// least one reading query in its Reader, and the generated reader.go is
// what Reader produces.
func TestEveryQueryClassified(t *testing.T) {
	names, err := schema.Databases(schema.FS)
	if err != nil {
		t.Fatal(err)
	}
	header := regexp.MustCompile(`(?m)^-- name: \w+`)
	total, classified := 0, 0
	for _, db := range names {
		files, _ := filepath.Glob(filepath.Join("../../queries", db, "*.sql"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			total += len(header.FindAll(b, -1))
		}
		dir := filepath.Join("../../gen", db)
		code, queries, err := Reader(dir)
		if err != nil {
			t.Fatalf("%s: %v", db, err)
		}
		classified += len(queries)
		reads := 0
		for _, q := range queries {
			if q.Kind == Reads {
				reads++
			}
		}
		if reads == 0 {
			t.Errorf("%s: no reading query: its Reader is empty", db)
		}
		if have, err := os.ReadFile(filepath.Join(dir, "reader.go")); err != nil || string(have) != string(code) {
			t.Errorf("%s: gen/%s/reader.go is missing or stale (run make generate): %v", db, db, err)
		}
	}
	if total == 0 || classified != total {
		t.Errorf("%d queries classified of %d in queries/", classified, total)
	}
}

// TestReaderRefusesAnUnclassifiableQuery: generation fails naming the
// query it cannot classify.
func TestReaderRefusesAnUnclassifiableQuery(t *testing.T) {
	dir := t.TempDir()
	src := "package x\n\nimport \"context\"\n\nconst refresh = `-- name: Refresh :exec\nCALL refresh()`\n\n" +
		"type Querier interface {\n\tRefresh(ctx context.Context) error\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "q.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Reader(dir); err == nil || !strings.Contains(err.Error(), "query Refresh") {
		t.Errorf("Reader = %v; want an error naming Refresh", err)
	}
}

func TestSplitInsert(t *testing.T) {
	head, tuple, tail, err := splitInsert("-- name: Up :exec\nINSERT INTO t (a, b) VALUES (?, COALESCE(?, 0)) ON DUPLICATE KEY UPDATE b = VALUES(b);")
	if err != nil || head != "-- name: Up :exec\nINSERT INTO t (a, b) VALUES " || tuple != "(?, COALESCE(?, 0))" ||
		tail != " ON DUPLICATE KEY UPDATE b = VALUES(b)" {
		t.Errorf("splitInsert = %q %q %q %v", head, tuple, tail, err)
	}
	if _, _, _, err := splitInsert("UPDATE t SET a = ?"); err == nil {
		t.Error("an UPDATE split as an INSERT")
	}
}

// TestBatchesRefuseAMarkedNonInsert: a query marked for a batch method that
// is not an INSERT … VALUES fails generation, naming it.
func TestBatchesRefuseAMarkedNonInsert(t *testing.T) {
	dir := t.TempDir()
	src := "package x\n\nimport \"context\"\n\nconst bump = `-- name: Bump :exec\nUPDATE t SET a = a + ? WHERE id = ?`\n\n" +
		"type BumpParams struct{ A, ID int64 }\n\n// Bump adds.\n// hubdb:batch\n" +
		"func (q *Queries) Bump(ctx context.Context, arg BumpParams) error {\n\t_, err := q.db.ExecContext(ctx, bump, arg.A, arg.ID)\n\treturn err\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "q.sql.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Batches(dir); err == nil || !strings.Contains(err.Error(), "query Bump") {
		t.Errorf("Batches = %v; want an error naming Bump", err)
	}
}
