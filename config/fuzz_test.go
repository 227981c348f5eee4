package config

import (
	"strconv"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
)

// FuzzLoad feeds Load (minus reading the file) a DSN "app:<password>@<rest>" (in the file, in a
// per-database file entry, in HUBDB_ESS_DSN, and as a replica or Galera
// node in the environment's DSN lists, bare and quoted, and in the file's)
// next to arbitrary extra YAML, and checks that Load never panics and that no error repeats the
// password. A message is taken to repeat the password when it contains the
// password's longest alphanumeric run while the message produced with the
// password's letters and digits rotated does not (so that words such as
// "invalid", which a password may share with the fixed text, do not
// count). When the DSN parses, the password is whatever go-sql-driver makes
// of it (an unescaped '@' or '/' can move text into the address), and
// Redact must not show it.
func FuzzLoad(f *testing.F) {
	f.Add("s3cret-pw", "tcp(db1:3306)/", "prefix: stage_\n")
	f.Fuzz(func(t *testing.T, password, rest, extra string) {
		core := longestAlnumRun(password)
		if len(core) < 6 {
			return
		}
		for _, mode := range loadModes {
			got, failed := loadOutput(t, mode, "app:"+password+"@"+rest, extra)
			if !failed || !strings.Contains(got, core) {
				continue
			}
			other, _ := loadOutput(t, mode, "app:"+rotate(password)+"@"+rest, extra)
			if !strings.Contains(other, core) {
				t.Fatalf("%s: output repeats the password %q: %q", mode, password, got)
			}
		}
	})
}

// loadModes are the places where loadOutput can put the DSN.
var loadModes = []string{"file", "file-db", "env", "env-replicas", "env-replicas-quoted", "env-galera", "file-replicas", "file-galera"}

// loadOutput runs Load with dsn placed according to mode and returns its
// error message and true, or on success every server as Redact renders it
// and the configuration as String renders it.
func loadOutput(t *testing.T, mode, dsn, extra string) (string, bool) {
	var path, data string
	var env []string
	const other = "ro:other@tcp(db9:3306)/"
	switch mode {
	case "file":
		path, data = "hubdb.yaml", "dsn: "+strconv.Quote(dsn)+"\n"+extra
	case "file-db":
		path, data = "hubdb.yaml", extra+"\ndatabases:\n  ess:\n    dsn: "+strconv.Quote(dsn)+"\n"
	case "env":
		env = []string{"HUBDB_ESS_DSN=" + dsn}
	case "env-replicas":
		env = []string{"HUBDB_REPLICAS=" + other + " " + dsn}
	case "env-replicas-quoted":
		env = []string{"HUBDB_ESS_REPLICAS=" + strconv.Quote(dsn) + "," + other}
	case "env-galera":
		env = []string{"HUBDB_GALERA=" + dsn + " " + other}
	case "file-replicas":
		path, data = "hubdb.yaml", "replicas: ["+strconv.Quote(dsn)+"]\n"+extra
	case "file-galera":
		path, data = "hubdb.yaml", extra+"\ndatabases:\n  ess:\n    galera: ["+strconv.Quote(other)+", "+strconv.Quote(dsn)+"]\n"
	}
	c, err := load(path, []byte(data), env)
	if err != nil {
		msg := err.Error()
		if strings.Contains(msg, "\n") {
			t.Fatalf("%s: error of more than one line: %q", mode, msg)
		}
		return msg, true
	}
	var b strings.Builder
	for _, d := range c.DBX().DBs {
		for _, s := range append(append([]*mysql.Config{d.Server}, d.Replicas...), d.Galera...) {
			r := Redact(s)
			if p := s.Passwd; p != "" && strings.Contains(r, p) {
				t.Fatalf("%s: Redact shows the password %q: %q", mode, p, r)
			}
			b.WriteString(r)
			b.WriteByte(' ')
		}
	}
	b.WriteString(c.String())
	return b.String(), false
}

// longestAlnumRun returns the longest run of ASCII letters and digits in s.
func longestAlnumRun(s string) string {
	best, start := "", -1
	for i := 0; i <= len(s); i++ {
		if i < len(s) && isAlnum(s[i]) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 && i-start > len(best) {
			best = s[start:i]
		}
		start = -1
	}
	return best
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// rotate shifts each letter and digit to the next one within its class
// (0-9, a-f, g-z, A-F, G-Z), so hex escapes stay hex and every other byte,
// which is what the DSN and YAML parsers look at, is unchanged.
func rotate(s string) string {
	b := []byte(s)
	for i, c := range b {
		for _, r := range [][2]byte{{'0', '9'}, {'a', 'f'}, {'g', 'z'}, {'A', 'F'}, {'G', 'Z'}} {
			if c >= r[0] && c <= r[1] {
				b[i] = r[0] + (c-r[0]+1)%(r[1]-r[0]+1)
				break
			}
		}
	}
	return string(b)
}
