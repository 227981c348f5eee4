package dbxprom

import (
	"errors"
	"fmt"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/solarhub/hubdb/dbx"
)

// Namespace prefixes every metric name.
const Namespace = "dbx"

// Buckets of the histograms, in seconds: waits are usually sub-millisecond
// and bounded by Pool.Timeout (30 s by default); holds run from a point
// read to a long transaction.
var (
	WaitBuckets = []float64{.0001, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}
	HoldBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}
)

// Metrics holds the Prometheus metrics of one [dbx.Manager]. Make it with
// [New]; the zero value is not usable. It is safe for concurrent use.
type Metrics struct {
	acquired, timeouts, invalidated, leaks, idleInTx *prometheus.CounterVec
	opened, closed, retries, checks                  *prometheus.CounterVec
	wait, hold                                       *prometheus.HistogramVec
	tx                                               *prometheus.HistogramVec // labels db, mode
	query                                            *prometheus.HistogramVec // labels db, query
	queryErrors, slowQueries                         *prometheus.CounterVec   // labels db, query
	queries                                          sync.Map                 // db + "\x00" + query -> *queryMetrics

	mu      sync.Mutex
	manager *dbx.Manager

	dbs sync.Map // db name -> *dbMetrics, the label values resolved once
}

// dbMetrics are one database's children of the vectors.
type dbMetrics struct {
	acquired, timeouts, invalidated, leaks, idleInTx prometheus.Counter
	opened, closed, retries, checks                  prometheus.Counter
	wait, hold                                       prometheus.Observer
	txRead, txWrite                                  prometheus.Observer
}

// queryMetrics are one query's children.
type queryMetrics struct {
	duration     prometheus.Observer
	errors, slow prometheus.Counter
}

// QueryBuckets are the buckets of dbx_query_duration_seconds.
var QueryBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// unnamed is the query label of SQL without a sqlc "-- name:" header.
const unnamed = "unnamed"

// New returns the metrics, not yet registered.
func New() *Metrics {
	counter := func(name, help string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: name, Help: help}, []string{"db"})
	}
	histogram := func(name, help string, buckets []float64) *prometheus.HistogramVec {
		return prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: name, Help: help, Buckets: buckets,
		}, []string{"db"})
	}
	return &Metrics{
		acquired:    counter("connections_acquired_total", "Connections checked out by callers."),
		timeouts:    counter("pool_timeouts_total", "Callers that got no connection within the pool timeout."),
		invalidated: counter("connections_invalidated_total", "Connections found dead or broken and discarded."),
		leaks:       counter("connection_leaks_total", "Connections held longer than the leak threshold."),
		idleInTx:    counter("idle_in_transaction_total", "Transactions that ran no statement for longer than the idle-in-transaction threshold."),
		opened:      counter("connections_opened_total", "Physical connections opened."),
		closed:      counter("connections_closed_total", "Physical connections closed."),
		retries:     counter("transaction_retries_total", "Transactions run again after a retryable failure."),
		checks:      counter("check_warnings_total", "Open-time server check warnings."),
		wait:        histogram("connection_wait_seconds", "Time a caller waited for a connection (successful checkouts).", WaitBuckets),
		hold:        histogram("connection_hold_seconds", "Time a connection was held, from checkout to checkin.", HoldBuckets),
		tx: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "transaction_duration_seconds", Buckets: HoldBuckets,
			Help: "Duration of each transaction attempt run by Read (mode=read) or Write (mode=write), BEGIN to COMMIT or ROLLBACK.",
		}, []string{"db", "mode"}),
		query: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "query_duration_seconds", Buckets: QueryBuckets,
			Help: "Duration of each statement by its sqlc name (query=\"unnamed\" for SQL without one); for a query, until its rows were closed.",
		}, []string{"db", "query"}),
		queryErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "query_errors_total",
			Help: "Statements that failed, by sqlc name."}, []string{"db", "query"}),
		slowQueries: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "slow_queries_total",
			Help: "Statements that ran longer than the pool's SlowQueryThreshold, by sqlc name."}, []string{"db", "query"}),
	}
}

