package doctor

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/solarhub/hubdb/dbx"
)

// conn is the doctor's one connection to a server.
type conn struct {
	db   *sql.DB
	c    *sql.Conn
	info *serverInfo
	// canVerify: the user may create the drift check's scratch
	// databases (set by the privileges check).
	canVerify bool
}

func (c *conn) close() {
	_ = c.c.Close()
	_ = c.db.Close()
}

// serverInfo is what the doctor reads about a server when it connects.
type serverInfo struct {
	id      string // @@hostname:@@port, as dbx tells servers apart
	version string
	user    string // CURRENT_USER(), e.g. app@%
	// maxConns is @@global.max_connections.
	maxConns int
	// waitGlobal is @@global.wait_timeout, waitSession what this
	// connection (made like the application's) got.
	waitGlobal, waitSession time.Duration
	sqlModeGlobal           string
	sqlModeSession          string
	charsetServer           string
	collationServer         string
	charsetConn             string
	collationConn           string
	threadsConnected        int
	maxUsed                 int
	sslCipher, sslVersion   string
	haveSSL                 string // YES, DISABLED, NO or "" (unknown: MySQL 8.4 has no have_ssl)
	requireSecure           string // ON, OFF or ""
}

// connect opens one connection to s as the application's pools do (the
// configuration's DSN and TLS settings, dbx's collation default and no
// session settings of its own) and reads what the checks need.
func (e *runEnv) connect(ctx context.Context, s *server) (*conn, error) {
	cfg := s.cfg.Clone()
	cfg.DBName = ""
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	if cfg.Collation == "" {
		cfg.Collation = dbx.DefaultCollation // as dbx's pools
	}
	cfg.Timeout = e.opts.Timeout
	cfg.ReadTimeout = e.opts.Timeout
	cfg.WriteTimeout = e.opts.Timeout
	cfg.InterpolateParams = true
	cfg.MultiStatements = false
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(connector)
	db.SetMaxOpenConns(1)
	ctx, cancel := context.WithTimeout(ctx, e.opts.Timeout)
	defer cancel()
	c, err := db.Conn(ctx)
	if err == nil {
		err = c.PingContext(ctx)
	}
	var info *serverInfo
	if err == nil {
		info, err = readInfo(ctx, c)
	}
	if err != nil {
		if c != nil {
			_ = c.Close()
		}
		_ = db.Close()
		if ctx.Err() != nil && !errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("%w (%w)", context.DeadlineExceeded, err)
		}
		return nil, err
	}
	return &conn{db: db, c: c, info: info}, nil
}

// readInfo reads the server's variables and status on c.
func readInfo(ctx context.Context, c *sql.Conn) (*serverInfo, error) {
	in := &serverInfo{}
	var host string
	var port int
	var waitG, waitS int64
	var charsetConn, collConn sql.NullString
	err := c.QueryRowContext(ctx, `SELECT VERSION(), @@hostname, @@port, CURRENT_USER(), @@global.max_connections,
		@@global.wait_timeout, @@session.wait_timeout, @@global.sql_mode, @@session.sql_mode,
		@@global.character_set_server, @@global.collation_server,
		@@session.character_set_connection, @@session.collation_connection`).
		Scan(&in.version, &host, &port, &in.user, &in.maxConns, &waitG, &waitS, &in.sqlModeGlobal, &in.sqlModeSession,
			&in.charsetServer, &in.collationServer, &charsetConn, &collConn)
	if err != nil {
		return nil, fmt.Errorf("read the server's variables: %w", err)
	}
	in.id = fmt.Sprintf("%s:%d", host, port)
	in.waitGlobal, in.waitSession = time.Duration(waitG)*time.Second, time.Duration(waitS)*time.Second
	in.charsetConn, in.collationConn = charsetConn.String, collConn.String

	vals, err := nameValues(ctx, c, "SHOW GLOBAL STATUS WHERE Variable_name IN ('Threads_connected', 'Max_used_connections')")
	if err != nil {
		return nil, fmt.Errorf("read the server's status: %w", err)
	}
	fmt.Sscan(vals["Threads_connected"], &in.threadsConnected)
	fmt.Sscan(vals["Max_used_connections"], &in.maxUsed)
	if vals, err = nameValues(ctx, c, "SHOW SESSION STATUS WHERE Variable_name IN ('Ssl_cipher', 'Ssl_version')"); err != nil {
		return nil, fmt.Errorf("read the session's TLS status: %w", err)
	}
	in.sslCipher, in.sslVersion = vals["Ssl_cipher"], vals["Ssl_version"]
	if vals, err = nameValues(ctx, c, "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('have_ssl', 'require_secure_transport')"); err != nil {
		return nil, fmt.Errorf("read the server's TLS settings: %w", err)
	}
	in.haveSSL, in.requireSecure = strings.ToUpper(vals["have_ssl"]), strings.ToUpper(vals["require_secure_transport"])
	return in, nil
}

