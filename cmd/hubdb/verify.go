package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/solarhub/hubdb/migration"
)

// migrateVerify is "hubdb migrate verify": each database's drift from its
// migrations, one database after another (each migrates a scratch copy).
// Any drift or error makes the exit status 1.
func migrateVerify(ctx context.Context, s stdio, m *migration.Migrator, targets []migration.Target) int {
	code := exitOK
	for _, t := range targets {
		d, err := m.Verify(ctx, t)
		if err != nil {
			fmt.Fprintf(s.err, "hubdb: %v\n", err)
			code = exitError
			continue
		}
		if d.Clean() {
			fmt.Fprintf(s.out, "%s (%s) at version %d: matches its migrations\n", d.Name, d.Schema, d.Version)
			continue
		}
		code = exitError
		fmt.Fprintf(s.out, "%s (%s) at version %d: DRIFT in %d tables (- what the migrations give, + what the database has):\n",
			d.Name, d.Schema, d.Version, len(d.Tables))
		for _, td := range d.Tables {
			fmt.Fprintf(s.out, "  %s\n", strings.ReplaceAll(td.String(), "\n", "\n  "))
		}
	}
	if code != exitOK {
		fmt.Fprintln(s.err, "hubdb: fix: turn each hand-made change into a migration (make it the next version) or revert it, then verify again")
	}
	return code
}
