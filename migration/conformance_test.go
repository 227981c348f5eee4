package migration_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/solarhub/hubdb/hubtest"
	"github.com/solarhub/hubdb/internal/testdb"
	"github.com/solarhub/hubdb/migration"
	"github.com/solarhub/hubdb/schema"
)

// TestConformance migrates every database of the embedded schema up, down
// to zero and up again, and checks after each step the version, the dirty
// flag and the tables left; the schema after the round trip must equal the
// schema after the first up.
func TestConformance(t *testing.T) {
	names, err := schema.Databases(schema.FS)
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Fatal("schema.FS holds no database")
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			d := hubtest.Empty(t, name)
			target := d.Target(name)
			var m migration.Migrator
			versions, err := migration.Versions(schema.FS, name)
			if err != nil {
				t.Fatal(err)
			}
			if len(versions) < 2 {
				t.Errorf("%s has %d migrations, want at least 2", name, len(versions))
			}
			latest := versions[len(versions)-1]

			if err := m.Up(ctx, target); err != nil {
				t.Fatalf("up: %v", err)
			}
			wantStatus(t, &m, target, true, latest, false)
			db := d.DB(name)
			before := testdb.Snapshot(t, db, target.Schema)
			if len(tables(before)) < 2 { // the version table and at least one other
				t.Fatalf("after up, tables %v", tables(before))
			}

			if err := m.Down(ctx, target); err != nil {
				t.Fatalf("down: %v", err)
			}
			wantStatus(t, &m, target, true, 0, false)
			if got, want := tables(testdb.Snapshot(t, db, target.Schema)), []string{migration.VersionTable, migration.HistoryTable}; !sameSet(got, want) {
				t.Errorf("after down, tables %v; want only %v", got, want)
			}

			if err := m.Up(ctx, target); err != nil {
				t.Fatalf("up again: %v", err)
			}
			wantStatus(t, &m, target, true, latest, false)
			if diff := testdb.DiffSnapshots(before, testdb.Snapshot(t, db, target.Schema)); diff != "" {
				t.Errorf("schema after up, down, up differs from the first up:%s", diff)
			}
		})
	}
}

// wantStatus checks a target's status.
func wantStatus(t *testing.T, m *migration.Migrator, target migration.Target, exists bool, version uint, dirty bool) {
	t.Helper()
	st, err := m.Status(context.Background(), target)
	if err != nil {
		t.Fatalf("status: %v", err)
	}
	if st.Exists != exists || st.Version != version || st.Dirty != dirty {
		t.Fatalf("status = exists %v version %d dirty %v; want %v %d %v", st.Exists, st.Version, st.Dirty, exists, version, dirty)
	}
}

// tables returns the table names of a snapshot.
func tables(snap []string) []string {
	var out []string
	for _, l := range snap { // "<table>: table: ..."
		if name, rest, ok := strings.Cut(l, ": "); ok && strings.HasPrefix(rest, "table: ") {
			out = append(out, name)
		}
	}
	return out
}

// sameSet reports whether a and b hold the same strings.
func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
