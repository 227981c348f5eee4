package cluster

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// MarkerSchema is the database StartReplicaSet writes its marker row into
// (table marker) to check that replication carries writes to every
// replica; it stays on every node.
const MarkerSchema = "hubdb_cluster"

// ReplicaSetOptions configure StartReplicaSet.
type ReplicaSetOptions struct {
	// Replicas is the number of GTID replicas. Default 2.
	Replicas int
	// Dir is where the cluster's directory is made. Default
	// $HUBDB_CLUSTER_DIR, else /dev/shm when it has 2 GB free, else
	// os.TempDir().
	Dir string
	// Args are extra mariadbd options for every instance, appended last
	// (they override the harness's own).
	Args []string
	// StartTimeout bounds the start of one instance when ctx has no
	// deadline. Default DefaultStartTimeout.
	StartTimeout time.Duration
	// Logf, when set, gets one line per phase of the start (t.Logf).
	Logf func(format string, args ...any)
}

// ReplicaSet is a running MariaDB primary with GTID replicas on loopback.
// Its nodes' root account has no password and SUPER, which read_only=1
// does not stop: to see a replica refuse writes, connect as an account
// without SUPER (READ ONLY ADMIN).
type ReplicaSet struct {
	opts     ReplicaSetOptions
	wd       *workDir
	primary  *Node
	replicas []*Node
	replPass string // the replication user's password: never logged

	mu       sync.Mutex
	wired    bool
	closed   bool
	closeErr error
	started  time.Duration
}

// replUser is the replication account, 'repl'@'127.0.0.1', made on the
// primary (and replicated to the replicas).
const replUser = "repl"

// StartReplicaSet starts a MariaDB primary and opts.Replicas replicas
// and wires GTID replication: the primary with log-bin, binlog-format=ROW,
// gtid_strict_mode and server_id 1; each replica with server_id 2, 3, …,
// log-slave-updates, read_only=1, CHANGE MASTER TO … MASTER_USE_GTID=
// slave_pos as a replication user with a random password. All instances
// copy one mariadb-install-db datadir and start at once, each on a free
// loopback port (a port taken meanwhile is retried with another). It
// returns once every replica's IO and SQL threads run and a marker row
// written on the primary (MarkerSchema.marker) is visible on every
// replica. On error everything started is stopped and removed.
func StartReplicaSet(ctx context.Context, opts ReplicaSetOptions) (*ReplicaSet, error) {
	if opts.Replicas <= 0 {
		opts.Replicas = 2
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = DefaultStartTimeout
	}
	t0 := time.Now()
	rs := &ReplicaSet{opts: opts, replPass: randomHex(16)}
	wd, err := newWorkDir(opts.Dir, "repl", opts.Logf)
	if err != nil {
		return nil, err
	}
	rs.wd = wd
	if err := rs.start(ctx); err != nil {
		rs.Close()
		return nil, err
	}
	rs.started = time.Since(t0)
	rs.log("replica set ready in %s: primary %s, replicas %s (%s)", since(t0), rs.primary.Addr(), rs.replicaAddrs(), wd.path)
	return rs, nil
}

func (rs *ReplicaSet) start(ctx context.Context) error {
	t := time.Now()
	tpl, err := bootstrap(ctx, rs.wd.path)
	if err != nil {
		return err
	}
	rs.log("replica set: mariadb-install-db %s", since(t))

	t = time.Now()
	run := rootOrSelf()
	mk := func(name string, role Role, id int) (*Node, error) {
		n := &Node{name: name, role: role, serverID: id, dir: filepath.Join(rs.wd.path, name),
			run: run, logf: rs.opts.Logf, timeout: rs.opts.StartTimeout, rs: rs}
		if err := os.MkdirAll(n.dir, 0o755); err != nil {
			return nil, fmt.Errorf("cluster: %w", err)
		}
		if err := copyTree(tpl, filepath.Join(n.dir, "data"), run.uid, run.gid); err != nil {
			return nil, fmt.Errorf("cluster: %s: copy the template datadir: %w", name, err)
		}
		return n, nil
	}
	if rs.primary, err = mk("primary", RolePrimary, 1); err != nil {
		return err
	}
	for i := range rs.opts.Replicas {
		r, err := mk("replica"+strconv.Itoa(i+1), RoleReplica, i+2)
		if err != nil {
			return err
		}
		rs.replicas = append(rs.replicas, r)
	}
	_ = os.RemoveAll(tpl) // every node has its copy
	rs.log("replica set: %d datadirs copied %s", len(rs.Nodes()), since(t))

	t = time.Now()
	nodes := rs.Nodes()
	if err := parallel(len(nodes), func(i int) error { return firstStart(ctx, nodes[i], nil) }); err != nil {
		return err
	}
	rs.log("replica set: %d instances up %s", len(nodes), since(t))

	t = time.Now()
	if err := rs.wire(ctx); err != nil {
		return err
	}
	rs.log("replica set: replication wired, IO and SQL threads running %s", since(t))

	t = time.Now()
	if err := rs.marker(ctx); err != nil {
		return err
	}
	rs.log("replica set: marker write seen on every replica %s", since(t))
	return nil
}

