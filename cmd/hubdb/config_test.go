package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/solarhub/hubdb/hubtest"
)

// TestConfigFile: --config supplies the server and the prefix when the
// environment does not, HUBDB_DB_PREFIX overrides the file's prefix, and a
// file with an unknown key is refused with one line naming the file.
func TestConfigFile(t *testing.T) {
	fileDBs, envDBs := hubtest.Empty(t, "ess"), hubtest.Empty(t, "ess")
	server := fileDBs.Server()
	filePrefix, envPrefix := fileDBs.Prefix(), envDBs.Prefix()
	dir := t.TempDir()
	path := filepath.Join(dir, "hubdb.yaml")
	body := "dsn: \"" + server.FormatDSN() + "\"\nprefix: " + filePrefix + "\npool: {size: 5, timeout: 10s}\n"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}

	wantCode(t, hubdb(t, nil, nil, "migrate", "up", "--db", "ess", "--config", path), exitOK)
	wantCode(t, hubdb(t, []string{"HUBDB_DB_PREFIX=" + envPrefix}, nil, "migrate", "--config="+path, "up", "--db", "ess"), exitOK)
	r := hubdb(t, nil, nil, "migrate", "status", "--db", "ess", "--config", path)
	if row := statusRows(t, r.out)["ess"]; row[1] != filePrefix+"ess" || row[5] != "ok" {
		t.Errorf("status with the file: %v", row)
	}
	r = hubdb(t, []string{"HUBDB_DB_PREFIX=" + envPrefix}, nil, "migrate", "status", "--db", "ess", "--config", path)
	if row := statusRows(t, r.out)["ess"]; row[1] != envPrefix+"ess" || row[5] != "ok" {
		t.Errorf("status with the file and HUBDB_DB_PREFIX: %v", row)
	}

	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("dsn: \"app:FileSecretPw@tcp(h)/\"\npools: {size: 5}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r = hubdb(t, nil, nil, "migrate", "up", "--all", "--config", bad)
	wantOneLineError(t, r, bad+`:2: invalid config file: unknown key "pools"; did you mean "pool"?`)
	noSecrets(t, r, "FileSecretPw")
	if strings.Contains(r.err, "Usage") {
		t.Errorf("a bad file is not a usage error:\n%s", r.err)
	}
}
