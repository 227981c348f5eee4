package compat

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/solarhub/hubdb/config"
)

// Options are what [Run] checks.
type Options struct {
	// Repo is the checkout whose history holds the base revisions.
	Repo Repo
	// Bases are the base revisions (tags, branches, commits). None: the
	// default of [Repo.ResolveBase].
	Bases []string
	// Server is the test server the new schema's copies are made on.
	Server *mysql.Config
	// Source is the new schema's migrations; nil: schema.FS.
	Source fs.FS
	// Migrate: see [Checker].
	Migrate bool
}

// Run is check-compat: for each base revision it reads the base's queries
// from its generated code ([Repo.BaseQueries]) and checks them against
// the new schema ([Checker.Check]), printing every finding and a summary
// line per base (with the time it took and the server, never its
// password) to out. It returns the findings of all bases; the error is
// for a check that could not run.
func Run(ctx context.Context, opts Options, out io.Writer) ([]Finding, error) {
	revs := opts.Bases
	if len(revs) == 0 {
		revs = []string{""}
	}
	c := &Checker{Server: opts.Server, Source: opts.Source, Migrate: opts.Migrate}
	var all []Finding
	for _, rev := range revs {
		start := time.Now()
		base, err := opts.Repo.ResolveBase(ctx, rev)
		if err != nil {
			return all, err
		}
		qs, err := opts.Repo.BaseQueries(ctx, base)
		if err != nil {
			return all, err
		}
		res, err := c.Check(ctx, base, qs)
		if err != nil {
			return all, fmt.Errorf("base %s: %w", base.Short, err)
		}
		for _, f := range res.Findings {
			fmt.Fprintln(out, f)
		}
		fmt.Fprintf(out, "%s (%s, server %s)\n", res.Summary(), time.Since(start).Round(time.Millisecond), config.Redact(opts.Server))
		all = append(all, res.Findings...)
	}
	return all, nil
}
