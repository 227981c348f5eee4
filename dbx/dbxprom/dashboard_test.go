package dbxprom_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/solarhub/hubdb/dbx"
	"github.com/solarhub/hubdb/dbx/dbxprom"
	"github.com/solarhub/hubdb/hubtest"
)

// dashboardFile is the Grafana dashboard over dbxprom's series (README:
// "Metrics"; import it in Grafana under Dashboards > New > Import).
const dashboardFile = "grafana/hubdb.json"

// TestDashboard parses the Grafana dashboard and checks every PromQL
// expression in it (panels, panels nested in collapsed rows, template
// variables) against what dbxprom really exports: its collector is
// registered on a fresh registry for a Manager on a test database, a few
// statements and transactions give the per-query series and the
// histograms their samples, and the gathered families are the reference.
// A metric name the dashboard uses must be one of them (a histogram's
// _bucket, _sum or _count), and every label in a selector, a by (...)
// clause or a legend must be one of that series' labels.
func TestDashboard(t *testing.T) {
	raw, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	exp := exportedSeries(t)

	t.Run("structure", func(t *testing.T) {
		var d dashboard
		if err := json.Unmarshal(raw, &d); err != nil {
			t.Fatalf("%s: %v", dashboardFile, err)
		}
		for _, p := range checkStructure(d) {
			t.Error(p)
		}
	})

	t.Run("series", func(t *testing.T) {
		problems, used, err := checkDashboard(raw, exp)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range problems {
			t.Error(p)
		}
		// The panels the dashboard is for: if one of these series drops
		// out of it, a panel went missing.
		for _, name := range []string{
			"dbx_pool_connections_in_use", "dbx_pool_connections_max", "dbx_pool_waiting",
			"dbx_pool_timeouts_total", "dbx_connection_wait_seconds_bucket", "dbx_connection_hold_seconds_bucket",
			"dbx_transaction_duration_seconds_bucket", "dbx_query_duration_seconds_bucket",
			"dbx_query_errors_total", "dbx_slow_queries_total", "dbx_server_budget_connections",
			"dbx_server_connections_open", "dbx_server_steals_total", "dbx_server_connects_refused_total",
		} {
			if !used[name] {
				t.Errorf("the dashboard does not use %s", name)
			}
		}
		var unused []string
		for name := range exp.labels {
			if !used[name] && !strings.HasSuffix(name, "_bucket") && !strings.HasSuffix(name, "_sum") {
				unused = append(unused, name)
			}
		}
		sort.Strings(unused)
		t.Logf("%d series used; exported, on no panel: %v", len(used), unused)
	})

	// The checker itself: a dashboard naming a series or a label that
	// dbxprom does not export must fail, or renaming a series would go
	// unnoticed.
	t.Run("catches renames", func(t *testing.T) {
		for _, c := range []struct{ name, from, to, want string }{
			{"renamed gauge", "dbx_pool_connections_in_use{", "dbx_pool_connections_busy{", "dbx_pool_connections_busy is not a series"},
			{"made-up counter", "dbx_pool_timeouts_total", "dbx_pool_gave_up_total", "dbx_pool_gave_up_total is not a series"},
			{"renamed histogram", "dbx_connection_wait_seconds_bucket", "dbx_pool_wait_seconds_bucket", "dbx_pool_wait_seconds_bucket is not a series"},
			{"bare histogram", "dbx_connection_hold_seconds_bucket", "dbx_connection_hold_seconds", "a histogram: use dbx_connection_hold_seconds_bucket"},
			{"renamed label in a selector", `dbx_pool_waiting{db=~`, `dbx_pool_waiting{database=~`, `label "database" in a selector is not on dbx_pool_waiting`},
			{"renamed label in by", "by (db, query, le)", "by (db, name, le)", `label "name" in by (...)`},
			{"label of another series", `dbx_server_steals_total{server=~`, `dbx_server_steals_total{db=~`, `label "db" in a selector is not on dbx_server_steals_total`},
			{"variable query", "label_values(dbx_pool_connections_max, db)", "label_values(dbx_pool_size, db)", "dbx_pool_size is not a series"},
			{"legend label", `"{{db}} {{mode}} p99"`, `"{{db}} {{kind}} p99"`, `legend label "kind"`},
			{"unknown variable", "$topk", "$top", `unknown variable $top`},
		} {
			if !strings.Contains(string(raw), c.from) {
				t.Errorf("%s: the dashboard has no %q to change", c.name, c.from)
				continue
			}
			broken := strings.ReplaceAll(string(raw), c.from, c.to)
			problems, _, err := checkDashboard([]byte(broken), exp)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, c.want) }) {
				t.Errorf("%s: %q -> %q: no problem %q reported, got %q", c.name, c.from, c.to, c.want, problems)
			}
		}
	})
}

