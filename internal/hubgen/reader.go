package hubgen

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/printer"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Kind says what a query does to the rows it touches.
type Kind int

const (
	// Reads: a SELECT (or WITH … SELECT) without a locking clause.
	Reads Kind = iota + 1
	// Writes: INSERT, UPDATE, DELETE, REPLACE, or a SELECT that locks rows
	// (FOR UPDATE, FOR SHARE, LOCK IN SHARE MODE).
	Writes
)

func (k Kind) String() string {
	switch k {
	case Reads:
		return "reads"
	case Writes:
		return "writes"
	}
	return "unclassified"
}

var (
	lineComment  = regexp.MustCompile(`(?m)^\s*(--|#).*$`)
	blockComment = regexp.MustCompile(`(?s)/\*.*?\*/`)
	firstWord    = regexp.MustCompile(`^\s*\(*\s*([A-Za-z]+)`)
	locking      = regexp.MustCompile(`(?i)\bFOR\s+UPDATE\b|\bFOR\s+SHARE\b|\bLOCK\s+IN\s+SHARE\s+MODE\b`)
	writeWord    = regexp.MustCompile(`(?i)\b(INSERT|UPDATE|DELETE|REPLACE)\b`)
	quoted       = regexp.MustCompile("(?s)'(?:[^'\\\\]|\\\\.)*'|\"(?:[^\"\\\\]|\\\\.)*\"|`[^`]*`")
)

// Classify returns what the SQL text of query name does, or an error
// naming the query when it cannot tell (a statement kind it does not know,
// a WITH clause followed by a write).
func Classify(name, sql string) (Kind, error) {
	text := blockComment.ReplaceAllString(lineComment.ReplaceAllString(sql, ""), " ")
	bare := quoted.ReplaceAllString(text, "''") // keywords inside strings do not count
	m := firstWord.FindStringSubmatch(bare)
	if m == nil {
		return 0, fmt.Errorf("query %s: empty statement", name)
	}
	switch strings.ToUpper(m[1]) {
	case "INSERT", "UPDATE", "DELETE", "REPLACE":
		return Writes, nil
	case "SELECT", "VALUES", "TABLE":
		if locking.MatchString(bare) {
			return Writes, nil
		}
		return Reads, nil
	case "WITH":
		if w := writeWord.FindString(bare); w != "" {
			return 0, fmt.Errorf("query %s: a WITH clause followed by %s: write the statement without WITH, or split it", name, strings.ToUpper(w))
		}
		if locking.MatchString(bare) {
			return Writes, nil
		}
		return Reads, nil
	}
	return 0, fmt.Errorf("query %s: cannot tell whether %q reads or writes (want SELECT, WITH … SELECT, INSERT, UPDATE, DELETE or REPLACE)",
		name, strings.ToUpper(m[1]))
}

// Query is one generated query of a database package.
type Query struct {
	Name string // the method, e.g. GetLatestBatteryReading
	Kind Kind
}

var nameHeader = regexp.MustCompile(`^-- name: (\w+) :\w+`)

