// Package dbxotel traces dbx with OpenTelemetry: a span for each wait for
// a connection, each transaction attempt and each statement, children of
// the caller's span.
//
//	cfg.Tracer = &dbxotel.Tracer{} // the global TracerProvider
//	m, err := dbx.Open(ctx, cfg)
//
// It depends on the OpenTelemetry API only; the application chooses the
// SDK and the exporter and sets them as the global provider, or gives
// TracerProvider. With no provider set (the API's no-op), or an SDK that
// samples nothing, spans are not recorded and no attribute is built.
//
// # Spans
//
//   - "dbx.acquire" (internal): the wait at the pool's FIFO gate and for
//     the server budget's permit. dbx.gate.waiting: callers already
//     waiting when this one came; dbx.acquire.wait_ms.
//   - "dbx.read" / "dbx.write" (internal): one attempt of a Read or Write
//     transaction (with Retry, one per attempt). dbx.tx.attempt,
//     dbx.tx.read_only, dbx.tx.outcome (commit, rollback, commit_unknown),
//     dbx.tx.retried.
//   - a statement (client), named by its sqlc query name
//     (db.query.summary, e.g. "GetLatestBatteryReading": exact and
//     low-cardinality, read from the "-- name:" comment sqlc writes, no SQL
//     parsing); SQL without a name is named by its first keyword. For a
//     query the span lasts until its rows are closed.
//
// Every span carries the stable database semantic conventions:
// db.system.name ("mariadb" or "mysql"), db.namespace (the physical
// database), server.address and server.port (as configured: never a user
// or password), dbx.db (the logical name); statements add
// db.operation.name (the statement's first keyword: SELECT, INSERT, ...)
// and, on error, db.response.status_code (the MySQL error number, e.g.
// "1213") and error.type. The arguments are never recorded; the query text
// (db.query.text, with placeholders) only when QueryText is set.
package dbxotel

import (
	"cmp"
	"context"
	"errors"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/go-sql-driver/mysql"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/solarhub/hubdb/dbx"
)

// ScopeName is the instrumentation scope of the spans: this package's
// import path.
const ScopeName = "github.com/solarhub/hubdb/dbx/dbxotel"

// Tracer is a dbx.Config.Tracer that makes OpenTelemetry spans. The zero
// value uses the global TracerProvider. It implements dbx.QueryTracer,
// dbx.AcquireTracer and dbx.TxTracer; one Tracer may serve many Managers.
type Tracer struct {
	// TracerProvider makes the tracer. Default: otel.GetTracerProvider()
	// (which follows a later otel.SetTracerProvider).
	TracerProvider trace.TracerProvider
	// QueryText records each statement's text (placeholders, never the
	// arguments) as db.query.text. Default off: the sqlc name says which
	// query it was.
	QueryText bool

	once   sync.Once
	tracer trace.Tracer
}

var (
	_ dbx.QueryTracer   = (*Tracer)(nil)
	_ dbx.AcquireTracer = (*Tracer)(nil)
	_ dbx.TxTracer      = (*Tracer)(nil)
)

func (t *Tracer) get() trace.Tracer {
	t.once.Do(func() {
		tp := t.TracerProvider
		if tp == nil {
			tp = otel.GetTracerProvider()
		}
		t.tracer = tp.Tracer(ScopeName, trace.WithInstrumentationVersion(version()))
	})
	return t.tracer
}

// version is hubdb's module version, as the build recorded it.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if m.Path == "github.com/solarhub/hubdb" {
				return m.Version
			}
		}
		if bi.Main.Path == "github.com/solarhub/hubdb" {
			return bi.Main.Version
		}
	}
	return ""
}

// Span start options, made once: a variadic call would allocate them on
// every span.
var (
	clientSpan   = []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindClient)}
	internalSpan = []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindInternal)}
)

// Attribute keys beyond the semantic conventions.
const (
	keyDB          = attribute.Key("dbx.db")
	keyGateWaiting = attribute.Key("dbx.gate.waiting")
	keyWaitMS      = attribute.Key("dbx.acquire.wait_ms")
	keyAttempt     = attribute.Key("dbx.tx.attempt")
	keyReadOnly    = attribute.Key("dbx.tx.read_only")
	keyOutcome     = attribute.Key("dbx.tx.outcome")
	keyRetried     = attribute.Key("dbx.tx.retried")
)

// Semantic convention keys (stable database conventions).
const (
	keySystem    = attribute.Key("db.system.name")
	keyNamespace = attribute.Key("db.namespace")
	keySummary   = attribute.Key("db.query.summary")
	keyOperation = attribute.Key("db.operation.name")
	keyText      = attribute.Key("db.query.text")
	keyStatus    = attribute.Key("db.response.status_code")
	keyErrorType = attribute.Key("error.type")
	keyAddress   = attribute.Key("server.address")
	keyPort      = attribute.Key("server.port")
)

func targetAttrs(tg *dbx.TraceTarget, extra int) []attribute.KeyValue {
	attrs := make([]attribute.KeyValue, 0, 5+extra)
	if tg == nil {
		return attrs
	}
	attrs = append(attrs, keySystem.String(tg.System), keyNamespace.String(tg.Schema), keyDB.String(tg.DB),
		keyAddress.String(tg.Host))
	if tg.Port != 0 {
		attrs = append(attrs, keyPort.Int(tg.Port))
	}
	return attrs
}

