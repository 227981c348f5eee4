package dbx

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Defaults of the replica settings (Pool.MaxReplicaLag, ...).
const (
	DefaultMaxReplicaLag = 5 * time.Second
	DefaultReplicaPoll   = time.Second
	DefaultCausalWait    = 50 * time.Millisecond
	replicaPollTimeout   = 2 * time.Second
	replicaOpenTimeout   = 5 * time.Second
	minReplicaPoll       = 50 * time.Millisecond
)

// ErrNoReplica: Pool.ReplicaReads is "replica" and no replica of the
// database is healthy.
var ErrNoReplica = errors.New("dbx: no healthy replica")

// replicaSet is a database's replicas and the routing of its reads. It
// belongs to the database's primary pool.
type replicaSet struct {
	primary *pool
	members []*member
	next    atomic.Uint32 // round robin among equally loaded replicas

	// Counters (Status.Replication).
	replicaReads, primaryReads, fallbacks, rerouted atomic.Int64
	causalWaits, causalWaitNanos, causalFallbacks   atomic.Int64
	causalKnown                                     atomic.Int64
}

// member is one replica of one database: its pool (nil until the replica
// could be opened) on a polled replica server.
type member struct {
	set    *replicaSet // nil for a Galera node
	galera *galeraSet  // nil for a replica
	cfg    DBConfig    // the replica's DBConfig: the primary's, with its Server
	srv    *replicaServer
	p      atomic.Pointer[pool]
	failed atomic.Int64 // unix nanos of the last failed read; down until a poll after it
}

// replicaServer is one replica server, polled by one goroutine over one
// connection for all the databases that have a replica on it.
type replicaServer struct {
	galera   bool // a Galera node: pollGalera, not pollReplica
	key      string
	addr     string
	cfg      *mysql.Config
	interval time.Duration
	members  []*member

	mu       sync.Mutex
	polledAt time.Time
	state    replicaState
}

// replicaState is what the last poll of a replica server found.
type replicaState struct {
	ok      bool   // reachable and replicating
	why     string // why not, when !ok
	lag     time.Duration
	lagNull bool
	pos     gtidSet // @@gtid_slave_pos (MariaDB) or @@gtid_executed (MySQL)
	schemas map[string]bool
	at      time.Time
}

// replicaSettings are a database's resolved replica settings.
type replicaSettings struct {
	maxLag      time.Duration
	causalWait  time.Duration
	readsOnly   bool // ReplicaReads "replica": no primary fallback
	plainReads  bool
	pollEvery   time.Duration
	readPrimary bool // ReplicaReads "primary": replicas configured but not used
}

func resolveReplica(own, defaults Pool) replicaSettings {
	mode := own.ReplicaReads
	if mode == "" {
		mode = defaults.ReplicaReads
	}
	return replicaSettings{
		maxLag:      pickDur(own.MaxReplicaLag, defaults.MaxReplicaLag, DefaultMaxReplicaLag),
		causalWait:  pickDur(own.CausalWait, defaults.CausalWait, DefaultCausalWait),
		pollEvery:   max(pickDur(own.ReplicaPoll, defaults.ReplicaPoll, DefaultReplicaPoll), minReplicaPoll),
		plainReads:  own.PlainReadsOnReplicas || defaults.PlainReadsOnReplicas,
		readsOnly:   mode == "replica",
		readPrimary: mode == "primary",
	}
}

// healthy reports whether the member may serve reads: its pool is open,
// its server replicates within the lag bound and has the database, and
// no read failed on it since the last poll.
func (mb *member) healthy(s replicaSettings) bool {
	if mb.p.Load() == nil {
		return false
	}
	st, at := mb.srv.snapshot()
	if !st.ok || st.lagNull || st.lag > s.maxLag || !st.schemas[mb.cfg.schema()] {
		return false
	}
	return mb.failed.Load() < at.UnixNano()
}

func (d DBConfig) schema() string {
	if d.Schema != "" {
		return d.Schema
	}
	return d.Name
}

func (rs *replicaServer) snapshot() (replicaState, time.Time) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.state, rs.state.at
}

// pick chooses the pool of a read: a healthy replica (for a causal read,
// one known to have applied tok, else one to wait on), the least in use,
// ties in turn; nil when none is healthy. known reports that the replica
// is known to have applied tok already.
func (set *replicaSet) pick(s replicaSettings, tok gtidSet, exclude *pool) (p *pool, known bool) {
	var best *pool
	bestUse, bestKnown := 0, false
	n := len(set.members)
	start := int(set.next.Add(1))
	for i := range n {
		mb := set.members[(start+i)%n]
		if !mb.healthy(s) {
			continue
		}
		mp := mb.p.Load()
		if mp == exclude {
			continue
		}
		has := false
		if len(tok) > 0 {
			st, _ := mb.srv.snapshot()
			has = st.pos.covers(tok)
		}
		use, _, _, _ := mp.gate.counts()
		if best == nil || (has && !bestKnown) || (has == bestKnown && use < bestUse) {
			best, bestUse, bestKnown = mp, use, has
		}
	}
	return best, bestKnown
}

