package config

import (
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/solarhub/hubdb/internal/devdb"
)

// TestTLS checks how the tls= mode of a DSN, the file's tls: section and
// the HUBDB_TLS_* variables combine into each server's *tls.Config.
func TestTLS(t *testing.T) {
	certs, err := devdb.NewCerts(t.TempDir(), "config")
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		db         string
		tls        bool   // cfg.TLS set
		mode       string // cfg.TLSConfig
		ca         bool   // RootCAs set
		skip       bool   // InsecureSkipVerify
		fallback   bool   // AllowFallbackToPlaintext
		serverName string
	}
	tests := []struct {
		name string
		file string
		env  []string
		want []want
	}{
		{
			name: "no TLS by default",
			want: []want{{db: "ess"}},
		},
		{
			name: "DSN modes, no CA: the driver's meanings",
			env: []string{
				"HUBDB_DSN=app:pw@tcp(db1:3306)/?tls=true",
				"HUBDB_PV_DSN=app:pw@tcp(db2:3306)/?tls=skip-verify",
				"HUBDB_EV_DSN=app:pw@tcp(db3:3306)/?tls=preferred",
				"HUBDB_SITE_DSN=app:pw@tcp(db4:3306)/?tls=false",
			},
			want: []want{
				{db: "ess", tls: true, mode: "true", serverName: "db1"},
				{db: "pv", tls: true, mode: "skip-verify", skip: true},
				{db: "ev", tls: true, mode: "preferred", skip: true, fallback: true, serverName: "db3"},
				{db: "site"},
			},
		},
		{
			name: "a CA alone turns verified TLS on for every server",
			env:  []string{"HUBDB_DSN=app:pw@tcp(db1:3306)/", "HUBDB_PV_DSN=app:pw@tcp(db2:3307)/", "HUBDB_TLS_CA=" + certs.CA},
			want: []want{
				{db: "ess", tls: true, mode: "true", ca: true, serverName: "db1"},
				{db: "pv", tls: true, mode: "true", ca: true, serverName: "db2"},
			},
		},
		{
			name: "a CA with preferred verifies but may fall back; tls=false stays off",
			env: []string{"HUBDB_DSN=app:pw@tcp(db1:3306)/?tls=preferred", "HUBDB_SITE_DSN=app:pw@unix(/run/mysqld.sock)/?tls=false",
				"HUBDB_TLS_CA=" + certs.CA},
			want: []want{
				{db: "ess", tls: true, mode: "preferred", ca: true, fallback: true, serverName: "db1"},
				{db: "site"},
			},
		},
		{
			name: "file section: mode, CA and server name",
			file: "dsn: \"app:pw@tcp(10.0.0.5:3306)/\"\ntls: {mode: true, ca: " + certs.CA + ", server_name: db.internal}\n",
			want: []want{{db: "ess", tls: true, mode: "true", ca: true, serverName: "db.internal"}},
		},
		{
			name: "the DSN's mode beats the file's",
			file: "dsn: \"app:pw@tcp(db1:3306)/?tls=false\"\ntls: {mode: \"true\"}\n",
			want: []want{{db: "ess"}},
		},
		{
			name: "the environment beats the file, field by field",
			file: "dsn: \"app:pw@tcp(db1:3306)/\"\ntls: {ca: /nonexistent/ca.pem, server_name: from-file}\n",
			env:  []string{"HUBDB_TLS_CA=" + certs.CA},
			want: []want{{db: "ess", tls: true, mode: "true", ca: true, serverName: "from-file"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := ""
			if tt.file != "" {
				path = writeFile(t, tt.file)
			}
			c, err := Load(path, tt.env)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			for _, w := range tt.want {
				d, err := c.Database(w.db)
				if err != nil {
					t.Fatal(err)
				}
				s := d.Server
				if (s.TLS != nil) != w.tls || s.AllowFallbackToPlaintext != w.fallback {
					t.Fatalf("%s: TLS %v fallback %v; want %v %v", w.db, s.TLS != nil, s.AllowFallbackToPlaintext, w.tls, w.fallback)
				}
				if s.TLS == nil {
					continue
				}
				if s.TLSConfig != w.mode || (s.TLS.RootCAs != nil) != w.ca || s.TLS.InsecureSkipVerify != w.skip ||
					(!w.skip && s.TLS.ServerName != w.serverName) || s.TLS.MinVersion != tls.VersionTLS12 {
					t.Errorf("%s: mode %q CA %v skip %v server name %q; want %+v",
						w.db, s.TLSConfig, s.TLS.RootCAs != nil, s.TLS.InsecureSkipVerify, s.TLS.ServerName, w)
				}
			}
		})
	}
}

