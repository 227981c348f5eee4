package compat_test

import (
	"context"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/solarhub/hubdb/gen"
	"github.com/solarhub/hubdb/hubtest"
	"github.com/solarhub/hubdb/internal/compat"
	"github.com/solarhub/hubdb/schema"
)

var testBase = compat.Base{Commit: "0123456789abcdef0123456789abcdef01234567", Short: "0123456", How: "the test's"}

// withMigrations is schema.FS plus the files extra (path: contents), e.g. a
// later migration of one database.
func withMigrations(t *testing.T, extra map[string]string) fs.FS {
	t.Helper()
	m := fstest.MapFS{}
	err := fs.WalkDir(schema.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(schema.FS, p)
		m[p] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for p, text := range extra {
		m[p] = &fstest.MapFile{Data: []byte(text)}
	}
	return m
}

// TestHeadQueriesAgainstHeadSchema: every query of this checkout prepares
// (and explains) against this checkout's schema, every database of the
// registry counted.
func TestHeadQueriesAgainstHeadSchema(t *testing.T) {
	qs := headQueries(t)
	c := compat.Checker{Server: hubtest.Server(t)}
	res, err := c.Check(context.Background(), testBase, qs)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Findings {
		t.Errorf("%s", f)
	}
	if res.Queries != len(qs) || res.Databases != len(gen.Names) {
		t.Errorf("checked %d queries of %d databases, want %d of %d", res.Queries, res.Databases, len(qs), len(gen.Names))
	}
	t.Log(res.Summary())
}

// TestDroppedAndRenamedColumns: a migration that drops a column, and one
// that renames another, fail exactly the base queries that use them, each
// finding naming the query, the column and the fix.
func TestDroppedAndRenamedColumns(t *testing.T) {
	source := withMigrations(t, map[string]string{
		"site/000090_drop_commissioned_on.up.sql":   "ALTER TABLE sites DROP COLUMN commissioned_on;\n",
		"site/000090_drop_commissioned_on.down.sql": "ALTER TABLE sites ADD COLUMN commissioned_on DATE NULL;\n",
		"site/000091_rename_phone.up.sql":           "ALTER TABLE site_contacts RENAME COLUMN phone TO phone_number;\n",
		"site/000091_rename_phone.down.sql":         "ALTER TABLE site_contacts RENAME COLUMN phone_number TO phone;\n",
	})
	var qs []compat.Query
	for _, q := range headQueries(t) {
		if q.DB == gen.NameSite || q.DB == gen.NameAccount {
			qs = append(qs, q)
		}
	}
	// What MariaDB's prepare alone lets through: a DELETE's ORDER BY is
	// resolved at execution (EXPLAIN catches it).
	deleteOldest := compat.Query{DB: gen.NameSite, Name: "DeleteOldestSites", Kind: "execrows",
		SQL: "-- name: DeleteOldestSites :execrows\nDELETE FROM sites WHERE org_id = ? ORDER BY commissioned_on LIMIT ?\n"}
	qs = append(qs, deleteOldest)

	want := map[string]string{} // query ID -> the column its finding names
	for _, q := range qs {
		switch {
		case q.DB != gen.NameSite:
		case strings.Contains(q.SQL, "commissioned_on"):
			want[q.ID()] = "commissioned_on"
		case strings.Contains(q.SQL, "phone"):
			want[q.ID()] = "phone"
		}
	}
	for _, id := range []string{"site.CreateSite", "site.GetSite", "site.AddSiteContact", "site.ListSiteContacts", "site.DeleteOldestSites"} {
		if want[id] == "" {
			t.Fatalf("%s does not use a column the test drops or renames: pick others (want: %v)", id, want)
		}
	}

	c := compat.Checker{Server: hubtest.Server(t), Source: source}
	res, err := c.Check(context.Background(), testBase, qs)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range res.Findings {
		got[f.Query.ID()] = f.Column
		s := f.String()
		t.Logf("%s", s)
		for _, part := range []string{
			f.Query.ID() + " (base 0123456): ",
			"Unknown column '" + want[f.Query.ID()] + "'",
			"expand/contract", "keep the column", "drop it in a later release", compat.DocLink,
		} {
			if !strings.Contains(s, part) {
				t.Errorf("%s: the finding lacks %q", f.Query.ID(), part)
			}
		}
		if strings.Contains(s, "Error 1054") {
			t.Errorf("%s: the finding shows the error number: %s", f.Query.ID(), s)
		}
	}
	for id, col := range want {
		if got[id] != col && !strings.HasSuffix(got[id], "."+col) {
			t.Errorf("%s: finding's column %q, want %q", id, got[id], col)
		}
	}
	for id := range got {
		if want[id] == "" {
			t.Errorf("%s fails, but uses neither column", id)
		}
	}
	if res.Queries != len(qs) || res.Databases != 2 || len(res.Findings) != len(want) {
		t.Errorf("summary %q: want %d queries, 2 databases, %d fail", res.Summary(), len(qs), len(want))
	}
}

// TestDroppedTableAndDatabase: a base query of a table the new schema
// dropped, or of a database it no longer has, is a finding too.
func TestDroppedTableAndDatabase(t *testing.T) {
	source := withMigrations(t, map[string]string{
		"site/000090_drop_contacts.up.sql":   "DROP TABLE IF EXISTS site_contacts;\n",
		"site/000090_drop_contacts.down.sql": "SELECT 1;\n", // the test never goes down
	})
	qs := []compat.Query{
		{DB: gen.NameSite, Name: "ListContacts", SQL: "-- name: ListContacts :many\nSELECT id FROM site_contacts WHERE site_id = ?\n"},
		{DB: gen.NameSite, Name: "CountSites", SQL: "-- name: CountSites :one\nSELECT CAST(COUNT(*) AS SIGNED) FROM sites\n"},
		{DB: "legacy", Name: "GetThing", SQL: "-- name: GetThing :one\nSELECT 1\n"},
	}
	res, err := (&compat.Checker{Server: hubtest.Server(t), Source: source}).Check(context.Background(), testBase, qs)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, f := range res.Findings {
		ids = append(ids, f.Query.ID())
		t.Logf("%s", f)
	}
	if !slices.Equal(ids, []string{"site.ListContacts", "legacy.GetThing"}) {
		t.Fatalf("findings %v, want site.ListContacts and legacy.GetThing", ids)
	}
	if f := res.Findings[0]; !strings.HasSuffix(f.Table, ".site_contacts") || !strings.Contains(f.Fix(), "keep the table") {
		t.Errorf("dropped table: table %q, fix %q", f.Table, f.Fix())
	}
	if f := res.Findings[1]; !strings.Contains(f.Message(), "database legacy is not in the new schema") {
		t.Errorf("missing database: %q", f.Message())
	}
}

// TestAmbiguousColumn: a column added to a table that a base query joins
// makes the query's unqualified column of that name ambiguous; the
// finding says so, and the fix is not "keep the column".
func TestAmbiguousColumn(t *testing.T) {
	source := withMigrations(t, map[string]string{
		"site/000090_contact_timezone.up.sql":   "ALTER TABLE site_contacts ADD COLUMN IF NOT EXISTS timezone VARCHAR(64) NULL;\n",
		"site/000090_contact_timezone.down.sql": "ALTER TABLE site_contacts DROP COLUMN IF EXISTS timezone;\n",
	})
	q := compat.Query{DB: gen.NameSite, Name: "ListContactTimezones", Kind: "many",
		SQL: "-- name: ListContactTimezones :many\nSELECT site_contacts.email, timezone FROM site_contacts JOIN sites ON sites.id = site_contacts.site_id WHERE sites.org_id = ? LIMIT ?\n"}
	res, err := (&compat.Checker{Server: hubtest.Server(t), Source: source}).Check(context.Background(), testBase, []compat.Query{q})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 1 {
		t.Fatalf("findings %v, want 1", res.Findings)
	}
	f := res.Findings[0]
	t.Logf("%s", f)
	if f.Column != "timezone" || !strings.Contains(f.Message(), "ambiguous") || !strings.Contains(f.Fix(), "qualify") || strings.Contains(f.Fix(), "keep the column") {
		t.Errorf("column %q, message %q, fix %q", f.Column, f.Message(), f.Fix())
	}
	if s := res.Summary(); !strings.Contains(s, "1 query of 1 database checked") || !strings.HasSuffix(s, ", 1 fail") {
		t.Errorf("summary %q", s)
	}
}
