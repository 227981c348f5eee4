package dbxotel_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/solarhub/hubdb/dbx"
	"github.com/solarhub/hubdb/dbx/dbxotel"
	"github.com/solarhub/hubdb/gen"
	"github.com/solarhub/hubdb/gen/ess"
	"github.com/solarhub/hubdb/hubtest"
)

// secretDevice is an argument value that must never appear in a span.
const secretDevice = 987654321

// openTraced opens ess on the test's own copy with tracer.
func openTraced(t *testing.T, tracer *dbxotel.Tracer) (*gen.Hub, string) {
	t.Helper()
	d := hubtest.New(t, gen.NameESS)
	cfg := d.Config()
	cfg.Tracer = tracer
	hub, err := gen.Open(context.Background(), cfg, gen.NameESS)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = hub.Close() })
	return hub, d.Schema(gen.NameESS)
}

// openBench is openTraced for a benchmark; a nil tracer traces nothing.
func openBench(b *testing.B, tracer *dbxotel.Tracer) *gen.Hub {
	b.Helper()
	d := hubtest.New(b, gen.NameESS)
	cfg := d.Config()
	if tracer != nil {
		cfg.Tracer = tracer
	}
	hub, err := gen.Open(context.Background(), cfg, gen.NameESS)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = hub.Close() })
	return hub
}

func reading(ts time.Time) ess.InsertBatteryReadingParams {
	return ess.InsertBatteryReadingParams{DeviceID: secretDevice, Ts: ts, SiteID: 7, SocPct: 55,
		PowerW: decimal.NewFromInt(1200), TemperatureC: 21, EnergyInWh: decimal.NewFromInt(5), EnergyOutWh: decimal.Zero}
}

func attrs(s sdktrace.ReadOnlySpan) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes() {
		m[kv.Key] = kv.Value
	}
	return m
}

