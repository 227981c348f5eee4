package hardening_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/solarhub/hubdb/hubtest"
	"github.com/solarhub/hubdb/internal/devdb"
)

// startServer starts a private MariaDB with opts and stops it when the test
// ends. It needs mariadbd, as does the private test server of hubtest.
func startServer(t *testing.T, opts devdb.Options) *devdb.Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := devdb.Start(ctx, opts)
	if err != nil {
		t.Fatalf("start a private MariaDB: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("stop the private MariaDB: %v", err)
		}
	})
	return s
}

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	buildDir  string
)

// TestMain removes the hubdb binary built by hubdbBinary.
func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// hubdbBinary builds cmd/hubdb once per test run and returns its path:
// the CLI is tested as operators run it, as a process.
func hubdbBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if buildDir, buildErr = os.MkdirTemp("", "hubdb-hardening-"); buildErr != nil {
			return
		}
		binPath = filepath.Join(buildDir, "hubdb")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/solarhub/hubdb/cmd/hubdb").CombinedOutput()
		if err != nil {
			buildErr = errors.New("go build ./cmd/hubdb: " + err.Error() + "\n" + string(out))
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// cliResult is what one hubdb process printed and its exit status.
type cliResult struct {
	code        int
	out, errOut string
}

// runHubdb runs the hubdb binary with exactly env as its environment (no
// inherited HUBDB_* variables) and stdin empty.
func runHubdb(t *testing.T, env []string, args ...string) cliResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, hubdbBinary(t), args...)
	cmd.Env = env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	r := cliResult{out: out.String(), errOut: errOut.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("run hubdb %v: %v", args, err)
	}
	return r
}

// randomHex returns 8 random hex digits.
func randomHex(t *testing.T) string {
	t.Helper()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// serverDB is a plain *sql.DB on server with no database selected (for
// statements such as CREATE USER), closed when the test ends.
func serverDB(t *testing.T, server *mysql.Config) *sql.DB {
	t.Helper()
	return hubtest.OpenServer(t, server)
}
