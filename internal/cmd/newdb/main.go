// Command newdb scaffolds a new database: its migrations, queries, the
// sqlc.yaml entry and a querytest file, then regenerates gen/. It is what
// `make new-db NAME=<name>` runs.
//
//	go run ./internal/cmd/newdb -name inverter [-root DIR] [-no-generate]
//
// The scaffold is one table, <name>_items, with the queries every
// database starts from (get, list by keyset, insert, update) and a second
// migration that adds a column, as docs/schema-conventions.md and the
// migration conformance test ask. Replace it with the real tables and
// queries, keeping the conventions; `make generate` and `make test` then
// take the new database like the others, with no count to change anywhere.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/solarhub/hubdb/internal/hubgen"
)

func main() {
	name := flag.String("name", "", "the new database's name: lowercase letters, digits and _, starting with a letter")
	root := flag.String("root", ".", "repository root (holds sqlc.yaml)")
	noGen := flag.Bool("no-generate", false, "write the files but do not run the generator")
	flag.Parse()
	if err := run(*root, *name, !*noGen); err != nil {
		fmt.Fprintln(os.Stderr, "new-db:", err)
		os.Exit(1)
	}
}

var validName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,30}$`)

func run(root, name string, generate bool) error {
	switch {
	case name == "":
		return errors.New("no name: run make new-db NAME=<name>")
	case !validName.MatchString(name):
		return fmt.Errorf("name %q: want lowercase letters, digits and _, starting with a letter, at most 31 characters", name)
	case token.Lookup(name).IsKeyword() || name == "gen" || name == "dbx":
		return fmt.Errorf("name %q cannot be a Go package name here", name)
	}
	for _, dir := range []string{"schema", "queries", "gen"} {
		if _, err := os.Stat(filepath.Join(root, dir, name)); err == nil {
			return fmt.Errorf("%s/%s exists: database %q is already there", dir, name, name)
		}
	}
	yamlPath := filepath.Join(root, "sqlc.yaml")
	yaml, err := os.ReadFile(yamlPath)
	if err != nil {
		return err
	}
	if bytes.Contains(yaml, []byte("name: "+name+"\n")) {
		return fmt.Errorf("sqlc.yaml already has an entry named %s", name)
	}
	files := map[string]string{
		filepath.Join("schema", name, "000001_init.up.sql"):        fill(initUp, name),
		filepath.Join("schema", name, "000001_init.down.sql"):      fill(initDown, name),
		filepath.Join("schema", name, "000002_item_note.up.sql"):   fill(noteUp, name),
		filepath.Join("schema", name, "000002_item_note.down.sql"): fill(noteDown, name),
		filepath.Join("queries", name, "items.sql"):                fill(queries, name),
		filepath.Join("querytest", name+"_test.go"):                fill(querytest, name),
	}
	for rel, body := range files {
		p := filepath.Join(root, rel)
		if _, err := os.Stat(p); err == nil {
			return fmt.Errorf("%s exists", rel)
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			return err
		}
		fmt.Println("wrote", rel)
	}
	if !bytes.HasSuffix(yaml, []byte("\n")) {
		yaml = append(yaml, '\n')
	}
	yaml = append(yaml, fill(sqlcEntry, name)...)
	if err := os.WriteFile(yamlPath, yaml, 0o644); err != nil {
		return err
	}
	fmt.Println("added", name, "to sqlc.yaml")
	if !generate {
		return nil
	}
	cmd := exec.Command("go", "run", "./internal/cmd/generate")
	cmd.Dir, cmd.Stdout, cmd.Stderr = root, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	fmt.Printf("generated gen/%s and the registry field; next: replace the scaffold's table and queries, make generate, make test\n", name)
	return nil
}

// fill replaces GONAME in a template with name's Go name and NAME with
// name.
func fill(tmpl, name string) string {
	return strings.ReplaceAll(strings.ReplaceAll(tmpl, "GONAME", hubgen.GoName(name)), "NAME", name)
}

const sqlcEntry = `  - <<: *db
    name: NAME
    schema: schema/NAME
    queries: queries/NAME
    gen:
      go:
        <<: *go
        package: NAME
        out: gen/NAME
`

const initUp = `-- NAME: the scaffold's first table (replace it with the real ones, keeping
-- docs/schema-conventions.md).
CREATE TABLE IF NOT EXISTS NAME_items (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  site_id BIGINT NOT NULL,
  name VARCHAR(128) NOT NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  UNIQUE KEY uq_NAME_items_site_name (site_id, name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
`

const initDown = `DROP TABLE IF EXISTS NAME_items;
`

const noteUp = `ALTER TABLE NAME_items ADD COLUMN IF NOT EXISTS note VARCHAR(255) NULL;
`

const noteDown = `ALTER TABLE NAME_items DROP COLUMN IF EXISTS note;
`

const queries = `-- name: GetItem :one
-- GetItem returns one item by id.
SELECT id, site_id, name, note, created_at FROM NAME_items WHERE id = sqlc.arg(id);

-- name: ListItemsBySite :many
-- ListItemsBySite pages through a site's items by id.
SELECT id, site_id, name, note, created_at FROM NAME_items
WHERE site_id = sqlc.arg(site_id) AND id > sqlc.arg(after_id)
ORDER BY id
LIMIT ?;

-- name: CreateItem :execlastid
-- CreateItem stores a new item and returns its id.
INSERT INTO NAME_items (site_id, name, note) VALUES (sqlc.arg(site_id), sqlc.arg(name), sqlc.narg(note));

-- name: SetItemNote :execrows
-- SetItemNote changes an item's note.
UPDATE NAME_items SET note = sqlc.narg(note) WHERE id = sqlc.arg(id);
`

const querytest = `package querytest_test

import (
	"database/sql"
	"testing"

	"github.com/solarhub/hubdb/gen/NAME"
	"github.com/solarhub/hubdb/hubtest"
)

// TestGONAMEQueries is the scaffold's test (make new-db): replace it with
// cases for the real queries.
func TestGONAMEQueries(t *testing.T) {
	db := hubtest.New(t, "NAME").DB("NAME")
	q := NAME.New(db)
	ctx := t.Context()

	id, err := q.CreateItem(ctx, NAME.CreateItemParams{SiteID: 7, Name: "first"})
	if err != nil {
		t.Fatal(err)
	}
	second, err := q.CreateItem(ctx, NAME.CreateItemParams{SiteID: 7, Name: "second", Note: sql.NullString{String: "n", Valid: true}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.CreateItem(ctx, NAME.CreateItemParams{SiteID: 7, Name: "first"}); err == nil {
		t.Error("a second item named first on site 7 was accepted")
	}
	it, err := q.GetItem(ctx, id)
	if err != nil || it.Name != "first" || it.SiteID != 7 || it.Note.Valid {
		t.Errorf("GetItem = %+v, %v", it, err)
	}
	page, err := q.ListItemsBySite(ctx, NAME.ListItemsBySiteParams{SiteID: 7, AfterID: id, Limit: 10})
	if err != nil || len(page) != 1 || page[0].ID != second {
		t.Errorf("ListItemsBySite after the first = %+v, %v; want the second only", page, err)
	}
	n, err := q.SetItemNote(ctx, NAME.SetItemNoteParams{ID: id, Note: sql.NullString{String: "x", Valid: true}})
	if err != nil || n != 1 {
		t.Errorf("SetItemNote = %d, %v; want 1 row", n, err)
	}
	if _, err := q.GetItem(ctx, 999); err != sql.ErrNoRows {
		t.Errorf("GetItem(999) = %v, want sql.ErrNoRows", err)
	}
}
`