// firstStart starts a node for the first time on fresh ports, retrying
// with others (at most 3 times) when one was taken meanwhile. extra, when
// set, picks the node's other ports (Galera).
func firstStart(ctx context.Context, n *Node, extra func() error) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	var err error
	for attempt := 1; attempt <= 3; attempt++ {
		p, perr := sqlPorts(1)
		if perr != nil {
			return perr
		}
		n.port.Store(int64(p[0]))
		n.closeDB()
		if extra != nil {
			if err := extra(); err != nil {
				return err
			}
		}
		err = n.startLocked(ctx)
		if err == nil {
			return nil
		}
		if !portClash(n.ErrorLog(4000)) || ctx.Err() != nil {
			return err
		}
		n.log("%s: a port was taken (attempt %d), retrying on others", n.name, attempt)
		_ = os.Rename(filepath.Join(n.dir, "error.log"), filepath.Join(n.dir, fmt.Sprintf("error.%d.log", attempt)))
	}
	return fmt.Errorf("%w: %w", errPortClash, err)
}

// serverArgs are the mariadbd options of a node of the set.
func (rs *ReplicaSet) serverArgs(n *Node) []string {
	data := filepath.Join(n.dir, "data")
	args := commonArgs(n)
	args = append(args,
		"--log-bin="+filepath.Join(data, "binlog"), "--binlog-format=ROW", "--sync-binlog=0",
		"--gtid-strict-mode=1", "--gtid-domain-id=0", "--log-slave-updates=1")
	if n.role == RoleReplica {
		args = append(args, "--read-only=1",
			"--relay-log="+filepath.Join(data, "relay"),
			// A primary that went silent is noticed within seconds, not a minute.
			"--slave-net-timeout=5")
	}
	return append(args, rs.opts.Args...)
}

// commonArgs are the options every instance gets: loopback only, no
// option files, small buffers.
func commonArgs(n *Node) []string {
	args := []string{"--no-defaults"}
	if n.run.name != "" {
		args = append(args, "--user="+n.run.name)
	}
	return append(args,
		"--datadir="+filepath.Join(n.dir, "data"),
		"--port="+strconv.Itoa(n.Port()), "--bind-address=127.0.0.1",
		"--socket="+filepath.Join(n.dir, "mariadbd.sock"),
		"--pid-file="+filepath.Join(n.dir, "mariadbd.pid"),
		"--log-error="+filepath.Join(n.dir, "error.log"),
		"--server-id="+strconv.Itoa(n.serverID),
		"--skip-name-resolve", "--performance-schema=0",
		"--innodb-buffer-pool-size=64M", "--innodb-log-file-size="+innodbLogFileSize,
		"--innodb-flush-log-at-trx-commit=2",
		"--innodb-buffer-pool-load-at-startup=0", "--innodb-buffer-pool-dump-at-shutdown=0",
		"--max-connections=300",
		"--character-set-server=utf8mb4", "--collation-server=utf8mb4_unicode_ci")
}

