package dbxpage

import (
	"cmp"
	"math/bits"
	"regexp"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/solarhub/hubdb/dbx"
)

// Default sizes of a [Recorder].
const (
	// DefaultWarnings is how many recent warnings a Recorder keeps.
	DefaultWarnings = 200
	// DefaultQueryNames is how many distinct (database, query name) pairs
	// a Recorder tracks.
	DefaultQueryNames = 1000
)

// Names under which statements are aggregated when they have no name of
// their own.
const (
	// Unnamed is the name of SQL without a sqlc "-- name:" header.
	Unnamed = "(unnamed)"
	// Other gathers the statements of names beyond
	// RecorderOptions.QueryNames.
	Other = "(other)"
)

// RecorderOptions configure [NewRecorder].
type RecorderOptions struct {
	// Warnings is how many recent warnings are kept, in a ring (the
	// oldest gives way). Default [DefaultWarnings].
	Warnings int
	// QueryNames bounds the distinct (database, query name) pairs whose
	// latency is aggregated; the statements of further names are counted
	// under [Other] in their database. sqlc names are few, so the bound
	// only matters for an application that runs much unnamed SQL under
	// generated names. Default [DefaultQueryNames].
	QueryNames int
}

// A Recorder keeps what the page shows of a Manager's events: the recent
// warnings and a latency aggregate per query name. Give it the events
// with [Recorder.Instrument] (or call [Recorder.Observe] from your own
// Config.OnEvent) before dbx.Open. Observe is called once per statement
// from the goroutine that ran it: it takes no lock for a known query name
// (a read lock only) and allocates nothing. A Recorder is safe for
// concurrent use; the zero value is not usable, make one with
// [NewRecorder].
type Recorder struct {
	start time.Time

	mu     sync.Mutex // guards ring, next, full
	ring   []Warning
	next   int
	full   bool
	totals [kindSlots]atomic.Int64 // warnings by kind, since start

	qmu      sync.RWMutex
	queries  map[queryKey]*queryAgg
	maxNames int
}

// kindSlots is the size of an array indexed by dbx.EventKind.
const kindSlots = 32

// queryKey identifies one query of one database.
type queryKey struct{ db, name string }

// NewRecorder returns an empty recorder.
func NewRecorder(opts RecorderOptions) *Recorder {
	if opts.Warnings <= 0 {
		opts.Warnings = DefaultWarnings
	}
	if opts.QueryNames <= 0 {
		opts.QueryNames = DefaultQueryNames
	}
	return &Recorder{start: time.Now(), ring: make([]Warning, opts.Warnings),
		queries: map[queryKey]*queryAgg{}, maxNames: opts.QueryNames}
}

// Instrument returns cfg with OnEvent set to record every event in r and
// then call the hook cfg already had, if any (dbxprom's Instrument chains
// the same way, so the two compose in either order).
func (r *Recorder) Instrument(cfg dbx.Config) dbx.Config {
	prev := cfg.OnEvent
	if prev == nil {
		cfg.OnEvent = r.Observe
		return cfg
	}
	cfg.OnEvent = func(ev dbx.Event) {
		r.Observe(ev)
		prev(ev)
	}
	return cfg
}

// WarningKinds are the events a Recorder keeps as warnings: the ones dbx
// logs at warn level, and the budget shrinks after a server refused
// connections.
var WarningKinds = []dbx.EventKind{
	dbx.EventLeak, dbx.EventIdleInTx, dbx.EventPoolTimeout, dbx.EventSlowQuery, dbx.EventCheck, dbx.EventShrink,
}

// isWarning reports whether k is one of WarningKinds.
func isWarning(k dbx.EventKind) bool {
	switch k {
	case dbx.EventLeak, dbx.EventIdleInTx, dbx.EventPoolTimeout, dbx.EventSlowQuery, dbx.EventCheck, dbx.EventShrink:
		return true
	}
	return false
}

