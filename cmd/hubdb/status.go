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
// whose status cannot be read is reported on stderr and makes the exit
// status 1.
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
	for _, err := range errs {
		if err != nil {
			fmt.Fprintf(s.err, "hubdb: %v\n", err)
		}
	}
	return code
}

// state is a status's STATE column: missing, dirty, pending or ok.
func state(st migration.Status) string {
	switch {
	case !st.Exists:
		return "missing"
	case st.Dirty:
		return "dirty"
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
