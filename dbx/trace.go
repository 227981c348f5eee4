package dbx

import (
	"cmp"
	"context"
	"errors"
	"net"
	"strconv"
	"time"
)

// QueryTracer is told of every statement a pool runs: Config.Tracer. Its
// Start returns the context the statement's End gets (a tracer keeps its
// span there). For a query, End comes when its rows are closed (for
// QueryRow, inside Row.Scan), not when the call returns. A tracer that
// also implements [AcquireTracer] or [TxTracer] (found by type assertion
// at Open) is told of connection waits and transactions too. Every Start
// is followed by exactly one End, on every path (errors, ctx ends,
// panics in a transaction's fn). The methods are called from the
// goroutines that run the work, concurrently: they must be fast and safe
// for concurrent use. Package dbxotel implements all three with
// OpenTelemetry spans.
type QueryTracer interface {
	TraceQueryStart(ctx context.Context, data TraceQueryStartData) context.Context
	TraceQueryEnd(ctx context.Context, data TraceQueryEndData)
}

// AcquireTracer is told of each wait for a connection: at the pool's
// gate (FIFO, bounded by Pool.Timeout) and for the server budget's permit.
type AcquireTracer interface {
	TraceAcquireStart(ctx context.Context, data TraceAcquireStartData) context.Context
	TraceAcquireEnd(ctx context.Context, data TraceAcquireEndData)
}

// TxTracer is told of each attempt of a Read or Write transaction (with
// Retry, one Start and End per attempt). The context its Start returns is
// the one the transaction runs in: the connection wait and the queries of
// the attempt are traced under it. A Read or Write nested in a running
// transaction of the same database is part of that one and not traced
// apart.
type TxTracer interface {
	TraceTxStart(ctx context.Context, data TraceTxStartData) context.Context
	TraceTxEnd(ctx context.Context, data TraceTxEndData)
}

// TraceTarget says where a traced operation runs. One value per pool,
// shared by all its trace data: read it, never change it.
type TraceTarget struct {
	// DB is the logical database name, Schema the physical one.
	DB, Schema string
	// System is "mariadb" or "mysql", as the server said at Open.
	System string
	// Host and Port are the server's address as configured (no user, no
	// password); Port is 0 for a unix socket, whose path is Host.
	Host string
	Port int
}

// TraceQueryStartData describes a statement about to run.
type TraceQueryStartData struct {
	Target *TraceTarget
	// Name is the sqlc query name ("GetLatestBatteryReading"), read from
	// the "-- name:" comment sqlc puts first; "" for other SQL.
	Name string
	// Query is the statement's text as sent, parameters as placeholders.
	// It may be long; the arguments are never part of it.
	Query string
}

// TraceQueryEndData is how a statement ended.
type TraceQueryEndData struct {
	// Err is what the caller gets (nil on success); match it with
	// errors.Is/As, e.g. errors.As(err, &*mysql.MySQLError) for the
	// server's error number.
	Err error
}

// TraceAcquireStartData describes a wait for a connection about to begin.
type TraceAcquireStartData struct {
	Target *TraceTarget
	// Waiting is how many callers were already waiting at the pool's gate.
	Waiting int
}

// TraceAcquireEndData is how a wait for a connection ended.
type TraceAcquireEndData struct {
	// Waited is how long it took, gate and budget together.
	Waited time.Duration
	// Err is why no connection was had (ErrPoolTimeout, the end of ctx,
	// ...), nil when one was.
	Err error
}

// TraceTxStartData describes an attempt of a transaction about to begin.
type TraceTxStartData struct {
	Target *TraceTarget
	// ReadOnly is true for Read, false for Write.
	ReadOnly bool
	// Attempt counts from 1; more with the Retry option.
	Attempt int
}

// TraceTxEndData is how an attempt ended.
type TraceTxEndData struct {
	// Err is the attempt's error, nil when it committed.
	Err error
	// CommitUnknown is errors.Is(Err, ErrCommitUnknown): the COMMIT was
	// sent and its outcome is not known.
	CommitUnknown bool
	// Retried reports that another attempt follows.
	Retried bool
}

// tracers are a pool's tracers, nil where Config.Tracer has none.
type tracers struct {
	query   QueryTracer
	acquire AcquireTracer
	tx      TxTracer
	target  *TraceTarget
}

// newTracers finds the tracer's capabilities; the target is filled in
// once the server is known (setTarget).
func newTracers(t QueryTracer) tracers {
	if t == nil {
		return tracers{}
	}
	tr := tracers{query: t}
	tr.acquire, _ = t.(AcquireTracer)
	tr.tx, _ = t.(TxTracer)
	return tr
}

// traceTarget builds the pool's TraceTarget after Open's probe.
func (p *pool) traceTarget() *TraceTarget {
	t := &TraceTarget{DB: p.name, Schema: cmp.Or(p.cfg.Schema, p.name), System: "mysql"}
	if p.flavour == flavourMariaDB {
		t.System = "mariadb"
	}
	if p.cfg.Server != nil {
		t.Host = p.cfg.Server.Addr
		if p.cfg.Server.Net != "unix" {
			if h, port, err := net.SplitHostPort(p.cfg.Server.Addr); err == nil {
				t.Host = h
				t.Port, _ = strconv.Atoi(port)
			}
		}
	}
	return t
}

// traceAcquire starts the trace of a connection wait (the acquire tracer
// is set); endAcquire ends it.
func (p *pool) traceAcquire(ctx context.Context) context.Context {
	_, waiting, _, _ := p.gate.counts()
	return p.trace.acquire.TraceAcquireStart(ctx, TraceAcquireStartData{Target: p.trace.target, Waiting: waiting})
}

func (p *pool) endAcquire(tctx context.Context, start time.Time, err error) {
	p.trace.acquire.TraceAcquireEnd(tctx, TraceAcquireEndData{Waited: time.Since(start), Err: err})
}

// tracedTx runs one attempt of a transaction under the tx tracer (set).
func (p *pool) tracedTx(ctx context.Context, readOnly bool, attempt, attempts int,
	run func(ctx context.Context) (error, bool),
) (err error, retry bool) {
	tt := p.trace.tx
	tctx := tt.TraceTxStart(ctx, TraceTxStartData{Target: p.trace.target, ReadOnly: readOnly, Attempt: attempt})
	ended := false
	defer func() {
		if !ended { // fn panicked: the panic goes on, the span ends
			tt.TraceTxEnd(tctx, TraceTxEndData{Err: errTxPanicked})
		}
	}()
	err, retry = run(tctx)
	ended = true
	tt.TraceTxEnd(tctx, TraceTxEndData{Err: err, CommitUnknown: errors.Is(err, ErrCommitUnknown),
		Retried: err != nil && retry && attempt < attempts && ctx.Err() == nil})
	return err, retry
}
