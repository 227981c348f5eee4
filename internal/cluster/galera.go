package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/solarhub/hubdb/internal/devdb"
)

// GaleraProvider is the Galera 4 library Debian's galera-4 package
// installs.
const GaleraProvider = "/usr/lib/galera/libgalera_smm.so"

// DefaultGaleraProviderOptions tune Galera's timers for loopback: a node
// killed leaves the view after about 3.5 s instead of 5-15 s
// (evs.suspect_timeout, default PT5S; evs.inactive_timeout, PT15S;
// evs.install_timeout, PT7.5S), a healed node is let back in after 1 s
// instead of 5 (gmcast.time_wait), and views form faster
// (evs.join_retrans_period, default PT1S). A node starved of CPU for 3 s
// would be suspected: on a machine slower than a loaded 2-core one, pass
// longer timers in GaleraOptions.ProviderOptions.
const DefaultGaleraProviderOptions = "evs.suspect_timeout=PT3S;evs.inactive_timeout=PT6S;evs.install_timeout=PT5S;evs.keepalive_period=PT1S;gmcast.time_wait=PT1S;evs.join_retrans_period=PT0.5S"

// GaleraOptions configure StartGalera.
type GaleraOptions struct {
	// Nodes is the number of nodes. Default 3.
	Nodes int
	// Dir is where the cluster's directory is made. Default
	// $HUBDB_CLUSTER_DIR, else /dev/shm when it has 2 GB free, else
	// os.TempDir().
	Dir string
	// Args are extra mariadbd options for every node, appended last.
	Args []string
	// ProviderOptions are wsrep provider options ("a=b;c=d") appended to
	// the harness's (listen and IST addresses, gcache.size=64M), in place
	// of DefaultGaleraProviderOptions when set.
	ProviderOptions string
	// StartTimeout bounds the start of one node (its state transfer
	// included) when ctx has no deadline. Default DefaultStartTimeout.
	StartTimeout time.Duration
	// Logf, when set, gets one line per phase of the start (t.Logf).
	Logf func(format string, args ...any)
}

// Galera is a running MariaDB Galera cluster on loopback.
type Galera struct {
	opts  GaleraOptions
	wd    *workDir
	nodes []*Node
	name  string // wsrep_cluster_name, unique: no stale node can join

	mu       sync.Mutex
	closed   bool
	closeErr error
	started  time.Duration
}

// GaleraPreflight checks what a Galera node needs on this machine and
// says which package to install for what is missing: the provider
// (galera-4), rsync for the SST (rsync), ss or lsof that the SST script
// uses to see its rsync daemon listen (iproute2), the SST script and the
// mysql user (mariadb-server).
func GaleraPreflight() error {
	var missing []string
	if _, err := os.Stat(GaleraProvider); err != nil {
		missing = append(missing, GaleraProvider+" (package galera-4)")
	}
	if _, err := exec.LookPath("rsync"); err != nil {
		missing = append(missing, "rsync (package rsync)")
	}
	_, errSS := exec.LookPath("ss")
	_, errLsof := exec.LookPath("lsof")
	if errSS != nil && errLsof != nil {
		missing = append(missing, "ss (package iproute2)")
	}
	if _, err := exec.LookPath("wsrep_sst_rsync"); err != nil {
		missing = append(missing, "wsrep_sst_rsync (package mariadb-server)")
	}
	if len(missing) > 0 {
		return fmt.Errorf("cluster: Galera needs %s: apt-get install -y galera-4 rsync iproute2 mariadb-server", strings.Join(missing, ", "))
	}
	if _, err := mysqlOrSelf(); err != nil {
		return err
	}
	return nil
}

