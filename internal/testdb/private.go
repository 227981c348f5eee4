package testdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/solarhub/hubdb/internal/devdb"
)

// The private server stops itself this long after its last client left:
// the event checks every idleCheck and shuts the server down after
// idleChecks checks in a row found no client. Between two test binaries of
// one `go test ./...` (the next one is still linking) it stays up.
const (
	idleCheck  = 5 * time.Second
	idleChecks = 4
)

// privateArgs tune the private server for tests: nothing it holds needs to
// survive a crash, so commits and table files are not synced.
var privateArgs = []string{
	"--innodb-flush-log-at-trx-commit=0", "--innodb-doublewrite=0",
	"--event-scheduler=ON", "--max-connections=1000",
}

var private struct {
	sync.Mutex
	cfg  *mysql.Config
	keep *sql.DB // one connection, open while this process lives
}

// PrivateServer returns the private MariaDB of this machine's user, starting
// it when it is not running. It is shared by every test process of the user
// (one `go test ./...` runs a process per package): the first one starts it
// under a file lock, the others find it through the port file beside its
// datadir. Each process keeps one connection open while it lives; the server
// shuts itself down about 20 s after the last one is gone (an event of its
// own, so no process has to outlive the run), and the datadir, with the
// templates, is reused by the next run. The datadir is in /dev/shm when that
// has 1 GiB free, else in the user's cache directory. mariadbd comes from
// Debian's mariadb-server, installed with apt-get when missing (as root).
func PrivateServer(ctx context.Context, logf func(string, ...any)) (*mysql.Config, error) {
	private.Lock()
	defer private.Unlock()
	if private.cfg != nil {
		return private.cfg.Clone(), nil
	}
	dir, err := privateDir()
	if err != nil {
		return nil, err
	}
	unlock, err := lockFile(filepath.Join(dir, "lock"))
	if err != nil {
		return nil, err
	}
	defer unlock()

	portFile := filepath.Join(dir, "port")
	for attempt := 0; ; attempt++ {
		if b, err := os.ReadFile(portFile); err == nil {
			if port, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				cfg := privateConfig(port)
				if keep, err := keepAlive(ctx, cfg); err == nil {
					private.cfg, private.keep = cfg, keep
					return cfg.Clone(), nil
				}
			}
		}
		if attempt == 1 {
			return nil, fmt.Errorf("testdb: the private MariaDB in %s started but does not stay up; see %s",
				dir, filepath.Join(dir, "error.log"))
		}
		if err := startPrivate(ctx, dir, portFile, logf); err != nil {
			return nil, err
		}
	}
}

// privateDir is where the private server lives, created if needed.
func privateDir() (string, error) {
	uid := strconv.Itoa(os.Getuid())
	var dir string
	if free, err := freeBytes("/dev/shm"); err == nil && free >= 1<<30 {
		dir = filepath.Join("/dev/shm", "hubtest-"+uid)
	} else if cache, err := os.UserCacheDir(); err == nil {
		dir = filepath.Join(cache, "hubtest", "mariadb")
	} else {
		dir = filepath.Join(os.TempDir(), "hubtest-"+uid)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("testdb: private server directory: %w", err)
	}
	return dir, nil
}

func privateConfig(port int) *mysql.Config {
	cfg := mysql.NewConfig()
	cfg.User = "root"
	cfg.Net = "tcp"
	cfg.Addr = "127.0.0.1:" + strconv.Itoa(port)
	return cfg
}

