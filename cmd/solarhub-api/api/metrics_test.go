package api_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/solarhub/hubdb/cmd/solarhub-api/api"
	"github.com/solarhub/hubdb/gen"
	"github.com/solarhub/hubdb/internal/seed"
)

// series names one sample: metric{db="name"}.
func series(metric, db string) string { return metric + `{db="` + db + `"}` }

// scrape GETs /metrics over HTTP and returns the samples that carry only
// a db label, keyed by series(...).
func scrape(t *testing.T, s apiServer) map[string]float64 {
	t.Helper()
	status, _, body := s.call(t, http.MethodGet, "/metrics", "", "")
	if status != http.StatusOK {
		t.Fatalf("GET /metrics: status %d", status)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || !strings.Contains(line, `{db="`) {
			continue
		}
		key, val, ok := strings.Cut(line, " ")
		if !ok || strings.Count(key, "=") != 1 {
			continue // histogram buckets carry le as well
		}
		v, err := strconv.ParseFloat(val, 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		out[key] = v
	}
	return out
}

// TestMetricsMoveUnderLoad scrapes /metrics, runs requests against the API,
// scrapes again, and checks the counters and histograms of the databases
// the requests used moved, and that every pool's series exist.
func TestMetricsMoveUnderLoad(t *testing.T) {
	d, _ := migrateAll(t)
	s := startAPI(t, d, smallPools, api.Options{})
	rep, err := seed.Run(context.Background(), s.m, seed.Config{Sites: 4, Interval: time.Hour, OrgSlug: "metrics"})
	if err != nil {
		t.Fatal(err)
	}
	before := scrape(t, s)
	names := s.m.Names()
	if len(names) != len(gen.Names) {
		t.Fatalf("%d pools, want the registry's %d", len(names), len(gen.Names))
	}
	for _, db := range names {
		for _, metric := range []string{
			"dbx_pool_connections_open", "dbx_pool_connections_in_use", "dbx_pool_connections_idle",
			"dbx_pool_waiting", "dbx_pool_connections_max", "dbx_connections_acquired_total",
			"dbx_pool_timeouts_total", "dbx_connections_invalidated_total", "dbx_connection_leaks_total",
			"dbx_idle_in_transaction_total", "dbx_connection_wait_seconds_count", "dbx_connection_hold_seconds_count",
		} {
			if _, ok := before[series(metric, db)]; !ok {
				t.Errorf("missing series %s", series(metric, db))
			}
		}
		if got := before[series("dbx_pool_connections_max", db)]; got != 6 {
			t.Errorf("%s = %v, want 6 (size 2 + overflow 4)", series("dbx_pool_connections_max", db), got)
		}
	}

	const requests = 40
	var wg sync.WaitGroup
	errs := make(chan error, requests)
	for i := range requests {
		wg.Go(func() {
			path := fmt.Sprintf("/v1/sites/%d/latest", rep.SiteIDs[i%len(rep.SiteIDs)])
			resp, err := s.Client().Get(s.URL + path)
			if err != nil {
				errs <- err
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				errs <- fmt.Errorf("GET %s: status %d", path, resp.StatusCode)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	after := scrape(t, s)

	// each /latest request runs one transaction on each of these
	for _, db := range []string{"site", "device", "pv", "ess", "meter"} {
		for _, metric := range []string{
			"dbx_connections_acquired_total", "dbx_connection_wait_seconds_count", "dbx_connection_hold_seconds_count",
		} {
			k := series(metric, db)
			if d := after[k] - before[k]; d < requests {
				t.Errorf("%s moved by %v, want at least %d", k, d, requests)
			}
		}
		if k := series("dbx_connection_hold_seconds_sum", db); after[k] <= before[k] {
			t.Errorf("%s did not grow: %v -> %v", k, before[k], after[k])
		}
		if k := series("dbx_pool_connections_open", db); after[k] < 1 {
			t.Errorf("%s = %v after load, want at least 1", k, after[k])
		}
		if k := series("dbx_pool_connections_in_use", db); after[k] != 0 {
			t.Errorf("%s = %v with no request running, want 0", k, after[k])
		}
	}
	// a database no request touched did not move
	if k := series("dbx_connections_acquired_total", "billing"); after[k] != before[k] {
		t.Errorf("%s moved %v -> %v without any billing query", k, before[k], after[k])
	}
	t.Logf("pv: acquired %v -> %v, hold count %v -> %v", before[series("dbx_connections_acquired_total", "pv")],
		after[series("dbx_connections_acquired_total", "pv")], before[series("dbx_connection_hold_seconds_count", "pv")],
		after[series("dbx_connection_hold_seconds_count", "pv")])
}
