package main

import (
	"bytes"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestScaffold runs newdb without the generator into an empty tree: it
// writes the migrations, the queries, the querytest file and the sqlc.yaml
// entry; the querytest file is gofmt-clean and gets its database from
// package hubtest the way every querytest file of the repository does.
func TestScaffold(t *testing.T) {
	root := t.TempDir()
	yaml := filepath.Join(root, "sqlc.yaml")
	if err := os.WriteFile(yaml, []byte("version: \"2\"\nsql:\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run(root, "inverter", false); err != nil {
		t.Fatal(err)
	}
	for _, rel := range []string{
		"schema/inverter/000001_init.up.sql", "schema/inverter/000001_init.down.sql",
		"schema/inverter/000002_item_note.up.sql", "schema/inverter/000002_item_note.down.sql",
		"queries/inverter/items.sql", "querytest/inverter_test.go",
	} {
		if _, err := os.Stat(filepath.Join(root, rel)); err != nil {
			t.Errorf("%s: %v", rel, err)
		}
	}
	if b, err := os.ReadFile(yaml); err != nil || !bytes.Contains(b, []byte("name: inverter\n")) {
		t.Errorf("sqlc.yaml has no entry for inverter (%v):\n%s", err, b)
	}

	path := filepath.Join(root, "querytest", "inverter_test.go")
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if formatted, err := format.Source(src); err != nil || !bytes.Equal(formatted, src) {
		t.Errorf("the querytest file is not gofmt-clean (%v):\n%s", err, src)
	}
	imports := importsOf(t, path)
	for _, want := range []string{"github.com/solarhub/hubdb/gen/inverter", "github.com/solarhub/hubdb/hubtest"} {
		if !slices.Contains(imports, want) {
			t.Errorf("the querytest file does not import %s: %v", want, imports)
		}
	}
	for _, imp := range imports {
		if strings.Contains(imp, "/internal/") {
			t.Errorf("the querytest file imports %s: querytest files use the public kit", imp)
		}
	}

	// The repository's querytest files, one per database, each open their
	// database with this call; the scaffold must too.
	files, err := filepath.Glob(filepath.Join("..", "..", "..", "querytest", "*_test.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no querytest files (%v)", err)
	}
	open := func(db string) string { return `hubtest.New(t, "` + db + `").DB("` + db + `")` }
	checked := 0
	for _, f := range files {
		db := strings.TrimSuffix(filepath.Base(f), "_test.go")
		if _, err := os.Stat(filepath.Join("..", "..", "..", "schema", db)); err != nil {
			continue // not a database's file (prepare_test.go)
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(b, []byte(open(db))) {
			t.Errorf("%s does not open its database with %s: update the scaffold and this test together", f, open(db))
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no querytest file of a database found")
	}
	if !bytes.Contains(src, []byte(open("inverter"))) {
		t.Errorf("the scaffold does not open its database with %s:\n%s", open("inverter"), src)
	}
}

// TestRefuses: a bad name, or a database that is already there, writes
// nothing.
func TestRefuses(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "sqlc.yaml"), []byte("sql:\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "schema", "ess"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"", "Inverter", "1x", "func", "gen", "ess"} {
		if err := run(root, name, false); err == nil {
			t.Errorf("run(%q) succeeded", name)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "querytest")); !os.IsNotExist(err) {
		t.Errorf("a refused run wrote querytest/ (%v)", err)
	}
}

func importsOf(t *testing.T, path string) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range f.Imports {
		p, _ := strconv.Unquote(s.Path.Value)
		out = append(out, p)
	}
	return out
}