// markFailed takes the replica of pool p out until its next good poll.
func (set *replicaSet) markFailed(p *pool) {
	for _, mb := range set.members {
		if mb.p.Load() == p {
			mb.failed.Store(time.Now().UnixNano())
		}
	}
}

// replicaFailure reports whether err from a read on a replica means the
// replica (not the query) failed: the read may run again elsewhere.
func replicaFailure(err error) bool {
	if errors.Is(err, ErrServerGone) || errors.Is(err, ErrConnect) || errors.Is(err, ErrTooManyConnections) {
		return true
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case 1047, 1053, 1049, 1142, 1290, 2006, 2013, 1927:
			// not ready (Galera), shutdown in progress, database gone,
			// access denied on the table, read-only refusal, gone, lost,
			// killed
			return true
		}
	}
	return false
}

// replicas opens the replica pools of primary's database (those it can
// reach now; the others are opened by their server's poller) and returns
// the set, or nil when the database has none.
func (m *Manager) replicas(ctx context.Context, primary *pool, d DBConfig, cfg Config) *replicaSet {
	if len(d.Replicas) == 0 {
		return nil
	}
	set := &replicaSet{primary: primary}
	rset := resolveReplica(d.Pool, cfg.Defaults)
	primary.replica = rset
	for _, srv := range d.Replicas {
		rcfg := d
		rcfg.Server = srv
		rcfg.Replicas = nil
		mb := &member{set: set, cfg: rcfg}
		mb.srv = m.replicaServer(srv, rset.pollEvery)
		mb.srv.members = append(mb.srv.members, mb)
		set.members = append(set.members, mb)
		m.openMember(ctx, mb, cfg)
	}
	primary.replicas = set
	return set
}

// replicaServer returns the poller of the replica server srv, making it.
func (m *Manager) replicaServer(srv *mysql.Config, every time.Duration) *replicaServer {
	key := srv.Net + "|" + srv.Addr + "|" + srv.User
	if rs := m.replicaServers[key]; rs != nil {
		rs.interval = min(rs.interval, every)
		return rs
	}
	rs := &replicaServer{key: key, addr: srv.Addr, cfg: srv, interval: every}
	m.replicaServers[key] = rs
	return rs
}

// openMember opens mb's pool if it is not open yet; a replica that cannot
// be reached stays closed (unhealthy) and is tried again at the next poll.
func (m *Manager) openMember(ctx context.Context, mb *member, cfg Config) {
	if mb.p.Load() != nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, replicaOpenTimeout)
	defer cancel()
	m.budgetMu.Lock()
	defer m.budgetMu.Unlock()
	if m.closed {
		return
	}
	p, err := openPool(ctx, mb.cfg, cfg, m.log, m.budgetOf)
	if err != nil {
		mb.srv.setOpenError(err)
		return
	}
	if mb.galera != nil {
		p.key, p.role, p.galera, p.replica = mb.galera.key, "node", mb.galera, mb.galera.key.replica
	} else {
		p.key, p.role = mb.set.primary, "replica"
	}
	mb.p.Store(p)
	m.extra = append(m.extra, p)
	m.sweep.add(p)
}

func (rs *replicaServer) setOpenError(err error) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.state.ok {
		return
	}
	rs.state.why = "cannot open a pool: " + err.Error()
}

// pollReplicas starts one poller per replica server or Galera node and
// returns after each one's first poll, so that routing starts from real
// state; they stop at Close.
func (m *Manager) pollReplicas(cfg Config) {
	var first sync.WaitGroup
	for _, rs := range m.replicaServers {
		m.pollers.Add(1)
		first.Add(1)
		go func() {
			defer m.pollers.Done()
			rs.run(m, cfg, first.Done)
		}()
	}
	first.Wait()
}

func (rs *replicaServer) run(m *Manager, cfg Config, polled func()) {
	var once sync.Once
	defer once.Do(polled)
	c := rs.cfg.Clone()
	c.DBName = ""
	c.Timeout = replicaPollTimeout
	c.ReadTimeout = replicaPollTimeout
	c.WriteTimeout = replicaPollTimeout
	c.ParseTime = true
	c.Logger = driverLogger{log: m.log, db: "replica poll " + rs.addr}
	connector, err := mysql.NewConnector(c)
	if err != nil {
		rs.store(replicaState{why: "bad DSN: " + err.Error(), at: time.Now()})
		return
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	t := time.NewTicker(rs.interval)
	defer t.Stop()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), replicaPollTimeout)
		var st replicaState
		if rs.galera {
			st = pollGalera(ctx, db)
		} else {
			st = pollReplica(ctx, db)
		}
		cancel()
		rs.store(st)
		if st.ok {
			for _, mb := range rs.members {
				m.openMember(context.Background(), mb, cfg)
			}
		}
		once.Do(polled)
		select {
		case <-m.stopPoll:
			return
		case <-t.C:
		}
	}
}

