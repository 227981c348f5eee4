package hubgen

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strings"
	"testing"

	"github.com/solarhub/hubdb/schema"
)

func TestRegistry(t *testing.T) {
	dbs := []Database{
		{Name: "ess", ImportPath: "github.com/solarhub/hubdb/gen/ess"},
		{Name: "account", ImportPath: "github.com/solarhub/hubdb/gen/account"},
		{Name: "maintenance", ImportPath: "github.com/solarhub/hubdb/gen/maintenance"},
	}
	src, err := Registry("gen", dbs)
	if err != nil {
		t.Fatal(err)
	}
	f, err := parser.ParseFile(token.NewFileSet(), "hub.go", src, parser.ParseComments)
	if err != nil {
		t.Fatalf("output does not parse: %v\n%s", err, src)
	}
	if f.Name.Name != "gen" {
		t.Errorf("package %s", f.Name.Name)
	}
	imports := map[string]bool{}
	for _, im := range f.Imports {
		imports[strings.Trim(im.Path.Value, `"`)] = true
	}
	fields := map[string]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		if ts, ok := n.(*ast.TypeSpec); ok && ts.Name.Name == "Hub" {
			for _, fl := range ts.Type.(*ast.StructType).Fields.List {
				fields[fl.Names[0].Name] = string(src[fl.Type.Pos()-1 : fl.Type.End()-1])
			}
		}
		return true
	})
	want := map[string]string{
		"ESS": "*dbx.ReadView[*ess.Queries, ess.Reader]", "Account": "*dbx.ReadView[*account.Queries, account.Reader]",
		"Maintenance": "*dbx.ReadView[*maintenance.Queries, maintenance.Reader]", "Manager": "*dbx.Manager",
	}
	for field, typ := range want {
		if fields[field] != typ {
			t.Errorf("Hub.%s has type %q, want %q", field, fields[field], typ)
		}
	}
	for _, d := range dbs {
		if !imports[d.ImportPath] {
			t.Errorf("no import of %s", d.ImportPath)
		}
		if !strings.Contains(string(src), `"`+d.Name+`"`) {
			t.Errorf("name %q missing", d.Name)
		}
	}
	s := string(src)
	if !strings.Contains(s, "var Names = []string{NameAccount, NameESS, NameMaintenance}") {
		t.Errorf("Names not sorted or missing:\n%s", s)
	}
	for _, decl := range []string{
		"func Open(ctx context.Context, cfg dbx.Config, names ...string) (*Hub, error)",
		"func (h *Hub) Close() error",
		"cfg.Known = append(slices.Clone(cfg.Known), Names...)",
		"dbx.NotOpened(m, name, newQ)",
	} {
		if !strings.Contains(s, decl) {
			t.Errorf("missing %s", decl)
		}
	}
	// Every database is bound through bind, which gives the ones not
	// opened a NotOpened handle.
	for _, d := range dbs {
		f := GoName(d.Name)
		if !strings.Contains(s, "bind(m, &h."+f+", Name"+f+", ") {
			t.Errorf("%s is not bound through bind", d.Name)
		}
	}
}

func TestRegistryRejects(t *testing.T) {
	for name, dbs := range map[string][]Database{
		"none":      nil,
		"keyword":   {{Name: "func", ImportPath: "x/func"}},
		"not ident": {{Name: "e-ss", ImportPath: "x/ess"}},
		"duplicate": {{Name: "ess", ImportPath: "x/ess"}, {Name: "ess", ImportPath: "y/ess"}},
		"manager":   {{Name: "manager", ImportPath: "x/manager"}},
		"import":    {{Name: "strings", ImportPath: "x/strings"}},
		"helper":    {{Name: "subset", ImportPath: "x/subset"}},
		"local":     {{Name: "m", ImportPath: "x/m"}},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Registry("gen", dbs); err == nil {
				t.Error("no error")
			}
		})
	}
}

func TestGoName(t *testing.T) {
	for in, want := range map[string]string{
		"ess": "ESS", "pv": "PV", "ev": "EV", "account": "Account", "ev_charger": "EVCharger", "site_api": "SiteAPI",
	} {
		if got := GoName(in); got != want {
			t.Errorf("GoName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestFromSQLC reads the repository's sqlc.yaml: every database gets a
// field, and the registry of all of them parses.
func TestFromSQLC(t *testing.T) {
	b, err := os.ReadFile("../../sqlc.yaml")
	if err != nil {
		t.Skipf("no sqlc.yaml: %v", err)
	}
	dbs, err := FromSQLC(b, "github.com/solarhub/hubdb")
	if err != nil {
		t.Fatal(err)
	}
	names, err := schema.Databases(schema.FS)
	if err != nil {
		t.Fatal(err)
	}
	if len(dbs) != len(names) {
		t.Errorf("%d databases in sqlc.yaml, %d in schema/: every schema needs its sqlc.yaml entry", len(dbs), len(names))
	}
	for _, d := range dbs {
		if d.ImportPath != "github.com/solarhub/hubdb/gen/"+d.Name {
			t.Errorf("%s: import path %s", d.Name, d.ImportPath)
		}
	}
	src, err := Registry("gen", dbs)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := parser.ParseFile(token.NewFileSet(), "hub.go", src, 0); err != nil {
		t.Fatal(err)
	}
}
