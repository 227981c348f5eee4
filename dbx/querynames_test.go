package dbx_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/solarhub/hubdb/dbx"
)

// TestQueryNamesInErrorsAndEvents: a statement's sqlc name ("-- name:
// X :kind" at the start of its text) is in its error ("dbx: main: X:
// exec: ...") on every call path, and in its EventQuery, with or without
// the statement cache.
func TestQueryNamesInErrorsAndEvents(t *testing.T) {
	t.Parallel()
	for _, cache := range []int{0, -1} {
		srv := server(t)
		p := small()
		p.StatementCache = cache
		var mu sync.Mutex
		var events []dbx.Event
		cfg := oneDB(srv, newSchema(t, srv), p)
		cfg.OnEvent = func(e dbx.Event) {
			if e.Kind == dbx.EventQuery {
				mu.Lock()
				events = append(events, e)
				mu.Unlock()
			}
		}
		m := open(t, cfg)
		d := raw(t, m, "main")
		ctx := context.Background()
		const (
			insert  = "-- name: InsertKV :exec\nINSERT INTO kv (k, v) VALUES (?, ?)"
			missing = "-- name: ReadMissing :one\nSELECT x FROM nope WHERE k = ?"
			get     = "-- name: GetKV :one\nSELECT v FROM kv WHERE k = ?"
		)
		_, err := d.Queries(ctx).ExecContext(ctx, insert, 1, 5) // k=1 exists
		if !errors.Is(err, dbx.ErrDuplicateKey) || !strings.Contains(err.Error(), "dbx: main: InsertKV: exec: ") {
			t.Errorf("cache %d: plain exec: %v; want ErrDuplicateKey naming InsertKV", cache, err)
		}
		var x int
		err = d.Read(ctx, func(ctx context.Context, q dbx.DBTX) error {
			return q.QueryRowContext(ctx, missing, 1).Scan(&x)
		})
		if err == nil || !strings.Contains(err.Error(), "main: ReadMissing: query: ") {
			t.Errorf("cache %d: Read: %v; want an error naming ReadMissing", cache, err)
		}
		err = d.Write(ctx, func(ctx context.Context, q dbx.DBTX) error {
			_, err := q.ExecContext(ctx, insert, 2, 5)
			return err
		})
		if !errors.Is(err, dbx.ErrDuplicateKey) || !strings.Contains(err.Error(), "InsertKV") {
			t.Errorf("cache %d: Write: %v; want ErrDuplicateKey naming InsertKV", cache, err)
		}
		if err := d.Queries(ctx).QueryRowContext(ctx, get, 1).Scan(&x); err != nil {
			t.Fatal(err)
		}
		_ = m.FlushEvents(ctx)
		mu.Lock()
		byName := map[string][]dbx.Event{}
		for _, e := range events {
			byName[e.Query] = append(byName[e.Query], e)
		}
		mu.Unlock()
		for name, wantErr := range map[string]bool{"InsertKV": true, "ReadMissing": true, "GetKV": false} {
			evs := byName[name]
			if len(evs) == 0 {
				t.Errorf("cache %d: no EventQuery for %s (got %v)", cache, name, byName)
				continue
			}
			for _, e := range evs {
				if (e.Err != nil) != wantErr || e.Held <= 0 || e.DB != "main" {
					t.Errorf("cache %d: %s event %+v; want err %v, a duration, db main", cache, name, e, wantErr)
				}
			}
		}
	}
}

