package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/solarhub/hubdb/cmd/solarhub-api/api"
	"github.com/solarhub/hubdb/config"
	"github.com/solarhub/hubdb/gen"
	"github.com/solarhub/hubdb/hubtest"
)

// TestRequestTrace: with tracing on, a request is one trace: the server
// span, named by its route, with the handler's transactions and their
// statements, named by their sqlc names, under it; a caller's traceparent
// is continued.
func TestRequestTrace(t *testing.T) {
	d := hubtest.New(t, api.Databases...)
	conf, err := config.Load("", d.Env())
	if err != nil {
		t.Fatal(err)
	}
	exp := tracetest.NewInMemoryExporter()
	tr := newTracing(exp)
	defer func() { _ = tr.shutdown(context.Background()) }()
	ctx := context.Background()
	hub, err := gen.Open(ctx, tr.instrument(conf.DBX()), api.Databases...)
	if err != nil {
		t.Fatal(err)
	}
	defer hub.Close()
	srv := httptest.NewServer(tr.handler(api.New(hub, api.Options{})))
	defer srv.Close()

	const caller = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	req, _ := http.NewRequest("GET", srv.URL+"/v1/sites/1/latest", nil)
	req.Header.Set("traceparent", caller)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := tr.provider.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}
	spans := exp.GetSpans().Snapshots()
	byID := map[trace.SpanID]sdktrace.ReadOnlySpan{}
	var root sdktrace.ReadOnlySpan
	for _, s := range spans {
		byID[s.SpanContext().SpanID()] = s
		if s.SpanKind() == trace.SpanKindServer {
			root = s
		}
	}
	if root == nil || root.Name() != "GET /v1/sites/{site}/latest" {
		t.Fatalf("no server span named by the route among %d spans (got %v)", len(spans), root)
	}
	if root.SpanContext().TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Errorf("the request did not continue the caller's trace: %s", root.SpanContext().TraceID())
	}
	var queries, txs int
	for _, s := range spans {
		if s.SpanContext().SpanID() == root.SpanContext().SpanID() {
			continue
		}
		if s.SpanContext().TraceID() != root.SpanContext().TraceID() {
			t.Errorf("%s is in another trace", s.Name())
		}
		// every span descends from the request's
		p, ok := byID[s.Parent().SpanID()]
		for ok && p.SpanContext().SpanID() != root.SpanContext().SpanID() {
			p, ok = byID[p.Parent().SpanID()]
		}
		if !ok {
			t.Errorf("%s does not descend from the request span", s.Name())
		}
		switch {
		case strings.HasPrefix(s.Name(), "dbx.read"):
			txs++
		case s.SpanKind() == trace.SpanKindClient && s.Name() != "" && !strings.Contains(s.Name(), " "):
			queries++
		}
	}
	if txs == 0 || queries == 0 {
		var b bytes.Buffer
		for _, s := range spans {
			b.WriteString(s.Name() + "\n")
		}
		t.Errorf("%d read transactions and %d named statements under the request, want some:\n%s", txs, queries, b.String())
	}
}

// TestTraceFlag: -trace takes stdout or nothing, and names the choices
// otherwise.
func TestTraceFlag(t *testing.T) {
	var buf bytes.Buffer
	if code := run(context.Background(), []string{"-trace", "jaeger"}, nil, &buf); code != 2 || !strings.Contains(buf.String(), `want "stdout"`) {
		t.Errorf("-trace jaeger: exit %d, %q", code, buf.String())
	}
}
