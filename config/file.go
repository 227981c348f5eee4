package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/solarhub/hubdb/dbx"
)

// fileConfig is the YAML file's layout.
type fileConfig struct {
	DSN string `yaml:"dsn"`
	// Replicas and Galera are DSNs, one per element: the replicas of the
	// default server, and the Galera nodes in its place.
	Replicas  []string              `yaml:"replicas"`
	Galera    []string              `yaml:"galera"`
	Prefix    string                `yaml:"prefix"`
	Pool      dbx.Pool              `yaml:"pool"`
	Databases map[string]fileDBConf `yaml:"databases"`
	TLS       fileTLS               `yaml:"tls"`
	// ServerBudget and Instances set dbx.Config's fields of the same name:
	// the connections all pools of a process may hold on each server, and
	// how many processes share it.
	ServerBudget int `yaml:"server_budget"`
	Instances    int `yaml:"instances"`
}

// fileDBConf is one entry under databases:.
type fileDBConf struct {
	DSN string `yaml:"dsn"`
	// Replicas and Galera are the database's own replicas and Galera
	// nodes; an empty list (replicas: []) is set and means none.
	Replicas []string `yaml:"replicas"`
	Galera   []string `yaml:"galera"`
	Pool     dbx.Pool `yaml:"pool"`
}

// decodeFile decodes the file's contents; path only names it in errors and
// names are the databases. Unknown keys and database names are errors that
// give the file and line and suggest the nearest known key. yaml.v3
// decodes Go duration strings ("30s") into time.Duration fields and
// rejects bare numbers there, which keeps units explicit; it decodes
// size: 0 and overflow: 0 into pointers to 0, so 0 stays distinct from an
// unset key (nil).
func decodeFile(path string, data []byte, names []string) (fileConfig, error) {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return fileConfig{}, nil
		}
		return fileConfig{}, fileError(path, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return fileConfig{}, fmt.Errorf("config: %s: %w: more than one YAML document", path, ErrInvalidFile)
	}
	if err := checkKeys(path, &root, reflect.TypeFor[fileConfig](), "", names); err != nil {
		return fileConfig{}, err
	}
	// checkKeys found every unknown key; KnownFields stays on as a
	// backstop.
	var f fileConfig
	strict := yaml.NewDecoder(bytes.NewReader(data))
	strict.KnownFields(true)
	if err := strict.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return fileConfig{}, fileError(path, err)
	}
	for name := range f.Databases {
		if !slices.Contains(names, name) { // also a backstop
			return fileConfig{}, fmt.Errorf("config: %s: databases: %w", path, unknown(name, names))
		}
	}
	return f, nil
}

// checkKeys walks n, the YAML of a value of type t found at section where
// ("" at the top level, then e.g. "pool", "databases.ess.pool"), and
// returns an error for the first key that t has no field for and for the
// first entry of databases that is not one of names. Everything else
// (wrong types, bad values) is left to the decoder.
func checkKeys(path string, n *yaml.Node, t reflect.Type, where string, names []string) error {
	for n != nil && (n.Kind == yaml.DocumentNode || n.Kind == yaml.AliasNode) {
		if n.Kind == yaml.AliasNode {
			n = n.Alias
		} else if len(n.Content) == 1 {
			n = n.Content[0]
		} else {
			return nil
		}
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n == nil || n.Kind != yaml.MappingNode || t.Kind() != reflect.Struct && t.Kind() != reflect.Map {
		return nil
	}
	var order []string
	var fields map[string]reflect.Type
	if t.Kind() == reflect.Struct {
		order, fields = yamlFields(t)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" { // <<: *anchor
			merged := []*yaml.Node{v}
			if v.Kind == yaml.SequenceNode {
				merged = v.Content
			}
			for _, m := range merged {
				if err := checkKeys(path, m, t, where, names); err != nil {
					return err
				}
			}
			continue
		}
		named := k.Kind == yaml.ScalarNode && isKeyName(k.Value)
		elem, sub := t, k.Value
		if where != "" {
			sub = where + "." + k.Value
		}
		switch {
		case t.Kind() == reflect.Map && where == "databases":
			if !named {
				return fmt.Errorf("config: %s:%d: databases: %w: a key that is not a database name (valid: %s)",
					path, k.Line, ErrUnknownDatabase, strings.Join(names, ", "))
			}
			if !slices.Contains(names, k.Value) {
				return fmt.Errorf("config: %s:%d: %s: %w", path, k.Line, sub, unknown(k.Value, names))
			}
			elem = t.Elem()
		case t.Kind() == reflect.Map:
			elem = t.Elem()
		default:
			var ok bool
			if elem, ok = fields[k.Value]; !ok || !named {
				return unknownKey(path, k, named, where, order)
			}
		}
		if err := checkKeys(path, v, elem, sub, names); err != nil {
			return err
		}
	}
	return nil
}