// startPrivate starts mariadbd on dir's datadir (initialising it the first
// time), writes its port and installs the event that stops it when idle.
func startPrivate(ctx context.Context, dir, portFile string, logf func(string, ...any)) error {
	if _, _, err := devdb.Binaries(); err != nil {
		if os.Getuid() != 0 {
			return fmt.Errorf("testdb: %w; or set %s to a MariaDB/MySQL server for tests", err, EnvDSN)
		}
		if err := devdb.Install(ctx, func(s string) { logf("testdb: %s", s) }); err != nil {
			return err
		}
	}
	// A server that stopped itself may still be shutting down: it holds the
	// datadir and the socket until it exits.
	if b, err := os.ReadFile(filepath.Join(dir, "mariadbd.pid")); err == nil {
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			deadline := time.Now().Add(time.Minute)
			for processAlive(pid) && time.Now().Before(deadline) {
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(50 * time.Millisecond):
				}
			}
		}
	}
	logf("testdb: %s is not set: starting the private MariaDB in %s", EnvDSN, dir)
	srv, err := devdb.Start(ctx, devdb.Options{Dir: dir, Args: privateArgs})
	if err != nil {
		return fmt.Errorf("%w\n(set %s to use a server of your own instead)", err, EnvDSN)
	}
	db := sql.OpenDB(mustConnector(adminConfig(srv.Config())))
	defer db.Close()
	if err := installIdleStop(ctx, db, idleCheck, idleChecks); err != nil {
		return fmt.Errorf("testdb: private server: %w", err)
	}
	port := strings.TrimPrefix(srv.Addr(), "127.0.0.1:")
	if err := os.WriteFile(portFile, []byte(port+"\n"), 0o600); err != nil {
		return fmt.Errorf("testdb: private server: %w", err)
	}
	return nil
}

// installIdleStop creates the event that shuts the server down once no
// client has been connected for checks checks, every interval, in a row.
func installIdleStop(ctx context.Context, db *sql.DB, interval time.Duration, checks int) error {
	stmts := []string{
		"CREATE DATABASE IF NOT EXISTS " + quoteIdent(metaSchema),
		"CREATE TABLE IF NOT EXISTS " + quoteIdent(metaSchema) + ".idle (id INT PRIMARY KEY, checks INT NOT NULL)",
		"REPLACE INTO " + quoteIdent(metaSchema) + ".idle VALUES (1, 0)",
		"DROP EVENT IF EXISTS " + quoteIdent(metaSchema) + ".stop_when_idle",
		fmt.Sprintf(`CREATE EVENT %[1]s.stop_when_idle ON SCHEDULE EVERY %[2]d SECOND DO
BEGIN
  IF EXISTS (SELECT 1 FROM information_schema.PROCESSLIST
             WHERE ID <> CONNECTION_ID() AND COMMAND <> 'Daemon' AND USER NOT IN ('system user', 'event_scheduler')) THEN
    UPDATE %[1]s.idle SET checks = 0 WHERE id = 1;
  ELSE
    UPDATE %[1]s.idle SET checks = checks + 1 WHERE id = 1;
    IF (SELECT checks FROM %[1]s.idle WHERE id = 1) >= %[3]d THEN
      UPDATE %[1]s.idle SET checks = 0 WHERE id = 1;
      SHUTDOWN;
    END IF;
  END IF;
END`, quoteIdent(metaSchema), max(int(interval/time.Second), 1), checks),
	}
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

// keepAlive opens the connection that keeps the private server up while
// this process lives, and checks that the server answers on it.
func keepAlive(ctx context.Context, cfg *mysql.Config) (*sql.DB, error) {
	db := sql.OpenDB(mustConnector(adminConfig(cfg)))
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	// The session must not time out while tests run: wait_timeout is the
	// longest MariaDB allows.
	if _, err := db.ExecContext(pingCtx, "SET SESSION wait_timeout = 31536000"); err != nil {
		_ = db.Close()
		return nil, err
	}
	return db, nil
}

func mustConnector(cfg *mysql.Config) driver.Connector {
	c, err := mysql.NewConnector(cfg)
	if err != nil {
		// Only a TLS configuration that does not exist fails here, and the
		// kit's configurations name none or one registered by the caller.
		panic(errors.Join(errors.New("testdb: connector"), err))
	}
	return c
}
