package migration

import (
	"crypto/tls"
	"crypto/x509"
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
	"github.com/golang-migrate/migrate/v4/source"

	"github.com/solarhub/hubdb/schema"
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
	// ErrUnknownVersion: the database records a version that no migration
	// file has (a newer hubdb migrated it, or a file was removed or
	// renumbered).
	ErrUnknownVersion = errors.New("database version has no migration file")
	// ErrUnreachable: the server could not be reached.
	ErrUnreachable = errors.New("cannot reach the MySQL server")
	// ErrAccessDenied: the server refused the user or password.
	ErrAccessDenied = errors.New("access denied")
	// ErrTLS: the TLS connection failed: the server's certificate did not
	// verify, the server offers no TLS, or it requires TLS and the DSN
	// asked for none.
	ErrTLS = errors.New("TLS connection failed")
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
	var certErr *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	switch {
	case errors.As(err, &dirty):
		dirtyError(e, src, dirty.Version)
	case errors.As(err, &failed) && errors.As(err, &dbErr) && dbErr.OrigErr != nil:
		direction, undo := "up", "undo what it applied"
		if failed.down {
			direction, undo = "down", "restore what it dropped or changed"
		}
		e.Err = fmt.Errorf("%w: migration %06d %s (%s) left the database dirty: %v",
			ErrFailed, failed.version, direction, failed.file, dbErr.OrigErr)
		e.Fix = fmt.Sprintf("fix %s and %s, then run \"hubdb migrate force %d --db %s\" and migrate again",
			failed.file, undo, failed.force, t.Name)
	case errors.As(err, &dbErr) && dbErr.OrigErr != nil:
		e.Err = fmt.Errorf("%w: %v", ErrFailed, dbErr.OrigErr)
		e.Fix = fmt.Sprintf("fix the migration file, undo what it applied, then run \"hubdb migrate force <last good version> --db %s\"", t.Name)
	case errors.As(err, &certErr), errors.As(err, &unknownCA), errors.As(err, &hostErr):
		e.Err = fmt.Errorf("%w at %s: %v", ErrTLS, addr, rootCause(err))
		e.Fix = fmt.Sprintf("point HUBDB_TLS_CA at the CA that signed the server's certificate, and set HUBDB_TLS_SERVER_NAME "+
			"if the certificate does not name the DSN's host (HUBDB_DSN or HUBDB_%s_DSN)", strings.ToUpper(t.Name))
	case errors.Is(err, mysql.ErrNoTLS):
		e.Err = fmt.Errorf("%w at %s: the server offers no TLS", ErrTLS, addr)
		e.Fix = "enable TLS on the server (ssl_cert, ssl_key), or use tls=preferred in the DSN to allow plaintext"
	case errors.As(err, &myErr) && (myErr.Number == 3159 || myErr.Number == 4151):
		e.Err = fmt.Errorf("%w at %s: %s", ErrTLS, addr, myErr.Message)
		e.Fix = fmt.Sprintf("connect with TLS: set HUBDB_TLS_CA to the server's CA, or add ?tls=true to HUBDB_DSN (or HUBDB_%s_DSN)",
			strings.ToUpper(t.Name))
	case errors.As(err, &myErr) && (myErr.Number == 1045 || myErr.Number == 1044 || myErr.Number == 1698):
		e.Err = fmt.Errorf("%w: %s", ErrAccessDenied, myErr.Message)
		e.Fix = fmt.Sprintf("check the user and password of the DSN for %s (HUBDB_DSN or HUBDB_%s_DSN)", t.Name, strings.ToUpper(t.Name))
		if t.Server != nil && t.Server.TLS == nil {
			// MariaDB refuses a plaintext login with 1045 too when it
			// runs with require_secure_transport or the user is REQUIRE SSL.
			e.Fix += "; if the server or user requires TLS, connect with TLS (HUBDB_TLS_CA, or ?tls=true in the DSN)"
		}
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
		names, _ := schema.Databases(src)
		e.Fix = "use one of: " + strings.Join(names, ", ")
	case errors.Is(err, fs.ErrNotExist):
		e.Err = fmt.Errorf("%w: no migration that far (%v)", ErrNoSuchVersion, err)
		e.Fix = "hubdb migrate status shows the applied and the latest version"
	case errors.Is(err, ErrBadFileName), errors.Is(err, ErrMissingDown), errors.Is(err, ErrMissingUp):
		e.Fix = "every migration needs both NNNNNN_title.up.sql and NNNNNN_title.down.sql"
	}
	return e
}

// dirtyError describes a database left dirty at version d. The table does
// not say which way the failed migration ran: an up migration leaves its
// own version, a down migration the version below it (-1 below the first).
func dirtyError(e *Error, src fs.FS, d int) {
	versions, _ := Versions(src, e.DB)
	next, hasNext := nextVersion(versions, d)
	if d < 0 {
		e.Err = fmt.Errorf("%w with no version recorded (the down migration of %06d failed part-way)", ErrDirty, next)
		e.Fix = fmt.Sprintf("restore what it dropped, then run \"hubdb migrate force %d --db %s\" and migrate again", next, e.DB)
		return
	}
	prev := previousVersion(src, e.DB, uint(d))
	e.Err = fmt.Errorf("%w at version %d (migration %06d failed part-way)", ErrDirty, d, d)
	e.Fix = fmt.Sprintf("repair what migration %06d left behind, then run \"hubdb migrate force %d --db %s\" and migrate again",
		d, prev, e.DB)
	if hasNext {
		e.Fix += fmt.Sprintf(" (if it was the down migration of %06d that failed: restore what it dropped and run \"hubdb migrate force %d --db %s\" instead)",
			next, next, e.DB)
	}
}

// unknownVersion is the error for a database whose recorded version v is
// not among the migration files' versions.
func unknownVersion(t Target, op string, v uint, versions []uint) error {
	below := uint(0)
	for _, x := range versions {
		if x < v {
			below = x
		}
	}
	return &Error{DB: t.Name, Schema: t.schemaName(), Op: op,
		Err: fmt.Errorf("%w: the database records version %d, which no migration file has (available: %s)",
			ErrUnknownVersion, v, versionList(versions)),
		Fix: fmt.Sprintf("if a newer hubdb migrated it, use that one; if a migration file was removed or renumbered, restore it, "+
			"or run \"hubdb migrate force %d --db %s\" (the last version below %d; the migrations are re-runnable) and migrate again",
			below, t.Name, v)}
}

// nextVersion returns the first version above v, if any.
func nextVersion(versions []uint, v int) (uint, bool) {
	for _, x := range versions {
		if v < 0 || x > uint(v) {
			return x, true
		}
	}
	return 0, false
}

// migrationFile returns "<name>/<file>" of version v's up or down file, or
// a description when the source has none.
func migrationFile(src fs.FS, name string, v uint, down bool) string {
	want := source.Up
	if down {
		want = source.Down
	}
	entries, _ := fs.ReadDir(src, name)
	for _, e := range entries {
		if mig, err := source.DefaultParse(e.Name()); err == nil && mig.Version == v && mig.Direction == want {
			return name + "/" + e.Name()
		}
	}
	return fmt.Sprintf("%s/%06d_*.%s.sql", name, v, want)
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
