package cluster

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/solarhub/hubdb/internal/devdb"
)

// Role is what a node is in its cluster.
type Role string

// The roles of a node.
const (
	RolePrimary Role = "primary" // the GTID primary of a ReplicaSet
	RoleReplica Role = "replica" // a GTID replica of a ReplicaSet
	RoleGalera  Role = "galera"  // a node of a Galera cluster
)

// innodbLogFileSize is the redo log size of the template and of every
// instance (a different size in Args makes mariadbd resize it on start).
const innodbLogFileSize = "16M"

// Node is one mariadbd of a cluster: a ReplicaSet's primary or replica,
// or a Galera node. Start, Stop, Kill, Config, Exec and the query helpers
// apply to every node; ReplicaStatus, StopSQLThread, StartSQLThread and
// WaitGTID to replicas (GTIDPos to both roles of a ReplicaSet); Wsrep,
// Isolate, Heal and LastStateTransfer to Galera nodes, and return an
// error on others. Its methods are safe for concurrent use; lifecycle
// calls (Start, Stop, Kill, Isolate, Heal, the SQL thread calls) on one
// node are serialised.
type Node struct {
	name     string
	role     Role
	serverID int
	dir      string // the node's directory: data/, error.log, pid and socket
	run      runAs
	logf     func(string, ...any)
	timeout  time.Duration // bound of one start when ctx has no deadline

	// Galera only.
	g                           *Galera
	gcommPort, istPort, sstPort int
	// ReplicaSet only.
	rs *ReplicaSet

	closed   atomic.Bool             // by Close: no process is started any more
	mu       sync.Mutex              // serialises lifecycle calls
	port     atomic.Int64            // fixed once the first start succeeded
	proc     atomic.Pointer[process] // the last run of mariadbd
	isolated atomic.Bool

	dbMu sync.Mutex
	db   *sql.DB
}

// process is one run of mariadbd.
type process struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed when Wait returned
	err    error         // Wait's result, once exited is closed
}

func (p *process) alive() bool {
	if p == nil {
		return false
	}
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// Name is the node's name in messages: "primary", "replica1", "n1".
func (n *Node) Name() string { return n.name }

// Role is the node's role.
func (n *Node) Role() Role { return n.role }

// Port is the node's SQL port on 127.0.0.1. It does not change across
// Stop, Kill and Start.
func (n *Node) Port() int { return int(n.port.Load()) }

// Addr is the node's host:port.
func (n *Node) Addr() string { return "127.0.0.1:" + strconv.Itoa(n.Port()) }

// ServerID is the node's @@server_id, distinct within its cluster.
func (n *Node) ServerID() int { return n.serverID }

// Dir is the node's directory: data/ (the datadir) and error.log.
func (n *Node) Dir() string { return n.dir }

// PID is the running mariadbd's process id, or 0 when it is not running.
func (n *Node) PID() int {
	p := n.proc.Load()
	if !p.alive() {
		return 0
	}
	return p.cmd.Process.Pid
}

// Running reports whether the node's mariadbd process is running (it may
// still be starting, or be isolated).
func (n *Node) Running() bool { return n.proc.Load().alive() }

// Config is a go-sql-driver/mysql configuration for root (no password)
// on the node over TCP, no database, a 5 s dial timeout. Each call
// returns a new copy.
func (n *Node) Config() *mysql.Config {
	cfg := mysql.NewConfig()
	cfg.User = "root"
	cfg.Net = "tcp"
	cfg.Addr = n.Addr()
	cfg.Timeout = 5 * time.Second
	return cfg
}

// DSN is Config as a DSN string.
func (n *Node) DSN() string { return n.Config().FormatDSN() }

// ErrorLog returns the last max bytes of the node's error log (with
// mariadbd's console output when the log is empty).
func (n *Node) ErrorLog(max int) string {
	b, _ := os.ReadFile(filepath.Join(n.dir, "error.log"))
	if len(b) == 0 {
		b, _ = os.ReadFile(filepath.Join(n.dir, "console.log"))
	}
	return tail(b, max)
}

// fail wraps err with the node, what failed, and the tail of its error log.
func (n *Node) fail(what string, err error) error {
	return fmt.Errorf("cluster: %s (127.0.0.1:%d): %s: %w\n--- %s, last lines ---\n%s",
		n.name, n.Port(), what, err, filepath.Join(n.dir, "error.log"), n.ErrorLog(3000))
}

// handle is the node's own small pool for Exec and the helpers.
func (n *Node) handle() (*sql.DB, error) {
	n.dbMu.Lock()
	defer n.dbMu.Unlock()
	if n.db == nil {
		cfg := n.Config()
		// The harness kills servers under its own pool: the driver's
		// "connection reset" lines that follow are expected, not news.
		cfg.Logger = &mysql.NopLogger{}
		c, err := mysql.NewConnector(cfg)
		if err != nil {
			return nil, err
		}
		n.db = sql.OpenDB(c)
		n.db.SetMaxOpenConns(8)
		n.db.SetMaxIdleConns(2)
	}
	return n.db, nil
}

// dropIdle closes the pool's idle connections (after the server went
// away, so that none is handed out dead).
func (n *Node) dropIdle() {
	n.dbMu.Lock()
	defer n.dbMu.Unlock()
	if n.db != nil {
		n.db.SetMaxIdleConns(0)
		n.db.SetMaxIdleConns(2)
	}
}

func (n *Node) closeDB() {
	n.dbMu.Lock()
	defer n.dbMu.Unlock()
	if n.db != nil {
		n.db.Close()
		n.db = nil
	}
}

// Exec runs one statement on the node as root. The error names the node;
// a server error stays reachable with errors.As(err, **mysql.MySQLError).
func (n *Node) Exec(ctx context.Context, query string, args ...any) error {
	db, err := n.handle()
	if err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, query, args...); err != nil {
		return fmt.Errorf("cluster: %s: %s: %w", n.name, abbrev(query), err)
	}
	return nil
}

