package testdb_test

import (
	"context"
	"testing"

	"github.com/solarhub/hubdb/internal/testdb"
	"github.com/solarhub/hubdb/schema"
)

// TestNewMigratesAndDrops checks that New gives a migrated database and that
// the cleanup drops it.
func TestNewMigratesAndDrops(t *testing.T) {
	names, err := schema.Databases(schema.FS)
	if err != nil || len(names) == 0 {
		t.Fatalf("schema.Databases: %v %v", names, err)
	}
	name := names[0]
	var schemaName string
	t.Run("inner", func(t *testing.T) {
		db := testdb.New(t, name)
		if err := db.QueryRowContext(context.Background(), "SELECT DATABASE()").Scan(&schemaName); err != nil {
			t.Fatal(err)
		}
		var version int
		var dirty bool
		if err := db.QueryRowContext(context.Background(), "SELECT version, dirty FROM schema_migrations").Scan(&version, &dirty); err != nil {
			t.Fatal(err)
		}
		if version < 1 || dirty {
			t.Fatalf("%s at version %d dirty %v, want migrated and clean", schemaName, version, dirty)
		}
	})
	db := testdb.Open(t, "")
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", schemaName).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("%s still exists after the test that created it ended", schemaName)
	}
}
