package main

import (
	"fmt"
	"io/fs"

	"github.com/solarhub/hubdb/migration"
	"github.com/solarhub/hubdb/migration/lint"
	"github.com/solarhub/hubdb/schema"
)

// lintFS is the migrations "hubdb migrate lint" reads: the embedded ones.
var lintFS fs.FS = schema.FS

// migrateLint is "hubdb migrate lint": the statements of the targets'
// migrations (above version since) that lock or rebuild a table, one line
// each, then a summary. It reads the embedded migrations and connects to
// no server. An unaccepted finding or a bad accept marker makes the exit
// status 1.
func migrateLint(s stdio, targets []migration.Target, since uint) int {
	code := exitOK
	var open, accepted int
	for _, t := range targets {
		findings, err := lint.Lint(lintFS, t.Name, since)
		for _, f := range findings {
			fmt.Fprintln(s.out, f)
			if f.Accepted {
				accepted++
			} else {
				open++
			}
		}
		if err != nil {
			fmt.Fprintf(s.err, "hubdb: %v\n", err)
			code = exitError
		}
	}
	scope := "every migration"
	if since > 0 {
		scope = fmt.Sprintf("migrations after version %d", since)
	}
	fmt.Fprintf(s.out, "lint: %d databases (%s): %d findings to fix, %d accepted\n", len(targets), scope, open, accepted)
	if open > 0 {
		code = exitError
		fmt.Fprintln(s.err, "hubdb: fix: change each flagged statement as its fix says, or, once reviewed, accept it with a comment "+
			"line before it: -- "+lint.Marker+" <rule> <why> (see docs/schema-conventions.md, Locking DDL)")
	}
	return code
}
