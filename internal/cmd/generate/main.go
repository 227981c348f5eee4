// Command generate regenerates everything under gen/: the sqlc packages
// gen/<db> and the typed registry gen/hub.go. It is what `go generate ./...`
// and `make generate` run.
//
//	go run ./internal/cmd/generate [-root DIR] [-check]
//
// Generation first removes each gen/<db> directory (sqlc never deletes the
// file of a removed query), then runs the pinned sqlc
// (go tool -modfile=tools/go.mod sqlc generate, with CGO_ENABLED=0), then
// renders gen/hub.go from the databases listed in sqlc.yaml.
//
// With -check nothing in the tree changes: it generates into a temporary
// copy and fails, listing the files, when gen/ differs from what generation
// would write (changed, missing or extra files). `make check` runs it.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/solarhub/hubdb/internal/hubgen"
)

const modulePath = "github.com/solarhub/hubdb"

func main() {
	root := flag.String("root", ".", "repository root (holds sqlc.yaml)")
	check := flag.Bool("check", false, "fail if gen/ is stale instead of writing it")
	flag.Parse()
	var err error
	if *check {
		err = runCheck(*root)
	} else {
		err = generate(*root, *root)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "generate:", err)
		os.Exit(1)
	}
}

type database struct{ pkg, out string }

// readConfig lists the databases of dir/sqlc.yaml with their output
// directories (gen/<package>).
func readConfig(dir string) ([]database, []hubgen.Database, error) {
	b, err := os.ReadFile(filepath.Join(dir, "sqlc.yaml"))
	if err != nil {
		return nil, nil, err
	}
	regs, err := hubgen.FromSQLC(b, modulePath)
	if err != nil {
		return nil, nil, err
	}
	if len(regs) == 0 {
		return nil, nil, fmt.Errorf("sqlc.yaml lists no databases")
	}
	dbs := make([]database, len(regs))
	for i, r := range regs {
		out := strings.TrimPrefix(r.ImportPath, modulePath+"/")
		if out != "gen/"+r.Name {
			return nil, nil, fmt.Errorf("sqlc.yaml entry %q: want gen.go.out = gen/%s", r.Name, r.Name)
		}
		dbs[i] = database{pkg: r.Name, out: out}
	}
	return dbs, regs, nil
}

// generate reads the configuration in src and writes gen/ under dst; dst
// holds copies of sqlc.yaml, schema/ and queries/ when it is not src.
func generate(src, dst string) error {
	dbs, regs, err := readConfig(dst)
	if err != nil {
		return err
	}
	for _, db := range dbs {
		if err := os.RemoveAll(filepath.Join(dst, db.out)); err != nil {
			return err
		}
	}
	absSrc, err := filepath.Abs(src)
	if err != nil {
		return err
	}
	absDst, err := filepath.Abs(dst)
	if err != nil {
		return err
	}
	cmd := exec.Command("go", "tool", "-modfile="+filepath.Join(absSrc, "tools", "go.mod"), "sqlc", "generate",
		"-f", filepath.Join(absDst, "sqlc.yaml"))
	cmd.Dir = absSrc
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("sqlc generate: %w", err)
	}
	for _, db := range dbs {
		dir := filepath.Join(dst, db.out)
		code, _, err := hubgen.Reader(dir)
		if err != nil {
			return fmt.Errorf("read-only view: %w", err)
		}
		if err := os.WriteFile(filepath.Join(dir, "reader.go"), code, 0o644); err != nil {
			return err
		}
		batch, _, err := hubgen.Batches(dir)
		if err != nil {
			return fmt.Errorf("batch inserts: %w", err)
		}
		if batch != nil {
			if err := os.WriteFile(filepath.Join(dir, "batch.go"), batch, 0o644); err != nil {
				return err
			}
		}
		if err := document(dst, db.pkg, dir); err != nil {
			return err
		}
	}
	code, err := hubgen.Registry("gen", regs)
	if err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	return os.WriteFile(filepath.Join(dst, "gen", "hub.go"), code, 0o644)
}

// document writes gen/<db>/doc.go (the package doc) and adds the SQL
// types the Go types hide to the fields of models.go.
func document(root, db, dir string) error {
	desc, cols, err := hubgen.Schema(filepath.Join(root, "schema", db))
	if err != nil {
		return fmt.Errorf("%s: reading its migrations: %w", db, err)
	}
	doc, err := hubgen.PackageDoc(db, desc, cols)
	if err != nil {
		return fmt.Errorf("%s: package doc: %w", db, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "doc.go"), doc, 0o644); err != nil {
		return err
	}
	models := filepath.Join(dir, "models.go")
	src, err := os.ReadFile(models)
	if err != nil {
		return err
	}
	annotated, err := hubgen.AnnotateModels(src, cols)
	if err != nil {
		return fmt.Errorf("%s: models.go: %w", db, err)
	}
	return os.WriteFile(models, annotated, 0o644)
}

// runCheck generates into a temporary copy and compares it with gen/.
func runCheck(root string) error {
	tmp, err := os.MkdirTemp("", "hubdb-gen-check-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	for _, p := range []string{"sqlc.yaml", "schema", "queries"} {
		if err := copyTree(filepath.Join(root, p), filepath.Join(tmp, p)); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(filepath.Join(tmp, "gen"), 0o755); err != nil {
		return err
	}
	if err := generate(root, tmp); err != nil {
		return err
	}
	dbs, _, err := readConfig(root)
	if err != nil {
		return err
	}
	var diffs []string
	for _, db := range dbs {
		d, err := compareDirs(filepath.Join(tmp, db.out), filepath.Join(root, db.out), db.out)
		if err != nil {
			return err
		}
		diffs = append(diffs, d...)
	}
	d, err := compareFile(filepath.Join(tmp, "gen", "hub.go"), filepath.Join(root, "gen", "hub.go"), "gen/hub.go")
	if err != nil {
		return err
	}
	diffs = append(diffs, d...)
	if len(diffs) > 0 {
		return fmt.Errorf("gen/ is stale (%d files differ from what sqlc generates):\n  %s\nrun `make generate` and commit the result",
			len(diffs), strings.Join(diffs, "\n  "))
	}
	fmt.Fprintf(os.Stderr, "generate: gen/ is fresh (%d databases)\n", len(dbs))
	return nil
}

func compareDirs(want, have, label string) ([]string, error) {
	names := map[string]bool{}
	for _, dir := range []string{want, have} {
		entries, err := os.ReadDir(dir)
		if err != nil && !os.IsNotExist(err) {
			return nil, err
		}
		for _, e := range entries {
			names[e.Name()] = true
		}
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	var diffs []string
	for _, n := range sorted {
		d, err := compareFile(filepath.Join(want, n), filepath.Join(have, n), label+"/"+n)
		if err != nil {
			return nil, err
		}
		diffs = append(diffs, d...)
	}
	return diffs, nil
}

func compareFile(want, have, label string) ([]string, error) {
	w, werr := os.ReadFile(want)
	h, herr := os.ReadFile(have)
	switch {
	case werr != nil && !os.IsNotExist(werr):
		return nil, werr
	case herr != nil && !os.IsNotExist(herr):
		return nil, herr
	case os.IsNotExist(werr) && os.IsNotExist(herr):
		return nil, nil
	case os.IsNotExist(herr):
		return []string{label + " (missing)"}, nil
	case os.IsNotExist(werr):
		return []string{label + " (extra: no query generates it)"}, nil
	case !bytes.Equal(w, h):
		return []string{label + " (changed)"}, nil
	}
	return nil, nil
}

func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
}
