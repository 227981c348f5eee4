package testdb

import (
	"fmt"
	"strconv"
	"strings"
)

// Marker begins the name of every database the kit creates. No production
// database of hubdb can have it: the config loader's prefixes and the
// registry's logical names all begin with a lowercase letter, and a name
// beginning with an underscore is neither. The kit drops only names that
// begin with Marker, and of those only the ones it can tell are its own.
const Marker = "_hubtest_"

// The kinds of database behind the marker:
//
//	_hubtest_kit                 the kit's own tables (templates, kept copies)
//	_hubtest_tpl_<hash>_<db>     a template: db migrated to the schema version <hash>
//	_hubtest_<owner>_<n>_<db>    copy n of db for a test of process <owner>
//
// <owner> is 8 hex digits, unique per process; every database of one test
// shares the prefix _hubtest_<owner>_<n>_ (a Set's Prefix).
const (
	metaSchema     = Marker + "kit"
	templatePrefix = Marker + "tpl_"
	ownerLen       = 8
	hashLen        = 10
)

// maxNameLen is MySQL's limit on the length of a database name.
const maxNameLen = 64

// templateName is the template of db at schema version hash.
func templateName(hash, db string) string { return templatePrefix + hash + "_" + db }

// setPrefix is the prefix of copy set n of owner.
func setPrefix(owner string, n int64) string {
	return Marker + owner + "_" + strconv.FormatInt(n, 10) + "_"
}

// copyName is the copy of db in set prefix, checked against MySQL's limit.
func copyName(prefix, db string) (string, error) {
	name := prefix + db
	if len(name) > maxNameLen {
		return "", fmt.Errorf("testdb: database name %s has %d characters, over MySQL's %d", name, len(name), maxNameLen)
	}
	return name, nil
}

// parseCopy returns the owner of a copy's name, and false for any name
// that is not a copy (the kit's tables, templates, anything else).
func parseCopy(name string) (owner string, ok bool) {
	rest, ok := strings.CutPrefix(name, Marker)
	if !ok || len(rest) < ownerLen+3 || rest[ownerLen] != '_' {
		return "", false
	}
	owner = rest[:ownerLen]
	if !isHex(owner) {
		return "", false
	}
	n, db, ok := strings.Cut(rest[ownerLen+1:], "_")
	if !ok || n == "" || db == "" || strings.Trim(n, "0123456789") != "" {
		return "", false
	}
	return owner, true
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return s != ""
}

// IsKitName reports whether name is a database the kit may have created: it
// begins with [Marker].
func IsKitName(name string) bool { return strings.HasPrefix(name, Marker) }

// ownerLock is the name of the server lock a process holds while it lives;
// a copy whose owner's lock is free belongs to a process that has ended.
func ownerLock(owner string) string { return Marker + "owner_" + owner }

// likePrefix is a LIKE pattern matching every name that begins with prefix.
func likePrefix(prefix string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(prefix) + "%"
}

// quoteIdent quotes a MySQL identifier with backticks.
func quoteIdent(name string) string {
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

// IsSetPrefix reports whether prefix has the shape of a Set's prefix,
// _hubtest_<8 hex>_<n>_. The config loader accepts such a prefix (and no
// other beginning with an underscore), so that tests can point hubdb's
// commands and config at a test's databases.
func IsSetPrefix(prefix string) bool {
	_, ok := parseCopy(prefix + "x")
	return ok && strings.HasSuffix(prefix, "_") && strings.Count(prefix[len(Marker):], "_") == 2
}
