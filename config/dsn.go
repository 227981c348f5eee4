package config

import (
	"fmt"
	"strings"

	"github.com/go-sql-driver/mysql"
)

// parseServer parses a server DSN. Its errors never contain any part of dsn:
// go-sql-driver's own messages can echo parameter values, the network
// name or the database name, and with an unescaped '/' or '@' in the
// password those can hold pieces of it, so each is replaced by a fixed
// description.
func parseServer(dsn string) (*mysql.Config, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrInvalidDSN, describeParseError(err))
	}
	switch cfg.Net {
	case "tcp", "tcp4", "tcp6", "unix":
	default:
		return nil, fmt.Errorf("%w: %s", ErrInvalidDSN, unknownNetwork)
	}
	if cfg.DBName != "" {
		return nil, fmt.Errorf("%w: it names a database; end it with \"/\" (the database name comes from the logical name and HUBDB_DB_PREFIX)", ErrInvalidDSN)
	}
	return cfg, nil
}

// describeParseError maps a go-sql-driver parse error to a message that
// holds none of the DSN's text: only the driver's fixed sentences pass
// through; every message that embeds a value is replaced.
func describeParseError(err error) string {
	msg := err.Error()
	switch {
	case fixedDriverErrors[msg]:
		return strings.TrimPrefix(msg, "invalid DSN: ")
	case strings.HasPrefix(msg, "default addr for network"):
		return unknownNetwork
	case strings.HasPrefix(msg, "invalid dbname"):
		return "bad %-escape after the last \"/\""
	case strings.HasPrefix(msg, "invalid bool value"):
		return "a boolean parameter is not true, false, 1 or 0"
	case strings.HasPrefix(msg, "invalid value / unknown config name"),
		strings.HasPrefix(msg, "invalid value for TLS config name"):
		return "bad tls parameter (want true, false, skip-verify or preferred)"
	default:
		return "a parameter has an invalid value (see the go-sql-driver/mysql DSN parameters)"
	}
}

const unknownNetwork = "unknown network before the address (want tcp(host:port) or unix(/path/to/socket))"

// fixedDriverErrors are go-sql-driver's parse errors that embed no input.
var fixedDriverErrors = map[string]bool{
	"invalid DSN: did you forget to escape a param value?":                  true,
	"invalid DSN: network address not terminated (missing closing brace)":   true,
	"invalid DSN: missing the slash separating the database name":           true,
	"invalid DSN: interpolateParams can not be used with unsafe collations": true,
}

// Redact renders a server as user@net(addr)/dbname, e.g.
// "app@tcp(db1:3306)/stage_ess": never the password or parameters. Use it
// wherever a server is printed or logged. A nil cfg renders as "<nil>".
func Redact(cfg *mysql.Config) string {
	if cfg == nil {
		return "<nil>"
	}
	var b strings.Builder
	if cfg.User != "" {
		b.WriteString(cfg.User)
		b.WriteByte('@')
	}
	netw := cfg.Net
	if netw == "" {
		netw = "tcp"
	}
	b.WriteString(netw)
	if cfg.Addr != "" {
		b.WriteByte('(')
		b.WriteString(cfg.Addr)
		b.WriteByte(')')
	}
	b.WriteByte('/')
	b.WriteString(cfg.DBName)
	out := b.String()
	if cfg.Passwd != "" {
		// A password that also appears in the user or host name would be
		// an odd choice; still never print it.
		out = strings.ReplaceAll(out, cfg.Passwd, mask(cfg.Passwd))
	}
	return out
}

// mask returns the text that stands for the password pw: five of the first
// of x, * and # that pw lacks, so that masking cannot spell pw again (with
// "xxxxx", the password "xa" in the host "xaa" would become "xxxxxa").
func mask(pw string) string {
	for _, c := range "x*#" {
		if !strings.ContainsRune(pw, c) {
			return strings.Repeat(string(c), 5)
		}
	}
	return "" // pw holds x, * and #: drop it
}