// StartGalera starts an opts.Nodes-node Galera cluster: node n1
// bootstraps it (--wsrep-new-cluster), then n2, n3, … join one at a time,
// each by rsync SST, every node on its own free loopback ports for SQL,
// group communication, IST and SST. As root the nodes run as the mysql
// user (the rsync SST needs a datadir its server's user owns). It returns
// once every node reports wsrep_ready=ON, wsrep_local_state=4 (Synced),
// wsrep_cluster_status=Primary and wsrep_cluster_size=opts.Nodes. What is
// missing on the machine is named with its package (GaleraPreflight). On
// error everything started is stopped and removed.
func StartGalera(ctx context.Context, opts GaleraOptions) (*Galera, error) {
	if opts.Nodes <= 0 {
		opts.Nodes = 3
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = DefaultStartTimeout
	}
	if opts.ProviderOptions == "" {
		opts.ProviderOptions = DefaultGaleraProviderOptions
	}
	if err := GaleraPreflight(); err != nil {
		return nil, err
	}
	t0 := time.Now()
	g := &Galera{opts: opts, name: "hubdb-" + randomHex(6)}
	wd, err := newWorkDir(opts.Dir, "galera", opts.Logf)
	if err != nil {
		return nil, err
	}
	g.wd = wd
	if err := g.start(ctx); err != nil {
		g.Close()
		return nil, err
	}
	g.started = time.Since(t0)
	g.log("galera %s ready in %s: %s (%s)", g.name, since(t0), g.addrs(), wd.path)
	return g, nil
}

func (g *Galera) start(ctx context.Context) error {
	run, err := mysqlOrSelf()
	if err != nil {
		return err
	}
	t := time.Now()
	tpl, err := bootstrap(ctx, g.wd.path)
	if err != nil {
		return err
	}
	g.log("galera: mariadb-install-db %s", since(t))

	t = time.Now()
	for i := range g.opts.Nodes {
		n := &Node{name: "n" + strconv.Itoa(i+1), role: RoleGalera, serverID: 11 + i,
			run: run, logf: g.opts.Logf, timeout: g.opts.StartTimeout, g: g}
		n.dir = filepath.Join(g.wd.path, n.name)
		if err := os.MkdirAll(n.dir, 0o755); err != nil {
			return fmt.Errorf("cluster: %w", err)
		}
		if run.uid >= 0 {
			if err := os.Chown(n.dir, run.uid, run.gid); err != nil {
				return fmt.Errorf("cluster: %w", err)
			}
		}
		if err := copyTree(tpl, filepath.Join(n.dir, "data"), run.uid, run.gid); err != nil {
			return fmt.Errorf("cluster: %s: copy the template datadir: %w", n.name, err)
		}
		g.nodes = append(g.nodes, n)
	}
	_ = os.RemoveAll(tpl)
	// Every node's group communication port is known before the first
	// starts: the cluster address lists them all.
	for _, n := range g.nodes {
		if err := g.pickPorts(n); err != nil {
			return err
		}
	}
	g.log("galera: %d datadirs copied %s", len(g.nodes), since(t))

	for i, n := range g.nodes {
		t = time.Now()
		first := true
		err := firstStart(ctx, n, func() error {
			if first {
				first = false
				return nil
			}
			return g.pickPorts(n)
		})
		if err != nil {
			return err
		}
		how := "joined (SST)"
		if i == 0 {
			how = "bootstrapped the cluster"
		}
		g.log("galera: %s %s, synced %s", n.name, how, since(t))
	}
	t = time.Now()
	if err := g.WaitSynced(ctx); err != nil {
		return err
	}
	g.log("galera: all %d synced, cluster_size=%d %s", len(g.nodes), len(g.nodes), since(t))
	return nil
}

// pickPorts gives n new group communication, IST and SST ports.
func (g *Galera) pickPorts(n *Node) error {
	p, err := freePorts(3)
	if err != nil {
		return err
	}
	n.gcommPort, n.istPort, n.sstPort = p[0], p[1], p[2]
	return nil
}

