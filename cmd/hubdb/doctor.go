package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/solarhub/hubdb/config"
	"github.com/solarhub/hubdb/internal/doctor"
)

const doctorUsage = `Usage: hubdb doctor [flags]

Checks every server and database of the configuration, connecting as the
applications do (the same DSN, TLS settings and pool settings), and prints
one row per finding: SERVER DATABASE CHECK VERDICT FINDING FIX.

  budget        the pools' sizes and maximums against the run-time budget
                (max_connections minus the reserve, per instance, or
                server_budget); connections in use now and at most
  wait_timeout  keepalive, max_idle_time and recycle against wait_timeout
  sql_mode      STRICT_TRANS_TABLES (without it MariaDB truncates silently)
  charset       utf8mb4 / utf8mb4_unicode_ci: connection, databases,
                tables, text columns
  tls           the connection encrypted and the certificate verified
  privileges    least privilege: no global privilege (SUPER, ALL ...), no
                grant on a database outside the configuration, what
                hubdb grants gives the application user
  migrations    missing, pending, dirty, out-of-order, gone or edited files
  drift         the live structure against the migrations (needs the admin
                user: it migrates a scratch database _hubdb_verify_...;
                skipped with a warning for the application user)
  connect       a server that does not answer: one row, the others are
                still checked

Flags:
  --db NAME      a database to check; repeat for more (default: all)
  --config FILE  YAML file saying where the databases live
  --json         print the report as JSON: {"checks": [{"server", "db",
                 "check", "verdict", "finding", "fix"}...], "ok", "warn", "fail"}
  --no-drift     skip the drift check
  --timeout D    bound on connecting and on each check (default 10s)

Passwords are never printed. The environment (HUBDB_DSN, HUBDB_<NAME>_DSN,
HUBDB_DB_PREFIX, HUBDB_TLS_CA ...) overrides --config, as for migrate.

Exit status: 0 nothing failed (warnings allowed), 1 a check failed,
2 a usage error.
`

// doctorOpts are the parsed flags of "hubdb doctor".
type doctorOpts struct {
	dbs     []string
	config  string
	json    bool
	noDrift bool
	timeout time.Duration
}

func parseDoctor(args []string) (doctorOpts, error) {
	o := doctorOpts{}
	fs := flag.NewFlagSet("hubdb doctor", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Func("db", "a database (repeatable)", func(v string) error {
		o.dbs = append(o.dbs, v)
		return nil
	})
	fs.StringVar(&o.config, "config", "", "YAML configuration file")
	fs.BoolVar(&o.json, "json", false, "JSON output")
	fs.BoolVar(&o.noDrift, "no-drift", false, "skip the drift check")
	fs.DurationVar(&o.timeout, "timeout", doctor.DefaultTimeout, "bound on each check")
	pos, err := parseInterspersed(fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return o, errHelp
	case err != nil:
		return o, &usageError{msg: err.Error()}
	case len(pos) > 0:
		return o, usagef("doctor takes no arguments, got %q", pos[0])
	case o.timeout <= 0:
		return o, usagef("--timeout must be above 0")
	}
	return o, nil
}

// doctorJSON is the --json output.
type doctorJSON struct {
	Checks []doctor.Check `json:"checks"`
	OK     int            `json:"ok"`
	Warn   int            `json:"warn"`
	Fail   int            `json:"fail"`
}

// runDoctor is "hubdb doctor".
func runDoctor(ctx context.Context, args []string, s stdio, environ []string) int {
	o, err := parseDoctor(args)
	if errors.Is(err, errHelp) {
		fmt.Fprint(s.out, doctorUsage)
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(s.err, "hubdb doctor: %v\n\n%s", err, doctorUsage)
		return exitUsage
	}
	cfg, err := config.Load(o.config, environ)
	if err != nil {
		fmt.Fprintf(s.err, "hubdb: %v\n", err)
		return exitError
	}
	for _, name := range o.dbs {
		if _, err := cfg.Database(name); err != nil {
			fmt.Fprintf(s.err, "hubdb doctor: %v\n\n%s", err, doctorUsage)
			return exitUsage
		}
	}
	r, err := doctor.Run(ctx, cfg, doctor.Options{DBs: o.dbs, Timeout: o.timeout, NoDrift: o.noDrift})
	if err != nil {
		fmt.Fprintf(s.err, "hubdb doctor: %v\n", err)
		return exitError
	}
	if o.json {
		enc := json.NewEncoder(s.out)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(doctorJSON{Checks: r.Checks, OK: r.Count(doctor.OK), Warn: r.Count(doctor.Warn), Fail: r.Count(doctor.Fail)}); err != nil {
			fmt.Fprintf(s.err, "hubdb doctor: %v\n", err)
			return exitError
		}
	} else {
		printDoctor(s.out, r)
	}
	if r.Failed() {
		return exitError
	}
	return exitOK
}

// printDoctor prints the report as a table and a summary line.
func printDoctor(w io.Writer, r doctor.Report) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVER\tDATABASE\tCHECK\tVERDICT\tFINDING\tFIX")
	servers, dbs := map[string]bool{}, map[string]bool{}
	for _, c := range r.Checks {
		servers[c.Server] = true
		if c.DB != "" {
			dbs[c.DB] = true
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", c.Server, doctorCell(c.DB), c.Name, strings.ToUpper(string(c.Verdict)), doctorFlat(c.Finding), doctorCell(doctorFlat(c.Fix)))
	}
	_ = tw.Flush()
	verdict := "nothing failed"
	if r.Failed() {
		verdict = "FAILED: fix the FAIL rows"
	}
	fmt.Fprintf(w, "\nhubdb doctor: %d ok, %d warn, %d fail on %s and %s: %s\n",
		r.Count(doctor.OK), r.Count(doctor.Warn), r.Count(doctor.Fail), doctorCount(len(servers), "server"), doctorCount(len(dbs), "database"), verdict)
}

// doctorCell stands for an empty cell.
func doctorCell(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// doctorFlat keeps a cell on one line and out of tabwriter's columns.
func doctorFlat(s string) string { return strings.NewReplacer("\n", " ", "\t", " ").Replace(s) }

// doctorCount returns "1 server", "2 servers".
func doctorCount(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
