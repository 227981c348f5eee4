package hubgen

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// fakeSQLC is the shape of sqlc's generated db.go: New takes the
// package's own DBTX interface.
const fakeSQLC = `package %s

import (
	"context"
	"database/sql"
)

type DBTX interface {
	ExecContext(context.Context, string, ...interface{}) (sql.Result, error)
	PrepareContext(context.Context, string) (*sql.Stmt, error)
	QueryContext(context.Context, string, ...interface{}) (*sql.Rows, error)
	QueryRowContext(context.Context, string, ...interface{}) *sql.Row
}

func New(db DBTX) *Queries { return &Queries{db: db} }

type Queries struct{ db DBTX }
`

// TestRegistryCompiles builds the registry against sqlc-shaped packages
// with `go build -overlay`, so nothing is written into gen/.
func TestRegistryCompiles(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go build")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	replace := map[string]string{}
	var dbs []Database
	for _, name := range []string{"account", "ess", "pv", "schedule", "maintenance"} {
		f := filepath.Join(dir, name+".go")
		if err := os.WriteFile(f, []byte(fmt.Sprintf(fakeSQLC, name)), 0o644); err != nil {
			t.Fatal(err)
		}
		replace[filepath.Join(root, "gen", name, "db.go")] = f
		dbs = append(dbs, Database{Name: name, ImportPath: "github.com/solarhub/hubdb/gen/" + name})
	}
	src, err := Registry("gen", dbs)
	if err != nil {
		t.Fatal(err)
	}
	hub := filepath.Join(dir, "hub.go")
	if err := os.WriteFile(hub, src, 0o644); err != nil {
		t.Fatal(err)
	}
	replace[filepath.Join(root, "gen", "zz_hubgen_test_hub.go")] = hub
	overlay, _ := json.Marshal(map[string]any{"Replace": replace})
	ov := filepath.Join(dir, "overlay.json")
	if err := os.WriteFile(ov, overlay, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(gobin, "build", "-overlay", ov, "./gen")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("generated registry does not compile: %v\n%s\n%s", err, out, src)
	}
}
