package config

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/solarhub/hubdb/schema"
)

// Environment variables that hubdb's tools read and [Load] does not; they
// are listed here so that [Load] knows them (see [KnownEnv]).
const (
	// EnvConfig names the YAML config file of cmd/solarhub-api (its -config
	// flag wins); hubdb itself takes the file only from --config.
	EnvConfig = "HUBDB_CONFIG"
	// EnvTestDSN names the server of the tests (the test kit, package
	// hubtest; the benchmarks; internal/cmd/withdb). It is not a database
	// override.
	EnvTestDSN = "HUBDB_TEST_DSN"
	// EnvTestKeep, when not empty, keeps the databases a test created
	// (package hubtest) instead of dropping them.
	EnvTestKeep = "HUBDB_TEST_KEEP"
	// EnvTestAllow names (host:port) the one server not on this machine
	// that the test kit may use.
	EnvTestAllow = "HUBDB_TEST_ALLOW"
	// EnvAdminPassword and EnvAppPassword hold the passwords of the users
	// `hubdb grants --apply` creates.
	EnvAdminPassword = "HUBDB_ADMIN_PASSWORD"
	EnvAppPassword   = "HUBDB_APP_PASSWORD"
	// EnvTestCluster=1 turns on the tests that start real replica sets and
	// Galera clusters (internal/cluster, make test-cluster).
	EnvTestCluster = "HUBDB_TEST_CLUSTER"
	// EnvClusterDir is where internal/cluster puts the directories of the
	// clusters it starts, when a caller names none.
	EnvClusterDir = "HUBDB_CLUSTER_DIR"
)

// ErrUnknownSetting: an environment variable named HUBDB_* (in any letter
// case) that hubdb does not read, typically a misspelt one that would
// otherwise be ignored without a word.
var ErrUnknownSetting = errors.New("not a hubdb setting")

// fixedEnv are the known variables other than the per-database overrides.
var fixedEnv = []string{
	EnvDSN, EnvReplicas, EnvGalera, EnvPrefix,
	EnvTLSCA, EnvTLSServerName, EnvTLSCert, EnvTLSKey,
	EnvConfig, EnvTestDSN, EnvTestKeep, EnvTestAllow, EnvAdminPassword, EnvAppPassword,
	EnvTestCluster, EnvClusterDir,
}

// envList names every known variable for messages, the per-database ones
// as HUBDB_<NAME>_DSN, HUBDB_<NAME>_REPLICAS and HUBDB_<NAME>_GALERA, each
// after its shared variable.
var envList = strings.Join(slices.Concat(
	[]string{EnvDSN, "HUBDB_<NAME>_DSN", EnvReplicas, "HUBDB_<NAME>_REPLICAS", EnvGalera, "HUBDB_<NAME>_GALERA"},
	slices.DeleteFunc(slices.Clone(fixedEnv), func(k string) bool { return k == EnvDSN || k == EnvReplicas || k == EnvGalera })), ", ")

// KnownEnv returns, sorted, every environment variable of hubdb: those
// [Load] reads ([EnvDSN], [EnvReplicas], [EnvGalera], [EnvPrefix],
// HUBDB_<NAME>_DSN, HUBDB_<NAME>_REPLICAS and HUBDB_<NAME>_GALERA for each
// database, e.g. HUBDB_ESS_DSN, and [EnvTLSCA], [EnvTLSServerName], [EnvTLSCert],
// [EnvTLSKey]) and those hubdb's tools read ([EnvConfig], [EnvTestDSN],
// [EnvTestKeep], [EnvTestAllow], [EnvAdminPassword], [EnvAppPassword],
// [EnvTestCluster], [EnvClusterDir]). Load rejects any
// other variable whose name starts with HUBDB_ with an error matching
// [ErrUnknownSetting].
func KnownEnv() []string {
	// Reading the root of the embedded file system cannot fail; Load
	// reports the error should it ever.
	names, _ := schema.Databases(schema.FS)
	return knownEnv(names)
}

// knownEnv is KnownEnv for the databases names.
func knownEnv(names []string) []string {
	out := slices.Clone(fixedEnv)
	for _, name := range names {
		for _, suffix := range dbSuffixes {
			out = append(out, dbKey(name, suffix))
		}
	}
	slices.Sort(out)
	return out
}

// checkEnv rejects every variable of env named HUBDB_* (compared without
// regard to case) that is not exactly one of knownEnv(names). Its errors
// name the variable and the nearest known one, never a value.
func checkEnv(env map[string]string, names []string) error {
	known := knownEnv(names)
	var bad []string
	for key := range env {
		if len(key) >= len("HUBDB_") && strings.EqualFold(key[:len("HUBDB_")], "HUBDB_") && !slices.Contains(known, key) {
			bad = append(bad, key)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	slices.Sort(bad) // the same error for the same environment
	key := bad[0]
	if !isIdentifier(key) {
		return fmt.Errorf("config: a variable whose name starts with HUBDB_ but is not a plain name (letters, digits and _, at most 64) is %w", ErrUnknownSetting)
	}
	hint := " (known: " + envList + ")"
	if near, ok := nearest(key[len("HUBDB_"):], trimAll(known, "HUBDB_")); ok {
		hint = "; did you mean HUBDB_" + near + "?"
	}
	if name, ok := overrideName(key); ok && !slices.Contains(names, name) {
		return fmt.Errorf("config: %s is %w: %w%s", key, ErrUnknownSetting, unknownList(name, names), hint)
	}
	return fmt.Errorf("config: %s is %w%s", key, ErrUnknownSetting, hint)
}

// isIdentifier reports whether s is a non-empty run of ASCII letters,
// digits and _ of at most 64 bytes: a name that can be shown in an error.
func isIdentifier(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// trimAll returns ss with prefix removed from each.
func trimAll(ss []string, prefix string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.TrimPrefix(s, prefix)
	}
	return out
}
