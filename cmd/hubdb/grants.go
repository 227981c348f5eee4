package main

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/solarhub/hubdb/config"
	"github.com/solarhub/hubdb/grants"
)

const grantsUsage = `Usage: hubdb grants [flags]

Prints the SQL that creates the two MySQL users hubdb runs as, with
placeholders for the passwords; with --apply, runs it on the server of
each database (the DSN's user needs CREATE USER and GRANT OPTION, e.g.
root) and prints what it ran, again with placeholders.

  admin user   runs "hubdb migrate": ALL PRIVILEGES on each hubdb
               database, nothing global
  app user     runs the applications (dbx): SELECT, INSERT, UPDATE,
               DELETE on each hubdb database, nothing else

Existing users get the new password and lose every other privilege.
Database names come from HUBDB_DB_PREFIX (or the config file) and are
escaped for GRANT, where _ would be a wildcard.

Flags:
  --admin-user NAME  the admin user (default hubdb_admin)
  --app-user NAME    the application user (default hubdb_app)
  --host HOST        host part of both users (default %)
  --db NAME          a database to grant on; repeat for more (default: all)
  --require-tls      create both users REQUIRE SSL
  --config FILE      YAML file saying where the databases live
  --apply            run the statements instead of printing them

Passwords (--apply only; never taken from the command line, never printed):
  HUBDB_ADMIN_PASSWORD  the admin user's password
  HUBDB_APP_PASSWORD    the application user's password
  When one is unset and stdin is a terminal, hubdb asks for it.

Afterwards run migrations as the admin user and applications as the app
user, e.g. HUBDB_DSN='hubdb_app:<password>@tcp(db1:3306)/'.

Exit status: 0 success, 1 a failed operation, 2 a usage error.
`

// Environment variables holding the users' passwords (listed with every
// other HUBDB_* variable in config.KnownEnv).
const (
	envAdminPassword = config.EnvAdminPassword
	envAppPassword   = config.EnvAppPassword
)

// grantsOpts are the parsed flags of "hubdb grants".
type grantsOpts struct {
	admin, app, host string
	dbs              []string
	requireTLS       bool
	config           string
	apply            bool
}

func parseGrants(args []string) (grantsOpts, error) {
	o := grantsOpts{}
	fs := flag.NewFlagSet("hubdb grants", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.admin, "admin-user", grants.DefaultAdmin, "admin user")
	fs.StringVar(&o.app, "app-user", grants.DefaultApp, "application user")
	fs.StringVar(&o.host, "host", grants.DefaultHost, "host part of both users")
	fs.Func("db", "a database (repeatable)", func(v string) error {
		o.dbs = append(o.dbs, v)
		return nil
	})
	fs.BoolVar(&o.requireTLS, "require-tls", false, "REQUIRE SSL")
	fs.StringVar(&o.config, "config", "", "YAML configuration file")
	fs.BoolVar(&o.apply, "apply", false, "run the statements")
	pos, err := parseInterspersed(fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return o, errHelp
	case err != nil:
		return o, &usageError{msg: err.Error()}
	case len(pos) > 0:
		return o, usagef("grants takes no arguments, got %q", pos[0])
	}
	return o, nil
}

// serverGrants is the plan of one server: the databases it holds.
type serverGrants struct {
	server *mysql.Config
	plan   grants.Plan
}

