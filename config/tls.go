package config

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"

	"github.com/go-sql-driver/mysql"
)

// Environment variables of the TLS settings; each beats the same field of
// the file's tls: section.
const (
	// EnvTLSCA names a PEM file of the CA certificates that verify the
	// servers (file: tls.ca).
	EnvTLSCA = "HUBDB_TLS_CA"
	// EnvTLSServerName is the name the servers' certificates must carry,
	// when it differs from the host of the DSN (file: tls.server_name).
	EnvTLSServerName = "HUBDB_TLS_SERVER_NAME"
	// EnvTLSCert and EnvTLSKey name the PEM files of a client certificate
	// and its key, for users created REQUIRE X509 (file: tls.cert, tls.key).
	EnvTLSCert = "HUBDB_TLS_CERT"
	EnvTLSKey  = "HUBDB_TLS_KEY"
)

// ErrInvalidTLS: a TLS setting that cannot be used (unknown mode, a CA or
// key file that does not load, settings that contradict each other).
var ErrInvalidTLS = errors.New("invalid TLS settings")

// fileTLS is the file's tls: section.
type fileTLS struct {
	// Mode is a DSN tls= value: true, false, skip-verify or preferred. A
	// DSN's own tls= parameter wins.
	Mode       string `yaml:"mode"`
	CA         string `yaml:"ca"`
	ServerName string `yaml:"server_name"`
	Cert       string `yaml:"cert"`
	Key        string `yaml:"key"`
}

// tlsPlan is the resolved TLS settings, applied to every server.
type tlsPlan struct {
	mode       string // "" when neither the file nor a CA asks for one
	roots      *x509.CertPool
	caSrc      string // where the CA came from, for messages
	serverName string
	certs      []tls.Certificate
}

// loadTLS merges the environment over the file's tls: section and loads
// the CA and client certificate files. Its errors name the setting and the
// file, never the files' contents.
func loadTLS(path string, f fileTLS, env map[string]string) (*tlsPlan, error) {
	pick := func(key, fileValue, fileKey string) (value, src string) {
		if v := env[key]; v != "" {
			return v, key
		}
		return fileValue, path + ": tls." + fileKey
	}
	p := &tlsPlan{}
	switch f.Mode {
	case "", "true", "false", "skip-verify", "preferred":
		p.mode = f.Mode
	default:
		return nil, fmt.Errorf("config: %s: tls.mode: %w: want true, false, skip-verify or preferred", path, ErrInvalidTLS)
	}
	p.serverName, _ = pick(EnvTLSServerName, f.ServerName, "server_name")

	ca, caSrc := pick(EnvTLSCA, f.CA, "ca")
	if ca != "" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			return nil, fmt.Errorf("config: %s: %w: %w", caSrc, ErrInvalidTLS, err)
		}
		p.roots = x509.NewCertPool()
		if !p.roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("config: %s: %w: no PEM certificate in %s", caSrc, ErrInvalidTLS, ca)
		}
		p.caSrc = caSrc
	}

	cert, certSrc := pick(EnvTLSCert, f.Cert, "cert")
	key, keySrc := pick(EnvTLSKey, f.Key, "key")
	switch {
	case cert != "" && key != "":
		pair, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			// crypto/tls's messages name the files and the problem, not
			// their contents.
			return nil, fmt.Errorf("config: %s, %s: %w: %w", certSrc, keySrc, ErrInvalidTLS, err)
		}
		p.certs = []tls.Certificate{pair}
	case cert != "":
		return nil, fmt.Errorf("config: %s: %w: a client certificate needs its key (%s or tls.key)", certSrc, ErrInvalidTLS, EnvTLSKey)
	case key != "":
		return nil, fmt.Errorf("config: %s: %w: a client key needs its certificate (%s or tls.cert)", keySrc, ErrInvalidTLS, EnvTLSCert)
	}
	return p, nil
}

// apply sets cfg.TLS, a *tls.Config of this server alone (never a name
// registered with mysql.RegisterTLSConfig), from the DSN's tls= mode, else
// the file's mode, else "true" when a CA is given:
//
//	true         verify the server's certificate (with the CA if given)
//	preferred    as true when a CA is given, else encrypt without
//	             verifying; plaintext when the server offers no TLS
//	skip-verify  encrypt without verifying (a CA contradicts it)
//	false        no TLS
func (p *tlsPlan) apply(cfg *mysql.Config) error {
	mode := cfg.TLSConfig
	if mode == "" {
		mode = p.mode
	}
	if mode == "" && p.roots != nil {
		mode = "true"
	}
	var t *tls.Config
	switch mode {
	case "", "false":
		cfg.TLS = nil
		return nil
	case "skip-verify":
		if p.roots != nil {
			return fmt.Errorf("%w: tls=skip-verify does not verify the server, so the CA of %s would be ignored; use tls=true",
				ErrInvalidTLS, p.caSrc)
		}
		t = &tls.Config{InsecureSkipVerify: true}
	case "true", "preferred":
		t = &tls.Config{RootCAs: p.roots, ServerName: p.serverName}
		if t.ServerName == "" {
			if host, _, err := net.SplitHostPort(cfg.Addr); err == nil {
				t.ServerName = host
			}
		}
		if mode == "preferred" {
			cfg.AllowFallbackToPlaintext = true
			t.InsecureSkipVerify = p.roots == nil // the driver's meaning of preferred
		}
	default:
		// parseServer accepts only the four modes; anything else is a
		// name registered with mysql.RegisterTLSConfig, which hubdb never
		// uses.
		return fmt.Errorf("%w: unknown tls mode (want true, false, skip-verify or preferred)", ErrInvalidTLS)
	}
	t.MinVersion = tls.VersionTLS12
	t.Certificates = p.certs
	cfg.TLS = t
	cfg.TLSConfig = mode
	return nil
}
