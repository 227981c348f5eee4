package dbxpage

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/solarhub/hubdb/dbx"
)

// Defaults of [Options].
const (
	// DefaultRefresh is how often the HTML page reloads itself.
	DefaultRefresh = 5 * time.Second
	// DefaultShowWarnings is how many recent warnings the page lists.
	DefaultShowWarnings = 50
	// DefaultShowQueries is how many of the slowest queries it lists.
	DefaultShowQueries = 20
)

// Options configure [New].
type Options struct {
	// Refresh is how often the HTML page reloads itself (a meta refresh;
	// the page has no script). A request's ?refresh=N (seconds; 0 for
	// none) overrides it. Default [DefaultRefresh]; negative: no reload.
	Refresh time.Duration
	// Warnings is how many of the recent warnings the page lists, newest
	// first (the JSON form has every warning the Recorder keeps). Default
	// [DefaultShowWarnings].
	Warnings int
	// Queries is how many of the slowest queries the page lists (the JSON
	// form has all). Default [DefaultShowQueries].
	Queries int
	// Title heads the page, e.g. the service's name. Default "dbx pools".
	Title string
}

// Page is the http.Handler of the pool page. Make it with [New]; it is
// safe for concurrent use.
type Page struct {
	m    *dbx.Manager
	rec  *Recorder
	opts Options
}

// New returns the page of m's pools. rec, made with [NewRecorder] and
// given m's events through its Instrument before dbx.Open, supplies the
// recent warnings and the slowest queries; with a nil rec the page shows
// the pools and servers only. m must not be nil.
//
// New registers nothing anywhere: mount the page on a mux of your own,
// behind your application's authorization (see the package doc).
func New(m *dbx.Manager, rec *Recorder, opts Options) *Page {
	if m == nil {
		panic("dbxpage: New with a nil *dbx.Manager")
	}
	if opts.Refresh == 0 {
		opts.Refresh = DefaultRefresh
	}
	if opts.Warnings <= 0 {
		opts.Warnings = DefaultShowWarnings
	}
	if opts.Queries <= 0 {
		opts.Queries = DefaultShowQueries
	}
	if opts.Title == "" {
		opts.Title = "dbx pools"
	}
	return &Page{m: m, rec: rec, opts: opts}
}

// Snapshot is what the page shows, read at one moment (each pool's
// numbers are consistent with one another; the servers' sums are read
// just after the pools and may differ from them under load). It is also
// the page's JSON form (?format=json).
type Snapshot struct {
	// Time is when the snapshot was taken.
	Time time.Time `json:"time"`
	// Servers are the servers, sorted by address, each with its pools.
	Servers []Server `json:"servers"`
	// Recording says whether a Recorder feeds the page; Since is when it
	// started.
	Recording bool      `json:"recording"`
	Since     time.Time `json:"since,omitzero"`
	// Warnings are the recent warnings, newest first.
	Warnings []Warning `json:"warnings"`
	// WarningTotals counts the warnings by kind name since Since.
	WarningTotals map[string]int64 `json:"warning_totals,omitempty"`
	// Queries are the query aggregates, slowest first.
	Queries []QueryStats `json:"queries"`
}

// Server is one server's connection budget and pools. It holds the
// address only: never a user or password.
type Server struct {
	// Addr is the address as configured (host:port or a socket path);
	// ID is the server's own @@hostname:@@port.
	Addr string `json:"addr"`
	ID   string `json:"id"`
	// Budget is the connection budget in force, Ceiling what it grows
	// back to (0: no limit known), MaxConnections the server's
	// max_connections.
	Budget         int `json:"budget"`
	Ceiling        int `json:"ceiling"`
	MaxConnections int `json:"max_connections"`
	// Open, InUse and Idle count the connections of all its pools;
	// Waiting sums the callers queued at the pools; BudgetWaiting counts
	// those waiting for a permit of the budget.
	Open          int `json:"open"`
	InUse         int `json:"in_use"`
	Idle          int `json:"idle"`
	Waiting       int `json:"waiting"`
	BudgetWaiting int `json:"budget_waiting"`
	// Steals, Shrinks, Refused and BudgetTimeouts are the counters of
	// [dbx.ServerStatus].
	Steals         int64 `json:"steals"`
	Shrinks        int64 `json:"shrinks"`
	Refused        int64 `json:"refused"`
	BudgetTimeouts int64 `json:"budget_timeouts"`
	// Pools are the server's pools, sorted by database.
	Pools []Pool `json:"pools"`
}

