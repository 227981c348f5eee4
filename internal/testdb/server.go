package testdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Environment variables of the kit.
const (
	// EnvDSN names the test server as a go-sql-driver/mysql DSN without a
	// database, e.g. root@tcp(127.0.0.1:3306)/. Unset: a private MariaDB is
	// started (see [PrivateServer]).
	EnvDSN = "HUBDB_TEST_DSN"
	// EnvKeep, when not empty, keeps every database a test created, passed
	// or failed.
	EnvKeep = "HUBDB_TEST_KEEP"
	// EnvAllow names the one server (host:port, exactly as in the DSN) that
	// is not on this machine and may still be used for tests. Without it
	// the kit refuses every server that is not on a loopback address or a
	// unix socket.
	EnvAllow = "HUBDB_TEST_ALLOW"
)

// ErrNotTestServer: the server is not on this machine and nobody said that
// tests may use it.
var ErrNotTestServer = errors.New("not a test server")

// Resolve returns the test server: the one at dsn when it is not empty (a
// parse error names the variable, never the DSN, which may hold a
// password), else the private server of [PrivateServer]. It checks the
// server with [CheckAllowed] against allow.
func Resolve(ctx context.Context, dsn, allow string, logf func(string, ...any)) (*mysql.Config, error) {
	if dsn == "" {
		return PrivateServer(ctx, logf)
	}
	cfg, err := ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	if err := CheckAllowed(cfg, allow); err != nil {
		return nil, err
	}
	return cfg, nil
}

// ParseDSN parses the test server's DSN, without its database. Its error
// names the variable, never the DSN, which may hold a password.
func ParseDSN(dsn string) (*mysql.Config, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("testdb: %s is not a valid go-sql-driver/mysql DSN (e.g. root@tcp(127.0.0.1:3306)/)", EnvDSN)
	}
	cfg.DBName = ""
	return cfg, nil
}

// ServerFromEnv is Resolve with the kit's environment variables.
func ServerFromEnv(ctx context.Context, logf func(string, ...any)) (*mysql.Config, error) {
	return Resolve(ctx, os.Getenv(EnvDSN), os.Getenv(EnvAllow), logf)
}

// CheckAllowed accepts a server on a unix socket or a loopback address
// (localhost, 127.0.0.0/8, ::1), and any other server only when allow is
// exactly its address: tests create and drop databases, and a DSN copied
// from the wrong environment must not point them at a shared server.
func CheckAllowed(cfg *mysql.Config, allow string) error {
	if cfg.Net == "unix" {
		return nil
	}
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		host = cfg.Addr
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	if allow != "" && allow == cfg.Addr {
		return nil
	}
	return fmt.Errorf("testdb: %w: the server at %s is not on this machine; tests create and drop databases there. "+
		"If it is meant for tests, set %s=%s (or the kit's AllowServer); otherwise point %s at a local server or unset it",
		ErrNotTestServer, cfg.Addr, EnvAllow, cfg.Addr, EnvDSN)
}

// Connect opens a pool on server set up for the kit's functions ([List],
// [Drop]): no database, several statements per call with their arguments
// interpolated by the driver (a server-side prepared statement holds one
// statement), UTC times.
func Connect(server *mysql.Config) *sql.DB {
	return sql.OpenDB(mustConnector(adminConfig(server)))
}

// adminConfig is cfg set up for the kit's own connections (see Connect).
func adminConfig(cfg *mysql.Config) *mysql.Config {
	c := cfg.Clone()
	c.DBName = ""
	c.MultiStatements = true
	c.InterpolateParams = true
	c.ParseTime = true
	c.Loc = time.UTC
	if c.Timeout == 0 {
		c.Timeout = 5 * time.Second
	}
	return c
}
