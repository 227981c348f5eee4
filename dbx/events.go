package dbx

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// EventKind says what happened to a pool.
type EventKind int

// The pool events. Open, Close, Checkout, Checkin and Invalidate are
// logged at debug level; the others at warn level.
const (
	// EventOpen: a physical connection was opened.
	EventOpen EventKind = iota + 1
	// EventClose: a physical connection was closed (recycled, idle too
	// long, surplus beyond Pool.Size, broken, or the pool closed).
	EventClose
	// EventCheckout: a caller got a connection; Wait is how long it queued.
	EventCheckout
	// EventCheckin: a caller gave its connection back; Held is how long it
	// had it.
	EventCheckin
	// EventInvalidate: a connection was found dead or broken and is
	// discarded (failed liveness check or pre-ping, broken in use); Err
	// says why.
	EventInvalidate
	// EventPoolTimeout: a caller gave up after Pool.Timeout; Err is the
	// ErrPoolTimeout error returned to it.
	EventPoolTimeout
	// EventLeak: a connection has been held longer than
	// Pool.LeakThreshold; Site is where it was taken, Held how long.
	EventLeak
	// EventIdleInTx: a transaction ran no statement for longer than
	// Pool.IdleInTxThreshold; Site is where the transaction was started,
	// Held the gap so far.
	EventIdleInTx
	// EventRetry: a transaction failed with Err and runs again (opt-in
	// retry); Attempt is the attempt that failed.
	EventRetry
	// EventCheck: an open-time check found a problem (Err), reported as a
	// warning because Config.StrictChecks is off.
	EventCheck
	// EventTxEnd: a transaction run by Read or Write ended (one attempt);
	// Held is its duration from BEGIN to COMMIT or ROLLBACK, ReadOnly says
	// which kind it was and Err is what the attempt returned (nil after a
	// commit).
	EventTxEnd
	// EventSteal: an idle connection (ConnID) of this pool was closed to
	// serve another pool on the same server, whose budget was full; Err
	// names the pool it served.
	EventSteal
	// EventShrink: the server refused a connection of this pool with 1040
	// and the server's budget was lowered; Err tells the new budget.
	EventShrink
	// EventKeepAlive: the keepalive closed an idle connection (ConnID)
	// that failed its ping, outlived its jittered lifetime, or was an
	// overflow connection idle longer than Pool.OverflowIdleTime; Err
	// says which.
	EventKeepAlive
	// EventQuery: a statement ended (for a query: its rows were closed):
	// Query is its sqlc name ("" for SQL without a "-- name:" header),
	// Held how long it ran, Err its error. Given only to Config.OnEvent
	// (never logged), directly from the goroutine that ran the statement,
	// once per statement: the hook must be fast (dbxprom's is a histogram
	// observation).
	EventQuery
	// EventSlowQuery: a statement ran longer than Pool.SlowQueryThreshold
	// (logged as a warning): Query, Held, Err as for EventQuery, Site the
	// application's file:line that ran it.
	EventSlowQuery
)

var eventNames = [...]string{
	EventOpen: "open", EventClose: "close", EventCheckout: "checkout", EventCheckin: "checkin",
	EventInvalidate: "invalidate", EventPoolTimeout: "pool timeout", EventLeak: "leak",
	EventIdleInTx: "idle in transaction", EventRetry: "retry", EventCheck: "check",
	EventTxEnd: "transaction end", EventSteal: "steal", EventShrink: "budget shrink",
	EventKeepAlive: "keepalive close", EventQuery: "query", EventSlowQuery: "slow query",
}

// String returns the event's name, e.g. "checkout".
func (k EventKind) String() string {
	if k > 0 && int(k) < len(eventNames) {
		return eventNames[k]
	}
	return "unknown"
}

// Event is one pool event, given to Config.OnEvent and the logger.
type Event struct {
	Kind EventKind
	// DB is the logical database name.
	DB string
	// Time is when the event happened.
	Time time.Time
	// ConnID numbers the physical connection within its pool (open,
	// close, invalidate).
	ConnID uint64
	// Site is the caller's file:line: the first frame outside dbx and
	// gen/ (checkout, checkin, leak, idle-in-transaction, retry).
	Site string
	// Wait is how long the caller queued for a connection (checkout,
	// pool timeout).
	Wait time.Duration
	// Held is how long the connection was held (checkin, leak), the
	// transaction's idle gap (idle-in-transaction) or the connection's idle
	// time (invalidate after pre-ping).
	Held time.Duration
	// Attempt is the failed attempt's number (retry).
	Attempt int
	// Query is the sqlc name of the statement (query, slow query), e.g.
	// "GetLatestBatteryReading".
	Query string
	// ReadOnly reports a read-only transaction (transaction end).
	ReadOnly bool
	// Err is the cause (invalidate, pool timeout, retry, check).
	Err error
}

