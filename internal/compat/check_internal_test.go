package compat

import "testing"

func TestExplainable(t *testing.T) {
	for text, want := range map[string]bool{
		"-- name: A :one\nSELECT 1":                                        true,
		"-- name: A :many\n-- doc\n\nWITH c AS (SELECT 1) SELECT * FROM c": true,
		"-- name: A :exec\ninsert into t (a) values (?)":                   true,
		"-- name: A :exec\nREPLACE INTO t (a) VALUES (?)":                  true,
		"-- name: A :execrows\nUPDATE\tt SET a = ?":                        true,
		"-- name: A :execrows\nDELETE FROM t WHERE a = ?":                  true,
		"-- name: A :many\n(SELECT 1) UNION ALL (SELECT 2)":                true,
		"-- name: A :exec\nCALL p(?)":                                      false,
		"-- name: A :exec\nSET @a = 1":                                     false,
		"-- name: A :exec\n":                                               false,
	} {
		if got := explainable(text); got != want {
			t.Errorf("explainable(%q) = %v, want %v", text, got, want)
		}
	}
}

func TestQuoted(t *testing.T) {
	for _, c := range []struct{ msg, prefix, want string }{
		{"Unknown column 'x' in 'SELECT'", "Unknown column ", "x"},
		{"Unknown column 'sites.x' in 'WHERE'", "Unknown column ", "sites.x"},
		{"Column 'a' in SELECT is ambiguous", "Column ", "a"},
		{"Table 'site.t' doesn't exist", "Table ", "site.t"},
		{"Table 'site.t", "Table ", ""},
		{"something else", "Table ", ""},
	} {
		if got := quoted(c.msg, c.prefix); got != c.want {
			t.Errorf("quoted(%q, %q) = %q, want %q", c.msg, c.prefix, got, c.want)
		}
	}
}
