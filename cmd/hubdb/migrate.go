package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/solarhub/hubdb/config"
	"github.com/solarhub/hubdb/migration"
)

const migrateUsage = `Usage: hubdb migrate <command> [flags]

Commands:
  up         apply every pending migration; creates a missing database (utf8mb4)
  down       revert every migration (asks for confirmation)
  steps N    apply N migrations, or revert -N (asks when reverting more than one)
  goto V     migrate up or down to version V (asks when going down more than one)
  force V    record version V as applied and clean without running anything
             (the way out of a dirty database, once repaired; 0 means none),
             and the files up to V, as they are now, as applied
  status     one row per database: version, latest, dirty, state; a file
             below the version never applied, an applied file gone or
             edited is flagged (out-of-order, gone, edited) and up refuses
             to run over it; exit 1 then
  verify     compare each database's live structure with what its migrations
             give at its version (a scratch database _hubdb_verify_..., migrated
             and dropped); a hand-made change is printed table by table, exit 1
  lint       flag statements of the migrations that lock or rebuild a table, with the
             reason and the fix; no server needed; exit 1 on a finding not accepted

Flags (before or after the arguments):
  --db NAME      a database to work on; repeat for more
  --all          work on every database
                 (one of --db and --all is required, except for status and
                 lint, which take every database by default)
  --since V      lint: only the migrations after version V
  --config FILE  YAML file saying where the databases live
  --yes          do not ask for confirmation
  --no-create    fail instead of creating a missing database

Environment (it overrides --config, which overrides the defaults):
  HUBDB_DSN         server DSN, default root@tcp(127.0.0.1:3306)/
  HUBDB_<NAME>_DSN  server of one database, e.g. HUBDB_ESS_DSN
  HUBDB_DB_PREFIX   prefix of the physical database names, e.g. stage_
  HUBDB_TLS_CA      CA file verifying the servers (also HUBDB_TLS_SERVER_NAME,
                    HUBDB_TLS_CERT, HUBDB_TLS_KEY: see package config)
  Any other HUBDB_* variable is an error: a misspelt one is never ignored.

Exit status: 0 success, 1 a failed operation, 2 a usage error.
`

// migrateOpts are the parsed flags and arguments of "hubdb migrate".
type migrateOpts struct {
	sub      string   // up, down, steps, goto, force, status, verify, lint
	arg      int      // N of steps, V of goto and force
	dbs      []string // --db, in order
	all      bool
	config   string
	yes      bool
	noCreate bool
	since    uint // lint --since
}

// usageError is a bad command line: exit status 2 with the usage text.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// errHelp asks for the usage text on stdout.
var errHelp = errors.New("help requested")

// runMigrate is "hubdb migrate".
func runMigrate(ctx context.Context, args []string, s stdio, environ []string) int {
	o, err := parseMigrate(args)
	if errors.Is(err, errHelp) {
		fmt.Fprint(s.out, migrateUsage)
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(s.err, "hubdb migrate: %v\n\n%s", err, migrateUsage)
		return exitUsage
	}
	cfg, err := config.Load(o.config, environ)
	if err != nil {
		fmt.Fprintf(s.err, "hubdb: %v\n", err)
		return exitError
	}
	targets, err := cfg.Targets(o.dbs) // nil dbs: all
	if err != nil {
		fmt.Fprintf(s.err, "hubdb migrate: %v\n\n%s", err, migrateUsage)
		return exitUsage
	}
	m := &migration.Migrator{NoCreate: o.noCreate}
	switch o.sub {
	case "status":
		return migrateStatus(ctx, s, m, targets)
	case "verify":
		return migrateVerify(ctx, s, m, targets)
	case "lint":
		return migrateLint(s, targets, o.since)
	case "up":
		return migrateUp(ctx, s, m, targets)
	case "down":
		return migrateDown(ctx, s, m, targets, o.yes)
	case "steps":
		return migrateSteps(ctx, s, m, targets, o.arg, o.yes)
	case "goto":
		return migrateGoto(ctx, s, m, targets, uint(o.arg), o.yes)
	default: // force
		return migrateForce(ctx, s, m, targets, uint(o.arg))
	}
}

// parseMigrate parses the command line of "hubdb migrate". Flags may come
// before or after the subcommand and its number; a negative number (steps
// -2) is an argument, not a flag.
func parseMigrate(args []string) (migrateOpts, error) {
	var o migrateOpts
	fs := flag.NewFlagSet("hubdb migrate", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported once, by the caller
	fs.Func("db", "a database to work on (repeatable)", func(v string) error {
		o.dbs = append(o.dbs, v)
		return nil
	})
	fs.BoolVar(&o.all, "all", false, "work on every database")
	fs.StringVar(&o.config, "config", "", "YAML configuration file")
	fs.BoolVar(&o.yes, "yes", false, "do not ask for confirmation")
	fs.BoolVar(&o.noCreate, "no-create", false, "do not create a missing database")
	fs.UintVar(&o.since, "since", 0, "lint only the migrations after this version")

	pos, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return o, errHelp
	}
	if err != nil {
		return o, &usageError{msg: err.Error()}
	}
	if len(pos) == 0 {
		return o, usagef("missing command (up, down, steps, goto, force, status, verify or lint)")
	}
	o.sub, pos = pos[0], pos[1:]
	switch o.sub {
	case "up", "down", "status", "verify", "lint":
		if len(pos) > 0 {
			return o, usagef("%s takes no argument, got %q", o.sub, pos[0])
		}
	case "steps", "goto", "force":
		if len(pos) != 1 {
			return o, usagef("%s needs exactly one number", o.sub)
		}
		n, err := strconv.Atoi(pos[0])
		switch {
		case err != nil:
			return o, usagef("%s: %q is not a number", o.sub, pos[0])
		case o.sub == "steps" && n == 0:
			return o, usagef("steps: N must not be 0")
		case o.sub != "steps" && n < 0:
			return o, usagef("%s: the version must not be negative", o.sub)
		}
		o.arg = n
	default:
		return o, usagef("unknown command %q", o.sub)
	}
	switch {
	case o.all && len(o.dbs) > 0:
		return o, usagef("give either --db or --all, not both")
	case !o.all && len(o.dbs) == 0 && o.sub != "status" && o.sub != "lint":
		return o, usagef("%s needs --db NAME (repeatable) or --all", o.sub)
	case o.since > 0 && o.sub != "lint":
		return o, usagef("--since is a flag of lint")
	}
	return o, nil
}

// negativeNumber matches an argument such as -2 that is not a flag.
var negativeNumber = regexp.MustCompile(`^-[0-9]+$`)

// parseInterspersed parses the flags of fs wherever they appear in args and
// returns the other arguments in order. Everything after "--" is an
// argument.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for len(args) > 0 {
		a := args[0]
		switch {
		case a == "--":
			return append(pos, args[1:]...), nil
		case a == "-" || !strings.HasPrefix(a, "-") || negativeNumber.MatchString(a):
			pos = append(pos, a)
			args = args[1:]
			continue
		}
		n := 1 // this flag alone, or with its value
		if name := strings.TrimLeft(a, "-"); !strings.Contains(name, "=") {
			if f := fs.Lookup(name); f != nil && !isBool(f) && len(args) > 1 {
				n = 2
			}
		}
		if err := fs.Parse(args[:n]); err != nil {
			return nil, err
		}
		args = args[n:]
	}
	return pos, nil
}

func isBool(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}
