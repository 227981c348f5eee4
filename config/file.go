package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/solarhub/hubdb/dbx"
)

// fileConfig is the YAML file's layout.
type fileConfig struct {
	DSN       string                `yaml:"dsn"`
	Prefix    string                `yaml:"prefix"`
	Pool      dbx.Pool              `yaml:"pool"`
	Databases map[string]fileDBConf `yaml:"databases"`
	TLS       fileTLS               `yaml:"tls"`
}

// fileDBConf is one entry under databases:.
type fileDBConf struct {
	DSN  string   `yaml:"dsn"`
	Pool dbx.Pool `yaml:"pool"`
}

// decodeFile decodes the file's contents; path only names it in errors.
// Unknown keys are errors. yaml.v3 decodes Go duration strings ("30s")
// into time.Duration fields and rejects bare numbers there, which keeps
// units explicit.
func decodeFile(path string, data []byte) (fileConfig, error) {
	var f fileConfig
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return fileConfig{}, fmt.Errorf("config: %s: %w: %s", path, ErrInvalidFile, yamlMessage(err))
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return fileConfig{}, fmt.Errorf("config: %s: %w: more than one YAML document", path, ErrInvalidFile)
	}
	return f, nil
}

var (
	// yamlValue matches the quoted value yaml.v3 puts in a type error,
	// e.g. "cannot unmarshal !!str `abc` into int": it may be a secret
	// written in the wrong place, so it is dropped.
	yamlValue = regexp.MustCompile("`[^`]*`")
	// yamlGoType matches the Go type yaml.v3 names for an unknown field.
	yamlGoType = regexp.MustCompile(` in type [A-Za-z0-9_.\[\]*]+`)
)

// yamlMessage turns a yaml.v3 error into one line without input values or
// Go type names.
func yamlMessage(err error) string {
	var te *yaml.TypeError
	var parts []string
	if errors.As(err, &te) {
		parts = te.Errors
	} else {
		parts = []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	for i, p := range parts {
		p = yamlValue.ReplaceAllString(p, "a value")
		p = yamlGoType.ReplaceAllString(p, "")
		p = strings.ReplaceAll(p, "time.Duration", "a duration such as 30s")
		parts[i] = strings.Join(strings.Fields(p), " ")
	}
	return strings.Join(parts, "; ")
}