// nameValues runs a SHOW ... statement of name/value rows.
func nameValues(ctx context.Context, c *sql.Conn, query string) (map[string]string, error) {
	rows, err := c.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k string
		var v sql.NullString
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		out[k] = v.String
	}
	return out, rows.Err()
}

// connectFailure says why s did not answer and what to do about it.
func connectFailure(err error, s *server, timeout time.Duration) (finding, fix string) {
	dbs := plural(len(s.dbs), "database")
	addr := s.cfg.Addr
	var myErr *mysql.MySQLError
	var certErr *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var netErr *net.OpError
	switch {
	case errors.As(err, &certErr), errors.As(err, &unknownCA), errors.As(err, &hostErr):
		finding = fmt.Sprintf("cannot connect: the server's certificate does not verify: %v", rootCause(err))
		fix = "point HUBDB_TLS_CA (or tls.ca) at the CA that signed the server's certificate, and set HUBDB_TLS_SERVER_NAME " +
			"if the certificate names another host than the DSN's"
	case errors.Is(err, mysql.ErrNoTLS):
		finding = "cannot connect: the DSN asks for TLS and the server offers none"
		fix = "enable TLS on the server (ssl_cert, ssl_key and ssl_ca under [mysqld], then restart it)"
	case errors.As(err, &myErr) && (myErr.Number == 3159 || myErr.Number == 4151):
		finding = "cannot connect: the server requires TLS: " + myErr.Message
		fix = fmt.Sprintf("connect with TLS: set HUBDB_TLS_CA to the server's CA, or add ?tls=true to the DSN (%s)", dsnHint(s))
	case errors.As(err, &myErr) && (myErr.Number == 1045 || myErr.Number == 1698 || myErr.Number == 1044):
		finding = "cannot connect: access denied: " + myErr.Message
		fix = fmt.Sprintf("check the user and password of the DSN (%s)", dsnHint(s))
		if s.cfg.TLS == nil {
			fix += "; if the server or the user requires TLS (MariaDB answers a plaintext login then with 1045 too), connect with TLS (HUBDB_TLS_CA)"
		}
	case errors.As(err, &myErr) && myErr.Number == 1040:
		finding = "cannot connect: the server is full (1040 too many connections)"
		fix = "find who holds the connections (SHOW PROCESSLIST as an administrator); then see the budget of this server: " +
			"raise max_connections or lower the pools (pool.size, pool.overflow, server_budget, instances)"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		finding = fmt.Sprintf("cannot connect: no answer from %s within %v", addr, timeout)
		fix = "check that the server runs and that no firewall drops the packets; point the DSN at the right host (" + dsnHint(s) + ")"
	case errors.As(err, &netErr), errors.Is(err, syscall.ECONNREFUSED):
		finding = fmt.Sprintf("cannot connect to %s: %v", addr, rootCause(err))
		fix = "start the server, or point the DSN (" + dsnHint(s) + ") at a running one"
	default:
		finding = "cannot connect: " + oneLine(err)
		fix = "check the DSN (" + dsnHint(s) + ") and that the server runs"
	}
	return finding + fmt.Sprintf(" (%s not checked)", dbs), fix
}

// rootCause returns the innermost error, e.g. "connection refused".
func rootCause(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}