// TestTLSPerServer: every server gets its own *tls.Config, so changing one
// (as the driver does when it sets a ServerName) cannot affect another,
// and each Database call returns a copy.
func TestTLSPerServer(t *testing.T) {
	c, err := Load("", []string{"HUBDB_DSN=app:pw@tcp(db1)/?tls=true", "HUBDB_PV_DSN=app:pw@tcp(db2)/?tls=true"})
	if err != nil {
		t.Fatal(err)
	}
	ess, _ := c.Database("ess")
	pv, _ := c.Database("pv")
	if ess.Server.TLS == pv.Server.TLS {
		t.Fatal("two servers share one *tls.Config")
	}
	ess.Server.TLS.ServerName = "changed"
	if again, _ := c.Database("ess"); again.Server.TLS.ServerName != "db1" {
		t.Errorf("changing a returned server's TLS changed the config: %q", again.Server.TLS.ServerName)
	}
	for _, d := range c.DBX().DBs {
		if d.Server.TLS == nil || d.Server.TLS.ServerName == "changed" {
			t.Errorf("%s: TLS %+v", d.Name, d.Server.TLS)
		}
	}
}

func TestTLSErrors(t *testing.T) {
	dir := t.TempDir()
	certs, err := devdb.NewCerts(dir, "config")
	if err != nil {
		t.Fatal(err)
	}
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("password=Zq9secretZq9\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		file     string
		env      []string
		contains []string
	}{
		{
			name: "missing CA file", env: []string{"HUBDB_TLS_CA=" + filepath.Join(dir, "nope.pem")},
			contains: []string{"HUBDB_TLS_CA", "nope.pem", "no such file"},
		},
		{
			name: "CA file without a certificate", env: []string{"HUBDB_TLS_CA=" + notPEM},
			contains: []string{"HUBDB_TLS_CA", "no PEM certificate in " + notPEM},
		},
		{
			name: "CA in the file", file: "tls: {ca: " + notPEM + "}\n",
			contains: []string{"hubdb.yaml: tls.ca", "no PEM certificate"},
		},
		{
			name: "unknown mode in the file", file: "tls: {mode: verify-full}\n",
			contains: []string{"hubdb.yaml: tls.mode", "want true, false, skip-verify or preferred"},
		},
		{
			name:     "skip-verify with a CA",
			env:      []string{"HUBDB_DSN=app:Zq9secretZq9@tcp(db1)/?tls=skip-verify", "HUBDB_TLS_CA=" + certs.CA},
			contains: []string{fmt.Sprintf("HUBDB_DSN (server of database account and %d more)", len(knownDBs(t))-1), "skip-verify", "HUBDB_TLS_CA would be ignored"},
		},
		{
			name: "certificate without key", env: []string{"HUBDB_TLS_CERT=" + certs.ServerCert},
			contains: []string{"HUBDB_TLS_CERT", "needs its key"},
		},
		{
			name:     "key that does not match the certificate",
			env:      []string{"HUBDB_TLS_CERT=" + certs.CA, "HUBDB_TLS_KEY=" + certs.ServerKey},
			contains: []string{"HUBDB_TLS_CERT, HUBDB_TLS_KEY", "private key does not match public key"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := ""
			if tt.file != "" {
				path = writeFile(t, tt.file)
			}
			_, err := Load(path, tt.env)
			if !errors.Is(err, ErrInvalidTLS) {
				t.Fatalf("Load error = %v, want one matching ErrInvalidTLS", err)
			}
			msg := err.Error()
			for _, s := range tt.contains {
				if !strings.Contains(msg, s) {
					t.Errorf("message %q lacks %q", msg, s)
				}
			}
			if strings.Contains(msg, "Zq9secretZq9") || strings.Contains(msg, "\n") {
				t.Errorf("message shows the secret or has several lines: %q", msg)
			}
		})
	}
}
