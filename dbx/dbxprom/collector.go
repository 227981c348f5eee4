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
)

// poolCollector reads the gauges from the Manager's status at scrape time.
type poolCollector struct{ mgr *dbx.Manager }

// Describe sends the gauges' descriptors.
func (c poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descOpen, descInUse, descIdle, descWaiting, descMax} {
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
}
