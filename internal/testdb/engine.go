package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"
)

// adminConns caps the connections one process's kit holds on the server
// (each test uses one at a time to create or drop its databases; the owner
// lock holds one more): many parallel tests must not run the server out of
// connections before their own pools open.
const adminConns = 4

// Engine makes and removes the kit's databases on one server. One Engine
// serves a process; get it with [Open].
type Engine struct {
	server *mysql.Config
	admin  *sql.DB
	owner  string
	held   *sql.Conn // holds ownerLock(owner) while the process lives
	sets   atomic.Int64

	mu        sync.Mutex
	templates map[string]*templateBuild
	swept     atomic.Int64 // sweep's count, not yet reported
}

var engines = struct {
	sync.Mutex
	m map[string]*Engine
}{m: map[string]*Engine{}}

// Open returns the process's Engine for server, creating it the first time:
// it opens the kit's connections (at most adminConns), creates the kit's
// tables, takes this process's owner lock and drops the databases that
// processes which have ended left behind (killed runs), except those kept
// for failed tests. A failed Open is retried by the next call.
func Open(ctx context.Context, server *mysql.Config) (*Engine, error) {
	key := server.FormatDSN()
	engines.Lock()
	defer engines.Unlock()
	if e := engines.m[key]; e != nil {
		return e, nil
	}
	e, err := open(ctx, server)
	if err != nil {
		return nil, err
	}
	engines.m[key] = e
	return e, nil
}

func open(ctx context.Context, server *mysql.Config) (*Engine, error) {
	admin := sql.OpenDB(mustConnector(adminConfig(server)))
	admin.SetMaxOpenConns(adminConns)
	admin.SetMaxIdleConns(adminConns)
	admin.SetConnMaxIdleTime(time.Minute)
	e := &Engine{server: server.Clone(), admin: admin, templates: map[string]*templateBuild{}}
	fail := func(what string, err error) (*Engine, error) {
		if e.held != nil {
			_ = e.held.Close()
		}
		_ = admin.Close()
		return nil, fmt.Errorf("testdb: %s on the test server %s: %w", what, server.Addr, err)
	}
	if _, err := admin.ExecContext(ctx, kitTables); err != nil {
		return fail("create the kit's tables", err)
	}
	b := make([]byte, ownerLen/2)
	_, _ = rand.Read(b)
	e.owner = hex.EncodeToString(b)
	held, err := admin.Conn(ctx)
	if err != nil {
		return fail("connect", err)
	}
	e.held = held
	var got sql.NullInt64
	if err := held.QueryRowContext(ctx, "SELECT GET_LOCK(?, 0)", ownerLock(e.owner)).Scan(&got); err != nil || got.Int64 != 1 {
		if err == nil {
			err = fmt.Errorf("owner lock %s is taken", ownerLock(e.owner))
		}
		return fail("take the owner lock", err)
	}
	if _, err := held.ExecContext(ctx, "SET SESSION wait_timeout = 31536000"); err != nil {
		return fail("set up the owner connection", err)
	}
	n, err := e.sweep(ctx)
	if err != nil {
		return fail("drop databases left by ended test runs", err)
	}
	e.swept.Store(int64(n))
	return e, nil
}

// kitTables are the kit's own tables: the templates that are ready (the
// row is written only once the template is complete, so a template without
// a row is a build that died and is rebuilt) and the copies kept for tests
// that failed (never swept).
var kitTables = strings.Join([]string{
	"CREATE DATABASE IF NOT EXISTS " + quoteIdent(metaSchema) + " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
	"CREATE TABLE IF NOT EXISTS " + quoteIdent(metaSchema) + `.templates (
		name VARCHAR(64) NOT NULL PRIMARY KEY,
		db VARCHAR(64) NOT NULL,
		hash CHAR(10) NOT NULL,
		script MEDIUMTEXT NOT NULL,
		built_at DATETIME(6) NOT NULL
	) ENGINE=InnoDB`,
	"CREATE TABLE IF NOT EXISTS " + quoteIdent(metaSchema) + `.kept (
		name VARCHAR(64) NOT NULL PRIMARY KEY,
		test VARCHAR(1024) NOT NULL,
		kept_at DATETIME(6) NOT NULL
	) ENGINE=InnoDB`,
}, ";\n")

// Server returns a copy of the server's configuration (no database).
func (e *Engine) Server() *mysql.Config { return e.server.Clone() }

// Owner is this process's owner id, part of every copy's name.
func (e *Engine) Owner() string { return e.owner }

// Swept returns how many databases of ended processes Open dropped, once:
// later calls return 0, so that only one test reports the sweep.
func (e *Engine) Swept() int { return int(e.swept.Swap(0)) }
