package main

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/solarhub/hubdb/dbx"
	"github.com/solarhub/hubdb/dbx/dbxotel"
)

// tracing is the example API's OpenTelemetry set-up: the SDK with an
// exporter, a span per HTTP request (otelhttp) and dbx's spans (dbxotel)
// under it. The library itself depends only on the OpenTelemetry API; an
// application picks its SDK and exporter here, in its main package
// (stdout for the example; OTLP in production:
// go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp).
type tracing struct {
	provider *sdktrace.TracerProvider
}

// newTracing sets up tracing that exports to exp; nil exp: none (the API's
// no-op provider stays, and dbx is not traced).
func newTracing(exp sdktrace.SpanExporter, opts ...sdktrace.TracerProviderOption) *tracing {
	if exp == nil {
		return &tracing{}
	}
	tp := sdktrace.NewTracerProvider(append([]sdktrace.TracerProviderOption{sdktrace.WithBatcher(exp)}, opts...)...)
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.TraceContext{})
	return &tracing{provider: tp}
}

// stdoutExporter writes each span as JSON to w.
func stdoutExporter(w io.Writer) (sdktrace.SpanExporter, error) {
	exp, err := stdouttrace.New(stdouttrace.WithWriter(w))
	if err != nil {
		return nil, fmt.Errorf("stdout trace exporter: %w", err)
	}
	return exp, nil
}

// instrument sets dbx's tracer on cfg.
func (t *tracing) instrument(cfg dbx.Config) dbx.Config {
	if t.provider != nil {
		cfg.Tracer = &dbxotel.Tracer{TracerProvider: t.provider}
	}
	return cfg
}

// handler wraps h in a server span per request, named by the route
// pattern that served it ("GET /v1/sites/{site}/latest": low-cardinality)
// and continuing a caller's trace (W3C traceparent).
func (t *tracing) handler(h http.Handler) http.Handler {
	if t.provider == nil {
		return h
	}
	return otelhttp.NewHandler(h, "solarhub-api", otelhttp.WithTracerProvider(t.provider),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
			// called again once the mux has matched, with its pattern
			if r.Pattern != "" {
				return r.Pattern
			}
			return r.Method
		}))
}

// shutdown flushes the spans not exported yet.
func (t *tracing) shutdown(ctx context.Context) error {
	if t.provider == nil {
		return nil
	}
	return t.provider.Shutdown(ctx)
}

// tracingFor is the -trace flag's set-up: "" none, "stdout" JSON spans on w.
func tracingFor(to string, w io.Writer) (*tracing, error) {
	switch to {
	case "":
		return newTracing(nil), nil
	case "stdout":
		exp, err := stdoutExporter(w)
		if err != nil {
			return nil, err
		}
		return newTracing(exp), nil
	}
	return nil, fmt.Errorf("-trace %q: want \"stdout\" or \"\" (none); for OTLP, wire otlptracehttp in your own main package", to)
}