// TestCheckExpr runs the expression checker on expressions the dashboard
// does not have, against a fixed set of series.
func TestCheckExpr(t *testing.T) {
	exp := exported{
		labels: map[string]map[string]bool{
			"a_total":          {"db": true},
			"h_seconds_bucket": {"db": true, "le": true},
			"h_seconds_sum":    {"db": true},
			"h_seconds_count":  {"db": true},
		},
		histograms: map[string]bool{"h_seconds": true},
	}
	vars := map[string]bool{"db": true}
	for _, c := range []struct {
		expr string
		want []string // substrings of the problems, in order; none: valid
	}{
		{`sum(rate(a_total{db=~"$db"}[5m])) by (db)`, nil},
		{`sum without (db) (a_total) > bool 0 or vector(0)`, nil},
		{`histogram_quantile(0.9, sum by (le) (rate(h_seconds_bucket[$__rate_interval] offset 1h)))`, nil},
		{`rate(h_seconds_sum[5m:1m]) / on (db) rate(h_seconds_count[5m])`, nil},
		{`label_replace(a_total, "x", "$1", "db", "(.*)")`, nil},
		{`# a comment naming b_total
a_total`, nil},
		{`sum by (le) (a_total)`, []string{`label "le" in by (...) is not on a_total`}},
		{`sum(h_seconds_bucket) by (db, mode)`, []string{`label "mode" in by (...) is not on h_seconds_bucket`}},
		{`rate(b_total[1m]) + h_seconds`, []string{"b_total is not a series", "h_seconds is a histogram"}},
		{`{db="x"}`, []string{"a selector without a metric name"}},
		{`rates(a_total[1m])`, []string{`unknown function "rates"`}},
		{`a_total{server="x"}`, []string{`label "server" in a selector is not on a_total`}},
		{`a_total * on (mode) h_seconds_sum`, []string{`label "mode" in on (...)`, `label "mode" in on (...)`}},
		{`sum(a_total{db="$nope"})`, []string{"unknown variable $nope"}},
		{`sum(a_total`, []string{"unbalanced"}},
	} {
		got := checkExpr(c.expr, "", exp, vars)
		if len(got) != len(c.want) {
			t.Errorf("%q: problems %q, want %d like %q", c.expr, got, len(c.want), c.want)
			continue
		}
		for i, w := range c.want {
			if !strings.Contains(got[i], w) {
				t.Errorf("%q: problem %q, want one with %q", c.expr, got[i], w)
			}
		}
	}
}

// exported is what dbxprom's registry gathers: each series name (a
// histogram as its _bucket, _sum and _count) with its label names, and
// the histograms' base names.
type exported struct {
	labels     map[string]map[string]bool
	histograms map[string]bool
}

