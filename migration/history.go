package migration

import (
	"fmt"
)

// HistoryTable is the table hubdb keeps beside golang-migrate's
// [VersionTable] in each database: one row per applied migration file with
// the SHA-256 of its up file as it was applied. golang-migrate records only
// the current version, so without it a file added below that version is
// skipped silently and an applied file edited later goes unnoticed.
const HistoryTable = "schema_migrations_history"

// ProblemKind is what is wrong between a database's history and the
// migration files.
type ProblemKind int

const (
	// OutOfOrder: a file below the database's version was never applied
	// (it was added after a later one ran); golang-migrate would skip it.
	OutOfOrder ProblemKind = iota + 1
	// Gone: an applied file is no longer among the migrations.
	Gone
	// Edited: an applied file's content differs from what was applied.
	Edited
)

func (k ProblemKind) String() string {
	switch k {
	case OutOfOrder:
		return "out-of-order"
	case Gone:
		return "gone"
	case Edited:
		return "edited"
	}
	return fmt.Sprintf("ProblemKind(%d)", int(k))
}

// Problem is one disagreement between a database's history and the files.
type Problem struct {
	Kind ProblemKind
	// Version is the migration's version.
	Version uint
	// File is the up file, <db>/<name>, as the source names it or, for a
	// gone file, as the history recorded it.
	File string
}

func (p Problem) String() string {
	return fmt.Sprintf("%s: %s (version %d)", p.Kind, p.File, p.Version)
}