// QueryString runs a query returning one value (e.g. "SELECT @@server_id")
// and returns it as a string; NULL is "".
func (n *Node) QueryString(ctx context.Context, query string, args ...any) (string, error) {
	db, err := n.handle()
	if err != nil {
		return "", err
	}
	var v sql.NullString
	if err := db.QueryRowContext(ctx, query, args...).Scan(&v); err != nil {
		return "", fmt.Errorf("cluster: %s: %s: %w", n.name, abbrev(query), err)
	}
	return v.String, nil
}

// Ping checks that the node answers on its connection (COM_PING). A
// Galera node cut off from its cluster still answers it.
func (n *Node) Ping(ctx context.Context) error {
	db, err := n.handle()
	if err != nil {
		return err
	}
	if err := db.PingContext(ctx); err != nil {
		return fmt.Errorf("cluster: %s: ping: %w", n.name, err)
	}
	return nil
}

// Status returns the named global status variables (SHOW GLOBAL STATUS,
// which a Galera node answers even when cut off from its cluster).
func (n *Node) Status(ctx context.Context, names ...string) (map[string]string, error) {
	db, err := n.handle()
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		if !statusName.MatchString(name) {
			return nil, fmt.Errorf("cluster: %s: Status: %q is not a status variable name", n.name, name)
		}
	}
	q := "SHOW GLOBAL STATUS"
	if len(names) > 0 {
		q += " WHERE Variable_name IN ('" + strings.Join(names, "','") + "')"
	}
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("cluster: %s: SHOW GLOBAL STATUS: %w", n.name, err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, fmt.Errorf("cluster: %s: SHOW GLOBAL STATUS: %w", n.name, err)
		}
		out[strings.ToLower(k)] = v
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cluster: %s: SHOW GLOBAL STATUS: %w", n.name, err)
	}
	return out, nil
}

var statusName = regexp.MustCompile(`^[A-Za-z0-9_]+$`)

func abbrev(q string) string {
	q = strings.Join(strings.Fields(q), " ")
	if len(q) > 120 {
		q = q[:117] + "..."
	}
	return q
}

// Start starts the node again on its datadir and port after Stop or Kill
// and returns once it serves: a replica with its replication threads
// running again (the IO thread may still be connecting while its primary
// is down), a Galera node synced with its cluster after IST or SST (or,
// when no other node runs, as a new cluster from its own state).
func (n *Node) Start(ctx context.Context) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if p := n.proc.Load(); p.alive() {
		return fmt.Errorf("cluster: %s: Start: already running (pid %d)", n.name, p.cmd.Process.Pid)
	}
	if n.Port() == 0 {
		return fmt.Errorf("cluster: %s: Start: never started", n.name)
	}
	t0 := time.Now()
	if err := n.startLocked(ctx); err != nil {
		return err
	}
	n.log("%s started again in %s", n.name, since(t0))
	return nil
}

// startLocked runs mariadbd and waits until the node serves in its role.
func (n *Node) startLocked(ctx context.Context) error {
	ctx, cancel := n.bound(ctx)
	defer cancel()
	var args []string
	switch n.role {
	case RolePrimary, RoleReplica:
		args = n.rs.serverArgs(n)
	case RoleGalera:
		args = n.g.serverArgs(n)
		pos, err := n.g.recoverPosition(ctx, n, args)
		if err != nil {
			return err
		}
		if pos != "" {
			args = append(args, "--wsrep-start-position="+pos)
		}
	}
	if err := n.spawn(args); err != nil {
		return err
	}
	if err := n.waitServing(ctx); err != nil {
		n.killLocked()
		return err
	}
	return nil
}

// bound gives ctx the node's start timeout when it has no deadline.
func (n *Node) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, n.timeout)
}

