package migration

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"strings"
	"syscall"

	"github.com/go-sql-driver/mysql"
	"github.com/golang-migrate/migrate/v4"
	"github.com/golang-migrate/migrate/v4/database"
)

// Conditions a caller can match with errors.Is.
var (
	// ErrUnknownDatabase: no migrations directory for the logical name.
	ErrUnknownDatabase = errors.New("unknown database")
	// ErrMissingDatabase: the physical database does not exist on the server.
	ErrMissingDatabase = errors.New("database does not exist")
	// ErrDirty: a migration failed part-way and left the database dirty.
	ErrDirty = errors.New("database is dirty")
	// ErrFailed: a migration's SQL failed.
	ErrFailed = errors.New("migration failed")
	// ErrLocked: another migrator held the database's lock too long.
	ErrLocked = errors.New("another migration holds the lock")
	// ErrNoSuchVersion: the requested version is not among the migrations.
	ErrNoSuchVersion = errors.New("no such migration version")
	// ErrUnreachable: the server could not be reached.
	ErrUnreachable = errors.New("cannot reach the MySQL server")
	// ErrAccessDenied: the server refused the user or password.
	ErrAccessDenied = errors.New("access denied")
	// ErrBadFileName: a migration file name is not NNNNNN_title.up|down.sql.
	ErrBadFileName = errors.New("bad migration file name")
	// ErrMissingDown: an up migration has no down migration.
	ErrMissingDown = errors.New("missing down migration")
	// ErrMissingUp: a down migration has no up migration.
	ErrMissingUp = errors.New("missing up migration")
)

// Error is the error of a migration operation on one database. Its message
// is one line: the operation, the database, the cause and the fix. It never
// contains the server's password.
type Error struct {
	// DB is the logical database name, Schema the physical one.
	DB, Schema string
	// Op is the operation: "up", "down", "steps -1", "goto 3", "force 2",
	// "status".
	Op string
	// Err is the cause; match it with errors.Is against the Err* values.
	Err error
	// Fix tells the operator the way out; empty when there is nothing to add.
	Fix string

	secret string
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "migrate %s %s", e.Op, e.DB)
	if e.Schema != "" && e.Schema != e.DB {
		fmt.Fprintf(&b, " (database %s)", e.Schema)
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	if e.Fix != "" {
		fmt.Fprintf(&b, "; fix: %s", e.Fix)
	}
	msg := strings.ReplaceAll(b.String(), "\n", " ")
	if e.secret != "" {
		msg = strings.ReplaceAll(msg, e.secret, "xxxxx")
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// classify turns an error from the driver or golang-migrate into an *Error
// that names the cause and the fix.
func classify(t Target, op string, err error, src fs.FS) error {
	if err == nil {
		return nil
	}
	e := &Error{DB: t.Name, Schema: t.schemaName(), Op: op, Err: err}
	if t.Server != nil {
		e.secret = t.Server.Passwd
	}
	addr := "the server"
	if t.Server != nil && t.Server.Addr != "" {
		addr = t.Server.Addr
	}

	var dirty migrate.ErrDirty
	var failed *failedMigration
	var myErr *mysql.MySQLError
	var netErr *net.OpError
	var dbErr database.Error
	switch {
	case errors.As(err, &dirty):
		prev := previousVersion(src, t.Name, uint(max(dirty.Version, 0)))
		e.Err = fmt.Errorf("%w at version %d (migration %06d failed part-way)", ErrDirty, dirty.Version, dirty.Version)
		e.Fix = fmt.Sprintf("repair what migration %06d left behind, then run \"hubdb migrate force %d --db %s\" and migrate again",
			dirty.Version, prev, t.Name)
	case errors.As(err, &failed) && errors.As(err, &dbErr) && dbErr.OrigErr != nil:
		prev := previousVersion(src, t.Name, failed.version)
		e.Err = fmt.Errorf("%w: migration %06d left the database dirty: %v", ErrFailed, failed.version, dbErr.OrigErr)
		e.Fix = fmt.Sprintf("fix migration %06d and undo what it applied, then run \"hubdb migrate force %d --db %s\" and migrate again",
			failed.version, prev, t.Name)
	case errors.As(err, &dbErr) && dbErr.OrigErr != nil:
		e.Err = fmt.Errorf("%w: %v", ErrFailed, dbErr.OrigErr)
		e.Fix = fmt.Sprintf("fix the migration file, undo what it applied, then run \"hubdb migrate force <last good version> --db %s\"", t.Name)
	case errors.As(err, &myErr) && (myErr.Number == 1045 || myErr.Number == 1044 || myErr.Number == 1698):
		e.Err = fmt.Errorf("%w: %s", ErrAccessDenied, myErr.Message)
		e.Fix = fmt.Sprintf("check the user and password of the DSN for %s (HUBDB_DSN or HUBDB_%s_DSN)", t.Name, strings.ToUpper(t.Name))
	case errors.As(err, &netErr), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, os.ErrDeadlineExceeded):
		e.Err = fmt.Errorf("%w at %s: %v", ErrUnreachable, addr, rootCause(err))
		e.Fix = fmt.Sprintf("start the server, or point HUBDB_DSN (or HUBDB_%s_DSN) at a running one", strings.ToUpper(t.Name))
	case errors.Is(err, mysql.ErrInvalidConn):
		e.Err = fmt.Errorf("%w at %s: the connection was lost", ErrUnreachable, addr)
		e.Fix = "check that the server is up and reachable, then retry"
	case errors.Is(err, ErrLocked), errors.Is(err, migrate.ErrLockTimeout), errors.Is(err, database.ErrLocked):
		e.Err = fmt.Errorf("%w: %v", ErrLocked, err)
		e.Fix = "wait for the other \"hubdb migrate\" to finish, or end the session that holds the lock"
	case errors.Is(err, ErrUnknownDatabase):
		names, _ := databases(src)
		e.Fix = "use one of: " + strings.Join(names, ", ")
	case errors.Is(err, fs.ErrNotExist):
		e.Err = fmt.Errorf("%w: no migration that far (%v)", ErrNoSuchVersion, err)
		e.Fix = "hubdb migrate status shows the applied and the latest version"
	case errors.Is(err, ErrBadFileName), errors.Is(err, ErrMissingDown), errors.Is(err, ErrMissingUp):
		e.Fix = "every migration needs both NNNNNN_title.up.sql and NNNNNN_title.down.sql"
	}
	return e
}

// rootCause returns the innermost error's text, e.g. "connection refused".
func rootCause(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}

// previousVersion returns the version before v in the source, 0 if none.
func previousVersion(src fs.FS, name string, v uint) uint {
	versions, err := Versions(src, name)
	if err != nil {
		return 0
	}
	var prev uint
	for _, x := range versions {
		if x >= v {
			break
		}
		prev = x
	}
	return prev
}

func databases(src fs.FS) ([]string, error) {
	entries, err := fs.ReadDir(src, ".")
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	return names, nil
}