// exportedSeries registers dbxprom for a Manager on a migrated ess
// database, runs a named and an unnamed statement, a Read and a Write
// (so that the per-query series exist and every histogram has samples)
// and returns the gathered series.
func exportedSeries(t *testing.T) exported {
	t.Helper()
	metrics := dbxprom.New()
	cfg := metrics.Instrument(hubtest.New(t, "ess").Config())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	mgr, err := dbx.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = mgr.Close() })
	reg := prometheus.NewPedanticRegistry()
	if err := metrics.Register(reg, mgr); err != nil {
		t.Fatal(err)
	}
	ess, err := dbx.Bind(mgr, "ess", func(q dbx.DBTX) dbx.DBTX { return q })
	if err != nil {
		t.Fatal(err)
	}
	one := func(ctx context.Context, q dbx.DBTX, sql string) error {
		var n int
		if err := q.QueryRowContext(ctx, sql).Scan(&n); err != nil {
			return fmt.Errorf("%s: %w", sql, err)
		}
		return nil
	}
	if err := one(ctx, ess.Queries(ctx), "-- name: DashboardProbe :one\nSELECT 1"); err != nil {
		t.Fatal(err)
	}
	if err := one(ctx, ess.Queries(ctx), "SELECT 2"); err != nil {
		t.Fatal(err)
	}
	if err := ess.Read(ctx, func(ctx context.Context, q dbx.DBTX) error { return one(ctx, q, "SELECT 3") }); err != nil {
		t.Fatal(err)
	}
	if err := ess.Write(ctx, func(ctx context.Context, q dbx.DBTX) error { return one(ctx, q, "SELECT 4") }); err != nil {
		t.Fatal(err)
	}

	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	exp := exported{labels: map[string]map[string]bool{}, histograms: map[string]bool{}}
	add := func(name string, labels []string, extra ...string) {
		ls := exp.labels[name]
		if ls == nil {
			ls = map[string]bool{}
			exp.labels[name] = ls
		}
		for _, l := range append(labels, extra...) {
			ls[l] = true
		}
	}
	sampled := map[string]bool{}
	for _, mf := range mfs {
		name := mf.GetName()
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName())
			}
			switch mf.GetType().String() {
			case "HISTOGRAM":
				exp.histograms[name] = true
				sampled[name] = sampled[name] || m.GetHistogram().GetSampleCount() > 0
				add(name+"_bucket", labels, "le")
				add(name+"_sum", labels)
				add(name+"_count", labels)
			case "SUMMARY":
				add(name, labels, "quantile")
				add(name+"_sum", labels)
				add(name+"_count", labels)
			default:
				add(name, labels)
			}
		}
	}
	for _, h := range []string{"dbx_connection_wait_seconds", "dbx_connection_hold_seconds",
		"dbx_transaction_duration_seconds", "dbx_query_duration_seconds"} {
		if !sampled[h] {
			t.Errorf("%s has no samples after the test's statements", h)
		}
	}
	return exp
}

// dashboard is the part of a Grafana dashboard model the test reads.
type dashboard struct {
	Title         string  `json:"title"`
	UID           string  `json:"uid"`
	SchemaVersion int     `json:"schemaVersion"`
	Panels        []panel `json:"panels"`
	Templating    struct {
		List []variable `json:"list"`
	} `json:"templating"`
}

// panel is a dashboard panel; a row holds its panels when collapsed.
type panel struct {
	ID         int             `json:"id"`
	Type       string          `json:"type"`
	Title      string          `json:"title"`
	Datasource *datasourceRef  `json:"datasource"`
	GridPos    *gridPos        `json:"gridPos"`
	Targets    []target        `json:"targets"`
	Panels     []panel         `json:"panels"`
	Collapsed  bool            `json:"collapsed"`
	Options    json.RawMessage `json:"options"`
}

type gridPos struct{ H, W, X, Y int }

type target struct {
	Expr         string         `json:"expr"`
	LegendFormat string         `json:"legendFormat"`
	RefID        string         `json:"refId"`
	Datasource   *datasourceRef `json:"datasource"`
}

type datasourceRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

// variable is a template variable. Query is a string (datasource, custom)
// or, for Prometheus query variables of Grafana 10 and later, an object
// with the query in "query".
type variable struct {
	Name       string          `json:"name"`
	Type       string          `json:"type"`
	Query      json.RawMessage `json:"query"`
	Definition string          `json:"definition"`
	Datasource *datasourceRef  `json:"datasource"`
}