// spawn starts mariadbd with args.
func (n *Node) spawn(args []string) error {
	if n.closed.Load() {
		return fmt.Errorf("cluster: %s: its cluster is closed", n.name)
	}
	serverBin, _, err := devdb.Binaries()
	if err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	console, err := os.OpenFile(filepath.Join(n.dir, "console.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("cluster: %s: %w", n.name, err)
	}
	defer console.Close()
	cmd := exec.Command(serverBin, args...)
	cmd.Dir = n.dir
	cmd.Stdout, cmd.Stderr = console, console
	cmd.SysProcAttr = sysProcAttr(n.run)
	if err := startProcess(cmd); err != nil {
		return n.fail("start mariadbd", err)
	}
	p := &process{cmd: cmd, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	n.proc.Store(p)
	if n.closed.Load() { // Close ran meanwhile and saw the previous process
		n.killLocked()
		return fmt.Errorf("cluster: %s: its cluster is closed", n.name)
	}
	return nil
}

// waitServing polls until the node serves in its role, its process
// exits, or ctx ends.
func (n *Node) waitServing(ctx context.Context) error {
	ready := func(ctx context.Context) (bool, string, error) { return n.pingReady(ctx) }
	switch n.role {
	case RoleReplica:
		ready = n.rs.replicaReady(n)
	case RoleGalera:
		ready = n.g.nodeReady(n)
	}
	return n.poll(ctx, "start", 100*time.Millisecond, ready)
}

// pingReady is true once the node answers a ping.
func (n *Node) pingReady(ctx context.Context) (bool, string, error) {
	// Before the ping: whoever holds a port mariadbd could not bind may
	// accept the connection and never greet.
	if portClash(n.ErrorLog(4000)) {
		return false, "", errPortClash
	}
	if !n.proc.Load().alive() {
		return false, "mariadbd exited", nil // poll reports it
	}
	pctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := n.Ping(pctx); err != nil {
		return false, err.Error(), nil
	}
	return true, "", nil
}

// poll calls check every interval until it reports done, returns an
// error, the process exits, or ctx ends; the error then carries the last
// state check reported and the error log's tail.
func (n *Node) poll(ctx context.Context, what string, interval time.Duration, check func(context.Context) (bool, string, error)) error {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	last := ""
	for {
		done, state, err := check(ctx)
		if err != nil {
			return n.fail(what, err)
		}
		if done {
			return nil
		}
		last = state
		var exited <-chan struct{}
		p := n.proc.Load()
		if p != nil {
			exited = p.exited
		}
		select {
		case <-exited:
			n.dropIdle()
			return n.fail(what, fmt.Errorf("mariadbd exited (%v); last state: %s", p.err, last))
		case <-ctx.Done():
			return n.fail(what, fmt.Errorf("%w; last state: %s", ctx.Err(), last))
		case <-tick.C:
		}
	}
}

// Stop shuts the node down cleanly (SIGTERM: a Galera node leaves its
// cluster, a primary's replicas see it go) and waits for the process to
// exit; past ctx's deadline (default 2 min) it is killed and Stop returns
// an error.
func (n *Node) Stop(ctx context.Context) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	p := n.proc.Load()
	if !p.alive() {
		return nil
	}
	ctx, cancel := n.bound(ctx)
	defer cancel()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return n.fail("stop", err)
	}
	select {
	case <-p.exited:
	case <-ctx.Done():
		n.killLocked()
		return n.fail("stop", fmt.Errorf("no clean shutdown: %w; killed", ctx.Err()))
	}
	n.isolated.Store(false)
	n.dropIdle()
	return nil
}

// Kill kills the node's mariadbd and everything it started (its process
// group: an SST script, an rsync daemon) with SIGKILL, a crash, and
// waits for it to exit. A node not running is left as it is.
func (n *Node) Kill() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.killLocked()
}

// shutdown is Close's kill: it does not wait for a lifecycle call in
// progress on another goroutine (that call's wait then fails as the
// process exits), and no process is started on the node after it.
func (n *Node) shutdown() error {
	n.closed.Store(true)
	return n.killLocked()
}

func (n *Node) killLocked() error {
	p := n.proc.Load()
	if p == nil {
		return nil
	}
	pid := p.cmd.Process.Pid
	_ = syscall.Kill(-pid, syscall.SIGKILL) // the group: SST helpers die with it
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		return n.fail("kill", fmt.Errorf("pid %d still there 30 s after SIGKILL", pid))
	}
	n.isolated.Store(false)
	n.dropIdle()
	return nil
}

// startProcess starts cmd from one goroutine locked to its OS thread for
// the life of the process: the parent death signal (Linux) fires when
// the thread that forked the child exits, and a Go thread may exit while
// the process goes on.
func startProcess(cmd *exec.Cmd) error {
	spawner.once.Do(func() {
		spawner.reqs = make(chan spawnReq)
		go func() {
			runtime.LockOSThread() // never unlocked: the thread lives as long as the process
			for r := range spawner.reqs {
				r.done <- r.cmd.Start()
			}
		}()
	})
	done := make(chan error, 1)
	spawner.reqs <- spawnReq{cmd: cmd, done: done}
	return <-done
}

var spawner struct {
	once sync.Once
	reqs chan spawnReq
}

type spawnReq struct {
	cmd  *exec.Cmd
	done chan error
}

func (n *Node) log(format string, args ...any) {
	if n.logf != nil {
		n.logf(format, args...)
	}
}