// TestSpanTree: a request span's Write has one attempt span, under it the
// connection wait and the two statements, named by their sqlc names, with
// the stable database attributes; a failed statement carries the MySQL
// error number; no argument and, by default, no query text is recorded.
func TestSpanTree(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	hub, schema := openTraced(t, &dbxotel.Tracer{TracerProvider: tp})

	ctx, root := tp.Tracer("test").Start(context.Background(), "GET /batteries/latest")
	ts := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	err := hub.ESS.Write(ctx, func(ctx context.Context, q *ess.Queries) error {
		if err := q.InsertBatteryReading(ctx, reading(ts)); err != nil {
			return err
		}
		_, err := q.GetLatestBatteryReading(ctx, ess.GetLatestBatteryReadingParams{DeviceID: secretDevice, AtTs: ts})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// The same row again: a duplicate key, 1062, outside a transaction.
	dup := hub.ESS.Queries(ctx).InsertBatteryReading(ctx, reading(ts))
	if !errors.Is(dup, dbx.ErrDuplicateKey) {
		t.Fatalf("second insert: %v, want ErrDuplicateKey", dup)
	}
	root.End()

	spans := exp.GetSpans().Snapshots()
	byID := map[trace.SpanID]sdktrace.ReadOnlySpan{}
	for _, s := range spans {
		byID[s.SpanContext().SpanID()] = s
	}
	var tree []string
	for _, s := range spans {
		depth, p := 0, s.Parent()
		for p.IsValid() {
			depth++
			p = byID[p.SpanID()].Parent()
		}
		tree = append(tree, fmt.Sprintf("%d %s", depth, s.Name()))
	}
	slices.Sort(tree)
	want := []string{
		"0 GET /batteries/latest",
		"1 InsertBatteryReading", "1 dbx.acquire", "1 dbx.write",
		"2 GetLatestBatteryReading", "2 InsertBatteryReading", "2 dbx.acquire",
	}
	if !slices.Equal(tree, want) {
		t.Fatalf("spans (depth name):\n%s\nwant:\n%s", strings.Join(tree, "\n"), strings.Join(want, "\n"))
	}
	for _, s := range spans {
		if s.SpanContext().TraceID() != root.SpanContext().TraceID() {
			t.Errorf("%s is not in the request's trace", s.Name())
		}
		a := attrs(s)
		for _, kv := range s.Attributes() {
			if strings.Contains(kv.Value.String(), fmt.Sprint(secretDevice)) {
				t.Errorf("%s: attribute %s holds an argument: %s", s.Name(), kv.Key, kv.Value.String())
			}
		}
		if s.Name() == "GET /batteries/latest" {
			continue
		}
		if a["db.system.name"].AsString() != "mariadb" && a["db.system.name"].AsString() != "mysql" ||
			a["db.namespace"].AsString() != schema || a["server.address"].AsString() == "" || a["dbx.db"].AsString() != "ess" {
			t.Errorf("%s: target attributes %v", s.Name(), s.Attributes())
		}
		if _, ok := a["db.query.text"]; ok {
			t.Errorf("%s: db.query.text recorded without QueryText", s.Name())
		}
		switch s.Name() {
		case "dbx.write":
			if a["dbx.tx.attempt"].AsInt64() != 1 || a["dbx.tx.outcome"].AsString() != "commit" || a["dbx.tx.read_only"].AsBool() {
				t.Errorf("tx attributes %v", s.Attributes())
			}
		case "GetLatestBatteryReading":
			if a["db.query.summary"].AsString() != s.Name() || a["db.operation.name"].AsString() != "SELECT" || s.SpanKind() != trace.SpanKindClient {
				t.Errorf("query attributes %v, kind %v", s.Attributes(), s.SpanKind())
			}
		case "InsertBatteryReading":
			if a["db.operation.name"].AsString() != "INSERT" {
				t.Errorf("insert attributes %v", s.Attributes())
			}
			if s.Parent().SpanID() == root.SpanContext().SpanID() { // the duplicate
				if a["db.response.status_code"].AsString() != "1062" || s.Status().Code != codes.Error {
					t.Errorf("failed insert: attributes %v, status %v", s.Attributes(), s.Status())
				}
			} else if s.Status().Code == codes.Error {
				t.Errorf("the committed insert is marked failed: %v", s.Status())
			}
		}
	}
}

// TestQueryTextOptIn: with QueryText the statement's text, placeholders
// and all, is recorded, still without the arguments.
func TestQueryTextOptIn(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	hub, _ := openTraced(t, &dbxotel.Tracer{TracerProvider: tp, QueryText: true})
	ctx := context.Background()
	_, err := hub.ESS.Queries(ctx).GetLatestBatteryReading(ctx, ess.GetLatestBatteryReadingParams{DeviceID: secretDevice, AtTs: time.Now()})
	if err == nil {
		t.Fatal("a reading was found in an empty database")
	}
	var found bool
	for _, s := range exp.GetSpans().Snapshots() {
		if s.Name() != "GetLatestBatteryReading" {
			continue
		}
		text := attrs(s)["db.query.text"].AsString()
		found = strings.Contains(text, "FROM battery_readings") && strings.Contains(text, "?") &&
			!strings.Contains(text, fmt.Sprint(secretDevice))
		if !found {
			t.Errorf("db.query.text %q", text)
		}
	}
	if !found {
		t.Error("no GetLatestBatteryReading span")
	}
}

// TestNothingSampled: with an SDK that samples nothing, the calls work and
// no span is exported.
func TestNothingSampled(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithSampler(sdktrace.NeverSample()))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	hub, _ := openTraced(t, &dbxotel.Tracer{TracerProvider: tp})
	ctx := context.Background()
	if err := hub.ESS.Write(ctx, func(ctx context.Context, q *ess.Queries) error {
		return q.InsertBatteryReading(ctx, reading(time.Now().UTC().Truncate(time.Second)))
	}); err != nil {
		t.Fatal(err)
	}
	if n := len(exp.GetSpans()); n != 0 {
		t.Errorf("%d spans exported with NeverSample", n)
	}
}
