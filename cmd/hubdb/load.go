package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/solarhub/hubdb/config"
	"github.com/solarhub/hubdb/internal/scenario"
)

const loadUsage = `Usage: hubdb load [flags]

Puts a bounded load on K of the databases, on a server on this machine
only (loopback or unix socket), and prints throughput, latency
percentiles, errors by type and each pool's status at the end.

Workloads (--workload):
  point     one plain point query (SELECT by primary key, no transaction)
  read      a read-only transaction of three point queries (dbx Read)
  write     a read-write transaction: point query, then UPDATE (dbx Write)
  scenario  the pool-exhaustion scenario (held and scoped patterns, hubdb
            against database/sql) on the ess database, --requests at once

point, read and write use a scratch table hubdb_load (--rows rows) that
load creates in each database and drops at the end (--keep-table keeps it).

Flags:
  --workload W     point, read, write or scenario (default point)
  --dbs K          use the first K databases in name order (default 1)
  --db NAME        use this database; repeat for more (instead of --dbs)
  --concurrency C  workers sending operations (default 16, at most 1000)
  --duration D     run this long (default 10s, at most 10m)
  --count N        run N operations instead of for a duration (at most 10000000)
  --size N         pool size: connections kept idle (default 5)
  --overflow N     connections opened beyond size under load (default 10)
  --timeout D      pool timeout: longest wait for a connection (default 1s)
  --rows N         rows of the scratch table (default 1000)
  --keep-table     leave the scratch table in place
  --requests N     scenario: requests arriving at once; repeat for more (default 200)
  --pattern P      scenario: held, scoped or both (default both)
  --config FILE    YAML file saying where the databases live

Environment: HUBDB_DSN, HUBDB_<NAME>_DSN and HUBDB_DB_PREFIX, as for migrate.
Exit status: 0 success (operations may still have failed: see the report),
1 the load could not run, 2 a usage error.
`

// Bounds of hubdb load.
const (
	maxConcurrency = 1000
	maxDuration    = 10 * time.Minute
	maxOps         = 10_000_000
	maxRows        = 1_000_000
)

// loadOpts are the parsed flags of "hubdb load".
type loadOpts struct {
	workload    string
	k           int
	dbs         []string
	concurrency int
	duration    time.Duration
	count       int
	size        int
	overflow    int
	timeout     time.Duration
	rows        int
	keepTable   bool
	requests    []int
	pattern     string
	config      string
}

// runLoad is "hubdb load".
func runLoad(ctx context.Context, args []string, s stdio, environ []string) int {
	o, err := parseLoad(args)
	if errors.Is(err, errHelp) {
		fmt.Fprint(s.out, loadUsage)
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(s.err, "hubdb load: %v\n\n%s", err, loadUsage)
		return exitUsage
	}
	cfg, err := config.Load(o.config, environ)
	if err != nil {
		fmt.Fprintf(s.err, "hubdb: %v\n", err)
		return exitError
	}
	names, err := loadDatabases(cfg, o)
	if err != nil {
		fmt.Fprintf(s.err, "hubdb load: %v\n\n%s", err, loadUsage)
		return exitUsage
	}
	for _, name := range names {
		d, err := cfg.Database(name)
		if err != nil {
			fmt.Fprintf(s.err, "hubdb load: %v\n", err)
			return exitUsage
		}
		if err := checkLoopback(d.Server); err != nil {
			fmt.Fprintf(s.err, "hubdb load: database %s: %v\n", name, err)
			return exitError
		}
	}
	if o.workload == "scenario" {
		err = loadScenario(ctx, s, cfg, names[0], o)
	} else {
		err = loadWorkload(ctx, s, cfg, names, o)
	}
	if err != nil {
		fmt.Fprintf(s.err, "hubdb load: %v\n", err)
		return exitError
	}
	return exitOK
}