// query returns the variable's query text.
func (v variable) query() string {
	var s string
	if json.Unmarshal(v.Query, &s) == nil {
		return s
	}
	var o struct {
		Query string `json:"query"`
	}
	_ = json.Unmarshal(v.Query, &o)
	return o.Query
}

// walk calls fn on every panel, rows' nested panels included.
func walk(ps []panel, fn func(p panel)) {
	for _, p := range ps {
		fn(p)
		walk(p.Panels, fn)
	}
}

const datasourceVar = "${datasource}"

// checkStructure checks what makes the dashboard importable and usable:
// the schema version, the datasource and db variables, every panel on
// the Prometheus datasource variable, unique ids, positions on the grid.
func checkStructure(d dashboard) []string {
	var problems []string
	bad := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	if d.SchemaVersion < 36 {
		bad("schemaVersion %d, want at least 36", d.SchemaVersion)
	}
	if d.Title == "" || d.UID == "" {
		bad("title %q, uid %q: want both", d.Title, d.UID)
	}
	vars := map[string]variable{}
	for _, v := range d.Templating.List {
		vars[v.Name] = v
	}
	if v, ok := vars["datasource"]; !ok || v.Type != "datasource" || v.query() != "prometheus" {
		bad("no datasource variable of type datasource for prometheus: %+v", v)
	}
	if v, ok := vars["db"]; !ok || v.Type != "query" || !strings.HasPrefix(v.query(), "label_values(") ||
		!strings.HasSuffix(v.query(), ", db)") || v.Datasource == nil || v.Datasource.UID != datasourceVar {
		bad("no db variable from label_values(..., db) on %s: %+v", datasourceVar, v)
	}
	ids := map[int]string{}
	n := 0
	walk(d.Panels, func(p panel) {
		if p.Title == "" {
			bad("panel %d has no title", p.ID)
		}
		if other, dup := ids[p.ID]; dup || p.ID <= 0 {
			bad("panel %q: id %d (also %q)", p.Title, p.ID, other)
		}
		ids[p.ID] = p.Title
		if g := p.GridPos; g == nil || g.W < 1 || g.H < 1 || g.X < 0 || g.X+g.W > 24 {
			bad("panel %q: gridPos %+v off the 24-column grid", p.Title, p.GridPos)
		}
		if p.Type == "row" {
			if len(p.Panels) > 0 && !p.Collapsed {
				bad("row %q holds panels but is not collapsed", p.Title)
			}
			return
		}
		n++
		if p.Datasource == nil || p.Datasource.Type != "prometheus" || p.Datasource.UID != datasourceVar {
			bad("panel %q: datasource %+v, want prometheus %s", p.Title, p.Datasource, datasourceVar)
		}
		if len(p.Targets) == 0 {
			bad("panel %q has no queries", p.Title)
		}
		for _, tg := range p.Targets {
			if strings.TrimSpace(tg.Expr) == "" || tg.RefID == "" {
				bad("panel %q: a target without expr or refId", p.Title)
			}
			if tg.Datasource != nil && tg.Datasource.UID != datasourceVar {
				bad("panel %q, query %s: datasource %+v", p.Title, tg.RefID, tg.Datasource)
			}
		}
	})
	if n < 10 {
		bad("%d panels, want the dashboard's dozen or more", n)
	}
	return problems
}

// grafanaVars are the variables Grafana defines itself.
var grafanaVars = map[string]bool{
	"__rate_interval": true, "__interval": true, "__interval_ms": true, "__range": true,
	"__range_s": true, "__range_ms": true, "__from": true, "__to": true, "__dashboard": true,
}

