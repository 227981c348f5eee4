package compat_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/solarhub/hubdb/hubtest"
	"github.com/solarhub/hubdb/internal/compat"
)

// TestRunDroppedColumn is check-compat end to end: a repository whose
// previous commit holds this checkout's generated site queries, a new
// schema that drops sites.commissioned_on, and the output names each
// query that uses it, the base, the column and the fix, then the summary.
func TestRunDroppedColumn(t *testing.T) {
	dir := t.TempDir()
	gitRun(t, dir, "init", "-q", "-b", "main")
	files := map[string]string{}
	matches, err := filepath.Glob(filepath.Join("..", "..", "gen", "site", "*.sql.go"))
	if err != nil || len(matches) == 0 {
		t.Fatalf("gen/site: %v, %v", matches, err)
	}
	for _, m := range matches {
		b, err := os.ReadFile(m)
		if err != nil {
			t.Fatal(err)
		}
		files["gen/site/"+filepath.Base(m)] = string(b)
	}
	base := commitFiles(t, dir, "the previous release", files)
	commitFiles(t, dir, "this release (its schema: the Source below)", nil)

	server := hubtest.Server(t)
	var out strings.Builder
	findings, err := compat.Run(context.Background(), compat.Options{
		Repo:   compat.Repo{Dir: dir},
		Server: server,
		Source: withMigrations(t, map[string]string{
			"site/000090_drop_commissioned_on.up.sql":   "ALTER TABLE sites DROP COLUMN commissioned_on;\n",
			"site/000090_drop_commissioned_on.down.sql": "ALTER TABLE sites ADD COLUMN commissioned_on DATE NULL;\n",
		}),
	}, &out)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("output:\n%s", out.String())
	short := base[:7]
	for _, want := range []string{
		"site.CreateSite (base " + short, "site.GetSite (base " + short, "Unknown column 'commissioned_on'",
		"expand/contract — keep the column", compat.DocLink,
		"check-compat: base " + short, "(HEAD^: HEAD is the merge base with main)", " fail",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the output lacks %q", want)
		}
	}
	if len(findings) != 2 {
		t.Errorf("%d findings, want 2 (CreateSite, GetSite)", len(findings))
	}

	// The same base against the schema of this build: nothing fails; two
	// bases named, a summary line each.
	out.Reset()
	findings, err = compat.Run(context.Background(), compat.Options{Repo: compat.Repo{Dir: dir}, Server: server, Bases: []string{base, "HEAD"}}, &out)
	if err != nil || len(findings) != 0 {
		t.Fatalf("against this build's schema: %v, %v\n%s", findings, err, out.String())
	}
	if n := strings.Count(out.String(), "check-compat: base "); n != 2 || strings.Count(out.String(), ", 0 fail") != 2 {
		t.Errorf("want two summaries with 0 fail:\n%s", out.String())
	}
}
