package migration

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"sort"

	"github.com/golang-migrate/migrate/v4/source"
)

// Status is where one database stands.
type Status struct {
	// Name is the logical database name, Schema the physical one.
	Name, Schema string
	// Exists reports whether the database exists on the server.
	Exists bool
	// Version is the applied version, 0 when none is.
	Version uint
	// Latest is the newest version available in the source.
	Latest uint
	// Dirty reports a migration that failed part-way: the schema must be
	// repaired by hand and the version set with Force.
	Dirty bool
	// Problems are the disagreements between the database's history
	// (HistoryTable) and the migration files, in version order: files
	// below Version never applied, applied files gone or edited. Up
	// refuses to run while there are any.
	Problems []Problem
}

// Pending reports whether migrations remain to be applied.
func (s Status) Pending() bool { return !s.Exists || s.Version < s.Latest }

// Status reads the database's applied version without changing anything:
// a missing database or version table is reported, not created.
func (m *Migrator) Status(ctx context.Context, t Target) (Status, error) {
	st := Status{Name: t.Name, Schema: t.schemaName()}
	versions, err := Versions(m.source(), t.Name)
	if err != nil {
		return st, classify(t, "status", err, m.source())
	}
	st.Latest = versions[len(versions)-1]

	s, err := connect(ctx, t.Server, false)
	if err != nil {
		return st, classify(t, "status", err, m.source())
	}
	defer s.close()
	if st.Exists, err = s.databaseExists(ctx, st.Schema); err != nil || !st.Exists {
		return st, classify(t, "status", err, m.source())
	}
	var tables int
	if err := s.conn.QueryRowContext(ctx,
		"SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
		st.Schema, VersionTable).Scan(&tables); err != nil {
		return st, classify(t, "status", err, m.source())
	}
	if tables == 0 {
		return st, nil
	}
	var version int64
	var dirty bool
	err = s.conn.QueryRowContext(ctx,
		"SELECT version, dirty FROM "+quoteIdent(st.Schema)+"."+quoteIdent(VersionTable)+" LIMIT 1").Scan(&version, &dirty)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return st, nil
	case err != nil:
		return st, classify(t, "status", err, m.source())
	}
	if version > 0 {
		st.Version = uint(version)
	}
	st.Dirty = dirty
	hist, ok, err := readHistory(ctx, s.conn, st.Schema)
	if err != nil || !ok {
		return st, classify(t, "status", err, m.source())
	}
	files, err := sourceFiles(m.source(), t.Name)
	if err != nil {
		return st, classify(t, "status", err, m.source())
	}
	st.Problems = findProblems(files, hist, int(version), dirty)
	return st, nil
}

// Versions lists the versions of the migrations of database name in fsys,
// in ascending order. It fails when the directory is missing or holds no
// migration, when a file name is not of the form NNNNNN_title.up.sql or
// .down.sql, or when an up file has no down file (or the reverse).
func Versions(fsys fs.FS, name string) ([]uint, error) {
	entries, err := fs.ReadDir(fsys, name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w %q", ErrUnknownDatabase, name)
		}
		return nil, err
	}
	ups := map[uint]string{}
	downs := map[uint]string{}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		mig, err := source.DefaultParse(e.Name())
		if err != nil {
			return nil, fmt.Errorf("%w: %s/%s: want NNNNNN_title.up.sql or NNNNNN_title.down.sql", ErrBadFileName, name, e.Name())
		}
		switch mig.Direction {
		case source.Up:
			ups[mig.Version] = e.Name()
		case source.Down:
			downs[mig.Version] = e.Name()
		}
	}
	if len(ups) == 0 {
		return nil, fmt.Errorf("%w %q: no migrations in its directory", ErrUnknownDatabase, name)
	}
	versions := make([]uint, 0, len(ups))
	for v, file := range ups {
		if _, ok := downs[v]; !ok {
			return nil, fmt.Errorf("%w: %s/%s has no .down.sql", ErrMissingDown, name, file)
		}
		versions = append(versions, v)
	}
	for v, file := range downs {
		if _, ok := ups[v]; !ok {
			return nil, fmt.Errorf("%w: %s/%s has no .up.sql", ErrMissingUp, name, file)
		}
	}
	sort.Slice(versions, func(i, j int) bool { return versions[i] < versions[j] })
	return versions, nil
}
