package dbx

import (
	"context"
	"runtime"
	"strconv"
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

// queryTimer measures one statement for EventQuery and the slow-query
// warning; the zero value measures nothing.
type queryTimer struct {
	name  string
	start time.Time
}

// startQuery starts timing query on c when someone listens (a hook) or a
// slow-query threshold is set.
func (c *conn) startQuery(query string) queryTimer {
	if c.p.hook == nil && c.p.set.slowQuery <= 0 {
		return queryTimer{}
	}
	return queryTimer{name: queryName(query), start: time.Now()}
}

// startNamed is startQuery for a statement whose name is known (a
// prepared statement).
func (c *conn) startNamed(name string) queryTimer {
	if c.p.hook == nil && c.p.set.slowQuery <= 0 {
		return queryTimer{}
	}
	return queryTimer{name: name, start: time.Now()}
}

// errQ is err for a statement named name: the *DBError says which query
// failed ("dbx: ess: GetLatestBatteryReading: query: ...").
func (c *conn) errQ(ctx context.Context, op, name string, err error) error {
	err = c.err(ctx, op, err)
	if de, ok := err.(*DBError); ok && name != "" && de.Query == "" {
		cp := *de
		cp.Query = name
		return &cp
	}
	return err
}

// done reports the statement's end (for a query: its rows closed) with
// err, the statement's error (nil, or what the caller gets).
func (qt queryTimer) done(c *conn, err error) {
	if qt.start.IsZero() {
		return
	}
	d := time.Since(qt.start)
	p := c.p
	if p.hook != nil {
		// Called directly, once per statement: Config.OnEvent must be fast.
		p.hook(Event{Kind: EventQuery, DB: p.name, Time: time.Now(), Query: qt.name, Held: d, Err: err})
	}
	if s := p.set.slowQuery; s > 0 && d >= s {
		site := slowSite()
		p.emitLater(Event{Kind: EventSlowQuery, Query: qt.name, Site: site, Held: d, Err: err})
	}
}

// cmpErr returns the first non-nil of errs.
func cmpErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// slowSite returns the file:line of the application frame that ran the
// statement that just ended (the caller of database/sql), resolved now:
// the frames are gone once the call returns.
func slowSite() string {
	var pcs [32]uintptr
	n := runtime.Callers(3, pcs[:])
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		pkg := funcPackage(f.Function)
		if pkg != "" && pkg != dbxPkg && pkg != genPkg && !strings.HasPrefix(pkg, genPkg+"/") && pkg != "runtime" &&
			pkg != "database/sql" && !strings.HasPrefix(pkg, "github.com/go-sql-driver/") {
			return f.File + ":" + strconv.Itoa(f.Line)
		}
		if !more {
			return "unknown"
		}
	}
}