// Pool is one database's pool.
type Pool struct {
	// DB is the logical database.
	DB string `json:"db"`
	// Size and Overflow are the limits (Overflow -1: unlimited); Max is
	// Size+Overflow, 0 when unlimited.
	Size     int `json:"size"`
	Overflow int `json:"overflow"`
	Max      int `json:"max"`
	// Open, InUse, Idle and Waiting are as in [dbx.Status].
	Open    int `json:"open"`
	InUse   int `json:"in_use"`
	Idle    int `json:"idle"`
	Waiting int `json:"waiting"`
	// WaitCount, Timeouts and Leaks count since the pool opened: callers
	// that queued, that gave up (ErrPoolTimeout), connections reported
	// as leaked.
	WaitCount int64 `json:"wait_count"`
	Timeouts  int64 `json:"timeouts"`
	Leaks     int64 `json:"leaks"`
	// Statements counts the statements prepared on its connections now.
	Statements int64 `json:"statements"`
}

// Snapshot reads the pools, servers and, with a Recorder, the warnings
// and queries.
func (p *Page) Snapshot() Snapshot {
	now := time.Now()
	statuses := p.m.Status()
	servers := p.m.Servers()
	s := Snapshot{Time: now, Warnings: []Warning{}, Queries: []QueryStats{}}
	placed := map[string]bool{}
	for _, ss := range servers {
		srv := Server{Addr: ss.Addr, ID: ss.Server, Budget: ss.Budget, Ceiling: ss.Ceiling,
			MaxConnections: ss.MaxConnections, Open: ss.Open, InUse: ss.InUse, Idle: ss.Idle,
			BudgetWaiting: ss.BudgetWaiting, Steals: ss.Steals, Shrinks: ss.Shrinks, Refused: ss.Refused,
			BudgetTimeouts: ss.BudgetTimeouts, Pools: []Pool{}}
		for _, st := range statuses {
			if _, ok := ss.Pools[st.DB]; ok && !placed[st.DB] {
				placed[st.DB] = true
				srv.Pools = append(srv.Pools, poolOf(st))
				srv.Waiting += st.Waiting
			}
		}
		s.Servers = append(s.Servers, srv)
	}
	var rest []Pool
	for _, st := range statuses {
		if !placed[st.DB] {
			rest = append(rest, poolOf(st))
		}
	}
	if len(rest) > 0 { // not expected: every pool joins its server's budget
		srv := Server{Addr: "(unknown server)", Pools: rest}
		for _, q := range rest {
			srv.Open += q.Open
			srv.InUse += q.InUse
			srv.Idle += q.Idle
			srv.Waiting += q.Waiting
		}
		s.Servers = append(s.Servers, srv)
	}
	slices.SortStableFunc(s.Servers, func(a, b Server) int { return strings.Compare(a.Addr, b.Addr) })
	if p.rec != nil {
		s.Recording, s.Since = true, p.rec.Since()
		s.Warnings = p.rec.Warnings()
		s.WarningTotals = p.rec.WarningTotals()
		s.Queries = p.rec.Queries()
	}
	return s
}

// poolOf converts a status.
func poolOf(st dbx.Status) Pool {
	return Pool{DB: st.DB, Size: st.Size, Overflow: st.Overflow, Max: st.Max(), Open: st.Open, InUse: st.InUse,
		Idle: st.Idle, Waiting: st.Waiting, WaitCount: st.WaitCount, Timeouts: st.Timeouts, Leaks: st.Leaks,
		Statements: st.Statements.Cached}
}

//go:embed page.html
var pageHTML string

//go:embed style.css
var styleCSS string

// csp allows the page's one style sheet (by its hash) and nothing else:
// no script, no image, no form, no frame, no connection.
var csp = func() string {
	sum := sha256.Sum256([]byte(styleCSS))
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) +
		"'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}()

