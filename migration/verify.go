package migration

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/golang-migrate/migrate/v4"
)

// ScratchPrefix begins the name of the scratch database Verify migrates
// and drops beside the one it checks: _hubdb_verify_<random>_<db>. No
// database of hubdb's configuration can have it (prefixes begin with a
// letter), so the scratch never collides with a real one; the user running
// Verify needs CREATE and DROP on it.
const ScratchPrefix = "_hubdb_verify_"

// Drift is how a database's live structure differs from what its embedded
// migrations produce at the database's version.
type Drift struct {
	// Name and Schema are the database's logical and physical names.
	Name, Schema string
	// Version is the database's version, the one the scratch database was
	// migrated to.
	Version uint
	// Tables are the tables that differ, in name order; none when the
	// database matches its migrations.
	Tables []TableDiff
}

// Clean reports whether the database matches its migrations.
func (d Drift) Clean() bool { return len(d.Tables) == 0 }

// Verify compares the live structure of the target (tables, columns with
// their types, defaults and nullability, indexes, keys, foreign keys,
// checks) with the structure the migrations give at the target's version:
// it migrates a scratch database (ScratchPrefix) on the same server to that
// version, reads both and drops the scratch again. A missing or dirty
// database is an error (there is no version to compare with), as is a
// version no migration file has.
func (m *Migrator) Verify(ctx context.Context, t Target) (Drift, error) {
	st, err := m.Status(ctx, t)
	d := Drift{Name: t.Name, Schema: st.Schema, Version: st.Version}
	switch {
	case err != nil:
		return d, err
	case !st.Exists:
		return d, &Error{DB: t.Name, Schema: st.Schema, Op: "verify", Err: ErrMissingDatabase,
			Fix: fmt.Sprintf("create it with \"hubdb migrate up --db %s\", or check HUBDB_DB_PREFIX and the DSN", t.Name)}
	case st.Dirty:
		return d, &Error{DB: t.Name, Schema: st.Schema, Op: "verify", Err: ErrDirty,
			Fix: "repair the failed migration and record the version with \"hubdb migrate force V\" first"}
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	scratch := Target{Name: t.Name, Schema: ScratchPrefix + hex.EncodeToString(b) + "_" + t.Name, Server: t.Server}
	defer m.dropScratch(ctx, scratch)
	if err := m.run(ctx, scratch, "verify", true, always, func(mg *migrate.Migrate) error {
		if st.Version == 0 {
			return nil
		}
		return mg.Migrate(st.Version)
	}); err != nil {
		return d, fmt.Errorf("migration: verify %s: migrate the scratch database %s to version %d: %w", t.Name, scratch.Schema, st.Version, err)
	}
	s, err := connect(ctx, t.Server, false)
	if err != nil {
		return d, classify(t, "verify", err, m.source())
	}
	defer s.close()
	want, err := ReadStructure(ctx, s.conn, scratch.Schema)
	if err != nil {
		return d, classify(t, "verify", err, m.source())
	}
	live, err := ReadStructure(ctx, s.conn, st.Schema)
	if err != nil {
		return d, classify(t, "verify", err, m.source())
	}
	// The history and the Galera lock table are hubdb's bookkeeping, not
	// the schema: a database migrated before they existed has none until
	// its next run.
	delete(want, HistoryTable)
	delete(live, HistoryTable)
	delete(want, LockTable)
	delete(live, LockTable)
	d.Tables = Diff(want, live)
	return d, nil
}

// dropScratch drops Verify's scratch database, also when ctx has ended.
func (m *Migrator) dropScratch(ctx context.Context, scratch Target) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	s, err := connect(ctx, scratch.Server, false)
	if err != nil {
		return
	}
	defer s.close()
	_, _ = s.conn.ExecContext(ctx, "DROP DATABASE IF EXISTS "+quoteIdent(scratch.Schema))
}
