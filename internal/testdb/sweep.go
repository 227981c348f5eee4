package testdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Database is a database of the kit on a server, as [List] reports it.
type Database struct {
	// Name is the physical name.
	Name string
	// Kind is "copy", "template" or "kit" (the kit's own tables).
	Kind string
	// Owner is the id of the process that made a copy; Alive reports
	// whether that process still runs (holds its owner lock).
	Owner string
	Alive bool
	// Kept is set for a copy kept because its test failed, with the test's
	// name and when.
	Kept   bool
	Test   string
	KeptAt time.Time
}

// List returns the kit's databases on the server of db whose names begin
// with prefix, sorted by name. prefix must begin with [Marker]: nothing
// else is the kit's.
func List(ctx context.Context, db *sql.DB, prefix string) ([]Database, error) {
	if !IsKitName(prefix) && prefix != Marker[:len(Marker)-1] {
		return nil, fmt.Errorf("testdb: prefix %q does not begin with %s: the kit lists and drops only its own databases", prefix, Marker)
	}
	names, err := queryStrings(ctx, db, "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ? ORDER BY SCHEMA_NAME", likePrefix(prefix))
	if err != nil {
		return nil, err
	}
	kept, err := keptCopies(ctx, db)
	if err != nil {
		return nil, err
	}
	alive := map[string]bool{}
	out := make([]Database, 0, len(names))
	for _, name := range names {
		d := Database{Name: name}
		switch owner, isCopy := parseCopy(name); {
		case name == metaSchema:
			d.Kind = "kit"
		case strings.HasPrefix(name, templatePrefix):
			d.Kind = "template"
		case isCopy:
			d.Kind, d.Owner = "copy", owner
			a, seen := alive[owner]
			if !seen {
				var free sql.NullInt64
				if err := db.QueryRowContext(ctx, "SELECT IS_FREE_LOCK(?)", ownerLock(owner)).Scan(&free); err != nil {
					return nil, err
				}
				a = free.Valid && free.Int64 == 0
				alive[owner] = a
			}
			d.Alive = a
			if k, ok := kept[name]; ok {
				d.Kept, d.Test, d.KeptAt = true, k.Test, k.KeptAt
			}
		default:
			d.Kind = "other"
		}
		out = append(out, d)
	}
	return out, nil
}

// sweep drops the copies whose process has ended and that were not kept.
func (e *Engine) sweep(ctx context.Context) (int, error) {
	all, err := List(ctx, e.admin, Marker)
	if err != nil {
		return 0, err
	}
	var stale []string
	for _, d := range all {
		if d.Kind == "copy" && !d.Alive && !d.Kept {
			stale = append(stale, d.Name)
		}
	}
	return len(stale), dropCopies(ctx, e.admin, stale)
}

// Drop drops the named databases of the kit (copies and templates, with
// their rows in the kit's tables) from the server of db, in one round
// trip. It refuses, before dropping anything, any name that is not a copy
// or a template of the kit (the kit's own database included).
func Drop(ctx context.Context, db *sql.DB, names []string) error {
	if err := checkDroppable(names); err != nil || len(names) == 0 {
		return err
	}
	var b strings.Builder
	args := make([]any, 0, 2*len(names))
	for _, n := range names {
		fmt.Fprintf(&b, "DROP DATABASE IF EXISTS %s;\n", quoteIdent(n))
	}
	in := strings.TrimSuffix(strings.Repeat("?, ", len(names)), ", ")
	// The rows go after the databases: a template's row is its ready mark.
	fmt.Fprintf(&b, "DELETE FROM %s.kept WHERE name IN (%s);\n", quoteIdent(metaSchema), in)
	fmt.Fprintf(&b, "DELETE FROM %s.templates WHERE name IN (%s)", quoteIdent(metaSchema), in)
	for range 2 {
		for _, n := range names {
			args = append(args, n)
		}
	}
	_, err := db.ExecContext(ctx, b.String(), args...)
	if isNoTable(err) {
		// The kit's tables are not there (nothing was ever kept or built):
		// the databases are dropped all the same.
		return dropCopies(ctx, db, names)
	}
	return err
}

// dropCopies drops databases of the kit in one round trip, refusing any
// name that is not a copy or a template.
func dropCopies(ctx context.Context, db *sql.DB, names []string) error {
	if err := checkDroppable(names); err != nil || len(names) == 0 {
		return err
	}
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "DROP DATABASE IF EXISTS %s;\n", quoteIdent(n))
	}
	_, err := db.ExecContext(ctx, b.String())
	return err
}

// checkDroppable refuses, before anything is dropped, every name that is
// not a copy or a template of the kit (the kit's own tables included).
func checkDroppable(names []string) error {
	for _, n := range names {
		if _, ok := parseCopy(n); !ok && !strings.HasPrefix(n, templatePrefix) {
			return fmt.Errorf("testdb: refusing to drop %q: not a database the kit made", n)
		}
	}
	return nil
}

// keptCopies reads the kit's table of kept copies; a server without the
// kit's tables has none.
func keptCopies(ctx context.Context, db *sql.DB) (map[string]Database, error) {
	kept := map[string]Database{}
	rows, err := db.QueryContext(ctx, "SELECT name, test, kept_at FROM "+quoteIdent(metaSchema)+".kept")
	if isNoTable(err) {
		return kept, nil
	}
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var d Database
		if err := rows.Scan(&d.Name, &d.Test, &d.KeptAt); err != nil {
			return nil, err
		}
		kept[d.Name] = d
	}
	return kept, rows.Err()
}

// isNoTable reports a server error 1146 (table does not exist) or 1049
// (unknown database).
func isNoTable(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && (me.Number == 1146 || me.Number == 1049)
}
