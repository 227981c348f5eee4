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
)

// poolCollector reads the gauges from the Manager's status at scrape time.
type poolCollector struct{ mgr *dbx.Manager }

// Describe sends the gauges' descriptors.
func (c poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descOpen, descInUse, descIdle, descWaiting, descMax,
		descServerBudget, descServerOpen, descServerWaiting, descServerSteals, descServerShrinks,
		descServerRefused, descServerAttempts} {
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
	}
	for _, s := range c.mgr.Servers() {
		ch <- prometheus.MustNewConstMetric(descServerBudget, prometheus.GaugeValue, float64(s.Budget), s.Addr)
		ch <- prometheus.MustNewConstMetric(descServerOpen, prometheus.GaugeValue, float64(s.Open), s.Addr)
		ch <- prometheus.MustNewConstMetric(descServerWaiting, prometheus.GaugeValue, float64(s.BudgetWaiting), s.Addr)
		ch <- prometheus.MustNewConstMetric(descServerSteals, prometheus.CounterValue, float64(s.Steals), s.Addr)
		ch <- prometheus.MustNewConstMetric(descServerShrinks, prometheus.CounterValue, float64(s.Shrinks), s.Addr)
		ch <- prometheus.MustNewConstMetric(descServerRefused, prometheus.CounterValue, float64(s.Refused), s.Addr)
		ch <- prometheus.MustNewConstMetric(descServerAttempts, prometheus.CounterValue, float64(s.Attempts), s.Addr)
	}
}