// Observe records one event: an EventQuery in its query's aggregate, one
// of [WarningKinds] in the ring of recent warnings; other kinds are
// ignored. Use it as dbx.Config.OnEvent or call it from your own hook.
func (r *Recorder) Observe(ev dbx.Event) {
	switch {
	case ev.Kind == dbx.EventQuery:
		r.agg(ev.DB, ev.Query).observe(ev.Held, ev.Err != nil)
		return
	case !isWarning(ev.Kind):
		return
	}
	if ev.Kind == dbx.EventSlowQuery {
		r.agg(ev.DB, ev.Query).slow.Add(1)
	}
	if int(ev.Kind) < kindSlots {
		r.totals[ev.Kind].Add(1)
	}
	w := Warning{Time: ev.Time, Kind: ev.Kind, KindName: ev.Kind.String(), DB: ev.DB, Query: ev.Query,
		Site: ev.Site, Message: message(ev)}
	switch ev.Kind {
	case dbx.EventPoolTimeout:
		w.Duration = ev.Wait
	case dbx.EventLeak, dbx.EventIdleInTx, dbx.EventSlowQuery:
		w.Duration = ev.Held
	}
	if w.Time.IsZero() {
		w.Time = time.Now()
	}
	r.mu.Lock()
	r.ring[r.next] = w
	r.next++
	if r.next == len(r.ring) {
		r.next, r.full = 0, true
	}
	r.mu.Unlock()
}

// Warnings returns the recent warnings, newest first.
func (r *Recorder) Warnings() []Warning {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.next
	if r.full {
		n = len(r.ring)
	}
	out := make([]Warning, 0, n)
	for i := 1; i <= n; i++ {
		out = append(out, r.ring[(r.next-i+len(r.ring))%len(r.ring)])
	}
	return out
}

// WarningTotals returns how many warnings of each of [WarningKinds] were
// recorded since [NewRecorder], including those the ring no longer
// holds, by kind name (e.g. "leak").
func (r *Recorder) WarningTotals() map[string]int64 {
	out := make(map[string]int64, len(WarningKinds))
	for _, k := range WarningKinds {
		out[k.String()] = r.totals[k].Load()
	}
	return out
}