func (rs *replicaServer) store(st replicaState) {
	rs.mu.Lock()
	rs.state = st
	rs.polledAt = st.at
	rs.mu.Unlock()
}

// pollReplica reads one replica server's replication state.
func pollReplica(ctx context.Context, db *sql.DB) replicaState {
	st := replicaState{at: time.Now()}
	rows, err := db.QueryContext(ctx, "SHOW SLAVE STATUS")
	if err != nil {
		st.why = "unreachable: " + err.Error()
		return st
	}
	cols, err := rows.Columns()
	if err != nil {
		_ = rows.Close()
		st.why = err.Error()
		return st
	}
	vals := make([]sql.NullString, len(cols))
	dest := make([]any, len(cols))
	for i := range vals {
		dest[i] = &vals[i]
	}
	found := false
	if rows.Next() {
		found = true
		err = rows.Scan(dest...)
	}
	err = errors.Join(err, rows.Close())
	if err != nil {
		st.why = "unreachable: " + err.Error()
		return st
	}
	if !found {
		st.why = "not a replica (SHOW SLAVE STATUS is empty)"
		return st
	}
	get := func(name string) sql.NullString {
		if i := slices.Index(cols, name); i >= 0 {
			return vals[i]
		}
		return sql.NullString{}
	}
	io, sqlRun := get("Slave_IO_Running").String, get("Slave_SQL_Running").String
	behind := get("Seconds_Behind_Master")
	if behind.Valid {
		secs, _ := strconv.Atoi(behind.String)
		st.lag = time.Duration(secs) * time.Second
	} else {
		st.lagNull = true
	}
	var pos string
	if err := db.QueryRowContext(ctx, "SELECT @@global.gtid_slave_pos").Scan(&pos); err != nil {
		// MySQL: the executed set
		if err2 := db.QueryRowContext(ctx, "SELECT @@global.gtid_executed").Scan(&pos); err2 != nil {
			st.why = "cannot read the GTID position: " + err.Error()
			return st
		}
	}
	st.pos = parseGTIDSet(pos)
	if st.schemas, err = listSchemas(ctx, db); err != nil {
		st.why = err.Error()
		return st
	}
	switch {
	case io != "Yes":
		st.why = "replication IO thread not running (Slave_IO_Running " + io + withError(get("Last_IO_Error").String) + ")"
	case sqlRun != "Yes":
		st.why = "replication SQL thread not running (Slave_SQL_Running " + sqlRun + withError(get("Last_SQL_Error").String) + ")"
	case st.lagNull:
		st.why = "Seconds_Behind_Master is NULL"
	default:
		st.ok = true
	}
	return st
}

// withError is ": err", or nothing for an empty err.
func withError(err string) string {
	if err == "" {
		return ""
	}
	return ": " + err
}

// listSchemas returns the databases on the server of db.
func listSchemas(ctx context.Context, db *sql.DB) (map[string]bool, error) {
	names, err := db.QueryContext(ctx, "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA")
	if err != nil {
		return nil, fmt.Errorf("cannot list databases: %w", err)
	}
	out := map[string]bool{}
	for names.Next() {
		var n string
		if names.Scan(&n) == nil {
			out[n] = true
		}
	}
	if err := errors.Join(names.Err(), names.Close()); err != nil {
		return nil, fmt.Errorf("cannot list databases: %w", err)
	}
	return out, nil
}

// ReplicaStatus is the state of one replica of a database.
type ReplicaStatus struct {
	// Addr is the replica server's address as configured (no user or
	// password).
	Addr string
	// Healthy reports whether reads go to it; Why says why not.
	Healthy bool
	Why     string
	// Lag is Seconds_Behind_Master at the last poll (negative when the
	// server said NULL: the SQL thread is not running or nothing is
	// known); Position the applied GTID position; Polled when that was.
	Lag      time.Duration
	Position string
	Polled   time.Time
	// Pool is the replica pool's status (zero while it is not open).
	Pool Status
}