// ofQuery returns the children of query (a sqlc name) of database db.
func (m *Metrics) ofQuery(db, query string) *queryMetrics {
	if query == "" {
		query = unnamed
	}
	key := db + "\x00" + query
	if q, ok := m.queries.Load(key); ok {
		return q.(*queryMetrics)
	}
	q := &queryMetrics{duration: m.query.WithLabelValues(db, query), errors: m.queryErrors.WithLabelValues(db, query),
		slow: m.slowQueries.WithLabelValues(db, query)}
	actual, _ := m.queries.LoadOrStore(key, q)
	return actual.(*queryMetrics)
}

// Instrument returns cfg with OnEvent set to record every event in m and
// then call the hook cfg already had, if any.
func (m *Metrics) Instrument(cfg dbx.Config) dbx.Config {
	prev := cfg.OnEvent
	if prev == nil {
		cfg.OnEvent = m.Observe
		return cfg
	}
	cfg.OnEvent = func(ev dbx.Event) {
		m.Observe(ev)
		prev(ev)
	}
	return cfg
}

// Observe records one event. Use it as dbx.Config.OnEvent (or call it from
// your own hook); [Metrics.Instrument] does that for you.
func (m *Metrics) Observe(ev dbx.Event) {
	switch ev.Kind {
	case dbx.EventQuery:
		q := m.ofQuery(ev.DB, ev.Query)
		q.duration.Observe(ev.Held.Seconds())
		if ev.Err != nil {
			q.errors.Inc()
		}
		return
	case dbx.EventSlowQuery:
		m.ofQuery(ev.DB, ev.Query).slow.Inc()
		return
	}
	d := m.of(ev.DB)
	switch ev.Kind {
	case dbx.EventCheckout:
		d.acquired.Inc()
		d.wait.Observe(ev.Wait.Seconds())
	case dbx.EventCheckin:
		d.hold.Observe(ev.Held.Seconds())
	case dbx.EventPoolTimeout:
		d.timeouts.Inc()
	case dbx.EventInvalidate:
		d.invalidated.Inc()
	case dbx.EventLeak:
		d.leaks.Inc()
	case dbx.EventIdleInTx:
		d.idleInTx.Inc()
	case dbx.EventOpen:
		d.opened.Inc()
	case dbx.EventClose:
		d.closed.Inc()
	case dbx.EventRetry:
		d.retries.Inc()
	case dbx.EventCheck:
		d.checks.Inc()
	case dbx.EventTxEnd:
		if ev.ReadOnly {
			d.txRead.Observe(ev.Held.Seconds())
		} else {
			d.txWrite.Observe(ev.Held.Seconds())
		}
	}
}

// of returns the children of database db, creating them on first use.
func (m *Metrics) of(db string) *dbMetrics {
	if d, ok := m.dbs.Load(db); ok {
		return d.(*dbMetrics)
	}
	d := &dbMetrics{
		acquired: m.acquired.WithLabelValues(db), timeouts: m.timeouts.WithLabelValues(db),
		invalidated: m.invalidated.WithLabelValues(db), leaks: m.leaks.WithLabelValues(db),
		idleInTx: m.idleInTx.WithLabelValues(db), opened: m.opened.WithLabelValues(db),
		closed: m.closed.WithLabelValues(db), retries: m.retries.WithLabelValues(db),
		checks: m.checks.WithLabelValues(db),
		wait:   m.wait.WithLabelValues(db), hold: m.hold.WithLabelValues(db),
		txRead: m.tx.WithLabelValues(db, "read"), txWrite: m.tx.WithLabelValues(db, "write"),
	}
	actual, _ := m.dbs.LoadOrStore(db, d)
	return actual.(*dbMetrics)
}

// Register registers the metrics and the pool gauges of mgr with reg and
// creates every series for each of mgr's databases. Call it once, after
// the Manager is open.
func (m *Metrics) Register(reg prometheus.Registerer, mgr *dbx.Manager) error {
	if mgr == nil {
		return errors.New("dbxprom: Register: nil Manager")
	}
	m.mu.Lock()
	if m.manager != nil {
		m.mu.Unlock()
		return errors.New("dbxprom: Register: already registered")
	}
	m.manager = mgr
	m.mu.Unlock()
	for _, name := range mgr.Names() {
		m.of(name)
	}
	for _, c := range []prometheus.Collector{
		m.acquired, m.timeouts, m.invalidated, m.leaks, m.idleInTx,
		m.opened, m.closed, m.retries, m.checks, m.wait, m.hold, m.tx,
		m.query, m.queryErrors, m.slowQueries, poolCollector{mgr},
	} {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("dbxprom: register: %w", err)
		}
	}
	return nil
}
