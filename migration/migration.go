package migration

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/golang-migrate/migrate/v4"
	"github.com/golang-migrate/migrate/v4/database"
	migratemysql "github.com/golang-migrate/migrate/v4/database/mysql"
	"github.com/golang-migrate/migrate/v4/source/iofs"

	"github.com/solarhub/hubdb/schema"
)

// VersionTable is the table golang-migrate keeps in each database to record
// its version and dirty flag.
const VersionTable = "schema_migrations"

// DefaultLockTimeout is how long a Migrator waits for another migrator
// working on the same database before it gives up.
const DefaultLockTimeout = 2 * time.Minute

// Target names one database to migrate.
type Target struct {
	// Name is the logical database name: the directory schema/<Name>.
	Name string
	// Schema is the physical database name on the server (a prefix may
	// have been applied). Default Name.
	Schema string
	// Server is the MySQL server holding Schema. Its DBName is ignored.
	// Its password never appears in any error or message.
	Server *mysql.Config
}

func (t Target) schemaName() string {
	if t.Schema != "" {
		return t.Schema
	}
	return t.Name
}

// Migrator migrates databases with the migrations of a source file system.
// The zero value migrates with the embedded [schema.FS].
type Migrator struct {
	// Source holds one directory of golang-migrate files per database.
	// Default schema.FS.
	Source fs.FS
	// NoCreate stops Up (and Steps, Goto) from creating a missing database.
	NoCreate bool
	// LockTimeout bounds the wait for another migrator on the same
	// database. Default DefaultLockTimeout.
	LockTimeout time.Duration
}

func (m *Migrator) source() fs.FS {
	if m.Source != nil {
		return m.Source
	}
	return schema.FS
}

// Up applies every migration not yet applied. A database already at the
// latest version is not an error.
func (m *Migrator) Up(ctx context.Context, t Target) error {
	return m.run(ctx, t, "up", !m.NoCreate, always, func(mg *migrate.Migrate) error { return mg.Up() })
}

// Down reverts every applied migration, leaving the database empty of the
// schema's tables (the version table stays).
func (m *Migrator) Down(ctx context.Context, t Target) error {
	return m.run(ctx, t, "down", false, nil, func(mg *migrate.Migrate) error { return mg.Down() })
}

// Steps applies n migrations (n > 0) or reverts -n (n < 0).
func (m *Migrator) Steps(ctx context.Context, t Target, n int) error {
	if n == 0 {
		return nil
	}
	var upward func(int) bool
	if n > 0 {
		upward = always
	}
	return m.run(ctx, t, fmt.Sprintf("steps %d", n), n > 0 && !m.NoCreate, upward, func(mg *migrate.Migrate) error {
		return mg.Steps(n)
	})
}

// Goto migrates up or down to version v; v 0 reverts every migration.
func (m *Migrator) Goto(ctx context.Context, t Target, v uint) error {
	op := fmt.Sprintf("goto %d", v)
	if v != 0 {
		versions, err := Versions(m.source(), t.Name)
		if err != nil {
			return &Error{DB: t.Name, Schema: t.schemaName(), Op: op, Err: err}
		}
		if !containsVersion(versions, v) {
			return &Error{DB: t.Name, Schema: t.schemaName(), Op: op, Err: fmt.Errorf("%w: %d (available: %s)", ErrNoSuchVersion, v, versionList(versions)),
				Fix: "pick one of the available versions (hubdb migrate status shows them)"}
		}
	}
	upward := func(before int) bool { return int(v) > before }
	return m.run(ctx, t, op, false, upward, func(mg *migrate.Migrate) error {
		if v == 0 {
			return mg.Down()
		}
		return mg.Migrate(v)
	})
}

// Force records version v as applied and clean without running any
// migration: the way out of a dirty database once its schema has been
// repaired by hand. v 0 records that no migration is applied.
func (m *Migrator) Force(ctx context.Context, t Target, v uint) error {
	op := fmt.Sprintf("force %d", v)
	if v != 0 {
		versions, err := Versions(m.source(), t.Name)
		if err != nil {
			return &Error{DB: t.Name, Schema: t.schemaName(), Op: op, Err: err}
		}
		if !containsVersion(versions, v) {
			return &Error{DB: t.Name, Schema: t.schemaName(), Op: op, Err: fmt.Errorf("%w: %d (available: %s)", ErrNoSuchVersion, v, versionList(versions)),
				Fix: "pick one of the available versions, or 0 for none"}
		}
	}
	return m.run(ctx, t, op, false, nil, func(mg *migrate.Migrate) error {
		if v == 0 {
			return mg.Force(-1)
		}
		return mg.Force(int(v))
	})
}

