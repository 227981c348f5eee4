package config

import (
	"errors"
	"strings"
	"testing"
)

// parseMessages are every message parseServer may give after "invalid
// DSN: ": fixed sentences, none built from the input.
var parseMessages = func() map[string]bool {
	m := map[string]bool{
		unknownNetwork:                                                                  true,
		`bad %-escape after the last "/"`:                                               true,
		"a boolean parameter is not true, false, 1 or 0":                                true,
		"bad tls parameter (want true, false, skip-verify or preferred)":                true,
		"a parameter has an invalid value (see the go-sql-driver/mysql DSN parameters)": true,
		`it names a database; end it with "/" (the database name comes from the logical name and HUBDB_DB_PREFIX)`: true,
	}
	for msg := range fixedDriverErrors {
		m[strings.TrimPrefix(msg, "invalid DSN: ")] = true
	}
	return m
}()

// FuzzRedact feeds arbitrary DSNs to the DSN handling of this package:
// parseServer, the TLS settings and Redact. It checks that nothing panics,
// that a parse error is one of the fixed messages (so no part of the DSN,
// which may hold a password, reaches an error), that Redact never shows
// the parsed password, even where masking it could spell it again, and
// that TLS settings either apply or fail with ErrInvalidTLS.
func FuzzRedact(f *testing.F) {
	for _, dsn := range []string{
		"root@tcp(127.0.0.1:3306)/",
		"app:s3cret@tcp(db1:3306)/?tls=true&parseTime=true",
		"app:pw@unix(/run/mysqld/mysqld.sock)/?tls=skip-verify",
		"x:x@tcp(x:1)/",
		"x:xa@tcp(xaa:1)/",
	} {
		f.Add(dsn)
	}
	plans := []*tlsPlan{{}, {mode: "true", serverName: "db.internal"}, {mode: "preferred"}}
	f.Fuzz(func(t *testing.T, dsn string) {
		cfg, err := parseServer(dsn)
		if err != nil {
			msg, ok := strings.CutPrefix(err.Error(), ErrInvalidDSN.Error()+": ")
			if !ok || !parseMessages[msg] {
				t.Fatalf("parse error %q is not one of the fixed messages", err)
			}
			return
		}
		if r := Redact(cfg); cfg.Passwd != "" && strings.Contains(r, cfg.Passwd) {
			t.Fatalf("Redact shows the password %q: %q", cfg.Passwd, r)
		}
		for _, p := range plans {
			c := cfg.Clone()
			if err := p.apply(c); err != nil && !errors.Is(err, ErrInvalidTLS) {
				t.Fatalf("apply: %v", err)
			}
		}
	})
}
