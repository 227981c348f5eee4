// Package devdb starts and stops private MariaDB servers: a throwaway
// datadir, a free loopback port, no configuration files read. `make test`,
// `make demo` and the fault tests use it when no server answers at the
// configured DSN, or when a test needs a server it may break.
package devdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Options configure a private server.
type Options struct {
	// Dir holds the datadir, socket, pid file and error log. Default: a new
	// temporary directory, removed by Stop.
	Dir string
	// Port is the loopback TCP port. Default: a free one.
	Port int
	// Args are extra mariadbd options, e.g. "--max-connections=20".
	Args []string
	// StartTimeout bounds the wait for the server to accept connections.
	// Default 90 s.
	StartTimeout time.Duration
	// TLS, when set, starts the server with these certificates
	// (--ssl-ca, --ssl-cert, --ssl-key); Config and the readiness check
	// then connect over TLS verified with the CA, so Args may add
	// --require-secure-transport=ON.
	TLS *Certs
}

// Server is a running private MariaDB.
type Server struct {
	opts    Options
	dir     string
	ownsDir bool
	port    int
	cmd     *exec.Cmd
	done    chan error
}

// Binaries returns the paths of mariadbd and mariadb-install-db, or an error
// saying how to install them.
func Binaries() (server, installDB string, err error) {
	server, err = lookPath("mariadbd", "/usr/sbin/mariadbd")
	if err != nil {
		return "", "", err
	}
	installDB, err = lookPath("mariadb-install-db", "/usr/bin/mariadb-install-db")
	return server, installDB, err
}

func lookPath(name, fallback string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	if _, err := os.Stat(fallback); err == nil {
		return fallback, nil
	}
	return "", fmt.Errorf("devdb: %s not found: install Debian's mariadb-server package (apt-get install -y mariadb-server)", name)
}

// Install installs Debian's mariadb-server package with apt-get when
// mariadbd is missing. It needs root.
func Install(ctx context.Context, log func(string)) error {
	if _, _, err := Binaries(); err == nil {
		return nil
	}
	log("mariadbd not found: installing mariadb-server with apt-get")
	for _, args := range [][]string{{"update"}, {"install", "-y", "--no-install-recommends", "mariadb-server"}} {
		cmd := exec.CommandContext(ctx, "apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("devdb: apt-get %s: %w\n%s", args[0], err, tail(out, 2000))
		}
	}
	_, _, err := Binaries()
	return err
}

// Start initialises a datadir (unless Dir already holds one) and starts
// mariadbd on 127.0.0.1. It returns once the server accepts connections.
func Start(ctx context.Context, opts Options) (*Server, error) {
	serverBin, installBin, err := Binaries()
	if err != nil {
		return nil, err
	}
	s := &Server{opts: opts, dir: opts.Dir, port: opts.Port}
	if s.dir == "" {
		if s.dir, err = os.MkdirTemp("", "hubdb-mariadb-"); err != nil {
			return nil, fmt.Errorf("devdb: %w", err)
		}
		s.ownsDir = true
	}
	if s.port == 0 {
		if s.port, err = freePort(); err != nil {
			return nil, err
		}
	}
	data := filepath.Join(s.dir, "data")
	if _, err := os.Stat(filepath.Join(data, "mysql")); errors.Is(err, os.ErrNotExist) {
		install := exec.CommandContext(ctx, installBin, "--no-defaults", "--datadir="+data, "--user=root",
			"--auth-root-authentication-method=normal", "--skip-test-db", "--skip-name-resolve")
		if out, err := install.CombinedOutput(); err != nil {
			s.cleanup()
			return nil, fmt.Errorf("devdb: mariadb-install-db: %w\n%s", err, tail(out, 2000))
		}
	}
	if err := s.start(ctx, serverBin); err != nil {
		s.cleanup()
		return nil, err
	}
	return s, nil
}