// serverArgs are the mariadbd options of a Galera node. A node bootstraps
// a new cluster when no other node runs (the first start, or a restart
// after all went down), else it joins through the others' addresses.
func (g *Galera) serverArgs(n *Node) []string {
	var peers []string
	alone := true
	for _, o := range g.nodes {
		peers = append(peers, "127.0.0.1:"+strconv.Itoa(o.gcommPort))
		if o != n && o.Running() {
			alone = false
		}
	}
	provider := fmt.Sprintf("gmcast.listen_addr=tcp://127.0.0.1:%d;ist.recv_addr=127.0.0.1:%d;gcache.size=64M;%s",
		n.gcommPort, n.istPort, g.opts.ProviderOptions)
	args := commonArgs(n)
	args = append(args,
		"--binlog-format=ROW", "--innodb-autoinc-lock-mode=2", "--default-storage-engine=InnoDB",
		"--wsrep-on=ON", "--wsrep-provider="+GaleraProvider,
		"--wsrep-cluster-name="+g.name, "--wsrep-node-name="+n.name,
		"--wsrep-cluster-address=gcomm://"+strings.Join(peers, ","),
		"--wsrep-node-address=127.0.0.1:"+strconv.Itoa(n.gcommPort),
		"--wsrep-node-incoming-address="+n.Addr(),
		"--wsrep-provider-options="+provider,
		"--wsrep-sst-method=rsync",
		"--wsrep-sst-receive-address=127.0.0.1:"+strconv.Itoa(n.sstPort))
	if alone {
		markSafeToBootstrap(filepath.Join(n.dir, "data"))
		args = append(args, "--wsrep-new-cluster")
	}
	return append(args, g.opts.Args...)
}

var (
	grastateSeqno = regexp.MustCompile(`(?m)^seqno:\s*(-?\d+)`)
	grastateUUID  = regexp.MustCompile(`(?m)^uuid:\s*([0-9a-f-]{36})`)
	recoveredPos  = regexp.MustCompile(`WSREP: Recovered position: ([0-9a-f-]{36}:-?\d+)`)
)

// recoverPosition finds the last committed position of a node that
// crashed (grastate.dat says seqno -1) the way the galera_recovery script
// of the packaged service does: mariadbd --wsrep-recover reads it from
// InnoDB. Started at that position the node rejoins by IST from a peer's
// gcache instead of a full SST, which would stall its donor. "" when the
// node needs no recovery (first start, clean stop).
func (g *Galera) recoverPosition(ctx context.Context, n *Node, args []string) (string, error) {
	b, err := os.ReadFile(filepath.Join(n.dir, "data", "grastate.dat"))
	if err != nil {
		return "", nil // never started, or wiped: SST
	}
	m := grastateSeqno.FindSubmatch(b)
	u := grastateUUID.FindSubmatch(b)
	if m == nil || string(m[1]) != "-1" || u == nil || string(u[1]) == "00000000-0000-0000-0000-000000000000" {
		return "", nil
	}
	serverBin, _, err := devdb.Binaries()
	if err != nil {
		return "", fmt.Errorf("cluster: %w", err)
	}
	logPath := filepath.Join(n.dir, "recover.log")
	_ = os.Remove(logPath)
	var rargs []string
	for _, a := range args {
		if a != "--wsrep-new-cluster" && !strings.HasPrefix(a, "--log-error=") {
			rargs = append(rargs, a)
		}
	}
	rargs = append(rargs, "--wsrep-recover", "--log-error="+logPath)
	t0 := time.Now()
	cmd := exec.CommandContext(ctx, serverBin, rargs...)
	cmd.Dir = n.dir
	cmd.SysProcAttr = sysProcAttr(n.run)
	if err := startProcess(cmd); err != nil {
		return "", n.fail("wsrep-recover", err)
	}
	werr := cmd.Wait()
	out, _ := os.ReadFile(logPath)
	if p := recoveredPos.FindSubmatch(out); p != nil {
		n.log("%s: crashed; mariadbd --wsrep-recover found position %s in %s", n.name, p[1], since(t0))
		return string(p[1]), nil
	}
	return "", fmt.Errorf("cluster: %s: mariadbd --wsrep-recover found no position (%v)\n--- %s ---\n%s", n.name, werr, logPath, tail(out, 3000))
}

var safeToBootstrap = regexp.MustCompile(`(?m)^safe_to_bootstrap:\s*0`)