// checkDashboard checks every expression of a dashboard's JSON against
// exp and returns the problems found and the series names used.
func checkDashboard(raw []byte, exp exported) (problems []string, used map[string]bool, err error) {
	var d dashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, nil, fmt.Errorf("parsing the dashboard: %w", err)
	}
	vars := map[string]bool{}
	for _, v := range d.Templating.List {
		vars[v.Name] = true
	}
	used = map[string]bool{}
	note := func(where string, ps []string) {
		for _, p := range ps {
			problems = append(problems, where+": "+p)
		}
	}
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		note("variable $"+v.Name, checkVariableQuery(v.query(), exp, vars, used))
	}
	walk(d.Panels, func(p panel) {
		for _, tg := range p.Targets {
			if tg.Expr == "" {
				continue
			}
			note(fmt.Sprintf("panel %q, query %s", p.Title, tg.RefID), checkExprUsed(tg.Expr, tg.LegendFormat, exp, vars, used))
		}
	})
	return problems, used, nil
}

// labelValues is a Prometheus variable query: label_values(label) or
// label_values(selector, label).
var labelValues = regexp.MustCompile(`^\s*label_values\(\s*(?:(.+?)\s*,\s*)?([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$`)

func checkVariableQuery(q string, exp exported, vars, used map[string]bool) []string {
	m := labelValues.FindStringSubmatch(q)
	if m == nil {
		return []string{fmt.Sprintf("query %q: want label_values(series, label)", q)}
	}
	if m[1] == "" {
		return []string{fmt.Sprintf("query %q: name the series: label_values(series, %s)", q, m[2])}
	}
	return checkExprUsed(m[1], "{{"+m[2]+"}}", exp, vars, used)
}

// checkExpr checks one PromQL expression (and the labels its legend
// format names) against exp; vars are the dashboard's variables.
func checkExpr(expr, legend string, exp exported, vars map[string]bool) []string {
	return checkExprUsed(expr, legend, exp, vars, map[string]bool{})
}

// PromQL's words that are not series names.
var (
	aggregators = set("sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
		"bottomk", "topk", "quantile", "limitk", "limit_ratio")
	functions = set("abs", "absent", "absent_over_time", "ceil", "changes", "clamp", "clamp_max", "clamp_min",
		"day_of_month", "day_of_week", "day_of_year", "days_in_month", "delta", "deriv", "exp", "floor",
		"histogram_avg", "histogram_count", "histogram_fraction", "histogram_quantile", "histogram_stddev",
		"histogram_stdvar", "histogram_sum", "holt_winters", "double_exponential_smoothing", "hour", "idelta",
		"increase", "irate", "label_join", "label_replace", "ln", "log2", "log10", "minute", "month",
		"predict_linear", "rate", "resets", "round", "scalar", "sgn", "sort", "sort_desc", "sort_by_label",
		"sort_by_label_desc", "sqrt", "time", "timestamp", "vector", "year", "avg_over_time", "min_over_time",
		"max_over_time", "sum_over_time", "count_over_time", "quantile_over_time", "stddev_over_time",
		"stdvar_over_time", "last_over_time", "present_over_time", "mad_over_time", "acos", "acosh", "asin",
		"asinh", "atan", "atanh", "cos", "cosh", "sin", "sinh", "tan", "tanh", "deg", "rad", "pi")
	operatorWords = set("and", "or", "unless", "bool", "atan2", "inf", "nan")
)

func set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// token is one lexeme of a PromQL expression.
type token struct {
	kind byte // 'i' identifier, 'n' number or duration, 's' string, 'v' variable, 'r' a [range], or the punctuation itself
	text string
}