var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{
	"dur":       formatDuration,
	"clock":     func(t time.Time) string { return t.Format("15:04:05.000") },
	"ago":       func(now, t time.Time) string { return formatDuration(now.Sub(t).Round(time.Second)) },
	"shortsite": shortSite,
	"limit": func(n int) string {
		if n == 0 {
			return "unlimited"
		}
		return strconv.Itoa(n)
	},
	"overflow": func(n int) string {
		if n == dbx.Unlimited {
			return "unlimited"
		}
		return strconv.Itoa(n)
	},
	"seconds": func(d time.Duration) int { return int(d / time.Second) },
}).Parse(pageHTML))

// view is the template's data.
type view struct {
	Snapshot
	Title     string
	CSS       template.CSS
	Refresh   time.Duration
	Warnings  []Warning // at most Options.Warnings
	Queries   []QueryStats
	MoreWarn  int // warnings not listed
	MoreQuery int
	Kinds     []kindTotal
}

// kindTotal is one entry of the totals line.
type kindTotal struct {
	Name string
	N    int64
}

// ServeHTTP serves the page: HTML, or JSON with ?format=json. It answers
// GET and HEAD only, and takes no action. ?refresh=N sets the HTML page's
// reload interval in seconds (0: none).
func (p *Page) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		serveError(w, http.StatusMethodNotAllowed, "dbxpage: method not allowed: the page only answers GET")
		return
	}
	q := r.URL.Query()
	refresh := p.opts.Refresh
	if v := q.Get("refresh"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 86400 {
			serveError(w, http.StatusBadRequest, "dbxpage: refresh must be a number of seconds from 0 to 86400")
			return
		}
		refresh = time.Duration(n) * time.Second
	}
	snap := p.Snapshot()
	var buf bytes.Buffer
	switch f := q.Get("format"); f {
	case "json":
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		if err := enc.Encode(snap); err != nil {
			serveError(w, http.StatusInternalServerError, "dbxpage: encode: "+err.Error())
			return
		}
		h.Set("Content-Type", "application/json; charset=utf-8")
	case "", "html":
		v := view{Snapshot: snap, Title: p.opts.Title, CSS: template.CSS(styleCSS), Refresh: refresh,
			Warnings: snap.Warnings, Queries: snap.Queries}
		if len(v.Warnings) > p.opts.Warnings {
			v.MoreWarn = len(v.Warnings) - p.opts.Warnings
			v.Warnings = v.Warnings[:p.opts.Warnings]
		}
		if len(v.Queries) > p.opts.Queries {
			v.MoreQuery = len(v.Queries) - p.opts.Queries
			v.Queries = v.Queries[:p.opts.Queries]
		}
		for _, k := range WarningKinds {
			v.Kinds = append(v.Kinds, kindTotal{k.String(), snap.WarningTotals[k.String()]})
		}
		if err := pageTemplate.Execute(&buf, v); err != nil {
			serveError(w, http.StatusInternalServerError, "dbxpage: render: "+err.Error())
			return
		}
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Security-Policy", csp)
	default:
		serveError(w, http.StatusBadRequest, fmt.Sprintf("dbxpage: unknown format %q: use html or json", f))
		return
	}
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}

// serveError writes a plain-text error (the message is ours: it holds no
// input but a format name, which %q quotes).
func serveError(w http.ResponseWriter, code int, msg string) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Del("Content-Length")
	w.WriteHeader(code)
	_, _ = fmt.Fprintln(w, msg)
}

// formatDuration rounds d to three or four significant digits, e.g.
// "52.13ms", "1.2s".
func formatDuration(d time.Duration) string {
	switch {
	case d >= time.Minute:
		d = d.Round(time.Second)
	case d >= time.Second:
		d = d.Round(10 * time.Millisecond)
	case d >= time.Millisecond:
		d = d.Round(10 * time.Microsecond)
	case d >= time.Microsecond:
		d = d.Round(10 * time.Nanosecond)
	}
	return d.String()
}

// shortSite keeps the last directory and the file of a file:line, e.g.
// "api/latest.go:42" (the page shows the full site in a tooltip).
func shortSite(site string) string {
	dir, file := filepath.Split(site)
	if dir == "" {
		return site
	}
	return filepath.Base(dir) + "/" + file
}