var eventMessages = [...]string{
	EventOpen: "dbx: connection opened", EventClose: "dbx: connection closed",
	EventCheckout: "dbx: connection checked out", EventCheckin: "dbx: connection checked in",
	EventInvalidate: "dbx: connection invalidated", EventPoolTimeout: "dbx: pool timeout",
	EventLeak:     "dbx: connection held longer than the leak threshold",
	EventIdleInTx: "dbx: transaction idle: no statement ran for longer than the threshold",
	EventRetry:    "dbx: retrying transaction", EventCheck: "dbx: server check",
	EventTxEnd:     "dbx: transaction ended",
	EventSteal:     "dbx: idle connection closed to serve another pool (server budget full)",
	EventShrink:    "dbx: server refused a connection: budget lowered",
	EventKeepAlive: "dbx: idle connection closed by the keepalive",
	EventQuery:     "dbx: statement ended",
	EventSlowQuery: "dbx: slow statement: ran longer than the pool's slow query threshold",
}

// emit fills in DB and Time, calls the hook and logs ev.
func (p *pool) emit(ev Event) {
	ev.DB = p.name
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	if p.hook != nil {
		// after the log line: a hook that sees the event finds it logged
		defer p.hook(ev)
	}
	level := slog.LevelDebug
	switch ev.Kind {
	case EventLeak, EventIdleInTx, EventCheck, EventPoolTimeout, EventSlowQuery:
		level = slog.LevelWarn
	case EventRetry, EventShrink:
		level = slog.LevelInfo
	}
	ctx := context.Background()
	if !p.log.Enabled(ctx, level) {
		return
	}
	var suppressed int64
	if ev.Kind == EventPoolTimeout {
		var ok bool
		if ok, suppressed = p.timeoutLog.allow(ev.Time); !ok {
			return
		}
	}
	attrs := make([]slog.Attr, 0, 7)
	attrs = append(attrs, slog.String("db", p.name))
	if ev.ConnID != 0 {
		attrs = append(attrs, slog.Uint64("conn", ev.ConnID))
	}
	if ev.Query != "" {
		attrs = append(attrs, slog.String("query", ev.Query))
	}
	if ev.Site != "" {
		attrs = append(attrs, slog.String("site", ev.Site))
	}
	if ev.Wait != 0 {
		attrs = append(attrs, slog.Duration("wait", ev.Wait))
	}
	if ev.Held != 0 {
		key := "held"
		switch ev.Kind {
		case EventIdleInTx, EventInvalidate:
			key = "idle"
		case EventSlowQuery:
			key = "took"
		}
		attrs = append(attrs, slog.Duration(key, ev.Held))
	}
	if ev.Attempt != 0 {
		attrs = append(attrs, slog.Int("attempt", ev.Attempt))
	}
	if ev.Err != nil {
		attrs = append(attrs, slog.String("err", ev.Err.Error()))
	}
	if suppressed > 0 {
		attrs = append(attrs, slog.Int64("suppressed", suppressed))
	}
	if ev.Kind == EventCheckout || ev.Kind == EventCheckin || ev.Kind == EventLeak {
		attrs = append(attrs, slog.String("status", p.status().String()))
	}
	p.log.LogAttrs(ctx, level, eventMessages[ev.Kind], attrs...)
}

// wantsSite reports whether checkout/checkin events need the caller's
// site resolved (a hook is set or debug logging is on).
func (p *pool) wantsSite() bool {
	return p.hook != nil || p.log.Enabled(context.Background(), slog.LevelDebug)
}

// PoolTimeoutLogInterval is the least time between two pool-timeout
// warnings a pool writes to Config.Logger: under shed load every caller
// that gives up is an EventPoolTimeout (Config.OnEvent and dbxprom see
// each one), but the log gets one line per interval, whose "suppressed"
// attribute counts the timeouts not logged since the previous line.
const PoolTimeoutLogInterval = time.Second

// logLimiter lets one log line through per PoolTimeoutLogInterval and
// counts the others.
type logLimiter struct {
	mu         sync.Mutex
	last       time.Time
	suppressed int64
}

// allow reports whether a line at now may be written and, if so, how many
// were suppressed before it.
func (l *logLimiter) allow(now time.Time) (bool, int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.last.IsZero() && now.Sub(l.last) < PoolTimeoutLogInterval {
		l.suppressed++
		return false, 0
	}
	n := l.suppressed
	l.last, l.suppressed = now, 0
	return true, n
}
