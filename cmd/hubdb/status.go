package main

import (
	"context"
	"fmt"
	"io/fs"
	"sync"
	"text/tabwriter"

	"github.com/solarhub/hubdb/migration"
	"github.com/solarhub/hubdb/schema"
)

// migrateStatus is "hubdb migrate status": one row per database, in the
// order of targets. A missing database is a row, not an error; a database
// whose status cannot be read, or whose history disagrees with its files
// (a file out of order, gone or edited: one line each on stderr), makes the
// exit status 1.
func migrateStatus(ctx context.Context, s stdio, m *migration.Migrator, targets []migration.Target) int {
	sts := make([]migration.Status, len(targets))
	errs := make([]error, len(targets))
	var wg sync.WaitGroup
	sem := make(chan struct{}, parallel)
	for i, t := range targets {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			sts[i], errs[i] = m.Status(ctx, t)
		})
	}
	wg.Wait()

	tw := tabwriter.NewWriter(s.out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "DATABASE\tSCHEMA\tVERSION\tLATEST\tDIRTY\tSTATE")
	code := exitOK
	for i, st := range sts {
		if errs[i] != nil {
			code = exitError
			continue
		}
		dirty := "no"
		if st.Dirty {
			dirty = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", st.Name, st.Schema, version(st), st.Latest, dirty, state(st))
	}
	_ = tw.Flush()
	for _, st := range sts {
		for _, p := range st.Problems {
			code = exitError
			fmt.Fprintf(s.err, "hubdb: %s: %s\n", st.Name, problemLine(p))
		}
	}
	for _, err := range errs {
		if err != nil {
			fmt.Fprintf(s.err, "hubdb: %v\n", err)
		}
	}
	return code
}

// state is a status's STATE column: missing, dirty, the kind of its first
// history problem (out-of-order, gone, edited), pending or ok.
func state(st migration.Status) string {
	switch {
	case !st.Exists:
		return "missing"
	case st.Dirty:
		return "dirty"
	case len(st.Problems) > 0:
		return st.Problems[0].Kind.String()
	case st.Pending():
		return "pending"
	default:
		return "ok"
	}
}

// schemaSource returns the migrations m applies.
func schemaSource(m *migration.Migrator) fs.FS {
	if m.Source != nil {
		return m.Source
	}
	return schema.FS
}

// problemLine says what a history problem means for the operator.
func problemLine(p migration.Problem) string {
	switch p.Kind {
	case migration.OutOfOrder:
		return fmt.Sprintf("%s (version %d) is below the applied version and was never applied: renumber it above the others, or record it with force once applied by hand", p.File, p.Version)
	case migration.Gone:
		return fmt.Sprintf("%s (version %d) was applied and is gone from the migrations: restore it from version control", p.File, p.Version)
	default:
		return fmt.Sprintf("%s (version %d) was edited after it was applied: restore it and put the change into a new migration", p.File, p.Version)
	}
}
