package compat

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// GenDir is the directory of a hubdb tree that holds the generated code:
// gen/<db>/*.sql.go, one directory per database.
const GenDir = "gen"

// Query is one query that sqlc generated into a tree's gen/<db>.
type Query struct {
	// DB is the logical database: the directory under gen/.
	DB string
	// Name is sqlc's name of the query (its "-- name:" line), e.g. GetSite.
	Name string
	// Kind is sqlc's command without the colon: one, many, exec, execrows...
	Kind string
	// SQL is the statement as the generated code sends it, with ?
	// placeholders (a sqlc.slice is one ? after a /*SLICE:name*/ comment).
	SQL string
	// File is the generated file, relative to the tree, e.g.
	// gen/site/sites.sql.go.
	File string
}

// ID is the query's name qualified by its database, e.g. site.GetSite.
func (q Query) ID() string { return q.DB + "." + q.Name }

// ReadQueries reads the queries of the hubdb tree tree (its root: the
// directory that holds go.mod and gen/) from the generated code: every
// string constant of gen/<db>/*.sql.go whose text begins with sqlc's
// "-- name: <Name> :<kind>" line (an older sqlc's line without the kind is
// read too). The files are parsed as Go, not matched
// as text, so any spelling of the constant (grouped, raw or interpreted
// string) is read; anything else in them is ignored. A tree without gen/
// has no queries. The queries are sorted by database, then name; a name
// twice in one database is an error.
func ReadQueries(tree fs.FS) ([]Query, error) {
	entries, err := fs.ReadDir(tree, GenDir)
	if err != nil {
		if isNotExist(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("compat: read %s: %w", GenDir, err)
	}
	var out []Query
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		qs, err := readDB(tree, e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, qs...)
	}
	slices.SortFunc(out, func(a, b Query) int {
		if c := strings.Compare(a.DB, b.DB); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	for i := 1; i < len(out); i++ {
		if out[i].DB == out[i-1].DB && out[i].Name == out[i-1].Name {
			return nil, fmt.Errorf("compat: query %s is defined twice (%s, %s)", out[i].ID(), out[i-1].File, out[i].File)
		}
	}
	return out, nil
}

// readDB reads the queries of gen/<db>/*.sql.go.
func readDB(tree fs.FS, db string) ([]Query, error) {
	dir := path.Join(GenDir, db)
	entries, err := fs.ReadDir(tree, dir)
	if err != nil {
		return nil, fmt.Errorf("compat: read %s: %w", dir, err)
	}
	var out []Query
	fset := token.NewFileSet()
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql.go") {
			continue
		}
		file := path.Join(dir, e.Name())
		src, err := fs.ReadFile(tree, file)
		if err != nil {
			return nil, fmt.Errorf("compat: read %s: %w", file, err)
		}
		f, err := parser.ParseFile(fset, file, src, parser.SkipObjectResolution)
		if err != nil {
			return nil, fmt.Errorf("compat: parse %s: %w", file, err)
		}
		for _, text := range stringConsts(f) {
			name, kind, ok := parseNameLine(text)
			if !ok {
				continue
			}
			out = append(out, Query{DB: db, Name: name, Kind: kind, SQL: text, File: file})
		}
	}
	return out, nil
}

// stringConsts returns the values of f's top-level constants that are
// string literals.
func stringConsts(f *ast.File) []string {
	var out []string
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs, ok := spec.(*ast.ValueSpec)
			if !ok {
				continue
			}
			for _, v := range vs.Values {
				lit, ok := v.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					continue
				}
				if text, err := strconv.Unquote(lit.Value); err == nil {
					out = append(out, text)
				}
			}
		}
	}
	return out
}

// parseNameLine reads sqlc's first line, "-- name: <Name> :<kind>". A
// text whose first line is not one is not a query.
func parseNameLine(text string) (name, kind string, ok bool) {
	line, _, _ := strings.Cut(text, "\n")
	rest, ok := strings.CutPrefix(strings.TrimSpace(line), "-- name:")
	if !ok {
		return "", "", false
	}
	fields := strings.Fields(rest)
	if len(fields) == 0 || !isIdent(fields[0]) {
		return "", "", false
	}
	if len(fields) > 1 {
		if !strings.HasPrefix(fields[1], ":") {
			return "", "", false
		}
		kind = fields[1][1:]
	}
	return fields[0], kind, true
}

func isIdent(s string) bool {
	for i, r := range s {
		switch {
		case r == '_', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return s != ""
}