// Reader reads the sqlc package in dir (its Querier interface, with
// emit_interface, and the query constants) and returns the source of
// reader.go: the package's Reader interface, the methods of Querier whose
// query reads, and its queries with their kinds. Every query must be
// classified: an unclassifiable one is an error naming it.
func Reader(dir string) ([]byte, []Query, error) {
	fset := token.NewFileSet()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, err
	}
	sqlOf := map[string]string{} // method name -> SQL
	var querier *ast.InterfaceType
	var querierFile *ast.File
	var pkg string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") || n == "reader.go" {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, n), nil, parser.ParseComments)
		if err != nil {
			return nil, nil, err
		}
		pkg = f.Name.Name
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok {
				continue
			}
			for _, s := range gd.Specs {
				switch s := s.(type) {
				case *ast.ValueSpec:
					if gd.Tok != token.CONST || len(s.Values) != 1 {
						continue
					}
					lit, ok := s.Values[0].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						continue
					}
					v, err := strconv.Unquote(lit.Value)
					if err != nil {
						continue
					}
					if m := nameHeader.FindStringSubmatch(v); m != nil {
						sqlOf[m[1]] = v
					}
				case *ast.TypeSpec:
					if it, ok := s.Type.(*ast.InterfaceType); ok && s.Name.Name == "Querier" {
						querier, querierFile = it, f
					}
				}
			}
		}
	}
	if querier == nil {
		return nil, nil, fmt.Errorf("%s: no Querier interface (set emit_interface: true in sqlc.yaml)", dir)
	}
	var queries []Query
	var reads []*ast.Field
	var errs []string
	for _, m := range querier.Methods.List {
		if len(m.Names) != 1 {
			continue
		}
		name := m.Names[0].Name
		sql, ok := sqlOf[name]
		if !ok {
			errs = append(errs, fmt.Sprintf("query %s: no SQL constant with its -- name: header", name))
			continue
		}
		k, err := Classify(name, sql)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		queries = append(queries, Query{Name: name, Kind: k})
		if k == Reads {
			reads = append(reads, m)
		}
	}
	if len(errs) > 0 {
		return nil, nil, fmt.Errorf("%s: %s", dir, strings.Join(errs, "; "))
	}

	// The imports the read methods' signatures use, from querier.go's.
	used := map[string]bool{}
	for _, m := range reads {
		ast.Inspect(m.Type, func(n ast.Node) bool {
			if se, ok := n.(*ast.SelectorExpr); ok {
				if id, ok := se.X.(*ast.Ident); ok {
					used[id.Name] = true
				}
			}
			return true
		})
	}
	var imports []string
	for _, is := range querierFile.Imports {
		path, _ := strconv.Unquote(is.Path.Value)
		local := path[strings.LastIndex(path, "/")+1:]
		if is.Name != nil {
			local = is.Name.Name
		}
		if used[local] {
			if is.Name != nil {
				imports = append(imports, is.Name.Name+" "+is.Path.Value)
			} else {
				imports = append(imports, is.Path.Value)
			}
		}
	}
	sort.Strings(imports)

	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by internal/hubgen. DO NOT EDIT.\n\npackage %s\n\n", pkg)
	if len(imports) > 0 {
		fmt.Fprintf(&b, "import (\n\t%s\n)\n\n", strings.Join(imports, "\n\t"))
	}
	b.WriteString("// Reader is the read-only part of Querier: the queries that neither write\n" +
		"// nor lock rows (a SELECT without FOR UPDATE, FOR SHARE or LOCK IN SHARE\n" +
		"// MODE). The registry's Read hands it to its function, so a write inside a\n" +
		"// read-only transaction does not compile; Write hands the full *Queries.\n")
	var writes []string
	for _, q := range queries {
		if q.Kind == Writes {
			writes = append(writes, q.Name)
		}
	}
	if len(writes) > 0 {
		b.WriteString("//\n")
		line := "// Not in Reader (they write or lock):"
		for i, w := range writes {
			word := " " + w
			if i < len(writes)-1 {
				word += ","
			} else {
				word += "."
			}
			if len(line)+len(word) > 76 {
				b.WriteString(line + "\n")
				line = "//"
			}
			line += word
		}
		b.WriteString(line + "\n")
	}
	b.WriteString("type Reader interface {\n")
	for _, m := range reads {
		if m.Doc != nil {
			for _, c := range m.Doc.List {
				b.WriteString("\t" + c.Text + "\n")
			}
		}
		var sig bytes.Buffer
		if err := printer.Fprint(&sig, fset, m.Type); err != nil {
			return nil, nil, err
		}
		fmt.Fprintf(&b, "\t%s%s\n", m.Names[0].Name, strings.TrimPrefix(sig.String(), "func"))
	}
	b.WriteString("}\n\nvar _ Reader = (*Queries)(nil)\n")
	out, err := format.Source(b.Bytes())
	if err != nil {
		return nil, nil, fmt.Errorf("%s: reader.go: %w", dir, err)
	}
	return out, queries, nil
}
