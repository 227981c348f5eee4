package api_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/solarhub/hubdb/cmd/solarhub-api/api"
	"github.com/solarhub/hubdb/config"
	"github.com/solarhub/hubdb/dbx"
	"github.com/solarhub/hubdb/dbx/dbxprom"
	"github.com/solarhub/hubdb/gen"
	"github.com/solarhub/hubdb/hubtest"
	"github.com/solarhub/hubdb/schema"
)

// migrateAll gives the test its own migrated copies of every database of
// schema/ (the same set as the registry's, checked) and a plain *sql.DB on
// each.
func migrateAll(t *testing.T) (*hubtest.Databases, map[string]*sql.DB) {
	t.Helper()
	names, err := schema.Databases(schema.FS)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(names, gen.Names) {
		t.Fatalf("schema/ lists %v, the registry %v", names, gen.Names)
	}
	d := hubtest.New(t, names...)
	dbs := make(map[string]*sql.DB, len(names))
	for _, name := range names {
		dbs[name] = d.DB(name)
	}
	return d, dbs
}

// apiServer is the real handler on a real listener, over dbx pools on the
// test's databases.
type apiServer struct {
	*httptest.Server
	m *dbx.Manager
}

// startAPI opens the pools of the databases named (all when none is) of
// d, configured through the config loader as the API's main does, with
// pool defaults p and serves the API with its metrics.
func startAPI(t *testing.T, d *hubtest.Databases, p dbx.Pool, opts api.Options, names ...string) apiServer {
	t.Helper()
	conf, err := config.Load("", d.Env())
	if err != nil {
		t.Fatal(err)
	}
	metrics := dbxprom.New()
	cfg := metrics.Instrument(conf.DBX())
	cfg.Defaults = p
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	hub, err := gen.Open(ctx, cfg, names...)
	if err != nil {
		t.Fatalf("gen.Open: %v", err)
	}
	t.Cleanup(func() { _ = hub.Close() })
	m := hub.Manager
	reg := prometheus.NewRegistry()
	if err := metrics.Register(reg, m); err != nil {
		t.Fatal(err)
	}
	opts.Metrics = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	srv := httptest.NewServer(api.New(hub, opts))
	t.Cleanup(srv.Close)
	return apiServer{srv, m}
}

// smallPools keep every registry pool well inside the server's max_connections.
var smallPools = dbx.Pool{Size: dbx.Int(2), Overflow: dbx.Int(4), Timeout: 10 * time.Second}

// call sends a request and returns the status, the headers and the body.
func (s apiServer) call(t *testing.T, method, path, contentType, body string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// getJSON expects status 200 and decodes the body into a generic value.
func (s apiServer) getJSON(t *testing.T, path string) any {
	t.Helper()
	status, _, body := s.call(t, http.MethodGet, path, "", "")
	if status != http.StatusOK {
		t.Fatalf("GET %s: status %d, body %s", path, status, body)
	}
	return decode(t, body)
}

// decode decodes JSON keeping numbers as written.
func decode(t *testing.T, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

// sameJSON compares got (a decoded value) with the JSON text want.
func sameJSON(t *testing.T, what string, got any, want string) {
	t.Helper()
	w := decode(t, []byte(want))
	if !reflect.DeepEqual(got, w) {
		g, _ := json.MarshalIndent(got, "", "  ")
		e, _ := json.MarshalIndent(w, "", "  ")
		t.Errorf("%s:\ngot  %s\nwant %s", what, g, e)
	}
}