// always is the upward test of Up: every run of it goes up.
func always(int) bool { return true }

// run opens a dedicated connection, takes the database's migration lock,
// and runs fn on a golang-migrate instance bound to that connection. A run
// that goes up from the version before it (upward reports it; nil: never)
// is refused while the history disagrees with the files; every run then
// brings the history in line with what it did.
func (m *Migrator) run(ctx context.Context, t Target, op string, create bool, upward func(before int) bool, fn func(*migrate.Migrate) error) (err error) {
	schemaName := t.schemaName()
	wrap := func(err error) error {
		if err == nil {
			return nil
		}
		var me *Error
		if errors.As(err, &me) {
			return err
		}
		return classify(t, op, err, m.source())
	}
	versions, err := Versions(m.source(), t.Name)
	if err != nil {
		return wrap(err)
	}
	s, err := connect(ctx, t.Server, true)
	if err != nil {
		return wrap(err)
	}
	defer s.close()

	lockTimeout := m.LockTimeout
	if lockTimeout <= 0 {
		lockTimeout = DefaultLockTimeout
	}
	lockDeadline := time.Now().Add(lockTimeout)
	if err := s.lock(ctx, "hubdb-migrate:"+schemaName, lockTimeout); err != nil {
		return wrap(err)
	}
	defer s.unlock("hubdb-migrate:" + schemaName)

	exists, err := s.databaseExists(ctx, schemaName)
	if err != nil {
		return wrap(err)
	}
	if !exists {
		if !create {
			return &Error{DB: t.Name, Schema: schemaName, Op: op, Err: ErrMissingDatabase,
				Fix: fmt.Sprintf("run \"hubdb migrate up --db %s\" (without --no-create) to create it, or check HUBDB_DB_PREFIX and the DSN", t.Name)}
		}
		if _, err := s.conn.ExecContext(ctx, "CREATE DATABASE IF NOT EXISTS "+quoteIdent(schemaName)+
			" CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
			return wrap(fmt.Errorf("create database: %w", err))
		}
	}
	if _, err := s.conn.ExecContext(ctx, "USE "+quoteIdent(schemaName)); err != nil {
		return wrap(err)
	}
	// GET_LOCK is node-local: on a Galera cluster a run through another
	// node also takes the database's lock row (galera.go). ctx then ends
	// if the lock is lost.
	cl, ctx, err := lockCluster(ctx, s, t, op, lockDeadline)
	if err != nil {
		return wrap(err)
	}
	defer func() {
		if lerr := cl.release(); err == nil {
			err = lerr
		}
	}()

	src, err := iofs.New(m.source(), t.Name)
	if err != nil {
		return wrap(err)
	}
	drv, err := migratemysql.WithConnection(ctx, s.conn, &migratemysql.Config{
		DatabaseName:    schemaName,
		MigrationsTable: VersionTable,
	})
	if err != nil {
		_ = src.Close()
		return wrap(err)
	}
	mg, err := migrate.NewWithInstance("iofs", src, schemaName, drv)
	if err != nil {
		_ = src.Close()
		return wrap(err)
	}
	// Closing mg closes the driver, which closes s.conn; s.close then only
	// closes the pool.
	defer func() {
		srcErr, dbErr := mg.Close()
		if err == nil {
			err = wrap(errors.Join(srcErr, dbErr))
		}
	}()

	// A version that no file has makes golang-migrate fail with a bare
	// "file does not exist"; say what happened instead. Force is the way
	// out, so it is let through.
	before, _, err := drv.Version()
	if err != nil {
		return wrap(err)
	}
	force := strings.HasPrefix(op, "force ")
	if !force && before >= 0 && !containsVersion(versions, uint(before)) {
		return unknownVersion(t, op, uint(before), versions)
	}
	files, err := m.checkHistory(ctx, s.conn, t, op, before, force, upward)
	if err != nil {
		return wrap(err)
	}

	stop := context.AfterFunc(ctx, func() {
		select {
		case mg.GracefulStop <- true:
		default:
		}
	})
	defer stop()

	runErr := fn(mg)
	if herr := syncHistory(ctx, s.conn, drv, files, before, force); herr != nil && (runErr == nil || errors.Is(runErr, migrate.ErrNoChange)) {
		return wrap(herr)
	}
	if err := runErr; err != nil && !errors.Is(err, migrate.ErrNoChange) {
		// golang-migrate's error for failed SQL does not say which
		// migration failed; the version table, now dirty, does (read from
		// the driver, which also reports the -1 a failed first down
		// migration leaves).
		var dbErr database.Error
		if errors.As(err, &dbErr) {
			if after, dirty, verr := drv.Version(); verr == nil && dirty {
				return wrap(newFailedMigration(m.source(), t.Name, before, after, err))
			}
		}
		return wrap(err)
	}
	return nil
}