// wire makes the replication user on the primary and points every
// replica at it, then waits for their IO and SQL threads.
func (rs *ReplicaSet) wire(ctx context.Context) error {
	p := rs.primary
	for _, q := range []string{
		"CREATE USER IF NOT EXISTS '" + replUser + "'@'127.0.0.1' IDENTIFIED BY '" + rs.replPass + "'",
		"GRANT REPLICATION SLAVE ON *.* TO '" + replUser + "'@'127.0.0.1'",
	} {
		if err := p.execSecret(ctx, "create the replication user", q); err != nil {
			return err
		}
	}
	err := parallel(len(rs.replicas), func(i int) error {
		r := rs.replicas[i]
		for _, q := range []string{
			"STOP SLAVE",
			"SET GLOBAL gtid_slave_pos = ''",
			fmt.Sprintf("CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=%d, MASTER_USER='%s', MASTER_PASSWORD='%s', "+
				"MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1, MASTER_HEARTBEAT_PERIOD=1",
				p.Port(), replUser, rs.replPass),
			"START SLAVE",
		} {
			if err := r.execSecret(ctx, "wire replication", q); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	rs.mu.Lock()
	rs.wired = true
	rs.mu.Unlock()
	return parallel(len(rs.replicas), func(i int) error {
		r := rs.replicas[i]
		ctx, cancel := r.bound(ctx)
		defer cancel()
		return r.poll(ctx, "replication threads", 50*time.Millisecond, rs.replicaReady(r))
	})
}

// execSecret runs a statement holding a password: its error names what
// failed, never the statement.
func (n *Node) execSecret(ctx context.Context, what, query string) error {
	db, err := n.handle()
	if err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, query); err != nil {
		return n.fail(what, err)
	}
	return nil
}

// marker writes a row on the primary and waits until every replica has
// applied it (MASTER_GTID_WAIT) and shows it.
func (rs *ReplicaSet) marker(ctx context.Context) error {
	p := rs.primary
	token := randomHex(8)
	for _, q := range []string{
		"CREATE DATABASE IF NOT EXISTS " + MarkerSchema,
		"CREATE TABLE IF NOT EXISTS " + MarkerSchema + ".marker (id INT AUTO_INCREMENT PRIMARY KEY, token VARCHAR(32) NOT NULL, at DATETIME(6) NOT NULL DEFAULT NOW(6))",
		"INSERT INTO " + MarkerSchema + ".marker (token) VALUES ('" + token + "')",
	} {
		if err := p.Exec(ctx, q); err != nil {
			return p.fail("marker write", err)
		}
	}
	pos, err := p.QueryString(ctx, "SELECT @@gtid_binlog_pos")
	if err != nil {
		return p.fail("marker write", err)
	}
	return parallel(len(rs.replicas), func(i int) error {
		r := rs.replicas[i]
		ctx, cancel := r.bound(ctx)
		defer cancel()
		if err := r.WaitGTID(ctx, pos); err != nil {
			return err
		}
		return r.poll(ctx, "marker row", 50*time.Millisecond, func(ctx context.Context) (bool, string, error) {
			got, err := r.QueryString(ctx, "SELECT COUNT(*) FROM "+MarkerSchema+".marker WHERE token = ?", token)
			if err != nil {
				return false, err.Error(), nil
			}
			return got == "1", "marker rows: " + got, nil
		})
	})
}

// replicaReady is the readiness check of a replica: it answers, and once
// replication is wired, its IO and SQL threads run (START SLAVE is sent
// when one is stopped). While the primary is down, an IO thread that is
// connecting counts as running.
func (rs *ReplicaSet) replicaReady(n *Node) func(context.Context) (bool, string, error) {
	started := false
	return func(ctx context.Context) (bool, string, error) {
		if ok, state, err := n.pingReady(ctx); !ok || err != nil {
			return ok, state, err
		}
		rs.mu.Lock()
		wired := rs.wired
		rs.mu.Unlock()
		if !wired {
			return true, "", nil
		}
		st, err := n.ReplicaStatus(ctx)
		if err != nil {
			return false, err.Error(), nil
		}
		if (st.IORunning == "No" || st.SQLRunning == "No") && !started {
			if err := n.Exec(ctx, "START SLAVE"); err != nil {
				return false, err.Error(), nil
			}
			started = true
			return false, "START SLAVE sent", nil
		}
		io := st.IORunning == "Yes" || (st.IORunning == "Connecting" && !rs.primary.Running())
		return io && st.SQLRunning == "Yes", st.String(), nil
	}
}

// Primary is the set's primary.
func (rs *ReplicaSet) Primary() *Node { return rs.primary }

// Replicas are the set's replicas, replica1 first.
func (rs *ReplicaSet) Replicas() []*Node { return append([]*Node(nil), rs.replicas...) }

// Nodes are the primary followed by the replicas.
func (rs *ReplicaSet) Nodes() []*Node {
	if rs.primary == nil {
		return nil
	}
	return append([]*Node{rs.primary}, rs.replicas...)
}

// StartDuration is how long StartReplicaSet took.
func (rs *ReplicaSet) StartDuration() time.Duration { return rs.started }

// Dir is the set's directory, removed by Close.
func (rs *ReplicaSet) Dir() string { return rs.wd.path }

func (rs *ReplicaSet) replicaAddrs() string {
	var a []string
	for _, r := range rs.replicas {
		a = append(a, r.Addr())
	}
	return strings.Join(a, ", ")
}

func (rs *ReplicaSet) log(format string, args ...any) {
	if rs.opts.Logf != nil {
		rs.opts.Logf(format, args...)
	}
}

// WaitReplicated waits until every running replica has applied all the
// primary has written so far (@@gtid_binlog_pos, MASTER_GTID_WAIT),
// within ctx (default: the start timeout).
func (rs *ReplicaSet) WaitReplicated(ctx context.Context) error {
	pos, err := rs.primary.QueryString(ctx, "SELECT @@gtid_binlog_pos")
	if err != nil {
		return err
	}
	var reps []*Node
	for _, r := range rs.replicas {
		if r.Running() {
			reps = append(reps, r)
		}
	}
	return parallel(len(reps), func(i int) error {
		ctx, cancel := reps[i].bound(ctx)
		defer cancel()
		return reps[i].WaitGTID(ctx, pos)
	})
}

// Close kills every instance (their data is thrown away, so there is no
// clean shutdown to wait for) and removes the set's directory. It may be
// called more than once.
func (rs *ReplicaSet) Close() error {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.closed {
		return rs.closeErr
	}
	rs.closed = true
	rs.closeErr = closeNodes(rs.Nodes(), rs.wd)
	return rs.closeErr
}

// closeNodes kills nodes, closes their pools and removes wd.
func closeNodes(nodes []*Node, wd *workDir) error {
	for _, n := range nodes {
		n.closeDB()
	}
	err := parallel(len(nodes), func(i int) error { return nodes[i].shutdown() })
	if wd != nil {
		err = errors.Join(err, wd.remove())
	}
	return err
}

// ReplicaStatus is a replica's SHOW SLAVE STATUS, in part.
type ReplicaStatus struct {
	// Configured is false when the server has no primary set (no row).
	Configured bool
	// IORunning and SQLRunning are Slave_IO_Running and
	// Slave_SQL_Running: "Yes", "No" or "Connecting".
	IORunning, SQLRunning string
	// SecondsBehind is Seconds_Behind_Master, -1 when NULL (the SQL
	// thread stopped, or the IO thread not connected).
	SecondsBehind int64
	// IOPos is Gtid_IO_Pos, what the IO thread has received; SlavePos is
	// @@gtid_slave_pos, what the SQL thread has applied.
	IOPos, SlavePos string
	// LastIOError and LastSQLError are the threads' last errors ("" when
	// none), with their numbers.
	LastIOErrno, LastSQLErrno int
	LastIOError, LastSQLError string
}

// String is the status on one line, for logs and errors.
func (s ReplicaStatus) String() string {
	if !s.Configured {
		return "no primary configured"
	}
	out := fmt.Sprintf("io=%s sql=%s behind=%d io_pos=%q applied=%q", s.IORunning, s.SQLRunning, s.SecondsBehind, s.IOPos, s.SlavePos)
	if s.LastIOErrno != 0 {
		out += fmt.Sprintf(" io_error=%d %q", s.LastIOErrno, s.LastIOError)
	}
	if s.LastSQLErrno != 0 {
		out += fmt.Sprintf(" sql_error=%d %q", s.LastSQLErrno, s.LastSQLError)
	}
	return out
}

// ReplicaStatus reads the node's SHOW SLAVE STATUS.
func (n *Node) ReplicaStatus(ctx context.Context) (ReplicaStatus, error) {
	var st ReplicaStatus
	db, err := n.handle()
	if err != nil {
		return st, err
	}
	rows, err := db.QueryContext(ctx, "SHOW SLAVE STATUS")
	if err != nil {
		return st, fmt.Errorf("cluster: %s: SHOW SLAVE STATUS: %w", n.name, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return st, err
	}
	if !rows.Next() {
		return st, rows.Err()
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return st, fmt.Errorf("cluster: %s: SHOW SLAVE STATUS: %w", n.name, err)
	}
	m := map[string]sql.NullString{}
	for i, c := range cols {
		m[c] = vals[i]
	}
	atoi := func(k string) int { v, _ := strconv.Atoi(m[k].String); return v }
	st.Configured = true
	st.IORunning, st.SQLRunning = m["Slave_IO_Running"].String, m["Slave_SQL_Running"].String
	st.SecondsBehind = -1
	if v := m["Seconds_Behind_Master"]; v.Valid {
		st.SecondsBehind, _ = strconv.ParseInt(v.String, 10, 64)
	}
	st.IOPos = m["Gtid_IO_Pos"].String
	st.LastIOErrno, st.LastIOError = atoi("Last_IO_Errno"), m["Last_IO_Error"].String
	st.LastSQLErrno, st.LastSQLError = atoi("Last_SQL_Errno"), m["Last_SQL_Error"].String
	if err := rows.Close(); err != nil {
		return st, err
	}
	// SHOW SLAVE STATUS has no applied position (SHOW ALL SLAVES STATUS
	// has): the variable is the same thing.
	st.SlavePos, err = n.QueryString(ctx, "SELECT @@gtid_slave_pos")
	return st, err
}

// StopSQLThread stops a replica's SQL thread (STOP SLAVE SQL_THREAD) and
// waits until it has stopped: the replica keeps receiving (its IO thread
// runs) but applies nothing, so it falls behind the primary from the
// next write on.
func (n *Node) StopSQLThread(ctx context.Context) error {
	return n.sqlThread(ctx, "STOP SLAVE SQL_THREAD", "No")
}

// StartSQLThread starts a replica's SQL thread again (START SLAVE
// SQL_THREAD) and waits until it runs; it then catches up on its own
// (WaitGTID or ReplicaSet.WaitReplicated wait for that).
func (n *Node) StartSQLThread(ctx context.Context) error {
	return n.sqlThread(ctx, "START SLAVE SQL_THREAD", "Yes")
}

func (n *Node) sqlThread(ctx context.Context, stmt, want string) error {
	if n.role != RoleReplica {
		return fmt.Errorf("cluster: %s: %s: not a replica", n.name, stmt)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	ctx, cancel := n.bound(ctx)
	defer cancel()
	if err := n.Exec(ctx, stmt); err != nil {
		return err
	}
	return n.poll(ctx, stmt, 20*time.Millisecond, func(ctx context.Context) (bool, string, error) {
		st, err := n.ReplicaStatus(ctx)
		if err != nil {
			return false, err.Error(), nil
		}
		return st.SQLRunning == want, st.String(), nil
	})
}

// GTIDPos is the node's @@gtid_current_pos: on a primary the last GTID it
// wrote, on a replica the last it applied.
func (n *Node) GTIDPos(ctx context.Context) (string, error) {
	return n.QueryString(ctx, "SELECT @@gtid_current_pos")
}

// WaitGTID waits until the node has applied pos (MASTER_GTID_WAIT), for
// at most ctx's remaining time (60 s when it has no deadline).
func (n *Node) WaitGTID(ctx context.Context, pos string) error {
	wait := 60 * time.Second
	if d, ok := ctx.Deadline(); ok {
		wait = time.Until(d) - 100*time.Millisecond
	}
	if wait <= 0 {
		wait = time.Millisecond
	}
	r, err := n.QueryString(ctx, "SELECT MASTER_GTID_WAIT(?, ?)", pos, wait.Seconds())
	if err != nil {
		return n.fail("wait for GTID "+pos, err)
	}
	if r != "0" {
		st, _ := n.ReplicaStatus(ctx)
		return n.fail("wait for GTID "+pos, fmt.Errorf("not applied within %s (%s)", wait.Round(time.Millisecond), st))
	}
	return nil
}