// markSafeToBootstrap lets a node that was killed bootstrap from its own
// state when it is the only one left to start (grastate.dat says 0 after
// a crash).
func markSafeToBootstrap(data string) {
	path := filepath.Join(data, "grastate.dat")
	b, err := os.ReadFile(path)
	if err != nil {
		return
	}
	_ = os.WriteFile(path, safeToBootstrap.ReplaceAll(b, []byte("safe_to_bootstrap: 1")), 0o660)
}

// nodeReady is the readiness check of a Galera node: it answers and is
// synced in a primary component.
func (g *Galera) nodeReady(n *Node) func(context.Context) (bool, string, error) {
	return func(ctx context.Context) (bool, string, error) {
		if ok, state, err := n.pingReady(ctx); !ok || err != nil {
			return ok, state, err
		}
		st, err := n.Wsrep(ctx)
		if err != nil {
			return false, err.Error(), nil
		}
		return st.Synced(), st.String(), nil
	}
}

// Nodes are the cluster's nodes, n1 first.
func (g *Galera) Nodes() []*Node { return append([]*Node(nil), g.nodes...) }

// Node is node i, counted from 1 as in its name: Node(1) is n1.
func (g *Galera) Node(i int) *Node { return g.nodes[i-1] }

// Name is the cluster's wsrep_cluster_name.
func (g *Galera) Name() string { return g.name }

// Dir is the cluster's directory, removed by Close.
func (g *Galera) Dir() string { return g.wd.path }

// StartDuration is how long StartGalera took.
func (g *Galera) StartDuration() time.Duration { return g.started }

func (g *Galera) addrs() string {
	var a []string
	for _, n := range g.nodes {
		a = append(a, n.name+"="+n.Addr())
	}
	return strings.Join(a, " ")
}

func (g *Galera) log(format string, args ...any) {
	if g.opts.Logf != nil {
		g.opts.Logf(format, args...)
	}
}

// WaitSynced waits until each of nodes (default: every running node not
// isolated) is synced in a primary component whose size is the number of
// those nodes, within ctx (default: the start timeout).
func (g *Galera) WaitSynced(ctx context.Context, nodes ...*Node) error {
	if len(nodes) == 0 {
		for _, n := range g.nodes {
			if n.Running() && !n.isolated.Load() {
				nodes = append(nodes, n)
			}
		}
	}
	if len(nodes) == 0 {
		return errors.New("cluster: WaitSynced: no node running")
	}
	return parallel(len(nodes), func(i int) error {
		n := nodes[i]
		ctx, cancel := n.bound(ctx)
		defer cancel()
		return n.poll(ctx, "wait for a synced cluster of "+strconv.Itoa(len(nodes)), 100*time.Millisecond,
			func(ctx context.Context) (bool, string, error) {
				st, err := n.Wsrep(ctx)
				if err != nil {
					return false, err.Error(), nil
				}
				return st.Synced() && st.ClusterSize == len(nodes), st.String(), nil
			})
	})
}

// Close kills every node and removes the cluster's directory. It may be
// called more than once.
func (g *Galera) Close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return g.closeErr
	}
	g.closed = true
	g.closeErr = closeNodes(g.nodes, g.wd)
	return g.closeErr
}

// WsrepStatus is a Galera node's view of itself and its cluster.
type WsrepStatus struct {
	// Ready is wsrep_ready=ON: the node accepts queries.
	Ready bool
	// Connected is wsrep_connected=ON: it has a group connection.
	Connected bool
	// LocalState is wsrep_local_state: 4 Synced, 2 Donor, 1 Joining,
	// 3 Joined; LocalStateComment its name.
	LocalState        int
	LocalStateComment string
	// ClusterStatus is wsrep_cluster_status: Primary, non-Primary or
	// Disconnected.
	ClusterStatus string
	// ClusterSize is wsrep_cluster_size, the members of its component.
	ClusterSize int
	// LastCommitted is wsrep_last_committed, its last applied seqno.
	LastCommitted int64
}

// Synced reports whether the node is healthy: ready, Synced, in the
// primary component.
func (s WsrepStatus) Synced() bool {
	return s.Ready && s.LocalState == 4 && s.ClusterStatus == "Primary"
}

