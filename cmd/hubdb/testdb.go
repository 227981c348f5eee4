package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/solarhub/hubdb/internal/testdb"
)

const testdbUsage = `Usage: hubdb testdb list [--dsn DSN] [PREFIX]
       hubdb testdb drop [--dsn DSN] [--yes] PREFIX

Lists or drops the databases of the test kit (package hubtest) whose names
begin with PREFIX; list's default PREFIX is ` + testdb.Marker + `, every one of them.
Every such name begins with ` + testdb.Marker + `, which no production database of
hubdb can have, and drop refuses any other PREFIX and any name outside it.

  copy       a test's database: _hubtest_<process>_<n>_<db>; its process is
             running, ended (swept by the kit's next run) or kept (its test
             failed: the test's log gave the PREFIX to drop it with)
  template   _hubtest_tpl_<hash>_<db>, rebuilt on demand
  kit        the kit's own tables: never dropped

drop leaves out copies whose process still runs, shows what it will drop
and asks for "yes" unless --yes is given.

The server is --dsn, else HUBDB_TEST_DSN, else the kit's private MariaDB
(started if need be). As for the kit, a server that is not on this
machine needs HUBDB_TEST_ALLOW=<host:port>.

Flags:
  --dsn DSN   the test server, a go-sql-driver/mysql DSN without a database
  --yes       drop without asking
`

type testdbOpts struct {
	sub, prefix, dsn string
	yes              bool
}

func parseTestdb(args []string) (testdbOpts, error) {
	var o testdbOpts
	if len(args) == 0 {
		return o, usagef("testdb needs list or drop")
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		return o, errHelp
	case "list", "drop":
		o.sub = args[0]
	default:
		return o, usagef("unknown testdb command %q (list or drop)", args[0])
	}
	fs := flag.NewFlagSet("hubdb testdb", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.dsn, "dsn", "", "test server DSN")
	fs.BoolVar(&o.yes, "yes", false, "drop without asking")
	pos, err := parseInterspersed(fs, args[1:])
	switch {
	case errors.Is(err, flag.ErrHelp):
		return o, errHelp
	case err != nil:
		return o, &usageError{msg: err.Error()}
	case len(pos) > 1:
		return o, usagef("testdb %s takes one PREFIX, got %d arguments", o.sub, len(pos))
	case o.yes && o.sub == "list":
		return o, usagef("--yes is a flag of testdb drop")
	}
	if len(pos) == 1 {
		o.prefix = pos[0]
	}
	switch {
	case o.prefix == "" && o.sub == "list":
		o.prefix = testdb.Marker
	case o.prefix == "":
		return o, usagef("testdb drop needs a PREFIX (a test's log gives it; %s drops every database of the kit)", testdb.Marker)
	case !strings.HasPrefix(o.prefix, testdb.Marker):
		return o, usagef("PREFIX %q does not begin with %s: the kit's commands touch only the kit's databases", o.prefix, testdb.Marker)
	}
	return o, nil
}

// runTestdb is "hubdb testdb".
func runTestdb(ctx context.Context, args []string, s stdio, environ []string) int {
	o, err := parseTestdb(args)
	if errors.Is(err, errHelp) {
		fmt.Fprint(s.out, testdbUsage)
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(s.err, "hubdb testdb: %v\n\n%s", err, testdbUsage)
		return exitUsage
	}
	env := envMap(environ)
	dsn := o.dsn
	if dsn == "" {
		dsn = env[testdb.EnvDSN]
	}
	logf := func(format string, args ...any) { fmt.Fprintf(s.err, "hubdb: "+format+"\n", args...) }
	server, err := testdb.Resolve(ctx, dsn, env[testdb.EnvAllow], logf)
	if err != nil {
		fmt.Fprintf(s.err, "hubdb: %v\n", err)
		return exitError
	}
	db := testdb.Connect(server)
	defer db.Close()
	list, err := testdb.List(ctx, db, o.prefix)
	if err != nil {
		fmt.Fprintf(s.err, "hubdb: list the kit's databases on %s: %v\n", server.Addr, err)
		return exitError
	}
	if o.sub == "list" {
		printTestdbs(s.out, list)
		return exitOK
	}
	var drop, plans []string
	for _, d := range list {
		switch {
		case !strings.HasPrefix(d.Name, o.prefix): // LIKE folds case; the prefix does not
		case d.Kind == "kit" || d.Kind == "other":
			fmt.Fprintf(s.err, "hubdb: leaving %s (%s)\n", d.Name, d.Kind)
		case d.Kind == "copy" && d.Alive && !d.Kept:
			fmt.Fprintf(s.err, "hubdb: leaving %s: its test process is still running\n", d.Name)
		default:
			drop = append(drop, d.Name)
			plans = append(plans, "drop "+d.Name+" ("+describe(d)+")")
		}
	}
	if len(drop) == 0 {
		fmt.Fprintf(s.out, "no database of the kit to drop under %s on %s\n", o.prefix, server.Addr)
		return exitOK
	}
	if !confirm(s, o.yes, fmt.Sprintf("drop %d databases of the test kit on %s", len(drop), server.Addr), plans) {
		return exitError
	}
	if err := testdb.Drop(ctx, db, drop); err != nil {
		fmt.Fprintf(s.err, "hubdb: drop: %v\n", err)
		return exitError
	}
	fmt.Fprintf(s.out, "dropped %d databases of the test kit under %s on %s\n", len(drop), o.prefix, server.Addr)
	return exitOK
}

func describe(d testdb.Database) string {
	switch {
	case d.Kind != "copy":
		return d.Kind
	case d.Kept:
		return fmt.Sprintf("kept: %s failed at %s", d.Test, d.KeptAt.UTC().Format("2006-01-02 15:04:05Z"))
	case d.Alive:
		return "copy, its process is running"
	default:
		return "copy, its process ended"
	}
}

func printTestdbs(w io.Writer, list []testdb.Database) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATE")
	for _, d := range list {
		fmt.Fprintf(tw, "%s\t%s\n", d.Name, describe(d))
	}
	_ = tw.Flush()
}
