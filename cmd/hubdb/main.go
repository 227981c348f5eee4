// Command hubdb is the operator's tool for the SolarHub databases.
//
//	hubdb migrate up|down|steps N|goto V|force V|status [--db NAME]... [--all]
//	hubdb grants [--apply] [--admin-user NAME] [--app-user NAME] [--db NAME]...
//	hubdb testdb list|drop [--yes] [PREFIX]
//	hubdb doctor [--db NAME]... [--json] [--no-drift]
//
// Run "hubdb help" or "hubdb migrate --help" for the details. Where the
// databases live comes from HUBDB_DSN, HUBDB_<NAME>_DSN, HUBDB_DB_PREFIX
// and an optional --config file (see package config).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Environ())
	stop()
	os.Exit(code)
}

// Exit statuses of run.
const (
	exitOK    = 0
	exitError = 1 // the operation failed
	exitUsage = 2 // bad command line; the usage text is printed
)

// command is one top-level hubdb command.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, io stdio, environ []string) int
}

// commands maps the first word of the command line to its command; new
// operator commands (pool, load, ...) go here.
var commands = map[string]command{
	"migrate": {"apply, revert and inspect the schema migrations", runMigrate},
	"grants":  {"print or apply the SQL creating the admin and application users", runGrants},
	"load":    {"put a bounded load on a local server and report latency, errors and pools", runLoad},
	"demo":    {"migrate, seed, serve the example API and run the pool-exhaustion scenario", runDemo},
	"testdb":  {"list and drop the test kit's databases by prefix", runTestdb},
	"doctor":  {"check every server and database: budget, timeouts, sql_mode, charset, TLS, privileges, migrations, drift", runDoctor},
}

// stdio bundles the standard streams handed to run.
type stdio struct {
	in       io.Reader
	out, err io.Writer
}

// run runs hubdb with args (without the program name) and returns the exit
// status. environ is the environment as os.Environ returns it.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, environ []string) int {
	s := stdio{in: stdin, out: stdout, err: stderr}
	if len(args) == 0 {
		topUsage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		topUsage(stdout)
		return exitOK
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "hubdb: unknown command %q\n\n", args[0])
		topUsage(stderr)
		return exitUsage
	}
	return cmd.run(ctx, args[1:], s, environ)
}

func topUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage: hubdb <command> [arguments]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, name := range []string{"migrate", "grants", "load", "demo", "testdb", "doctor"} {
		fmt.Fprintf(w, "  %-10s %s\n", name, commands[name].summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, `Run "hubdb <command> --help" for a command's usage.`)
}

// envMap turns "KEY=value" strings into a map; a later entry wins.
func envMap(environ []string) map[string]string {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}