// tokenize splits a PromQL expression (with Grafana variables) into
// tokens; ranges and subqueries ([5m], [$__rate_interval], [5m:1m]) are
// one token each.
func tokenize(expr string) ([]token, error) {
	var toks []token
	isIdentStart := func(c byte) bool { return c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
	isIdent := func(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }
	for i := 0; i < len(expr); {
		c := expr[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '#':
			for i < len(expr) && expr[i] != '\n' {
				i++
			}
		case c == '"' || c == '\'' || c == '`':
			j := i + 1
			for j < len(expr) && expr[j] != c {
				if expr[j] == '\\' && c != '`' {
					j++
				}
				j++
			}
			if j >= len(expr) {
				return nil, fmt.Errorf("unterminated string at %d", i)
			}
			toks = append(toks, token{'s', expr[i+1 : j]})
			i = j + 1
		case c == '$':
			j := i + 1
			if j < len(expr) && expr[j] == '{' {
				k := strings.IndexByte(expr[j:], '}')
				if k < 0 {
					return nil, fmt.Errorf("unterminated ${ at %d", i)
				}
				name, _, _ := strings.Cut(expr[j+1:j+k], ":") // ${var:format}
				toks = append(toks, token{'v', name})
				i = j + k + 1
				continue
			}
			for j < len(expr) && isIdent(expr[j]) {
				j++
			}
			toks = append(toks, token{'v', expr[i+1 : j]})
			i = j
		case c == '[':
			k := strings.IndexByte(expr[i:], ']')
			if k < 0 {
				return nil, fmt.Errorf("unterminated [ at %d", i)
			}
			toks = append(toks, token{'r', expr[i+1 : i+k]})
			i += k + 1
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(expr) && expr[i+1] >= '0' && expr[i+1] <= '9':
			j := i
			for j < len(expr) && (isIdent(expr[j]) || expr[j] == '.' ||
				(expr[j] == '+' || expr[j] == '-') && (expr[j-1] == 'e' || expr[j-1] == 'E')) {
				j++
			}
			toks = append(toks, token{'n', expr[i:j]})
			i = j
		case isIdentStart(c):
			j := i
			for j < len(expr) && isIdent(expr[j]) {
				j++
			}
			toks = append(toks, token{'i', expr[i:j]})
			i = j
		default:
			toks = append(toks, token{c, string(c)})
			i++
		}
	}
	return toks, nil
}

// checkExprUsed is checkExpr, adding the series names expr uses to used.
//
// It is a checker, not a parser: it walks the tokens keeping a frame per
// open parenthesis with the series referenced inside it, so that the
// labels of a by (...) or without (...) clause are checked against the
// series their aggregation's argument holds, and those of on (...),
// ignoring (...) and group_left/right (...) against every series of the
// expression.
func checkExprUsed(expr, legend string, exp exported, vars, used map[string]bool) []string {
	var problems []string
	bad := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	toks, err := tokenize(expr)
	if err != nil {
		return []string{fmt.Sprintf("%q: %v", expr, err)}
	}
	type frame struct {
		series []string
		by     []string // grouping labels to check when the frame closes
		clause string
	}
	stack := []*frame{{}}
	var (
		all        []string    // every series of the expression
		joinLabels [][2]string // label and clause: on, ignoring, group_left, group_right
		pendingBy  []string    // a prefix by (...) waiting for its aggregation's argument
		pendingCl  string
		lastClosed *frame
	)
	peek := func(i int) byte {
		if i < len(toks) {
			return toks[i].kind
		}
		return 0
	}
	// labelList reads "( a, b )" from toks[i], returning the labels and the
	// index after it.
	labelList := func(i int) ([]string, int) {
		if peek(i) != '(' {
			bad("%q: want a label list after %s", expr, toks[i-1].text)
			return nil, i
		}
		var ls []string
		for i++; i < len(toks) && toks[i].kind != ')'; i++ {
			if toks[i].kind == 'i' {
				ls = append(ls, toks[i].text)
			}
		}
		return ls, i + 1
	}
	// checkVars checks the variables a string or a range names ($1 and
	// the like are label_replace's groups).
	checkVars := func(text string) {
		for _, m := range varRef.FindAllStringSubmatch(text, -1) {
			if !vars[m[1]] && !grafanaVars[m[1]] && !isDigits(m[1]) {
				bad("unknown variable $%s", m[1])
			}
		}
	}
	checkLabels := func(series string, labels []string, what string) {
		have := exp.labels[series]
		if have == nil {
			return // reported as an unknown series already
		}
		for _, l := range labels {
			if !have[l] {
				bad("label %q %s is not on %s (its labels: %s)", l, what, series, strings.Join(sortedKeys(have), ", "))
			}
		}
	}
	for i := 0; i < len(toks); {
		tk := toks[i]
		switch tk.kind {
		case 'v':
			if !vars[tk.text] && !grafanaVars[tk.text] {
				bad("unknown variable $%s", tk.text)
			}
			i++
		case 's', 'r':
			checkVars(tk.text)
			i++
		case '(':
			stack = append(stack, &frame{by: pendingBy, clause: pendingCl})
			pendingBy, pendingCl = nil, ""
			i++
		case ')':
			if len(stack) == 1 {
				bad("%q: unbalanced parentheses", expr)
				return problems
			}
			f := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, s := range f.series {
				checkLabels(s, f.by, "in "+f.clause+" (...)")
			}
			parent := stack[len(stack)-1]
			parent.series = append(parent.series, f.series...)
			lastClosed = f
			i++
			continue
		case '{':
			bad("a selector without a metric name in %q", expr)
			for i < len(toks) && toks[i].kind != '}' {
				i++
			}
			i++
		case 'i':
			word := tk.text
			switch {
			case word == "by" || word == "without":
				ls, next := labelList(i + 1)
				if i > 0 && toks[i-1].kind == ')' && lastClosed != nil { // sum (x) by (l)
					for _, s := range lastClosed.series {
						checkLabels(s, ls, "in "+word+" (...)")
					}
				} else {
					pendingBy, pendingCl = ls, word
				}
				i = next
			case word == "on" || word == "ignoring" || word == "group_left" || word == "group_right":
				if peek(i+1) == '(' {
					var ls []string
					ls, i = labelList(i + 1)
					for _, l := range ls {
						joinLabels = append(joinLabels, [2]string{l, word})
					}
				} else {
					i++
				}
			case word == "offset" || operatorWords[word]:
				i++
			case aggregators[word] || functions[word]:
				if peek(i+1) != '(' && (!aggregators[word] || toks[i+1].text != "by" && toks[i+1].text != "without") {
					bad("%s used as a series name in %q", word, expr)
				}
				i++
			case peek(i+1) == '(':
				bad("unknown function %q in %q", word, expr)
				i++
			default: // a series
				used[word] = true
				switch {
				case exp.labels[word] != nil:
				case exp.histograms[word]:
					bad("%s is a histogram: use %s_bucket, %s_sum or %s_count", word, word, word, word)
				default:
					bad("%s is not a series dbxprom exports", word)
				}
				stack[len(stack)-1].series = append(stack[len(stack)-1].series, word)
				all = append(all, word)
				i++
				if peek(i) == '{' {
					var ls []string
					for i++; i < len(toks) && toks[i].kind != '}'; i++ {
						switch {
						case toks[i].kind == 'i' && (peek(i+1) == '=' || peek(i+1) == '!'):
							ls = append(ls, toks[i].text)
						case toks[i].kind == 's':
							checkVars(toks[i].text)
						}
					}
					i++
					checkLabels(word, ls, "in a selector")
				}
			}
		default:
			i++
		}
	}
	if len(stack) != 1 {
		bad("%q: unbalanced parentheses", expr)
	}
	for _, j := range joinLabels {
		for _, s := range all {
			checkLabels(s, []string{j[0]}, "in "+j[1]+" (...)")
		}
	}
	for _, m := range regexp.MustCompile(`\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}`).FindAllStringSubmatch(legend, -1) {
		if !slices.ContainsFunc(all, func(s string) bool { return exp.labels[s][m[1]] }) {
			bad("legend label %q is on none of the series of %q", m[1], expr)
		}
	}
	return problems
}

// varRef is a Grafana variable in a string or a range: $name or ${name}.
var varRef = regexp.MustCompile(`\$\{?([a-zA-Z_][a-zA-Z0-9_]*)`)

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
