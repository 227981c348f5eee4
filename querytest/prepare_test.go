package querytest_test

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/solarhub/hubdb/hubtest"
	"github.com/solarhub/hubdb/schema"
)

// generatedQueries returns the SQL text of every query sqlc generated into
// gen/<db>, keyed by query name, read from the generated files' constants.
func generatedQueries(t *testing.T, db string) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "gen", db, "*.sql.go"))
	if err != nil {
		t.Fatal(err)
	}
	queries := map[string]string{}
	fset := token.NewFileSet()
	for _, file := range files {
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, v := range vs.Values {
					lit, ok := v.(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						continue
					}
					text, err := strconv.Unquote(lit.Value)
					if err != nil || !strings.HasPrefix(text, "-- name: ") {
						continue
					}
					queries[vs.Names[i].Name] = text
				}
			}
		}
	}
	return queries
}

// TestEveryQueryPrepares prepares every generated query of every database on
// the server, against freshly migrated databases: a query that refers to a
// column or table the migrations do not create fails here, not in
// production. `make check` runs it.
func TestEveryQueryPrepares(t *testing.T) {
	names, err := schema.Databases(schema.FS)
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Fatal("no databases under schema/")
	}
	d := hubtest.New(t, names...)
	total := 0
	for _, name := range names {
		queries := generatedQueries(t, name)
		if len(queries) == 0 {
			t.Errorf("%s: no generated queries in gen/%s", name, name)
		}
		total += len(queries)
		db := d.DB(name)
		t.Run(name, func(t *testing.T) {
			for qname, text := range queries {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				stmt, err := db.PrepareContext(ctx, text)
				cancel()
				if err != nil {
					t.Errorf("%s.%s does not prepare: %v", name, qname, err)
					continue
				}
				_ = stmt.Close()
			}
		})
	}
	t.Logf("prepared %d queries across %d databases", total, len(names))
	if _, err := os.Stat(filepath.Join("..", "gen", "hub.go")); err != nil {
		t.Errorf("gen/hub.go: %v (run make generate)", err)
	}
}