// unknownKey returns the error for key k, which no field of the section
// where has; order lists the section's keys.
func unknownKey(path string, k *yaml.Node, named bool, where string, order []string) error {
	in := ""
	if where != "" {
		in = " in " + where
	}
	if !named {
		return fmt.Errorf("config: %s:%d: %w: a key%s that is not a plain name (keys: %s)",
			path, k.Line, ErrInvalidFile, in, strings.Join(order, ", "))
	}
	if near, ok := nearest(k.Value, order); ok {
		return fmt.Errorf("config: %s:%d: %w: unknown key %q%s; did you mean %q?", path, k.Line, ErrInvalidFile, k.Value, in, near)
	}
	return fmt.Errorf("config: %s:%d: %w: unknown key %q%s (keys: %s)",
		path, k.Line, ErrInvalidFile, k.Value, in, strings.Join(order, ", "))
}

// yamlFields returns the YAML keys of struct type t in declaration order
// and the type of each, following yaml.v3's rules: the tag's name, else
// the field name in lower case; "-" skips a field; ",inline" merges an
// embedded struct's keys.
func yamlFields(t reflect.Type) ([]string, map[string]reflect.Type) {
	var order []string
	fields := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if slices.Contains(strings.Split(opts, ","), "inline") && sf.Type.Kind() == reflect.Struct {
			o, f := yamlFields(sf.Type)
			order = append(order, o...)
			maps.Copy(fields, f)
			continue
		}
		if name == "" {
			name = strings.ToLower(sf.Name)
		}
		order = append(order, name)
		fields[name] = sf.Type
	}
	return order, fields
}

// isKeyName reports whether s looks like a key someone meant to write
// (ASCII letters, digits, _, - and ., at most 64 bytes), and so may be
// shown in an error: anything else might be a value, perhaps a password,
// typed where a key goes.
func isKeyName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c == '-' || c == '.' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// yamlLine matches the line number yaml.v3 puts first in a message.
var yamlLine = regexp.MustCompile(`^line ([0-9]+): `)

// fileError turns a yaml.v3 error into this package's form, the line of
// the first problem joined to the path ("hubdb.yaml:3: ...").
func fileError(path string, err error) error {
	parts := yamlMessages(err)
	where := path
	if m := yamlLine.FindStringSubmatch(parts[0]); m != nil {
		where += ":" + m[1]
		parts[0] = parts[0][len(m[0]):]
	}
	return fmt.Errorf("config: %s: %w: %s", where, ErrInvalidFile, strings.Join(parts, "; "))
}

var (
	// yamlValue matches the quoted value yaml.v3 puts in a type error,
	// e.g. "cannot unmarshal !!str `abc` into int": it may be a secret
	// written in the wrong place, so it is dropped.
	yamlValue = regexp.MustCompile("`[^`]*`")
	// yamlGoType matches the Go type yaml.v3 names for an unknown field.
	yamlGoType = regexp.MustCompile(` in type [A-Za-z0-9_.\[\]*]+`)
	// yamlUnknown matches yaml.v3's report of an unknown field.
	yamlUnknown = regexp.MustCompile(`field (\S+) not found`)
)

// yamlMessages turns a yaml.v3 error into one line per problem (at least
// one), without input values or Go type names.
func yamlMessages(err error) []string {
	var te *yaml.TypeError
	var parts []string
	if errors.As(err, &te) && len(te.Errors) > 0 {
		parts = slices.Clone(te.Errors)
	} else {
		parts = []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	for i, p := range parts {
		p = yamlValue.ReplaceAllString(p, "a value")
		p = yamlUnknown.ReplaceAllString(p, `unknown key "$1"`)
		p = yamlGoType.ReplaceAllString(p, "")
		p = strings.ReplaceAll(p, "time.Duration", "a duration such as 30s")
		parts[i] = strings.Join(strings.Fields(p), " ")
	}
	return parts
}
