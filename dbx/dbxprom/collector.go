package dbxprom

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/solarhub/hubdb/dbx"
)

var (
	descOpen = prometheus.NewDesc(Namespace+"_pool_connections_open",
		"Open connections (in use, idle or being closed).", []string{"db"}, nil)
	descInUse = prometheus.NewDesc(Namespace+"_pool_connections_in_use",
		"Connections checked out by callers.", []string{"db"}, nil)
	descIdle = prometheus.NewDesc(Namespace+"_pool_connections_idle",
		"Open connections waiting in the pool.", []string{"db"}, nil)
	descWaiting = prometheus.NewDesc(Namespace+"_pool_waiting",
		"Callers queued for a connection.", []string{"db"}, nil)
	descMax = prometheus.NewDesc(Namespace+"_pool_connections_max",
		"The pool's connection limit, Size+Overflow.", []string{"db"}, nil)

	descServerBudget = prometheus.NewDesc(Namespace+"_server_budget_connections",
		"The server's connection budget in force (max_connections minus the reserve, lowered after 1040).", []string{"server"}, nil)
	descServerOpen = prometheus.NewDesc(Namespace+"_server_connections_open",
		"Connections of all pools on the server (open or being dialled).", []string{"server"}, nil)
	descServerWaiting = prometheus.NewDesc(Namespace+"_server_budget_waiting",
		"Callers waiting for the server's connection budget.", []string{"server"}, nil)
	descServerSteals = prometheus.NewDesc(Namespace+"_server_steals_total",
		"Idle connections closed to serve another pool of the server.", []string{"server"}, nil)
	descServerShrinks = prometheus.NewDesc(Namespace+"_server_budget_shrinks_total",
		"Times the server's budget was lowered after it refused a connection (1040).", []string{"server"}, nil)
	descServerRefused = prometheus.NewDesc(Namespace+"_server_connects_refused_total",
		"Connections the server refused with 1040.", []string{"server"}, nil)
	descServerAttempts = prometheus.NewDesc(Namespace+"_server_connect_attempts_total",
		"Connections dialled to the server.", []string{"server"}, nil)
	descServerStmts = prometheus.NewDesc(Namespace+"_server_statements_prepared",
		"Statements the pools' statement caches hold prepared on the server.", []string{"server"}, nil)
	descServerStmtLimit = prometheus.NewDesc(Namespace+"_server_statements_limit",
		"Prepared statements the statement caches may hold on the server (half of max_prepared_stmt_count / instances, lowered after 1461).", []string{"server"}, nil)

	descStmtHits = prometheus.NewDesc(Namespace+"_statement_cache_hits_total",
		"Executions of a statement already prepared on its connection.", []string{"db"}, nil)
	descStmtPrepares = prometheus.NewDesc(Namespace+"_statement_cache_prepares_total",
		"Statements prepared by the statement cache (first use on a connection, or after eviction).", []string{"db"}, nil)
	descStmtEvictions = prometheus.NewDesc(Namespace+"_statement_cache_evictions_total",
		"Statements closed to make room in a connection's full cache.", []string{"db"}, nil)
	descStmtUncached = prometheus.NewDesc(Namespace+"_statement_cache_uncached_total",
		"Executions with arguments sent as text (server statement limit reached, or not preparable).", []string{"db"}, nil)
)

// poolCollector reads the gauges from the Manager's status at scrape time.
type poolCollector struct{ mgr *dbx.Manager }

// Describe sends the gauges' descriptors.
func (c poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descOpen, descInUse, descIdle, descWaiting, descMax,
		descServerBudget, descServerOpen, descServerWaiting, descServerSteals, descServerShrinks,
		descServerRefused, descServerAttempts, descServerStmts, descServerStmtLimit,
		descStmtHits, descStmtPrepares, descStmtEvictions, descStmtUncached} {
		ch <- d
	}
}

// Collect sends one sample of each gauge per database.
func (c poolCollector) Collect(ch chan<- prometheus.Metric) {
	for _, s := range c.mgr.Status() {
		ch <- prometheus.MustNewConstMetric(descOpen, prometheus.GaugeValue, float64(s.Open), s.DB)
		ch <- prometheus.MustNewConstMetric(descInUse, prometheus.GaugeValue, float64(s.InUse), s.DB)
		ch <- prometheus.MustNewConstMetric(descIdle, prometheus.GaugeValue, float64(s.Idle), s.DB)
		ch <- prometheus.MustNewConstMetric(descWaiting, prometheus.GaugeValue, float64(s.Waiting), s.DB)
		ch <- prometheus.MustNewConstMetric(descMax, prometheus.GaugeValue, float64(s.Max()), s.DB)
		ch <- prometheus.MustNewConstMetric(descStmtHits, prometheus.CounterValue, float64(s.Statements.Hits), s.DB)
		ch <- prometheus.MustNewConstMetric(descStmtPrepares, prometheus.CounterValue, float64(s.Statements.Prepares), s.DB)
		ch <- prometheus.MustNewConstMetric(descStmtEvictions, prometheus.CounterValue, float64(s.Statements.Evictions), s.DB)
		ch <- prometheus.MustNewConstMetric(descStmtUncached, prometheus.CounterValue, float64(s.Statements.Uncached), s.DB)
	}
	for _, s := range c.mgr.Servers() {
		ch <- prometheus.MustNewConstMetric(descServerBudget, prometheus.GaugeValue, float64(s.Budget), s.Addr)
		ch <- prometheus.MustNewConstMetric(descServerOpen, prometheus.GaugeValue, float64(s.Open), s.Addr)
		ch <- prometheus.MustNewConstMetric(descServerWaiting, prometheus.GaugeValue, float64(s.BudgetWaiting), s.Addr)
		ch <- prometheus.MustNewConstMetric(descServerSteals, prometheus.CounterValue, float64(s.Steals), s.Addr)
		ch <- prometheus.MustNewConstMetric(descServerShrinks, prometheus.CounterValue, float64(s.Shrinks), s.Addr)
		ch <- prometheus.MustNewConstMetric(descServerRefused, prometheus.CounterValue, float64(s.Refused), s.Addr)
		ch <- prometheus.MustNewConstMetric(descServerAttempts, prometheus.CounterValue, float64(s.Attempts), s.Addr)
		ch <- prometheus.MustNewConstMetric(descServerStmts, prometheus.GaugeValue, float64(s.Statements), s.Addr)
		ch <- prometheus.MustNewConstMetric(descServerStmtLimit, prometheus.GaugeValue, float64(s.StatementLimit), s.Addr)
	}
}
