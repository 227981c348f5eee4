package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/solarhub/hubdb/cmd/solarhub-api/api"
	"github.com/solarhub/hubdb/dbx"
	"github.com/solarhub/hubdb/gen/site"
)

// holdSite takes the site pool's only connection in a read transaction
// and keeps it until the returned release is called.
func holdSite(t *testing.T, s apiServer) (release func()) {
	t.Helper()
	h, err := dbx.Bind(s.m, "site", func(d dbx.DBTX) *site.Queries { return site.New(d) })
	if err != nil {
		t.Fatal(err)
	}
	held, done, finished := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		finished <- h.Read(context.Background(), func(ctx context.Context, q *site.Queries) error {
			close(held)
			<-done
			return nil
		}, dbx.TxTimeout(time.Minute))
	}()
	<-held
	return func() {
		close(done)
		if err := <-finished; err != nil {
			t.Errorf("holding transaction: %v", err)
		}
	}
}

// onePool is a single connection per database.
func onePool(timeout time.Duration) dbx.Pool {
	return dbx.Pool{Size: dbx.Int(1), Overflow: dbx.Int(0), Timeout: timeout, IdleInTxThreshold: -1}
}

func TestPoolTimeoutIs503(t *testing.T) {
	d, dbs := migrateAll(t)
	f := seedFixture(t, dbs)
	s := startAPI(t, d, onePool(200*time.Millisecond), api.Options{Now: func() time.Time { return now }})
	release := holdSite(t, s)
	status, h, body := s.call(t, http.MethodGet, fmt.Sprintf("/v1/sites/%d/latest", f.site), "", "")
	release()
	if status != http.StatusServiceUnavailable || h.Get("Retry-After") != api.RetryAfterSeconds {
		t.Fatalf("status %d, Retry-After %q, body %s; want 503 with Retry-After %s",
			status, h.Get("Retry-After"), body, api.RetryAfterSeconds)
	}
	sameJSON(t, "503 body", decode(t, body), `{"error": "database busy, retry later"}`)
	if got := scrape(t, s)[series("dbx_pool_timeouts_total", "site")]; got != 1 {
		t.Errorf("dbx_pool_timeouts_total{db=site} = %v, want 1", got)
	}
	// with the connection back, the same request succeeds
	if status, _, body := s.call(t, http.MethodGet, fmt.Sprintf("/v1/sites/%d/latest", f.site), "", ""); status != http.StatusOK {
		t.Errorf("after release: status %d, body %s", status, body)
	}
}

func TestRequestDeadlineIs504(t *testing.T) {
	d, dbs := migrateAll(t)
	f := seedFixture(t, dbs)
	s := startAPI(t, d, onePool(time.Minute), api.Options{
		Now: func() time.Time { return now }, RequestTimeout: 150 * time.Millisecond,
	})
	release := holdSite(t, s)
	start := time.Now()
	status, _, body := s.call(t, http.MethodGet, fmt.Sprintf("/v1/sites/%d/kpis?from=2025-06-19&to=2025-06-21", f.site), "", "")
	elapsed := time.Since(start)
	release()
	if status != http.StatusGatewayTimeout || !strings.Contains(string(body), "timed out") {
		t.Fatalf("status %d, body %s; want 504", status, body)
	}
	t.Logf("answered after %v (request timeout 150ms, pool timeout 1m)", elapsed.Round(time.Millisecond))
}
