package migration

import (
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"time"

	"github.com/golang-migrate/migrate/v4/source"
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

// Conditions of a database whose history disagrees with its files; match
// them with errors.Is on the error of Up (and Steps or Goto going up).
var (
	// ErrOutOfOrder: a file below the database's version was never applied.
	ErrOutOfOrder = errors.New("migration file below the applied version was never applied")
	// ErrMigrationGone: an applied migration file is missing from the source.
	ErrMigrationGone = errors.New("applied migration file is gone")
	// ErrMigrationEdited: an applied migration file was changed afterwards.
	ErrMigrationEdited = errors.New("applied migration file was edited")
)

// historyRow is one applied migration as the history records it.
type historyRow struct {
	file, sum string
}

// sourceFile is one up file of the source with its checksum.
type sourceFile struct {
	file, sum string
}

// sourceFiles returns the up files of database name in src by version,
// with the SHA-256 of their content.
func sourceFiles(src fs.FS, name string) (map[uint]sourceFile, error) {
	entries, err := fs.ReadDir(src, name)
	if err != nil {
		return nil, err
	}
	out := map[uint]sourceFile{}
	for _, e := range entries {
		mig, err := source.DefaultParse(e.Name())
		if err != nil || e.IsDir() || mig.Direction != source.Up {
			continue
		}
		data, err := fs.ReadFile(src, path.Join(name, e.Name()))
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(data)
		out[mig.Version] = sourceFile{file: name + "/" + e.Name(), sum: hex.EncodeToString(sum[:])}
	}
	return out, nil
}

// historyDDL creates the history table in the current database.
const historyDDL = "CREATE TABLE IF NOT EXISTS " + HistoryTable + ` (
  version BIGINT NOT NULL PRIMARY KEY,
  file VARCHAR(255) NOT NULL,
  checksum CHAR(64) NOT NULL,
  applied_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`

// readHistory reads the history of the physical database schema; ok is
// false when it has no history table.
func readHistory(ctx context.Context, q Queryer, schema string) (rows map[uint]historyRow, ok bool, err error) {
	var n int
	r, err := q.QueryContext(ctx,
		"SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?", schema, HistoryTable)
	if err != nil {
		return nil, false, fmt.Errorf("read the migration history: %w", err)
	}
	for r.Next() {
		err = r.Scan(&n)
	}
	if err = errors.Join(err, r.Close(), r.Err()); err != nil || n == 0 {
		return nil, false, err
	}
	r, err = q.QueryContext(ctx, "SELECT version, file, checksum FROM "+quoteIdent(schema)+"."+HistoryTable)
	if err != nil {
		return nil, false, fmt.Errorf("read the migration history: %w", err)
	}
	defer r.Close()
	rows = map[uint]historyRow{}
	for r.Next() {
		var v int64
		var h historyRow
		if err := r.Scan(&v, &h.file, &h.sum); err != nil {
			return nil, false, fmt.Errorf("read the migration history: %w", err)
		}
		if v > 0 {
			rows[uint(v)] = h
		}
	}
	if err := r.Err(); err != nil {
		return nil, false, fmt.Errorf("read the migration history: %w", err)
	}
	return rows, true, nil
}

// findProblems compares the history with the source files for a database
// at version (negative: none applied). A dirty version was attempted, not
// completed, so it is not expected in the history. An empty history of a
// database with a version predates the history (it is adopted at the next
// run) and has no problems.
func findProblems(files map[uint]sourceFile, hist map[uint]historyRow, version int, dirty bool) []Problem {
	if version <= 0 || len(hist) == 0 {
		return nil
	}
	var out []Problem
	for v, h := range hist {
		if v > uint(version) {
			continue // reverted outside hubdb; rewritten at the next run
		}
		f, ok := files[v]
		switch {
		case !ok:
			out = append(out, Problem{Kind: Gone, Version: v, File: h.file})
		case f.sum != h.sum:
			out = append(out, Problem{Kind: Edited, Version: v, File: f.file})
		}
	}
	for v, f := range files {
		if v > uint(version) || (dirty && v == uint(version)) {
			continue
		}
		if _, ok := hist[v]; !ok {
			out = append(out, Problem{Kind: OutOfOrder, Version: v, File: f.file})
		}
	}
	slices.SortFunc(out, func(a, b Problem) int { return cmp.Compare(a.Version, b.Version) })
	return out
}

// problemError is the refusal of a run over a history with problems: the
// first problem, its fix, and how many more there are.
func problemError(t Target, op string, version int, files map[uint]sourceFile, ps []Problem) error {
	p := ps[0]
	force := fmt.Sprintf("\"hubdb migrate force %d --db %s\"", version, t.Name)
	var err error
	var fix string
	switch p.Kind {
	case OutOfOrder:
		next := uint(version) + 1
		for v := range files {
			if v >= next {
				next = v + 1
			}
		}
		err = fmt.Errorf("%w: %s (version %d, below the applied version %d)", ErrOutOfOrder, p.File, p.Version, version)
		fix = fmt.Sprintf("renumber it above the others (%06d_...) so it runs next; or, if its change is already on the server, record it with %s", next, force)
	case Gone:
		err = fmt.Errorf("%w: %s (version %d)", ErrMigrationGone, p.File, p.Version)
		fix = fmt.Sprintf("restore it from version control (git log --all -- schema/%s): an applied migration stays; to forget it on purpose, %s records the files as they are now", p.File, force)
	default:
		err = fmt.Errorf("%w: %s (version %d) differs from what was applied", ErrMigrationEdited, p.File, p.Version)
		fix = fmt.Sprintf("restore it as applied (git log -p -- schema/%s) and put the change into a new migration; if the edit changes nothing on the server (a comment), record it with %s", p.File, force)
	}
	if len(ps) > 1 {
		fix += fmt.Sprintf(" (%d more: hubdb migrate status --db %s lists them)", len(ps)-1, t.Name)
	}
	return &Error{DB: t.Name, Schema: t.schemaName(), Op: op, Err: err, Fix: fix}
}

// historyExec is the connection the history is written over.
type historyExec interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// recordHistory brings the history of the current database in line with a
// run that took it from version before to after (negative: none; dirty:
// the after version did not complete). force records exactly the files up
// to after as they are now.
func recordHistory(ctx context.Context, db historyExec, files map[uint]sourceFile, before, after int, dirty, force bool) error {
	del, args := "DELETE FROM "+HistoryTable+" WHERE version > ?", []any{max(after, 0)}
	if force {
		del, args = "DELETE FROM "+HistoryTable, nil
	}
	if _, err := db.ExecContext(ctx, del, args...); err != nil {
		return err
	}
	for v, f := range files {
		applied := v <= uint(max(after, 0)) && (force || int(v) > before) && !(dirty && int(v) == after)
		if !applied {
			continue
		}
		if _, err := db.ExecContext(ctx, "INSERT IGNORE INTO "+HistoryTable+" (version, file, checksum) VALUES (?, ?, ?)",
			v, f.file, f.sum); err != nil {
			return err
		}
	}
	return nil
}

// checkHistory makes sure the current database has a history table,
// adopts the files up to before as applied when the history is empty (the
// database was migrated before hubdb kept one), and refuses an upward run
// over problems. It returns the source's up files for syncHistory.
func (m *Migrator) checkHistory(ctx context.Context, conn *sql.Conn, t Target, op string, before int, force bool, upward func(int) bool) (map[uint]sourceFile, error) {
	files, err := sourceFiles(m.source(), t.Name)
	if err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, historyDDL); err != nil {
		return nil, fmt.Errorf("create the migration history table %s: %w", HistoryTable, err)
	}
	hist, _, err := readHistory(ctx, conn, t.schemaName())
	if err != nil {
		return nil, err
	}
	if force || upward == nil || !upward(before) {
		return files, nil
	}
	dirty, err := isDirty(ctx, conn)
	if err != nil {
		return nil, err
	}
	if len(hist) == 0 && before > 0 {
		if err := recordHistory(ctx, conn, files, -1, before, dirty, false); err != nil {
			return nil, fmt.Errorf("adopt the applied migrations into %s: %w", HistoryTable, err)
		}
		return files, nil
	}
	if ps := findProblems(files, hist, before, dirty); len(ps) > 0 {
		return nil, problemError(t, op, before, files, ps)
	}
	return files, nil
}

// isDirty reads the dirty flag of the current database's version table.
func isDirty(ctx context.Context, conn *sql.Conn) (bool, error) {
	var dirty bool
	err := conn.QueryRowContext(ctx, "SELECT dirty FROM "+VersionTable+" LIMIT 1").Scan(&dirty)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return dirty, err
}

// versionReader is golang-migrate's database driver, as far as the
// history needs it.
type versionReader interface {
	Version() (version int, dirty bool, err error)
}

// syncHistory records what a run did, also when ctx has ended (the run
// stopped part-way, and what it applied must be recorded all the same).
func syncHistory(ctx context.Context, conn *sql.Conn, drv versionReader, files map[uint]sourceFile, before int, force bool) error {
	after, dirty, err := drv.Version()
	if err != nil {
		return fmt.Errorf("record the migration history: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := recordHistory(ctx, conn, files, before, after, dirty, force); err != nil {
		return fmt.Errorf("record the migration history: %w", err)
	}
	return nil
}