// ReplicationStatus is how a database's reads were routed since Open.
type ReplicationStatus struct {
	// Replicas are the database's replicas, in configuration order.
	Replicas []ReplicaStatus
	// ReplicaReads and PrimaryReads count Read transactions (and plain
	// reads routed by the read-only view) by where they ran.
	ReplicaReads, PrimaryReads int64
	// Fallbacks counts reads that went to the primary because no replica
	// was healthy; Rerouted those run again elsewhere after their replica
	// failed under them.
	Fallbacks, Rerouted int64
	// CausalKnown counts causal reads served by a replica already known to
	// have the token's writes; CausalWaits those that waited on a replica
	// (MASTER_GTID_WAIT), CausalWaitTime their total wait;
	// CausalFallbacks those that went to the primary (the wait timed out,
	// or no replica was healthy).
	CausalKnown, CausalWaits, CausalFallbacks int64
	CausalWaitTime                            time.Duration
}

func (set *replicaSet) status(s replicaSettings) ReplicationStatus {
	out := ReplicationStatus{
		ReplicaReads: set.replicaReads.Load(), PrimaryReads: set.primaryReads.Load(),
		Fallbacks: set.fallbacks.Load(), Rerouted: set.rerouted.Load(),
		CausalKnown: set.causalKnown.Load(), CausalWaits: set.causalWaits.Load(),
		CausalFallbacks: set.causalFallbacks.Load(), CausalWaitTime: time.Duration(set.causalWaitNanos.Load()),
	}
	for _, mb := range set.members {
		st, at := mb.srv.snapshot()
		rs := ReplicaStatus{Addr: mb.srv.addr, Healthy: mb.healthy(s), Lag: st.lag, Position: st.pos.String(), Polled: at}
		if st.lagNull {
			rs.Lag = -1
		}
		switch {
		case mb.p.Load() == nil:
			rs.Why = cmp.Or(st.why, "not open yet")
		case !st.ok:
			rs.Why = st.why
		case st.lag > s.maxLag:
			rs.Why = fmt.Sprintf("lag %v over max_replica_lag %v", st.lag, s.maxLag)
		case !st.schemas[mb.cfg.schema()]:
			rs.Why = "database " + mb.cfg.schema() + " missing on the replica"
		case !rs.Healthy:
			rs.Why = "a read failed on it since its last poll"
		}
		if p := mb.p.Load(); p != nil {
			rs.Pool = p.baseStatus()
		}
		out.Replicas = append(out.Replicas, rs)
	}
	return out
}

// gtidSet is a GTID position: per replication domain (MariaDB) or source
// UUID (MySQL), the highest sequence number.
type gtidSet map[string]gtidPos

type gtidPos struct {
	server string // MariaDB: the server id of the last event; MySQL: unused
	seq    uint64
}

// parseGTIDSet parses "0-1-100,1-2-7" (MariaDB) or
// "uuid:1-100,uuid2:1-5" (MySQL, the highest number of each interval
// list). Malformed parts are skipped.
func parseGTIDSet(s string) gtidSet {
	out := gtidSet{}
	for part := range strings.SplitSeq(strings.ReplaceAll(s, "\n", ""), ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if uuid, ivs, ok := strings.Cut(part, ":"); ok { // MySQL
			var hi uint64
			for iv := range strings.SplitSeq(ivs, ":") {
				_, end, _ := strings.Cut(iv, "-")
				if end == "" {
					end = iv
				}
				if n, err := strconv.ParseUint(end, 10, 64); err == nil {
					hi = max(hi, n)
				}
			}
			out.add(uuid, gtidPos{seq: hi})
			continue
		}
		f := strings.Split(part, "-")
		if len(f) != 3 {
			continue
		}
		n, err := strconv.ParseUint(f[2], 10, 64)
		if err != nil {
			continue
		}
		out.add(f[0], gtidPos{server: f[1], seq: n})
	}
	return out
}

func (g gtidSet) add(domain string, p gtidPos) {
	if cur, ok := g[domain]; !ok || p.seq > cur.seq {
		g[domain] = p
	}
}

// covers reports whether g has applied every domain of want up to its
// sequence number.
func (g gtidSet) covers(want gtidSet) bool {
	for d, w := range want {
		if g[d].seq < w.seq {
			return false
		}
	}
	return true
}

// String formats the set the MariaDB way ("0-1-100,1-2-7"), domains in
// order.
func (g gtidSet) String() string {
	ds := make([]string, 0, len(g))
	for d := range g {
		ds = append(ds, d)
	}
	slices.Sort(ds)
	parts := make([]string, len(ds))
	for i, d := range ds {
		p := g[d]
		if p.server == "" {
			parts[i] = fmt.Sprintf("%s:1-%d", d, p.seq)
		} else {
			parts[i] = fmt.Sprintf("%s-%s-%d", d, p.server, p.seq)
		}
	}
	return strings.Join(parts, ",")
}
