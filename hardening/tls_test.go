package hardening_test

import (
	"context"
	"crypto/tls"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/solarhub/hubdb/config"
	"github.com/solarhub/hubdb/dbx"
	"github.com/solarhub/hubdb/internal/devdb"
)

// TestTLS runs a private MariaDB with a throwaway CA and
// --require-secure-transport=ON and connects to it through package config:
// with the CA the session is encrypted (a non-empty Ssl_cipher) for plain
// connections, hubdb migrate and dbx pools alike; without TLS the server
// refuses; with another CA the client refuses, and both failures say what
// to do.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	certs, err := devdb.NewCerts(dir, "hardening")
	if err != nil {
		t.Fatal(err)
	}
	otherCA, err := devdb.NewCerts(t.TempDir(), "other")
	if err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, devdb.Options{TLS: certs, Args: []string{"--require-secure-transport=ON"}})
	dsn := "root@tcp(" + srv.Addr() + ")/"
	// The databases below are the production names on a server of this
	// test alone, gone when it stops: no prefix.
	withCA := []string{"HUBDB_DSN=" + dsn, "HUBDB_TLS_CA=" + certs.CA}

	t.Run("with the CA the session is encrypted", func(t *testing.T) {
		for _, env := range [][]string{
			withCA,
			{"HUBDB_DSN=" + dsn + "?tls=true", "HUBDB_TLS_CA=" + certs.CA},
			{"HUBDB_DSN=" + dsn + "?tls=preferred", "HUBDB_TLS_CA=" + certs.CA},
			{"HUBDB_DSN=" + dsn + "?tls=skip-verify"}, // encrypted, though unverified
		} {
			cipher, version, err := sslStatus(t, env)
			if err != nil {
				t.Fatalf("%v: %v", env, err)
			}
			if cipher == "" || !strings.HasPrefix(version, "TLS") {
				t.Fatalf("%v: Ssl_cipher %q, Ssl_version %q: not encrypted", env, cipher, version)
			}
			t.Logf("%s: Ssl_cipher %s, Ssl_version %s", env[0], cipher, version)
		}
	})

	t.Run("without TLS the server refuses", func(t *testing.T) {
		// MariaDB 10.11 answers a plaintext login under
		// require_secure_transport with 1045, as for a wrong password
		// (MySQL says 3159); the same user and password got in over TLS
		// above.
		for _, env := range [][]string{{"HUBDB_DSN=" + dsn}, {"HUBDB_DSN=" + dsn + "?tls=false", "HUBDB_TLS_CA=" + certs.CA}} {
			_, _, err := sslStatus(t, env)
			var me *mysql.MySQLError
			if !errors.As(err, &me) || me.Number != 1045 && me.Number != 3159 {
				t.Fatalf("%v: error %v, want the server's refusal of insecure transport", env, err)
			}
			t.Logf("%v: %v", env, err)
		}
	})

	t.Run("another CA fails the handshake", func(t *testing.T) {
		_, _, err := sslStatus(t, []string{"HUBDB_DSN=" + dsn, "HUBDB_TLS_CA=" + otherCA.CA})
		var certErr *tls.CertificateVerificationError
		if !errors.As(err, &certErr) || !strings.Contains(err.Error(), "certificate signed by unknown authority") {
			t.Fatalf("error %v (%T), want a certificate verification error", err, err)
		}
		// A server name the certificate does not carry fails as well.
		_, _, err = sslStatus(t, []string{"HUBDB_DSN=" + dsn, "HUBDB_TLS_CA=" + certs.CA, "HUBDB_TLS_SERVER_NAME=db.example"})
		if !errors.As(err, &certErr) || !strings.Contains(err.Error(), "db.example") {
			t.Fatalf("wrong server name: error %v, want a verification error naming it", err)
		}
	})

	t.Run("hubdb migrate over TLS", func(t *testing.T) {
		r := runHubdb(t, withCA, "migrate", "up", "--db", "ess", "--db", "pv")
		if r.code != 0 {
			t.Fatalf("migrate up: exit %d\n%s%s", r.code, r.out, r.errOut)
		}
		r = runHubdb(t, withCA, "migrate", "status", "--db", "ess", "--db", "pv")
		if r.code != 0 || strings.Count(r.out, " ok") != 2 {
			t.Fatalf("migrate status: exit %d\n%s%s", r.code, r.out, r.errOut)
		}
		for _, tt := range []struct {
			name  string
			env   []string
			parts []string
		}{
			{"no TLS", []string{"HUBDB_DSN=" + dsn},
				[]string{"migrate status ess", "access denied", "requires TLS, connect with TLS", "HUBDB_TLS_CA"}},
			{"another CA", []string{"HUBDB_DSN=" + dsn, "HUBDB_TLS_CA=" + otherCA.CA},
				[]string{"migrate status ess", "TLS connection failed at " + srv.Addr(), "certificate signed by unknown authority", "HUBDB_TLS_CA"}},
		} {
			r := runHubdb(t, tt.env, "migrate", "status", "--db", "ess")
			line := strings.TrimSpace(r.errOut)
			if r.code != 1 || strings.Contains(line, "\n") {
				t.Fatalf("%s: exit %d, stderr:\n%s", tt.name, r.code, r.errOut)
			}
			for _, p := range tt.parts {
				if !strings.Contains(line, p) {
					t.Errorf("%s: %q lacks %q", tt.name, line, p)
				}
			}
			t.Logf("%s: %s", tt.name, line)
		}
	})

	t.Run("dbx pools over TLS", func(t *testing.T) {
		cfg, err := config.Load("", withCA)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		m, err := dbx.Open(ctx, only(cfg.DBX(), "ess"))
		if err != nil {
			t.Fatalf("dbx.Open: %v (run after \"hubdb migrate over TLS\")", err)
		}
		defer m.Close()
		db, err := dbx.Bind(m, "ess", func(d dbx.DBTX) dbx.DBTX { return d })
		if err != nil {
			t.Fatal(err)
		}
		var name, cipher string
		if err := db.Queries(ctx).QueryRowContext(ctx, "SHOW SESSION STATUS LIKE 'Ssl_cipher'").Scan(&name, &cipher); err != nil || cipher == "" {
			t.Fatalf("Ssl_cipher through dbx: %q, %v", cipher, err)
		}
		t.Logf("dbx pool ess: Ssl_cipher %s", cipher)
	})
}

// sslStatus loads the configuration from env, connects to the server of
// database ess and returns the session's Ssl_cipher and Ssl_version.
func sslStatus(t *testing.T, env []string) (cipher, version string, err error) {
	t.Helper()
	cfg, err := config.Load("", env)
	if err != nil {
		t.Fatalf("config.Load: %v", err)
	}
	d, err := cfg.Database("ess")
	if err != nil {
		t.Fatal(err)
	}
	d.Server.Timeout = 10 * time.Second
	connector, err := mysql.NewConnector(d.Server)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var name string
	if err := db.QueryRowContext(ctx, "SHOW SESSION STATUS LIKE 'Ssl_cipher'").Scan(&name, &cipher); err != nil {
		return "", "", err
	}
	if err := db.QueryRowContext(ctx, "SHOW SESSION STATUS LIKE 'Ssl_version'").Scan(&name, &version); err != nil {
		return "", "", err
	}
	return cipher, version, nil
}

// only returns cfg restricted to the named databases.
func only(cfg dbx.Config, names ...string) dbx.Config {
	var dbs []dbx.DBConfig
	for _, d := range cfg.DBs {
		for _, n := range names {
			if d.Name == n {
				dbs = append(dbs, d)
			}
		}
	}
	cfg.DBs = dbs
	return cfg
}