func (s *Server) start(ctx context.Context, serverBin string) error {
	args := []string{"--no-defaults", "--user=root",
		"--datadir=" + filepath.Join(s.dir, "data"),
		"--port=" + strconv.Itoa(s.port), "--bind-address=127.0.0.1",
		"--socket=" + filepath.Join(s.dir, "mariadbd.sock"),
		"--pid-file=" + filepath.Join(s.dir, "mariadbd.pid"),
		"--log-error=" + filepath.Join(s.dir, "error.log"),
		"--skip-name-resolve", "--performance-schema=0", "--skip-log-bin",
		"--innodb-buffer-pool-size=128M", "--innodb-log-file-size=32M",
		"--innodb-flush-log-at-trx-commit=2", "--max-connections=300",
		"--character-set-server=utf8mb4", "--collation-server=utf8mb4_unicode_ci",
	}
	if s.opts.TLS != nil {
		args = append(args, s.opts.TLS.args()...)
	}
	args = append(args, s.opts.Args...)
	s.cmd = exec.Command(serverBin, args...)
	// Its own process group: a Ctrl-C aimed at `make` must not kill the
	// server before Stop has dropped what the run created.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("devdb: start mariadbd: %w", err)
	}
	s.done = make(chan error, 1)
	go func() { s.done <- s.cmd.Wait() }()

	timeout := s.opts.StartTimeout
	if timeout <= 0 {
		timeout = 90 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := s.waitReady(ctx); err != nil {
		_ = s.cmd.Process.Kill()
		werr := <-s.done
		s.done <- werr
		log, _ := os.ReadFile(filepath.Join(s.dir, "error.log"))
		return fmt.Errorf("devdb: mariadbd on 127.0.0.1:%d did not start: %w\n%s", s.port, err, tail(log, 3000))
	}
	return nil
}

// waitReady polls the server until a ping succeeds, the process exits, or
// ctx ends.
func (s *Server) waitReady(ctx context.Context) error {
	connector, err := mysql.NewConnector(s.Config())
	if err != nil {
		return err
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		pingCtx, cancel := context.WithTimeout(ctx, time.Second)
		err := db.PingContext(pingCtx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case werr := <-s.done:
			s.done <- werr
			return fmt.Errorf("mariadbd exited: %v", werr)
		case <-ctx.Done():
			return fmt.Errorf("%w (last error: %v)", ctx.Err(), err)
		case <-tick.C:
		}
	}
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// DSN is a go-sql-driver/mysql DSN for root on the server, no database.
// With Options.TLS it holds tls=true but not the CA: use Config, or give
// the CA separately (e.g. HUBDB_TLS_CA).
func (s *Server) DSN() string { return s.Config().FormatDSN() }

// Config is the go-sql-driver/mysql configuration for root on the server;
// with Options.TLS it connects over TLS, verifying the server with the CA.
func (s *Server) Config() *mysql.Config {
	cfg := mysql.NewConfig()
	cfg.User = "root"
	cfg.Net = "tcp"
	cfg.Addr = s.Addr()
	if s.opts.TLS != nil {
		cfg.TLS = s.opts.TLS.ClientTLS()
		cfg.TLSConfig = "true"
	}
	return cfg
}

// Dir is the directory holding the datadir and the error log.
func (s *Server) Dir() string { return s.dir }

// PID is the mariadbd process id.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Restart stops the server with sig (syscall.SIGTERM for a clean shutdown,
// syscall.SIGKILL for a crash) and starts it again on the same port and
// datadir.
func (s *Server) Restart(ctx context.Context, sig syscall.Signal) error {
	if err := s.halt(sig); err != nil {
		return err
	}
	serverBin, _, err := Binaries()
	if err != nil {
		return err
	}
	return s.start(ctx, serverBin)
}

// Stop shuts the server down and removes its directory if Start made it.
func (s *Server) Stop() error {
	err := s.halt(syscall.SIGTERM)
	s.cleanup()
	return err
}

// halt signals the server and waits for it to exit (SIGKILL after 60 s).
func (s *Server) halt(sig syscall.Signal) error {
	if s.cmd == nil || s.cmd.Process == nil {
		return nil
	}
	select {
	case err := <-s.done:
		s.done <- err
		return nil // already gone
	default:
	}
	if err := s.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("devdb: signal mariadbd: %w", err)
	}
	var werr error
	select {
	case werr = <-s.done:
	case <-time.After(60 * time.Second):
		_ = s.cmd.Process.Kill()
		werr = <-s.done
	}
	s.done <- werr // later calls see the process as gone
	return nil
}

func (s *Server) cleanup() {
	if s.ownsDir && s.dir != "" {
		_ = os.RemoveAll(s.dir)
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("devdb: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