// TestSlowQueryWarning: a statement that runs longer than
// SlowQueryThreshold is an EventSlowQuery and a warning naming the query
// and the application's file:line.
func TestSlowQueryWarning(t *testing.T) {
	t.Parallel()
	srv := server(t)
	p := small()
	p.SlowQueryThreshold = 50 * time.Millisecond
	var logs logBuffer
	var mu sync.Mutex
	var slow []dbx.Event
	cfg := oneDB(srv, newSchema(t, srv), p)
	cfg.Logger = logs.logger()
	cfg.OnEvent = func(e dbx.Event) {
		if e.Kind == dbx.EventSlowQuery {
			mu.Lock()
			slow = append(slow, e)
			mu.Unlock()
		}
	}
	m := open(t, cfg)
	d := raw(t, m, "main")
	ctx := context.Background()
	var x int
	file, line := nextLine()
	err := d.Queries(ctx).QueryRowContext(ctx, "-- name: Sleepy :one\nSELECT SLEEP(?)", 0.2).Scan(&x)
	if err != nil {
		t.Fatal(err)
	}
	_ = m.FlushEvents(ctx)
	mu.Lock()
	defer mu.Unlock()
	var found bool
	for _, e := range slow {
		if e.Held < p.SlowQueryThreshold {
			t.Errorf("slow event below the threshold: %+v", e)
		}
		if e.Query == "Sleepy" {
			found = true
			if want := file + ":" + strconv.Itoa(line); e.Site != want {
				t.Errorf("site %q, want %q", e.Site, want)
			}
		}
	}
	if !found {
		t.Fatalf("no EventSlowQuery for Sleepy: %v", slow)
	}
	if out := logs.String(); !strings.Contains(out, "level=WARN") || !strings.Contains(out, "query=Sleepy") {
		t.Errorf("no warning naming the query:\n%s", out)
	}
}

// TestQueryNameReachesTheServer: the sqlc name comment travels with the
// statement, as text and as a prepared statement: SHOW PROCESSLIST's Info
// shows it while the statement runs.
func TestQueryNameReachesTheServer(t *testing.T) {
	t.Parallel()
	for _, cache := range []int{0, -1} {
		srv := server(t)
		schema := newSchema(t, srv)
		p := small()
		p.StatementCache = cache
		p.SlowQueryThreshold = -1
		d := raw(t, open(t, oneDB(srv, schema, p)), "main")
		adm := admin(t, srv, schema)
		ctx := context.Background()
		done := make(chan error, 1)
		stop := make(chan struct{})
		go func() {
			// Runs until the processlist was read: SLEEP(1) again and again.
			for {
				var x int
				if err := d.Queries(ctx).QueryRowContext(ctx, "-- name: NamedSleep :one\nSELECT SLEEP(?)", 1).Scan(&x); err != nil {
					done <- err
					return
				}
				select {
				case <-stop:
					done <- nil
					return
				default:
				}
			}
		}()
		seen := ""
		deadline := time.Now().Add(20 * time.Second)
		for seen == "" && time.Now().Before(deadline) {
			rows, err := adm.QueryContext(ctx, "SELECT INFO FROM information_schema.PROCESSLIST WHERE DB = ? AND INFO LIKE '%NamedSleep%' AND INFO NOT LIKE '%PROCESSLIST%'", schema)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				_ = rows.Scan(&seen)
			}
			rows.Close()
			if seen == "" {
				time.Sleep(10 * time.Millisecond)
			}
		}
		close(stop)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(seen, "-- name: NamedSleep :one") {
			t.Errorf("cache %d: PROCESSLIST showed %q; want the -- name: comment", cache, seen)
		}
	}
}

// TestQueryNamesInErrorsWithoutListeners: the name is in the error when
// nobody times statements (no hook, no slow-query threshold).
func TestQueryNamesInErrorsWithoutListeners(t *testing.T) {
	t.Parallel()
	srv := server(t)
	p := small()
	p.SlowQueryThreshold = -1
	d := raw(t, open(t, oneDB(srv, newSchema(t, srv), p)), "main")
	ctx := context.Background()
	_, err := d.Queries(ctx).ExecContext(ctx, "-- name: InsertKV :exec\nINSERT INTO kv (k, v) VALUES (?, ?)", 1, 5)
	if !errors.Is(err, dbx.ErrDuplicateKey) || !strings.Contains(err.Error(), "dbx: main: InsertKV: exec: ") {
		t.Errorf("exec: %v; want ErrDuplicateKey naming InsertKV", err)
	}
	var x int
	err = d.Queries(ctx).QueryRowContext(ctx, "-- name: ReadMissing :one\nSELECT x FROM nope WHERE k = ?", 1).Scan(&x)
	if err == nil || !strings.Contains(err.Error(), "main: ReadMissing: query: ") {
		t.Errorf("query: %v; want an error naming ReadMissing", err)
	}
}
