package dbxpage

import (
	"context"
	"html"
	"io"
	"net/http"
	"regexp"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/solarhub/hubdb/dbx"
)

// The statements of the tests, named the way sqlc names them.
const (
	fastSQL = "-- name: FastOne :one\nSELECT 1"
	slowSQL = "-- name: SlowOne :one\nSELECT SLEEP(0.05)"
)

// openManager opens a Manager on cfg, closed when the test ends.
func openManager(t *testing.T, cfg dbx.Config) *dbx.Manager {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	m, err := dbx.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := m.WaitIdle(ctx); err != nil {
			t.Errorf("connections still out at the end: %v", err)
		}
		_ = m.Close()
	})
	return m
}

// bind returns the plain handle of database name.
func bind(t *testing.T, m *dbx.Manager, name string) *dbx.DB[dbx.DBTX] {
	t.Helper()
	d, err := dbx.Bind(m, name, func(db dbx.DBTX) dbx.DBTX { return db })
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// nextLine returns the file and the line after the call.
func nextLine() (string, int) {
	_, file, line, _ := runtime.Caller(1)
	return file, line + 1
}

// site formats a file:line as dbx does.
func site(file string, line int) string { return file + ":" + strconv.Itoa(line) }

// waitFor polls cond every few milliseconds until it holds, failing the
// test after 20 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// hasWarning reports whether rec holds a warning of kind on db.
func hasWarning(rec *Recorder, kind dbx.EventKind, db string) bool {
	for _, w := range rec.Warnings() {
		if w.Kind == kind && w.DB == db {
			return true
		}
	}
	return false
}

// get fetches url and returns the response and its body.
func get(t *testing.T, method, url string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

var (
	tableRE = regexp.MustCompile(`(?s)<table class="(\w+)"[^>]*>(.*?)</table>`)
	rowRE   = regexp.MustCompile(`(?s)<tr data-(?:db|kind)="([^"]*)"[^>]*>(.*?)</tr>`)
	cellRE  = regexp.MustCompile(`(?s)<td data-k="(\w+)"([^>]*)>(.*?)</td>`)
	siteRE  = regexp.MustCompile(`data-site="([^"]*)"`)
)

// row is one table row: its cells' text by data-k, and the site of a
// warning.
type row struct {
	key   string
	cells map[string]string
	site  string
}

// tables parses the page's (or Chromium's rendered DOM's) tables by class:
// pools, warnings, queries.
func tables(page string) map[string][]row {
	out := map[string][]row{}
	for _, tm := range tableRE.FindAllStringSubmatch(page, -1) {
		rows := []row{}
		for _, rm := range rowRE.FindAllStringSubmatch(tm[2], -1) {
			r := row{key: html.UnescapeString(rm[1]), cells: map[string]string{}}
			for _, cm := range cellRE.FindAllStringSubmatch(rm[2], -1) {
				r.cells[cm[1]] = html.UnescapeString(cm[3])
				if sm := siteRE.FindStringSubmatch(cm[2]); sm != nil {
					r.site = html.UnescapeString(sm[1])
				}
			}
			rows = append(rows, r)
		}
		out[tm[1]] = append(out[tm[1]], rows...)
	}
	return out
}

// poolRows returns the pools table's rows by database.
func poolRows(t *testing.T, page string) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{}
	for _, r := range tables(page)["pools"] {
		out[r.key] = r.cells
	}
	if len(out) == 0 {
		t.Fatalf("no pool rows in the page:\n%s", page)
	}
	return out
}

// poolCells renders p as the page's cells are expected to read.
func poolCells(p Pool) map[string]string {
	itoa := func(n int) string { return strconv.Itoa(n) }
	i64 := func(n int64) string { return strconv.FormatInt(n, 10) }
	max := itoa(p.Max)
	if p.Max == 0 {
		max = "unlimited"
	}
	over := itoa(p.Overflow)
	if p.Overflow == dbx.Unlimited {
		over = "unlimited"
	}
	return map[string]string{"db": p.DB, "size": itoa(p.Size), "overflow": over, "max": max, "open": itoa(p.Open),
		"in_use": itoa(p.InUse), "idle": itoa(p.Idle), "waiting": itoa(p.Waiting), "wait_count": i64(p.WaitCount),
		"timeouts": i64(p.Timeouts), "leaks": i64(p.Leaks), "statements": i64(p.Statements)}
}
