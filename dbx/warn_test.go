package dbx_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/solarhub/hubdb/dbx"
)

// warned opens a pool whose hook closes ch at the first event of kind.
func warned(t *testing.T, p dbx.Pool, kind dbx.EventKind, logs *logBuffer) (*dbx.DB[dbx.DBTX], <-chan dbx.Event) {
	t.Helper()
	srv := server(t)
	cfg := oneDB(srv, newSchema(t, srv), p)
	cfg.Logger = logs.logger()
	got := make(chan dbx.Event, 1)
	cfg.OnEvent = func(e dbx.Event) {
		if e.Kind == kind {
			select {
			case got <- e:
			default:
			}
		}
	}
	return raw(t, open(t, cfg), "main"), got
}

func TestLeakWarning(t *testing.T) {
	t.Parallel()
	var logs logBuffer
	p := small()
	p.LeakThreshold = 100 * time.Millisecond
	d, leaks := warned(t, p, dbx.EventLeak, &logs)
	var ev dbx.Event
	file, line := nextLine()
	err := d.Write(context.Background(), func(ctx context.Context, q dbx.DBTX) error {
		ev = <-leaks // hold the connection until the leak is reported
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	site := fmt.Sprintf("%s:%d", file, line)
	if ev.Site != site || ev.Held < p.LeakThreshold {
		t.Errorf("leak event site %q held %v, want %q and ≥ %v", ev.Site, ev.Held, site, p.LeakThreshold)
	}
	out := logs.String()
	if !strings.Contains(out, "level=WARN") || !strings.Contains(out, "leak threshold") ||
		!strings.Contains(out, "site="+site) {
		t.Errorf("log lacks the leak warning at %s:\n%s", site, out)
	}
}

func TestLeakWarningForPlainQuery(t *testing.T) {
	t.Parallel()
	var logs logBuffer
	p := small()
	p.LeakThreshold = 100 * time.Millisecond
	d, leaks := warned(t, p, dbx.EventLeak, &logs)
	ctx := context.Background()
	file, line := nextLine()
	rows, err := d.Queries(ctx).QueryContext(ctx, "SELECT k FROM kv")
	if err != nil {
		t.Fatal(err)
	}
	ev := <-leaks // rows left open
	rows.Close()
	if site := fmt.Sprintf("%s:%d", file, line); ev.Site != site {
		t.Errorf("leak site %q, want %q", ev.Site, site)
	}
}

func TestIdleInTransactionWarning(t *testing.T) {
	t.Parallel()
	var logs logBuffer
	p := small()
	p.IdleInTxThreshold = 100 * time.Millisecond
	d, idles := warned(t, p, dbx.EventIdleInTx, &logs)
	var ev dbx.Event
	file, line := nextLine()
	err := d.Write(context.Background(), func(ctx context.Context, q dbx.DBTX) error {
		if _, err := q.ExecContext(ctx, "UPDATE kv SET v = 1 WHERE k = 1"); err != nil {
			return err
		}
		ev = <-idles // a slow call outside the database, e.g. HTTP
		_, err := q.ExecContext(ctx, "UPDATE kv SET v = 2 WHERE k = 1")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	site := fmt.Sprintf("%s:%d", file, line)
	if ev.Site != site || ev.Held < p.IdleInTxThreshold {
		t.Errorf("idle event site %q gap %v, want %q and ≥ %v", ev.Site, ev.Held, site, p.IdleInTxThreshold)
	}
	out := logs.String()
	if !strings.Contains(out, "level=WARN") || !strings.Contains(out, "transaction idle") ||
		!strings.Contains(out, "site="+site) || !strings.Contains(out, "idle=") {
		t.Errorf("log lacks the idle-in-transaction warning at %s:\n%s", site, out)
	}
}

func TestNoIdleWarningWhileStatementsRun(t *testing.T) {
	t.Parallel()
	var logs logBuffer
	p := small()
	p.IdleInTxThreshold = 100 * time.Millisecond
	d, idles := warned(t, p, dbx.EventIdleInTx, &logs)
	err := d.Write(context.Background(), func(ctx context.Context, q dbx.DBTX) error {
		_, err := q.ExecContext(ctx, "DO SLEEP(0.3)") // busy, not idle
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-idles:
		t.Errorf("idle warning while a statement ran: %+v", ev)
	default:
	}
}
