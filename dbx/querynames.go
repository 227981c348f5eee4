package dbx

import (
	"context"
	"runtime"
	"strings"
	"time"
)

// sqlc starts every query's text with "-- name: <Name> :<kind>": dbx
// reads the name there (a prefix check, no SQL parsing) and uses it in
// errors (DBError.Query), events (Event.Query: EventQuery, EventSlowQuery)
// and dbxprom's per-query series. The comment travels to the server with
// the statement, so SHOW PROCESSLIST and the slow query log show it too.

// queryName returns the sqlc name of query, or "" for SQL without one.
// A per-transaction statement timeout's "SET STATEMENT … FOR " prefix is
// looked past.
func queryName(query string) string {
	head := query
	if len(head) > 160 {
		head = head[:160]
	}
	i := strings.Index(head, "-- name: ")
	if i < 0 {
		return ""
	}
	rest := query[i+len("-- name: "):]
	end := 0
	for end < len(rest) && isNameByte(rest[end]) {
		end++
	}
	return rest[:end]
}

func isNameByte(b byte) bool {
	return b == '_' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
}

// queryTimer is one statement: its text, for the name its error and
// events carry (read only when one is reported), and, when someone
// listens (a hook) or a slow-query threshold is set, its start.
type queryTimer struct {
	query string
	start time.Time       // zero: not timed
	tctx  context.Context // the tracer's context; nil: not traced
}

// startQuery starts the statement query on c, run with ctx.
func (c *conn) startQuery(ctx context.Context, query string) queryTimer {
	qt := queryTimer{query: query}
	if c.p.hook != nil || c.p.set.slowQuery > 0 {
		qt.start = time.Now()
	}
	if t := c.p.trace.query; t != nil {
		qt.tctx = t.TraceQueryStart(ctx, TraceQueryStartData{Target: c.p.trace.target, Name: queryName(query), Query: query})
	}
	return qt
}

// errQ is err for the statement query: the *DBError says which query
// failed ("dbx: ess: GetLatestBatteryReading: query: ...").
func (c *conn) errQ(ctx context.Context, op, query string, err error) error {
	err = c.err(ctx, op, err)
	if de, ok := err.(*DBError); ok && de.Query == "" {
		if name := queryName(query); name != "" {
			cp := *de
			cp.Query = name
			return &cp
		}
	}
	return err
}

// done reports the statement's end (for a query: its rows closed) with
// err, the statement's error (nil, or what the caller gets).
func (qt queryTimer) done(c *conn, err error) {
	if qt.tctx != nil {
		c.p.trace.query.TraceQueryEnd(qt.tctx, TraceQueryEndData{Err: err})
	}
	if qt.start.IsZero() {
		return
	}
	d := time.Since(qt.start)
	p := c.p
	name := queryName(qt.query)
	if p.hook != nil {
		// Called directly, once per statement: Config.OnEvent must be fast.
		p.hook(Event{Kind: EventQuery, DB: p.name, Time: time.Now(), Query: name, Held: d, Err: err})
	}
	if s := p.set.slowQuery; s > 0 && d >= s {
		site := slowSite()
		p.emitLater(Event{Kind: EventSlowQuery, Query: name, Site: site, Held: d, Err: err})
	}
}

// slowSite returns the file:line of the application frame that ran the
// statement that just ended (the caller of database/sql), resolved now:
// the frames are gone once the call returns.
func slowSite() string {
	var pcs [32]uintptr // database/sql's frames sit between the caller and dbx
	return appFrame(pcs[:runtime.Callers(3, pcs[:])])
}
