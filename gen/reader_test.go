package gen_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestWriteInReadDoesNotCompile: with the registry's handles, a write
// query inside Read is a compile error (Read's function gets the
// package's Reader), while the same call inside Write compiles. The
// snippets are built by the go command from an overlay: a package that
// exists only for this test.
func TestWriteInReadDoesNotCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds with the go command")
	}
	const snippet = `package readcheck

import (
	"context"

	"github.com/solarhub/hubdb/gen"
	"github.com/solarhub/hubdb/gen/ess"
)

func f(hub *gen.Hub) error {
	return hub.ESS.%s(context.Background(), func(ctx context.Context, q %s) error {
		return q.InsertBatteryReading(ctx, ess.InsertBatteryReadingParams{})
	})
}
`
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Dir(filepath.Dir(file))
	build := func(method, param string) (string, error) {
		dir := t.TempDir()
		src := filepath.Join(dir, "readcheck.go")
		if err := os.WriteFile(src, []byte(fmt.Sprintf(snippet, method, param)), 0o644); err != nil {
			t.Fatal(err)
		}
		overlay, _ := json.Marshal(map[string]any{"Replace": map[string]string{
			filepath.Join(root, "gen", "readcheck_overlay", "readcheck.go"): src,
		}})
		ov := filepath.Join(dir, "overlay.json")
		if err := os.WriteFile(ov, overlay, 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("go", "build", "-overlay", ov, "./gen/readcheck_overlay")
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := build("Read", "ess.Reader")
	if err == nil || !strings.Contains(out, "has no field or method InsertBatteryReading") {
		t.Errorf("a write inside Read compiled (or failed for another reason): %v\n%s", err, out)
	}
	if out, err := build("Write", "*ess.Queries"); err != nil {
		t.Errorf("the same write inside Write does not compile: %v\n%s", err, out)
	}
}