// runGrants is "hubdb grants".
func runGrants(ctx context.Context, args []string, s stdio, environ []string) int {
	o, err := parseGrants(args)
	if errors.Is(err, errHelp) {
		fmt.Fprint(s.out, grantsUsage)
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(s.err, "hubdb grants: %v\n\n%s", err, grantsUsage)
		return exitUsage
	}
	cfg, err := config.Load(o.config, environ)
	if err != nil {
		fmt.Fprintf(s.err, "hubdb: %v\n", err)
		return exitError
	}
	names := o.dbs
	if len(names) == 0 {
		names = cfg.Names()
	}
	// One plan per server, in the order the servers first appear.
	var plans []*serverGrants
	byServer := map[string]*serverGrants{}
	for _, name := range names {
		d, err := cfg.Database(name)
		if err != nil {
			fmt.Fprintf(s.err, "hubdb grants: %v\n\n%s", err, grantsUsage)
			return exitUsage
		}
		key := config.Redact(d.Server)
		sg := byServer[key]
		if sg == nil {
			sg = &serverGrants{server: d.Server, plan: grants.Plan{
				Admin:      grants.User{Name: o.admin, Host: o.host, Placeholder: "<" + envAdminPassword + ">"},
				App:        grants.User{Name: o.app, Host: o.host, Placeholder: "<" + envAppPassword + ">"},
				RequireTLS: o.requireTLS,
			}}
			byServer[key] = sg
			plans = append(plans, sg)
		}
		sg.plan.Databases = append(sg.plan.Databases, d.Schema)
	}
	stmts := make([][]grants.Statement, len(plans))
	for i, sg := range plans {
		if stmts[i], err = sg.plan.Statements(); err != nil {
			fmt.Fprintf(s.err, "hubdb grants: %v\n\n%s", err, grantsUsage)
			return exitUsage
		}
	}
	if !o.apply {
		for i, sg := range plans {
			fmt.Fprintf(s.out, "-- on %s\n", config.Redact(sg.server))
			for _, st := range stmts[i] {
				fmt.Fprintf(s.out, "%s;\n", st.Shown)
			}
		}
		return exitOK
	}

	pw, err := passwords(s, environ, o)
	if err != nil {
		fmt.Fprintf(s.err, "hubdb grants: %v\n", err)
		return exitError
	}
	for i, sg := range plans {
		fmt.Fprintf(s.out, "-- on %s\n", config.Redact(sg.server))
		if err := applyGrants(ctx, s, sg.server, stmts[i], pw); err != nil {
			msg := err.Error()
			for _, p := range pw {
				if p != "" {
					msg = strings.ReplaceAll(msg, p, "xxxxx")
				}
			}
			fmt.Fprintf(s.err, "hubdb grants: %s: %s\n", config.Redact(sg.server), strings.ReplaceAll(msg, "\n", " "))
			return exitError
		}
	}
	return exitOK
}

// passwords returns the users' passwords by grants.Who, from the
// environment or, on a terminal, asked for.
func passwords(s stdio, environ []string, o grantsOpts) (map[grants.Who]string, error) {
	env := envMap(environ)
	var in *bufio.Reader
	out := map[grants.Who]string{}
	for _, p := range []struct {
		who       grants.Who
		key, user string
	}{{grants.AdminPassword, envAdminPassword, o.admin}, {grants.AppPassword, envAppPassword, o.app}} {
		pw := env[p.key]
		if pw == "" {
			if !isTerminal(s.in) {
				return nil, fmt.Errorf("%s is not set and stdin is not a terminal: set it to the password of %s", p.key, p.user)
			}
			if in == nil {
				in = bufio.NewReader(s.in)
			}
			var err error
			if pw, err = askPassword(s, in, fmt.Sprintf("Password for %s (%s): ", p.user, p.key)); err != nil {
				return nil, err
			}
		}
		if pw == "" {
			return nil, fmt.Errorf("empty password for %s", p.user)
		}
		out[p.who] = pw
	}
	if out[grants.AdminPassword] == out[grants.AppPassword] {
		return nil, errors.New("the admin and application users must not share a password")
	}
	return out, nil
}

// askPassword prompts on stderr and reads one line, with echo off when
// stdin is a terminal device.
func askPassword(s stdio, in *bufio.Reader, prompt string) (string, error) {
	fmt.Fprint(s.err, prompt)
	if f, ok := s.in.(*os.File); ok {
		restore := echoOff(f)
		defer restore()
	}
	line, err := in.ReadString('\n')
	fmt.Fprintln(s.err)
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", fmt.Errorf("read password: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// applyGrants runs stmts on server over one connection, printing each
// statement's shown form once it ran. Passwords are bound to "?" and
// interpolated by the driver, which escapes them for the session.
func applyGrants(ctx context.Context, s stdio, server *mysql.Config, stmts []grants.Statement, pw map[grants.Who]string) error {
	cfg := server.Clone()
	cfg.DBName = ""
	cfg.InterpolateParams = true
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return err
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	for _, st := range stmts {
		var args []any
		if st.Password != grants.NoPassword {
			args = append(args, pw[st.Password])
		}
		if _, err := conn.ExecContext(ctx, st.SQL, args...); err != nil {
			return fmt.Errorf("%s: %w", st.Shown, err)
		}
		fmt.Fprintf(s.out, "%s;\n", st.Shown)
	}
	return nil
}