// failedMigration is a migration whose SQL failed, leaving the database
// dirty.
type failedMigration struct {
	version uint   // the migration that failed
	down    bool   // its down file failed, not its up file
	file    string // <db>/<file name>
	force   uint   // the version to force once its effects are undone
	err     error
}

// newFailedMigration tells which migration failed from the version
// recorded before the run and the dirty one recorded after it:
// golang-migrate records an up migration's own version, but a down
// migration's target (the version below it, -1 below the first).
func newFailedMigration(src fs.FS, name string, before, after int, err error) *failedMigration {
	f := &failedMigration{err: err}
	if after > before {
		f.version = uint(after)
		f.force = previousVersion(src, name, f.version)
	} else {
		versions, _ := Versions(src, name)
		f.version, _ = nextVersion(versions, after)
		f.down = true
		f.force = f.version
	}
	f.file = migrationFile(src, name, f.version, f.down)
	return f
}

func (e *failedMigration) Error() string {
	return fmt.Sprintf("migration %06d (%s): %v", e.version, e.file, e.err)
}

func (e *failedMigration) Unwrap() error { return e.err }

func containsVersion(vs []uint, v uint) bool {
	for _, x := range vs {
		if x == v {
			return true
		}
	}
	return false
}

func versionList(vs []uint) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = fmt.Sprint(v)
	}
	return strings.Join(parts, ", ")
}

// session is one dedicated connection used for migrating one database.
type session struct {
	db   *sql.DB
	conn *sql.Conn
}

// connect opens a one-connection pool to the server (no database selected)
// and takes its connection. multiStatements is on only here: migration files
// hold several statements.
func connect(ctx context.Context, server *mysql.Config, multi bool) (*session, error) {
	if server == nil {
		return nil, errors.New("no server configured")
	}
	cfg := server.Clone()
	cfg.DBName = ""
	cfg.MultiStatements = multi
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(connector)
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err == nil {
		err = conn.PingContext(ctx)
	}
	if err != nil {
		if conn != nil {
			_ = conn.Close()
		}
		_ = db.Close()
		return nil, err
	}
	return &session{db: db, conn: conn}, nil
}

func (s *session) close() {
	_ = s.conn.Close()
	_ = s.db.Close()
}

func (s *session) lock(ctx context.Context, name string, timeout time.Duration) error {
	var got sql.NullInt64
	secs := int(timeout / time.Second)
	if secs < 1 {
		secs = 1
	}
	if err := s.conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, ?)", name, secs).Scan(&got); err != nil {
		return fmt.Errorf("take migration lock: %w", err)
	}
	if !got.Valid || got.Int64 != 1 {
		return fmt.Errorf("%w after %s", ErrLocked, timeout)
	}
	return nil
}

func (s *session) unlock(name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = s.conn.ExecContext(ctx, "DO RELEASE_LOCK(?)", name)
}

func (s *session) databaseExists(ctx context.Context, name string) (bool, error) {
	var n int
	err := s.conn.QueryRowContext(ctx,
		"SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", name).Scan(&n)
	return n > 0, err
}

// quoteIdent quotes a MySQL identifier with backticks.
func quoteIdent(name string) string {
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}