// parseLoad parses the command line of "hubdb load".
func parseLoad(args []string) (loadOpts, error) {
	o := loadOpts{workload: "point", k: 0, concurrency: 16, duration: 10 * time.Second,
		size: scenario.DefaultSize, overflow: scenario.DefaultOverflow, timeout: scenario.DefaultTimeout,
		rows: 1000, pattern: "both"}
	fs := flag.NewFlagSet("hubdb load", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.workload, "workload", o.workload, "")
	fs.IntVar(&o.k, "dbs", 0, "")
	fs.Func("db", "", func(v string) error { o.dbs = append(o.dbs, v); return nil })
	fs.IntVar(&o.concurrency, "concurrency", o.concurrency, "")
	fs.DurationVar(&o.duration, "duration", o.duration, "")
	fs.IntVar(&o.count, "count", 0, "")
	fs.IntVar(&o.size, "size", o.size, "")
	fs.IntVar(&o.overflow, "overflow", o.overflow, "")
	fs.DurationVar(&o.timeout, "timeout", o.timeout, "")
	fs.IntVar(&o.rows, "rows", o.rows, "")
	fs.BoolVar(&o.keepTable, "keep-table", false, "")
	fs.Func("requests", "", func(v string) error {
		var n int
		if _, err := fmt.Sscan(v, &n); err != nil {
			return fmt.Errorf("--requests %q: not a number", v)
		}
		o.requests = append(o.requests, n)
		return nil
	})
	fs.StringVar(&o.pattern, "pattern", o.pattern, "")
	fs.StringVar(&o.config, "config", "", "")
	durationSet := false
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return o, errHelp
	case err != nil:
		return o, &usageError{msg: err.Error()}
	case fs.NArg() > 0:
		return o, usagef("unexpected argument %q", fs.Arg(0))
	}
	fs.Visit(func(f *flag.Flag) { durationSet = durationSet || f.Name == "duration" })
	switch {
	case !slices.Contains([]string{"point", "read", "write", "scenario"}, o.workload):
		return o, usagef("unknown workload %q (point, read, write or scenario)", o.workload)
	case o.k != 0 && len(o.dbs) > 0:
		return o, usagef("give either --dbs K or --db NAME, not both")
	case o.k < 0:
		return o, usagef("--dbs must be at least 1")
	case o.concurrency < 1 || o.concurrency > maxConcurrency:
		return o, usagef("--concurrency must be 1 to %d", maxConcurrency)
	case o.duration <= 0 || o.duration > maxDuration:
		return o, usagef("--duration must be above 0 and at most %v", maxDuration)
	case o.count < 0 || o.count > maxOps:
		return o, usagef("--count must be 1 to %d", maxOps)
	case o.count > 0 && durationSet:
		return o, usagef("give either --duration or --count, not both")
	case o.size < 1 || o.overflow < 0 || o.size+o.overflow > 100:
		return o, usagef("--size must be at least 1, --overflow at least 0, together at most 100")
	case o.timeout <= 0:
		return o, usagef("--timeout must be above 0")
	case o.rows < 1 || o.rows > maxRows:
		return o, usagef("--rows must be 1 to %d", maxRows)
	case !slices.Contains([]string{"held", "scoped", "both"}, o.pattern):
		return o, usagef("unknown pattern %q (held, scoped or both)", o.pattern)
	}
	if o.k == 0 && len(o.dbs) == 0 {
		o.k = 1
	}
	return o, nil
}

// loadDatabases returns the databases named by --db, or the first K.
func loadDatabases(cfg *config.Config, o loadOpts) ([]string, error) {
	all := cfg.Names()
	if o.workload == "scenario" {
		switch {
		case len(o.dbs) == 0 && o.k <= 1:
			return []string{"ess"}, nil
		case len(o.dbs) == 1 && o.dbs[0] == "ess":
			return o.dbs, nil
		}
		return nil, usagef("the scenario runs on the ess database only")
	}
	if len(o.dbs) > 0 {
		for _, name := range o.dbs {
			if !slices.Contains(all, name) {
				return nil, usagef("unknown database %q (valid: %s)", name, strings.Join(all, ", "))
			}
		}
		return slices.Compact(slices.Sorted(slices.Values(o.dbs))), nil
	}
	if o.k > len(all) {
		return nil, usagef("--dbs %d: there are %d databases", o.k, len(all))
	}
	return all[:o.k], nil
}

// checkLoopback refuses a server that is not on this machine: load is a
// tool for development servers.
func checkLoopback(c *mysql.Config) error {
	if c.Net == "unix" {
		return nil
	}
	host, _, err := net.SplitHostPort(c.Addr)
	if err != nil {
		host = c.Addr
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("server %s is not on a loopback address: load runs only against a local server", c.Addr)
}

// loadScenario runs the scenario on the ess database.
func loadScenario(ctx context.Context, s stdio, cfg *config.Config, name string, o loadOpts) error {
	d, err := cfg.Database(name)
	if err != nil {
		return err
	}
	sc := scenario.Config{
		Server: d.Server, Schema: d.Schema, Requests: o.requests,
		Size: o.size, Overflow: o.overflow, Timeout: o.timeout,
		Progress: func(step string) { fmt.Fprintf(s.err, "running %s\n", step) },
	}
	if o.overflow == 0 {
		sc.Overflow = -1
	}
	if len(sc.Requests) == 0 {
		sc.Requests = []int{200}
	}
	if o.pattern != "both" {
		sc.Patterns = []scenario.Pattern{scenario.Pattern(o.pattern)}
	}
	rep, err := scenario.Run(ctx, sc)
	if err != nil {
		return err
	}
	rep.Print(s.out)
	return nil
}

// discardLogger drops dbx's log output: load reports what matters.
func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
