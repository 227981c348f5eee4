package dbxprom_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/solarhub/hubdb/dbx"
	"github.com/solarhub/hubdb/dbx/dbxprom"
	"github.com/solarhub/hubdb/hubtest"
)

// TestObserveCountsEachKind feeds synthetic events through the hook that
// Instrument installs and checks each lands in its own series.
func TestObserveCountsEachKind(t *testing.T) {
	m := dbxprom.New()
	var chained []dbx.EventKind
	cfg := m.Instrument(dbx.Config{OnEvent: func(ev dbx.Event) { chained = append(chained, ev.Kind) }})
	for _, ev := range []dbx.Event{
		{Kind: dbx.EventCheckout, DB: "ess", Wait: 2 * time.Millisecond},
		{Kind: dbx.EventCheckout, DB: "ess", Wait: 0},
		{Kind: dbx.EventCheckin, DB: "ess", Held: 30 * time.Millisecond},
		{Kind: dbx.EventPoolTimeout, DB: "ess", Wait: time.Second},
		{Kind: dbx.EventInvalidate, DB: "pv"},
		{Kind: dbx.EventLeak, DB: "pv", Held: time.Minute},
		{Kind: dbx.EventIdleInTx, DB: "pv"},
		{Kind: dbx.EventIdleInTx, DB: "pv"},
		{Kind: dbx.EventOpen, DB: "pv"},
		{Kind: dbx.EventClose, DB: "pv"},
		{Kind: dbx.EventRetry, DB: "pv"},
		{Kind: dbx.EventCheck, DB: "pv"},
		{Kind: dbx.EventTxEnd, DB: "ess", Held: 40 * time.Millisecond, ReadOnly: true},
		{Kind: dbx.EventTxEnd, DB: "ess", Held: 10 * time.Millisecond},
		{Kind: dbx.EventTxEnd, DB: "ess", Held: 20 * time.Millisecond},
	} {
		cfg.OnEvent(ev)
	}
	if len(chained) != 15 {
		t.Errorf("the earlier hook saw %d events, want 15", len(chained))
	}
	reg := prometheus.NewPedanticRegistry()
	mgr := openManager(t, "ess", "pv")
	if err := m.Register(reg, mgr); err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{
		`dbx_connections_acquired_total{db="ess"}`:                      2,
		`dbx_pool_timeouts_total{db="ess"}`:                             1,
		`dbx_connections_invalidated_total{db="pv"}`:                    1,
		`dbx_connection_leaks_total{db="pv"}`:                           1,
		`dbx_idle_in_transaction_total{db="pv"}`:                        2,
		`dbx_connections_opened_total{db="pv"}`:                         1,
		`dbx_connections_closed_total{db="pv"}`:                         1,
		`dbx_transaction_retries_total{db="pv"}`:                        1,
		`dbx_check_warnings_total{db="pv"}`:                             1,
		`dbx_connection_wait_seconds_count{db="ess"}`:                   2,
		`dbx_connection_wait_seconds_sum{db="ess"}`:                     0.002,
		`dbx_connection_hold_seconds_count{db="ess"}`:                   1,
		`dbx_connection_hold_seconds_sum{db="ess"}`:                     0.03,
		`dbx_transaction_duration_seconds_count{db="ess",mode="read"}`:  1,
		`dbx_transaction_duration_seconds_sum{db="ess",mode="read"}`:    0.04,
		`dbx_transaction_duration_seconds_count{db="ess",mode="write"}`: 2,
		`dbx_transaction_duration_seconds_sum{db="ess",mode="write"}`:   0.03,
	}
	got := gather(t, reg)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	// Register created every series of every database, events or not;
	// the gauges come from the Manager's status.
	for _, k := range []string{
		`dbx_connections_acquired_total{db="pv"}`, `dbx_connection_leaks_total{db="ess"}`,
		`dbx_connection_hold_seconds_count{db="pv"}`, `dbx_pool_connections_idle{db="ess"}`,
	} {
		if _, ok := got[k]; !ok {
			t.Errorf("missing series %s", k)
		}
	}
	if got[`dbx_pool_connections_max{db="pv"}`] != 3 || got[`dbx_pool_connections_in_use{db="pv"}`] != 0 {
		t.Errorf("pv gauges: max %v in use %v, want 3 and 0",
			got[`dbx_pool_connections_max{db="pv"}`], got[`dbx_pool_connections_in_use{db="pv"}`])
	}
	n := 0
	for k := range got {
		if strings.HasPrefix(k, "dbx_connections_acquired_total{") {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d acquired series, want 2 (ess and pv)", n)
	}
	if err := m.Register(prometheus.NewRegistry(), mgr); err == nil {
		t.Error("a second Register succeeded")
	}
}

// openManager gives the test its own empty databases names on the test
// server and opens a Manager on them (pool size 1, overflow 2, no server
// budget).
func openManager(t *testing.T, names ...string) *dbx.Manager {
	t.Helper()
	cfg := hubtest.Empty(t, names...).Config()
	cfg.Defaults = dbx.Pool{Size: dbx.Int(1), Overflow: dbx.Int(2)}
	cfg.ServerBudget = 0
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	m, err := dbx.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return m
}

// gather returns every sample with only a db label, as name{db="x"}.
func gather(t *testing.T, g prometheus.Gatherer) map[string]float64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			labels := make([]string, 0, len(m.GetLabel()))
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+`="`+l.GetValue()+`"`)
			}
			if len(labels) == 0 || !strings.HasPrefix(labels[0], `db=`) && !strings.HasPrefix(labels[0], `server=`) {
				continue
			}
			key := func(suffix string) string { return mf.GetName() + suffix + "{" + strings.Join(labels, ",") + "}" }
			switch {
			case m.Counter != nil:
				out[key("")] = m.GetCounter().GetValue()
			case m.Gauge != nil:
				out[key("")] = m.GetGauge().GetValue()
			case m.Histogram != nil:
				out[key("_count")] = float64(m.GetHistogram().GetSampleCount())
				out[key("_sum")] = m.GetHistogram().GetSampleSum()
			}
		}
	}
	return out
}

