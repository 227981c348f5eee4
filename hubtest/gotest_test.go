package hubtest_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/solarhub/hubdb/hubtest"
	"github.com/solarhub/hubdb/internal/testdb"
)

// TestFailedGoTestKeepsDatabases runs a real `go test` of the module in
// examples/sitecheck (outside hubdb's module) with one test failing on
// purpose and one passing: the failed test's databases are kept and its
// log names them with a command to connect and one to drop them; the
// passing test of the same process left none.
func TestFailedGoTestKeepsDatabases(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs another module's tests")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	dir, err := filepath.Abs(filepath.Join("..", "examples", "sitecheck"))
	if err != nil {
		t.Fatal(err)
	}
	server := hubtest.Server(t)
	cmd := exec.Command(goBin, "test", "-count=1", "-v", "-run", "^(TestDeliberateFailure|TestOnboardTakenSlug)$", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "SITECHECK_FAIL=1", testdb.EnvDSN+"="+server.FormatDSN())
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	if _, failed := err.(*exec.ExitError); !failed {
		t.Fatalf("go test with a failing test: %v (want exit status 1)\n%s", err, out.String())
	}
	m := regexp.MustCompile(`its databases are kept: (\S+), (\S+)\n`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("the output does not name the kept databases:\n%s", out.String())
	}
	kept := m[1:]
	ctx := context.Background()
	admin := testdb.Connect(server)
	defer admin.Close()
	defer func() {
		if err := testdb.Drop(ctx, admin, kept); err != nil {
			t.Error(err)
		}
	}()
	prefix := strings.TrimSuffix(kept[0], "account")
	for _, want := range []string{"--- PASS: TestOnboardTakenSlug", "--- FAIL: TestDeliberateFailure",
		"connect: mariadb -h ", " " + kept[0] + "\n", "hubdb testdb drop --yes " + prefix} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the output does not say %q:\n%s", want, out.String())
		}
	}
	owner := strings.Split(strings.TrimPrefix(prefix, testdb.Marker), "_")[0]
	all, err := testdb.List(ctx, admin, testdb.Marker+owner+"_")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range all {
		names = append(names, d.Name)
		if !d.Kept || d.Test != "TestDeliberateFailure" {
			t.Errorf("%s of the run is left, not kept for the failed test: %+v", d.Name, d)
		}
	}
	if len(all) != 2 {
		t.Errorf("the run left %v; want only the failed test's 2 databases", names)
	}
}
