package dbx

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"
)

// ErrNoNode: no node of a database's Galera cluster is ready (Synced, in
// the Primary component).
var ErrNoNode = errors.New("dbx: no Galera node ready")

// galeraSet is a database's Galera nodes, in order of preference, and the
// routing of its transactions and plain calls to one node at a time.
type galeraSet struct {
	key     *pool // the pool transactions are keyed by; also a member
	members []*member
	// failovers counts transactions run again on another node after their
	// node refused them or failed under them.
	failovers atomic.Int64
}

// galera opens the pools of d's Galera nodes: the first one that opens is
// the database's pool (the key of its transactions); nodes that cannot be
// reached now are opened by their server's poller later. It fails when no
// node can be opened.
func (m *Manager) galera(ctx context.Context, d DBConfig, cfg Config) (*pool, error) {
	set := &galeraSet{}
	var errs []error
	for i, srv := range d.Galera {
		ncfg := d
		ncfg.Server = srv
		ncfg.Galera = nil
		mb := &member{cfg: ncfg}
		mb.srv = m.nodeServer(srv, resolveReplica(d.Pool, cfg.Defaults).pollEvery)
		mb.srv.members = append(mb.srv.members, mb)
		set.members = append(set.members, mb)
		if set.key != nil {
			continue // opened below, with the key known
		}
		p, err := openPool(ctx, ncfg, cfg, m.log, m.budgetOf)
		if err != nil {
			errs = append(errs, fmt.Errorf("node %d (%s): %w", i+1, srv.Addr, err))
			continue
		}
		p.role = "node"
		p.galera = set
		p.replica = resolveReplica(d.Pool, cfg.Defaults)
		set.key = p
		mb.p.Store(p)
	}
	if set.key == nil {
		return nil, &DBError{DB: d.Name, Op: "open", Err: fmt.Errorf("%w: none of the %d nodes could be opened: %w",
			ErrNoNode, len(d.Galera), errors.Join(errs...))}
	}
	for _, mb := range set.members {
		mb.galera = set
		if mb.p.Load() == nil {
			m.openMember(ctx, mb, cfg)
		}
	}
	return set.key, nil
}

// nodeServer returns the poller of Galera node srv, making it.
func (m *Manager) nodeServer(srv *mysql.Config, every time.Duration) *replicaServer {
	rs := m.replicaServer(srv, every)
	rs.galera = true
	return rs
}

// pick returns the node to run on: the first healthy one not excluded, in
// order of preference; nil when none is.
func (set *galeraSet) pick(s replicaSettings, exclude map[*pool]bool) *pool {
	for _, mb := range set.members {
		p := mb.p.Load()
		if p != nil && !exclude[p] && mb.healthy(s) {
			return p
		}
	}
	return nil
}

// noNode is the error of a call with no node ready: each node and why.
func (set *galeraSet) noNode(name string, s replicaSettings) error {
	var why []string
	for i, mb := range set.members {
		st, _ := mb.srv.snapshot()
		reason := st.why
		if reason == "" && mb.p.Load() == nil {
			reason = "not open"
		}
		if reason == "" {
			reason = "a call failed on it since its last poll"
		}
		why = append(why, fmt.Sprintf("node %d %s: %s", i+1, mb.srv.addr, reason))
	}
	return &DBError{DB: name, Op: "route", Err: fmt.Errorf("%w: %s; check the cluster (SHOW STATUS LIKE 'wsrep%%' on each node)",
		ErrNoNode, strings.Join(why, "; "))}
}

func (set *galeraSet) markFailed(p *pool) {
	for _, mb := range set.members {
		if mb.p.Load() == p {
			mb.failed.Store(time.Now().UnixNano())
		}
	}
}

// nodeRefused reports whether err means the node (not the transaction)
// failed before anything committed: 1047 (the node left the Primary
// component or is not synced), a connection that could not be made or was
// lost before COMMIT, a shutdown in progress.
func nodeRefused(err error) bool {
	if errors.Is(err, ErrCommitUnknown) {
		return false
	}
	if errors.Is(err, ErrServerGone) || errors.Is(err, ErrConnect) {
		return true
	}
	// (1047 or 1180 at COMMIT is ErrCommitUnknown: the rest of the
	// cluster may have committed the write set.)
	var me *mysql.MySQLError
	return errors.As(err, &me) && (me.Number == 1047 || me.Number == 1053)
}