func TestRegisterRejectsNil(t *testing.T) {
	if err := dbxprom.New().Register(prometheus.NewRegistry(), nil); err == nil {
		t.Error("Register(nil Manager) succeeded")
	}
}

// TestServerSeries: the server budget's gauges and counters come from
// Manager.Servers at scrape time, one series set per server.
func TestServerSeries(t *testing.T) {
	m := dbxprom.New()
	reg := prometheus.NewPedanticRegistry()
	mgr := openManager(t, "ess", "pv")
	if err := m.Register(reg, mgr); err != nil {
		t.Fatal(err)
	}
	ss := mgr.Servers()
	if len(ss) != 1 {
		t.Fatalf("servers %v, want one", ss)
	}
	s := ss[0]
	got := gather(t, reg)
	for k, v := range map[string]float64{
		`dbx_server_budget_connections{server="` + s.Addr + `"}`:     float64(s.Budget),
		`dbx_server_connections_open{server="` + s.Addr + `"}`:       float64(s.Open),
		`dbx_server_budget_waiting{server="` + s.Addr + `"}`:         0,
		`dbx_server_steals_total{server="` + s.Addr + `"}`:           float64(s.Steals),
		`dbx_server_budget_shrinks_total{server="` + s.Addr + `"}`:   0,
		`dbx_server_connects_refused_total{server="` + s.Addr + `"}`: 0,
		`dbx_server_connect_attempts_total{server="` + s.Addr + `"}`: float64(s.Attempts),
		`dbx_server_statements_prepared{server="` + s.Addr + `"}`:    float64(s.Statements),
		`dbx_server_statements_limit{server="` + s.Addr + `"}`:       float64(s.StatementLimit),
		`dbx_statement_cache_hits_total{db="ess"}`:                   0,
	} {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s = %v (present %v), want %v", k, g, ok, v)
		}
	}
	if s.Budget <= 0 || s.Open != 2 || s.Attempts < 2 || s.StatementLimit <= 0 {
		t.Errorf("server %v: want a budget, the two pools' pinged connections open and dialled", s)
	}
}

// TestQuerySeries: EventQuery feeds dbx_query_duration_seconds and
// dbx_query_errors_total by db and query name, EventSlowQuery
// dbx_slow_queries_total; SQL without a name is query="unnamed".
func TestQuerySeries(t *testing.T) {
	m := dbxprom.New()
	reg := prometheus.NewPedanticRegistry()
	if err := m.Register(reg, openManager(t, "ess")); err != nil {
		t.Fatal(err)
	}
	m.Observe(dbx.Event{Kind: dbx.EventQuery, DB: "ess", Query: "GetLatestBatteryReading", Held: 3 * time.Millisecond})
	m.Observe(dbx.Event{Kind: dbx.EventQuery, DB: "ess", Query: "GetLatestBatteryReading", Held: time.Millisecond, Err: errors.New("boom")})
	m.Observe(dbx.Event{Kind: dbx.EventQuery, DB: "ess", Held: time.Millisecond})
	m.Observe(dbx.Event{Kind: dbx.EventSlowQuery, DB: "ess", Query: "GetLatestBatteryReading", Held: 2 * time.Second})
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, s := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range s.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["query"] == "" {
				continue
			}
			key := mf.GetName() + "{" + labels["db"] + "," + labels["query"] + "}"
			if h := s.GetHistogram(); h != nil {
				got[key] = float64(h.GetSampleCount())
			} else {
				got[key] = s.GetCounter().GetValue()
			}
		}
	}
	for k, v := range map[string]float64{
		"dbx_query_duration_seconds{ess,GetLatestBatteryReading}": 2,
		"dbx_query_errors_total{ess,GetLatestBatteryReading}":     1,
		"dbx_slow_queries_total{ess,GetLatestBatteryReading}":     1,
		"dbx_query_duration_seconds{ess,unnamed}":                 1,
	} {
		if got[k] != v {
			t.Errorf("%s = %v, want %v (all: %v)", k, got[k], v, got)
		}
	}
}
