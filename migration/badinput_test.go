package migration_test

import (
	"context"
	"fmt"
	"testing"
	"testing/fstest"

	"github.com/solarhub/hubdb/migration"
)

// TestSyntaxError applies a migration whose only statement is not valid
// SQL: the error names the database, the file, the server's complaint and
// the force command; after fixing the file and following the advice, up
// succeeds.
func TestSyntaxError(t *testing.T) {
	fsys := goodFS()
	fsys["demo/000002_b.up.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLEE b (id BIGINT NOT NULL PRIMARY KEY);")}
	m := migration.Migrator{Source: fsys}
	target := emptyDemo(t, fsys).Target("demo")
	ctx := context.Background()

	wantError(t, m.Up(ctx, target), migration.ErrFailed, "migrate up demo", "(database "+target.Schema+")",
		"demo/000002_b.up.sql", "Error 1064", "syntax", `hubdb migrate force 1 --db demo`)
	wantStatus(t, &m, target, true, 2, true)

	m.Source = goodFS()
	if err := m.Force(ctx, target, 1); err != nil {
		t.Fatalf("force 1: %v", err)
	}
	if err := m.Up(ctx, target); err != nil {
		t.Fatalf("up after fixing the file: %v", err)
	}
	wantStatus(t, &m, target, true, 2, false)
}

// TestBrokenDown reverts through a down migration that fails after its
// first statement. golang-migrate records the version it was going to
// (one below), so the error must name the down file that failed and tell
// the operator to force the version the schema is still at, not the one
// recorded. Following the advice, down succeeds.
func TestBrokenDown(t *testing.T) {
	for _, tt := range []struct {
		name    string
		file    string // the broken down file
		dirtyAt uint   // the version left in the table (0: none recorded)
		force   uint   // what the error must say to force
	}{
		{name: "second migration", file: "000002_b.down.sql", dirtyAt: 1, force: 2},
		{name: "first migration", file: "000001_a.down.sql", dirtyAt: 0, force: 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			broken := goodFS()
			broken["demo/"+tt.file] = &fstest.MapFile{Data: []byte("DO 1;\nDROP TABLEE nope;")}
			m := migration.Migrator{Source: broken}
			target := emptyDemo(t, broken).Target("demo")
			ctx := context.Background()
			if err := m.Up(ctx, target); err != nil {
				t.Fatal(err)
			}
			wantError(t, m.Down(ctx, target), migration.ErrFailed, "migrate down demo", "demo/"+tt.file,
				"Error 1064", fmt.Sprintf(`hubdb migrate force %d --db demo`, tt.force))
			wantStatus(t, &m, target, true, tt.dirtyAt, true)
			// Later runs cannot tell which way the failed migration ran,
			// so their advice covers the down case too.
			wantError(t, m.Down(ctx, target), migration.ErrDirty, "migrate down demo",
				fmt.Sprintf("force %d --db demo", tt.force))

			m.Source = goodFS()
			if err := m.Force(ctx, target, tt.force); err != nil {
				t.Fatalf("force %d: %v", tt.force, err)
			}
			if err := m.Down(ctx, target); err != nil {
				t.Fatalf("down after the advice: %v", err)
			}
			wantStatus(t, &m, target, true, 0, false)
		})
	}
}

// TestVersionNotInSource: the database records a version that no file
// has, because a newer hubdb migrated it or a migration file was removed
// or renumbered. Every operation except force refuses with an error that
// names the database, the recorded version, the files' versions and the
// way out, and changes nothing; force to a known version is the way out.
func TestVersionNotInSource(t *testing.T) {
	for _, tt := range []struct {
		name   string
		source fstest.MapFS // what the migrator sees after the database reached version 2
		record uint         // the version written into the table
		force  uint         // the version the error says to force
		after  uint         // the version after force and up
		parts  []string
	}{
		{
			name: "newer version", source: goodFS(), record: 5, force: 2, after: 2,
			parts: []string{"records version 5", "available: 1, 2", "newer hubdb", "hubdb migrate force 2 --db demo"},
		},
		{
			name: "file removed", record: 2, force: 1, after: 3,
			source: sqlFS("demo", map[string]string{
				"000001_a.up.sql": "SELECT 1;", "000001_a.down.sql": "SELECT 1;",
				"000003_c.up.sql": "SELECT 1;", "000003_c.down.sql": "SELECT 1;",
			}),
			parts: []string{"records version 2", "available: 1, 3", "removed or renumbered", "hubdb migrate force 1 --db demo"},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := migration.Migrator{Source: goodFS()}
			d := emptyDemo(t, m.Source)
			target := d.Target("demo")
			ctx := context.Background()
			if err := m.Up(ctx, target); err != nil {
				t.Fatal(err)
			}
			db := d.DB("demo")
			if _, err := db.ExecContext(ctx, "UPDATE schema_migrations SET version = ?", tt.record); err != nil {
				t.Fatal(err)
			}
			m.Source = tt.source
			for op, err := range map[string]error{
				"up":       m.Up(ctx, target),
				"down":     m.Down(ctx, target),
				"steps -1": m.Steps(ctx, target, -1),
				"goto 1":   m.Goto(ctx, target, 1),
			} {
				wantError(t, err, migration.ErrUnknownVersion, append([]string{"migrate " + op + " demo", target.Schema}, tt.parts...)...)
			}
			wantStatus(t, &m, target, true, tt.record, false)
			if err := m.Force(ctx, target, tt.force); err != nil {
				t.Fatalf("force %d: %v", tt.force, err)
			}
			if err := m.Up(ctx, target); err != nil {
				t.Fatalf("up after force: %v", err)
			}
			wantStatus(t, &m, target, true, tt.after, false)
		})
	}
}