// routeGalera runs a transaction on the first ready node; when the node
// refuses it or fails under it before COMMIT, the node is taken out until
// its next good poll and the transaction runs again on the next one (fn
// may run more than once, as with Retry).
func (p *pool) routeGalera(ctx context.Context, set *galeraSet, readOnly bool, o txOptions, site callSite,
	body func(context.Context, *txState) error,
) error {
	s := p.replica
	exclude := map[*pool]bool{}
	for {
		np := set.pick(s, exclude)
		if np == nil {
			return set.noNode(p.name, s)
		}
		err := np.attempts(ctx, readOnly, o, site, body)
		if err == nil || ctx.Err() != nil || !nodeRefused(err) {
			return err
		}
		set.markFailed(np)
		set.failovers.Add(1)
		exclude[np] = true
	}
}

// node returns the pool a plain call runs on: for a Galera database the
// first ready node (the key pool when none is: its call then fails and
// says why), else p itself.
func (p *pool) node() *pool {
	if p.galera == nil {
		return p
	}
	if np := p.galera.pick(p.replica, nil); np != nil {
		return np
	}
	return p
}

// pollGalera reads one Galera node's state.
func pollGalera(ctx context.Context, db *sql.DB) replicaState {
	st := replicaState{at: time.Now()}
	rows, err := db.QueryContext(ctx, "SHOW GLOBAL STATUS WHERE Variable_name IN "+
		"('wsrep_ready', 'wsrep_local_state', 'wsrep_local_state_comment', 'wsrep_cluster_status', 'wsrep_cluster_size', 'wsrep_desync_count')")
	if err != nil {
		st.why = "unreachable: " + err.Error()
		return st
	}
	vals := map[string]string{}
	for rows.Next() {
		var k, v string
		if rows.Scan(&k, &v) == nil {
			vals[strings.ToLower(k)] = v
		}
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		st.why = "unreachable: " + err.Error()
		return st
	}
	var reject sql.NullString
	_ = db.QueryRowContext(ctx, "SELECT @@global.wsrep_reject_queries").Scan(&reject)
	if st.schemas, err = listSchemas(ctx, db); err != nil {
		st.why = err.Error()
		return st
	}
	switch {
	case len(vals) == 0:
		st.why = "not a Galera node (no wsrep status)"
	case vals["wsrep_ready"] != "ON":
		st.why = "wsrep_ready " + vals["wsrep_ready"] + " (" + vals["wsrep_local_state_comment"] + ", cluster " + vals["wsrep_cluster_status"] + ")"
	case vals["wsrep_local_state"] != "4":
		st.why = "not synced: wsrep_local_state " + vals["wsrep_local_state"] + " (" + vals["wsrep_local_state_comment"] + ")"
	case vals["wsrep_cluster_status"] != "Primary":
		st.why = "not in the Primary component: wsrep_cluster_status " + vals["wsrep_cluster_status"]
	case reject.Valid && reject.String != "NONE" && reject.String != "":
		st.why = "wsrep_reject_queries " + reject.String
	default:
		st.ok = true
	}
	return st
}

// GaleraStatus is the state of a Galera database's nodes.
type GaleraStatus struct {
	// Nodes are the nodes in order of preference; the first healthy one
	// serves the database.
	Nodes []ReplicaStatus
	// Failovers counts transactions run again on another node after
	// theirs refused them (1047) or failed under them before COMMIT.
	Failovers int64
}

func (set *galeraSet) status(s replicaSettings) GaleraStatus {
	out := GaleraStatus{Failovers: set.failovers.Load()}
	for _, mb := range set.members {
		st, at := mb.srv.snapshot()
		rs := ReplicaStatus{Addr: mb.srv.addr, Healthy: mb.healthy(s), Why: st.why, Polled: at}
		if p := mb.p.Load(); p != nil {
			rs.Pool = p.baseStatus()
		} else if rs.Why == "" {
			rs.Why = "not open yet"
		}
		out.Nodes = append(out.Nodes, rs)
	}
	return out
}
