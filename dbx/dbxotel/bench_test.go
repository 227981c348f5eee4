package dbxotel_test

import (
	"context"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/solarhub/hubdb/dbx/dbxotel"
	"github.com/solarhub/hubdb/gen/ess"
)

// BenchmarkTracing is the cost of tracing per point read (the generated
// GetLatestBatteryReading on one row, a plain call outside a transaction:
// one connection wait span and one query span when traced) and per Write
// of one insert (attempt, wait and query spans):
//
//	tracer=off     no Config.Tracer: dbx as it was before tracing
//	tracer=noop    dbxotel.Tracer over the API's no-op provider (what an
//	               application gets with no SDK set up)
//	tracer=never   the SDK sampling nothing (sdktrace.NeverSample)
//	tracer=all     the SDK sampling everything, with no exporter: the cost
//	               of recording the spans and their attributes
//
// Run: go test -run '^$' -bench '^BenchmarkTracing$' -count 5 ./dbx/dbxotel/
// and compare the medians (benchstat).
func BenchmarkTracing(b *testing.B) {
	tracers := []struct {
		name   string
		tracer func() (*dbxotel.Tracer, func())
	}{
		{"off", func() (*dbxotel.Tracer, func()) { return nil, func() {} }},
		{"noop", func() (*dbxotel.Tracer, func()) {
			return &dbxotel.Tracer{TracerProvider: noop.NewTracerProvider()}, func() {}
		}},
		{"never", func() (*dbxotel.Tracer, func()) {
			tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample()))
			return &dbxotel.Tracer{TracerProvider: tp}, func() { _ = tp.Shutdown(context.Background()) }
		}},
		{"all", func() (*dbxotel.Tracer, func()) {
			tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()))
			return &dbxotel.Tracer{TracerProvider: tp}, func() { _ = tp.Shutdown(context.Background()) }
		}},
	}
	for _, op := range []string{"point", "write"} {
		for _, tc := range tracers {
			b.Run("op="+op+"/tracer="+tc.name, func(b *testing.B) {
				tracer, stop := tc.tracer()
				defer stop()
				var hub = openBench(b, tracer)
				ctx := context.Background()
				ts := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
				if err := hub.ESS.Queries(ctx).InsertBatteryReading(ctx, reading(ts)); err != nil {
					b.Fatal(err)
				}
				arg := ess.GetLatestBatteryReadingParams{DeviceID: secretDevice, AtTs: ts}
				b.ReportAllocs()
				b.ResetTimer()
				n := 0
				for b.Loop() {
					switch op {
					case "point":
						if _, err := hub.ESS.Queries(ctx).GetLatestBatteryReading(ctx, arg); err != nil {
							b.Fatal(err)
						}
					default:
						n++
						if err := hub.ESS.Write(ctx, func(ctx context.Context, q *ess.Queries) error {
							return q.InsertBatteryReading(ctx, reading(ts.Add(time.Duration(n)*time.Millisecond)))
						}); err != nil {
							b.Fatal(err)
						}
					}
				}
			})
		}
	}
}