// String is the status on one line, for logs and errors.
func (s WsrepStatus) String() string {
	return fmt.Sprintf("wsrep_ready=%v local_state=%d (%s) cluster_status=%s cluster_size=%d last_committed=%d",
		s.Ready, s.LocalState, s.LocalStateComment, s.ClusterStatus, s.ClusterSize, s.LastCommitted)
}

// Wsrep reads the node's wsrep status (SHOW GLOBAL STATUS, answered even
// when the node is cut off from its cluster).
func (n *Node) Wsrep(ctx context.Context) (WsrepStatus, error) {
	m, err := n.Status(ctx, "wsrep_ready", "wsrep_connected", "wsrep_local_state", "wsrep_local_state_comment",
		"wsrep_cluster_status", "wsrep_cluster_size", "wsrep_last_committed")
	if err != nil {
		return WsrepStatus{}, err
	}
	var st WsrepStatus
	st.Ready = m["wsrep_ready"] == "ON"
	st.Connected = m["wsrep_connected"] == "ON"
	st.LocalState, _ = strconv.Atoi(m["wsrep_local_state"])
	st.LocalStateComment = m["wsrep_local_state_comment"]
	st.ClusterStatus = m["wsrep_cluster_status"]
	st.ClusterSize, _ = strconv.Atoi(m["wsrep_cluster_size"])
	st.LastCommitted, _ = strconv.ParseInt(m["wsrep_last_committed"], 10, 64)
	return st, nil
}

var istReceiver = regexp.MustCompile(`Prepared IST receiver for (-?\d+)-(-?\d+)`)

// LastStateTransfer says how a Galera node last caught up with its
// cluster, from its error log: "SST" (a full copy from a donor), "IST"
// (the missed write sets from a peer's gcache), or "" when it never
// needed either.
func (n *Node) LastStateTransfer() string {
	b, _ := os.ReadFile(filepath.Join(n.dir, "error.log"))
	all := istReceiver.FindAllSubmatch(b, -1)
	if len(all) == 0 {
		return ""
	}
	if last := all[len(all)-1]; string(last[1]) == "0" {
		return "SST"
	}
	return "IST"
}

// Isolated reports whether the node was cut off by Isolate and not healed.
func (n *Node) Isolated() bool { return n.isolated.Load() }

// Isolate cuts a Galera node off from its cluster while its server goes
// on running: SET GLOBAL wsrep_provider_options='gmcast.isolate=1' makes
// its group communication drop every connection and refuse new ones. The
// node then forms a non-primary component of its own: it answers ping and
// fails queries with error 1047 (WSREP has not yet prepared node for
// application use). Isolate returns once the node reports non-Primary and
// the other running nodes are synced in a primary component without it.
func (n *Node) Isolate(ctx context.Context) error {
	return n.setIsolate(ctx, true)
}

// Heal undoes Isolate (gmcast.isolate=0) and returns once the node has
// rejoined (IST) and every running node is synced in one component.
func (n *Node) Heal(ctx context.Context) error {
	return n.setIsolate(ctx, false)
}

func (n *Node) setIsolate(ctx context.Context, on bool) error {
	if n.role != RoleGalera {
		return fmt.Errorf("cluster: %s: Isolate/Heal: not a Galera node", n.name)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.proc.Load().alive() {
		return fmt.Errorf("cluster: %s: Isolate/Heal: not running", n.name)
	}
	ctx, cancel := n.bound(ctx)
	defer cancel()
	v := "0"
	if on {
		v = "1"
	}
	if err := n.Exec(ctx, "SET GLOBAL wsrep_provider_options = 'gmcast.isolate="+v+"'"); err != nil {
		return n.fail("set gmcast.isolate="+v, err)
	}
	n.isolated.Store(on)
	if !on {
		return n.g.WaitSynced(ctx)
	}
	err := n.poll(ctx, "isolate", 50*time.Millisecond, func(ctx context.Context) (bool, string, error) {
		st, err := n.Wsrep(ctx)
		if err != nil {
			return false, err.Error(), nil
		}
		return st.ClusterStatus != "Primary" && !st.Ready, st.String(), nil
	})
	if err != nil {
		return err
	}
	return n.g.WaitSynced(ctx)
}