// TraceQueryStart starts a statement's span.
func (t *Tracer) TraceQueryStart(ctx context.Context, d dbx.TraceQueryStartData) context.Context {
	name, op := d.Name, ""
	if name == "" {
		op = operation(d.Query)
		name = cmp.Or(op, "sql")
	}
	ctx, span := t.get().Start(ctx, name, clientSpan...)
	if !span.IsRecording() {
		return ctx
	}
	if op == "" {
		op = operation(d.Query)
	}
	attrs := targetAttrs(d.Target, 3)
	if d.Name != "" {
		attrs = append(attrs, keySummary.String(d.Name))
	}
	if op != "" {
		attrs = append(attrs, keyOperation.String(op))
	}
	if t.QueryText {
		attrs = append(attrs, keyText.String(d.Query))
	}
	span.SetAttributes(attrs...)
	return ctx
}

// TraceQueryEnd ends a statement's span.
func (t *Tracer) TraceQueryEnd(ctx context.Context, d dbx.TraceQueryEndData) {
	span := trace.SpanFromContext(ctx)
	if d.Err != nil && span.IsRecording() {
		setError(span, d.Err)
	}
	span.End()
}

// TraceAcquireStart starts the span of a wait for a connection.
func (t *Tracer) TraceAcquireStart(ctx context.Context, d dbx.TraceAcquireStartData) context.Context {
	ctx, span := t.get().Start(ctx, "dbx.acquire", internalSpan...)
	if span.IsRecording() {
		span.SetAttributes(append(targetAttrs(d.Target, 1), keyGateWaiting.Int(d.Waiting))...)
	}
	return ctx
}

// TraceAcquireEnd ends the span of a wait for a connection.
func (t *Tracer) TraceAcquireEnd(ctx context.Context, d dbx.TraceAcquireEndData) {
	span := trace.SpanFromContext(ctx)
	if span.IsRecording() {
		span.SetAttributes(keyWaitMS.Float64(float64(d.Waited.Microseconds()) / 1000))
		if d.Err != nil {
			setError(span, d.Err)
		}
	}
	span.End()
}

// TraceTxStart starts the span of a transaction attempt.
func (t *Tracer) TraceTxStart(ctx context.Context, d dbx.TraceTxStartData) context.Context {
	name := "dbx.write"
	if d.ReadOnly {
		name = "dbx.read"
	}
	ctx, span := t.get().Start(ctx, name, internalSpan...)
	if span.IsRecording() {
		span.SetAttributes(append(targetAttrs(d.Target, 2), keyAttempt.Int(d.Attempt), keyReadOnly.Bool(d.ReadOnly))...)
	}
	return ctx
}

// TraceTxEnd ends the span of a transaction attempt.
func (t *Tracer) TraceTxEnd(ctx context.Context, d dbx.TraceTxEndData) {
	span := trace.SpanFromContext(ctx)
	if span.IsRecording() {
		outcome := "commit"
		switch {
		case d.CommitUnknown:
			outcome = "commit_unknown"
		case d.Err != nil:
			outcome = "rollback"
		}
		span.SetAttributes(keyOutcome.String(outcome), keyRetried.Bool(d.Retried))
		if d.Err != nil {
			setError(span, d.Err)
		}
	}
	span.End()
}

// setError marks the span failed: the MySQL error number when the server
// sent one, else the dbx condition.
func setError(span trace.Span, err error) {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		n := strconv.Itoa(int(me.Number))
		span.SetAttributes(keyStatus.String(n), keyErrorType.String(n))
	} else {
		span.SetAttributes(keyErrorType.String(errorType(err)))
	}
	span.SetStatus(codes.Error, err.Error())
}

// errorType names a failure without a server error number by the dbx
// condition it matches (low-cardinality).
func errorType(err error) string {
	for _, c := range []struct {
		err  error
		name string
	}{
		{dbx.ErrPoolTimeout, "pool_timeout"},
		{dbx.ErrTxTimeout, "tx_timeout"},
		{dbx.ErrCommitUnknown, "commit_unknown"},
		{dbx.ErrServerGone, "server_gone"},
		{context.Canceled, "canceled"},
		{context.DeadlineExceeded, "deadline_exceeded"},
	} {
		if errors.Is(err, c.err) {
			return c.name
		}
	}
	return "_OTHER"
}

// operation is the statement's first keyword, upper-cased, after the
// comment lines sqlc puts first ("-- name: ...") and the "SET STATEMENT
// ... FOR" prefix of a per-transaction statement timeout: SELECT, INSERT,
// UPDATE, DELETE, ...; "" when there is none.
func operation(q string) string {
	for {
		q = strings.TrimLeft(q, " \t\r\n")
		if !strings.HasPrefix(q, "--") {
			break
		}
		_, q, _ = strings.Cut(q, "\n")
	}
	end := strings.IndexFunc(q, func(r rune) bool { return !unicode.IsLetter(r) })
	if end < 0 {
		end = len(q)
	}
	word := strings.ToUpper(q[:end])
	if word == "SET" {
		head := strings.ToUpper(q[:min(len(q), 200)])
		if strings.HasPrefix(head, "SET STATEMENT ") {
			if i := strings.Index(head, " FOR "); i >= 0 {
				return operation(q[i+len(" FOR "):])
			}
		}
	}
	return word
}
