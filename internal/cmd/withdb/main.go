// Command withdb runs a command against a MariaDB server, starting a private
// one when none answers.
//
//	go run ./internal/cmd/withdb [-env NAME]... -- COMMAND [ARG]...
//
// It takes the server from HUBDB_TEST_DSN, else HUBDB_DSN, else
// root@tcp(127.0.0.1:3306)/. If that server answers a ping, COMMAND runs with
// the DSN in each -env variable (default HUBDB_TEST_DSN). If not, withdb
// installs Debian's mariadb-server when mariadbd is missing, starts a private
// server in a temporary datadir on a free loopback port, runs COMMAND against
// it, and stops it afterwards. Its exit status is COMMAND's.
//
// With -keep DIR the private server's datadir lives in DIR and the server
// is left running for the next run, which finds it again through DIR/dsn.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/solarhub/hubdb/config"
	"github.com/solarhub/hubdb/internal/devdb"
)

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

func main() {
	os.Exit(run())
}

func run() int {
	var envs multiFlag
	keep := flag.String("keep", "", "keep the private server's datadir in `DIR` and leave it running")
	flag.Var(&envs, "env", "environment `NAME` that receives the DSN (repeatable; default HUBDB_TEST_DSN)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: withdb [-env NAME]... [-keep DIR] -- COMMAND [ARG]...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		return 2
	}
	if len(envs) == 0 {
		envs = multiFlag{"HUBDB_TEST_DSN"}
	}
	logf := func(format string, args ...any) { fmt.Fprintf(os.Stderr, "withdb: "+format+"\n", args...) }

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	dsn := firstNonEmpty(os.Getenv("HUBDB_TEST_DSN"), os.Getenv("HUBDB_DSN"), "root@tcp(127.0.0.1:3306)/")
	if *keep != "" {
		if b, err := os.ReadFile(filepath.Join(*keep, "dsn")); err == nil && answers(ctx, strings.TrimSpace(string(b))) == nil {
			dsn = strings.TrimSpace(string(b))
			logf("using the kept private MariaDB at %s", redact(dsn))
			return runCommand(ctx, flag.Args(), envs, dsn)
		}
	}
	err := answers(ctx, dsn)
	if err == nil {
		logf("using the MariaDB/MySQL server at %s", redact(dsn))
		return runCommand(ctx, flag.Args(), envs, dsn)
	}
	logf("no server answers at %s (%v): starting a private MariaDB", redact(dsn), err)
	if err := devdb.Install(ctx, func(s string) { logf("%s", s) }); err != nil {
		logf("%v", err)
		return 1
	}
	start := time.Now()
	srv, err := devdb.Start(ctx, devdb.Options{Dir: *keep})
	if err != nil {
		logf("%v", err)
		return 1
	}
	logf("private MariaDB up at %s (datadir %s) in %s", srv.Addr(), srv.Dir(), time.Since(start).Round(time.Millisecond))
	if *keep != "" {
		if err := os.WriteFile(filepath.Join(*keep, "dsn"), []byte(srv.DSN()+"\n"), 0o600); err != nil {
			logf("%v", err)
		}
		logf("leaving it running (pid %d); stop it with: kill %d", srv.PID(), srv.PID())
		return runCommand(ctx, flag.Args(), envs, srv.DSN())
	}
	code := runCommand(ctx, flag.Args(), envs, srv.DSN())
	if err := srv.Stop(); err != nil {
		logf("stop: %v", err)
	} else {
		logf("private MariaDB stopped")
	}
	return code
}

// answers pings the server at dsn with a short deadline.
func answers(ctx context.Context, dsn string) error {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return fmt.Errorf("invalid DSN: %w", err)
	}
	cfg.Timeout = 2 * time.Second
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return err
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	return db.PingContext(ctx)
}

func runCommand(ctx context.Context, argv []string, envs []string, dsn string) int {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = os.Environ()
	for _, name := range envs {
		cmd.Env = append(cmd.Env, name+"="+dsn)
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "withdb: %v\n", err)
		return 1
	}
	stopForward := context.AfterFunc(ctx, func() { _ = cmd.Process.Signal(syscall.SIGTERM) })
	defer stopForward()
	err := cmd.Wait()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		if code := exit.ExitCode(); code > 0 {
			return code
		}
		return 1
	default:
		fmt.Fprintf(os.Stderr, "withdb: %v\n", err)
		return 1
	}
}

// redact renders a DSN without its password (config.Redact).
func redact(dsn string) string {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return "(invalid DSN)"
	}
	return config.Redact(cfg)
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
