package migration_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/solarhub/hubdb/gen"
	"github.com/solarhub/hubdb/hubtest"
	"github.com/solarhub/hubdb/migration"
)

// TestVerify: a database as its migrations left it is clean; a hand-made
// ALTER (a changed column type, an added index, a dropped table) is
// reported table by table, naming what the migrations give and what the
// database has; the scratch database is gone afterwards.
func TestVerify(t *testing.T) {
	ctx := context.Background()
	d := hubtest.New(t, gen.NameESS, gen.NameSite)
	var m migration.Migrator
	for _, n := range d.Names() {
		drift, err := m.Verify(ctx, d.Target(n))
		if err != nil {
			t.Fatal(err)
		}
		if !drift.Clean() || drift.Version == 0 {
			t.Errorf("%s straight from its migrations: version %d, drift %v", n, drift.Version, drift.Tables)
		}
	}
	db := d.DB(gen.NameESS)
	for _, q := range []string{
		"ALTER TABLE battery_readings MODIFY power_w BIGINT NOT NULL",
		"CREATE INDEX ix_by_hand ON battery_states (device_id)",
		"DROP TABLE daily_cycles",
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	drift, err := m.Verify(ctx, d.Target(gen.NameESS))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, td := range drift.Tables {
		got[td.Table] = td.String()
	}
	if len(got) != 3 {
		t.Fatalf("drift in %d tables, want 3:\n%v", len(got), drift.Tables)
	}
	for table, want := range map[string][]string{
		"battery_readings": {"  - column power_w: ", "  + column power_w: ", " bigint(20) NOT NULL"},
		"battery_states":   {"  + index ix_by_hand #1: device_id"},
		"daily_cycles":     {"  - table: BASE TABLE InnoDB"},
	} {
		for _, w := range want {
			if !strings.Contains(got[table], w) {
				t.Errorf("the drift of %s does not say %q:\n%s", table, w, got[table])
			}
		}
	}
	if strings.Contains(got["daily_cycles"], "  + ") {
		t.Errorf("a dropped table shows lines the database has:\n%s", got["daily_cycles"])
	}
	var left int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?",
		strings.ReplaceAll(migration.ScratchPrefix, "_", `\_`)+"%\\_ess").Scan(&left); err != nil || left != 0 {
		t.Errorf("%d scratch databases left (%v)", left, err)
	}

	// No database to compare: an error that says so.
	missing := hubtest.Reserve(t, gen.NamePV)
	if _, err := m.Verify(ctx, missing.Target(gen.NamePV)); !errors.Is(err, migration.ErrMissingDatabase) {
		t.Errorf("verify of a missing database: %v, want ErrMissingDatabase", err)
	}
}