// Queries returns the aggregate of every query name seen, slowest first:
// by p99, then by maximum, then by database and name.
func (r *Recorder) Queries() []QueryStats {
	r.qmu.RLock()
	out := make([]QueryStats, 0, len(r.queries))
	for k, a := range r.queries {
		out = append(out, a.stats(k))
	}
	r.qmu.RUnlock()
	slices.SortFunc(out, func(a, b QueryStats) int {
		if c := cmp.Compare(b.P99, a.P99); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Max, a.Max); c != 0 {
			return c
		}
		return cmp.Or(cmp.Compare(a.DB, b.DB), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// Since returns when the recorder started counting.
func (r *Recorder) Since() time.Time { return r.start }

// agg returns the aggregate of query name in database db, creating it on
// first use (or the database's Other aggregate once the bound is reached).
func (r *Recorder) agg(db, name string) *queryAgg {
	if name == "" {
		name = Unnamed
	}
	k := queryKey{db, name}
	r.qmu.RLock()
	a := r.queries[k]
	r.qmu.RUnlock()
	if a != nil {
		return a
	}
	r.qmu.Lock()
	defer r.qmu.Unlock()
	if a = r.queries[k]; a != nil {
		return a
	}
	if len(r.queries) >= r.maxNames {
		k.name = Other
		if a = r.queries[k]; a != nil {
			return a
		}
	}
	a = &queryAgg{}
	r.queries[k] = a
	return a
}

// Warning is one recent warning.
type Warning struct {
	// Time is when it happened.
	Time time.Time `json:"time"`
	// Kind is the event's kind; KindName its name, e.g. "leak".
	Kind     dbx.EventKind `json:"-"`
	KindName string        `json:"kind"`
	// DB is the logical database.
	DB string `json:"db"`
	// Query is the statement's sqlc name (slow query).
	Query string `json:"query,omitempty"`
	// Site is the application's file:line that took the connection,
	// began the transaction or ran the statement.
	Site string `json:"site,omitempty"`
	// Duration is how long the connection was held (leak), the
	// transaction idle (idle in transaction), the caller waited (pool
	// timeout) or the statement ran (slow query).
	Duration time.Duration `json:"duration_ns,omitempty"`
	// Message says what happened, with the error if any; anything shaped
	// like a DSN's user:password@ is masked.
	Message string `json:"message"`
}

// message describes ev for the page.
func message(ev dbx.Event) string {
	var s string
	switch ev.Kind {
	case dbx.EventLeak:
		s = "connection held longer than the leak threshold"
	case dbx.EventIdleInTx:
		s = "transaction idle: no statement ran for longer than the threshold"
	case dbx.EventPoolTimeout:
		s = "no connection within the pool timeout"
	case dbx.EventSlowQuery:
		s = "statement ran longer than the slow query threshold"
	case dbx.EventCheck:
		s = "server check"
	case dbx.EventShrink:
		s = "server refused a connection: budget lowered"
	default:
		s = ev.Kind.String()
	}
	switch {
	case ev.Err == nil:
	case ev.Kind == dbx.EventPoolTimeout || ev.Kind == dbx.EventCheck || ev.Kind == dbx.EventShrink:
		s = ev.Err.Error() // dbx's error says it all
	default:
		s += ": " + ev.Err.Error()
	}
	return scrub(s)
}

// userinfo matches a DSN's "user:password@" before "tcp(" or "unix(" (or
// a bare "(").
var userinfo = regexp.MustCompile(`[^\s/@()'"]+:[^\s@]*@([a-z0-9]*\()`)

// scrub masks anything in s shaped like a DSN's credentials. dbx's errors
// carry none; this is a second line of defence for errors from below.
func scrub(s string) string {
	return userinfo.ReplaceAllString(s, "***@$1")
}

// QueryStats is the latency aggregate of one query name.
type QueryStats struct {
	// DB is the logical database; Name the sqlc query name, [Unnamed] or
	// [Other].
	DB   string `json:"db"`
	Name string `json:"name"`
	// Count is how many statements ended; Errors how many of them
	// failed; Slow how many ran past Pool.SlowQueryThreshold.
	Count  int64 `json:"count"`
	Errors int64 `json:"errors"`
	Slow   int64 `json:"slow"`
	// Mean and Max are exact; P99 is the upper bound of the histogram
	// bucket that holds the 99th percentile (buckets a quarter of an
	// octave wide: at most 25 % above the true value), never above Max.
	Mean time.Duration `json:"mean_ns"`
	P99  time.Duration `json:"p99_ns"`
	Max  time.Duration `json:"max_ns"`
}

// queryAgg aggregates one query's durations with atomics only.
type queryAgg struct {
	count, errors, slow atomic.Int64
	sum, max            atomic.Int64 // nanoseconds
	buckets             [numBuckets]atomic.Int64
}

// The histogram: durations in microseconds, buckets of a quarter octave
// (values below 4 µs get a bucket each), up to about 2^37 µs (38 hours);
// longer durations land in the last bucket.
const (
	subBits    = 2
	sub        = 1 << subBits
	maxExp     = 37
	numBuckets = (maxExp-subBits+2)*sub + 1
)

// bucketOf returns the bucket of a duration of us microseconds.
func bucketOf(us uint64) int {
	if us < sub {
		return int(us)
	}
	e := bits.Len64(us) - 1 // us in [2^e, 2^(e+1)), e >= subBits
	m := int(us>>(e-subBits)) & (sub - 1)
	i := (e-subBits+1)*sub + m
	return min(i, numBuckets-1)
}

// bucketUpper returns the exclusive upper bound of bucket i, in
// microseconds.
func bucketUpper(i int) uint64 {
	if i < sub {
		return uint64(i) + 1
	}
	e := i/sub - 1 + subBits
	m := uint64(i % sub)
	return (sub + m + 1) << (e - subBits)
}

// observe records one statement.
func (a *queryAgg) observe(d time.Duration, failed bool) {
	if d < 0 {
		d = 0
	}
	a.count.Add(1)
	if failed {
		a.errors.Add(1)
	}
	a.sum.Add(int64(d))
	for {
		m := a.max.Load()
		if int64(d) <= m || a.max.CompareAndSwap(m, int64(d)) {
			break
		}
	}
	a.buckets[bucketOf(uint64(d/time.Microsecond))].Add(1)
}

// stats reads the aggregate (not atomically as a whole: a statement
// ending meanwhile may be in some fields and not yet in others).
func (a *queryAgg) stats(k queryKey) QueryStats {
	s := QueryStats{DB: k.db, Name: k.name, Count: a.count.Load(), Errors: a.errors.Load(), Slow: a.slow.Load(),
		Max: time.Duration(a.max.Load())}
	if s.Count == 0 {
		return s
	}
	s.Mean = time.Duration(a.sum.Load() / s.Count)
	var counts [numBuckets]int64
	var n int64
	for i := range a.buckets {
		counts[i] = a.buckets[i].Load()
		n += counts[i]
	}
	rank := (99*n + 99) / 100 // ceil(0.99 n)
	var seen int64
	for i, c := range counts {
		seen += c
		if c > 0 && seen >= rank {
			s.P99 = s.Max
			if i < numBuckets-1 { // the last bucket has no upper bound
				s.P99 = min(time.Duration(bucketUpper(i))*time.Microsecond, s.Max)
			}
			break
		}
	}
	return s
}
