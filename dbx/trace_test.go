package dbx_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/solarhub/hubdb/dbx"
)

// recTracer records every Start and End as a tree: a Start's parent is
// the node its ctx carries.
type recTracer struct {
	mu    sync.Mutex
	nodes []*recNode
}

type recNode struct {
	kind   string // acquire, tx, query
	label  string // the query name; "read"/"write" + attempt for a tx
	target *dbx.TraceTarget
	parent *recNode
	ends   int
	err    error
	extra  string
}

type recKey struct{}

func (r *recTracer) start(ctx context.Context, kind, label string, target *dbx.TraceTarget) context.Context {
	parent, _ := ctx.Value(recKey{}).(*recNode)
	n := &recNode{kind: kind, label: label, target: target, parent: parent}
	r.mu.Lock()
	r.nodes = append(r.nodes, n)
	r.mu.Unlock()
	return context.WithValue(ctx, recKey{}, n)
}

func (r *recTracer) end(ctx context.Context, err error, extra string) {
	n := ctx.Value(recKey{}).(*recNode)
	r.mu.Lock()
	n.ends++
	n.err = err
	n.extra = extra
	r.mu.Unlock()
}

func (r *recTracer) TraceQueryStart(ctx context.Context, d dbx.TraceQueryStartData) context.Context {
	return r.start(ctx, "query", d.Name, d.Target)
}
func (r *recTracer) TraceQueryEnd(ctx context.Context, d dbx.TraceQueryEndData) {
	r.end(ctx, d.Err, "")
}
func (r *recTracer) TraceAcquireStart(ctx context.Context, d dbx.TraceAcquireStartData) context.Context {
	return r.start(ctx, "acquire", "", d.Target)
}
func (r *recTracer) TraceAcquireEnd(ctx context.Context, d dbx.TraceAcquireEndData) {
	r.end(ctx, d.Err, "")
}
func (r *recTracer) TraceTxStart(ctx context.Context, d dbx.TraceTxStartData) context.Context {
	op := "write"
	if d.ReadOnly {
		op = "read"
	}
	return r.start(ctx, "tx", fmt.Sprintf("%s#%d", op, d.Attempt), d.Target)
}
func (r *recTracer) TraceTxEnd(ctx context.Context, d dbx.TraceTxEndData) {
	r.end(ctx, d.Err, fmt.Sprintf("retried=%v unknown=%v", d.Retried, d.CommitUnknown))
}

// tree renders the nodes under parent (nil: the roots), one per line,
// indented by depth, in start order.
func (r *recTracer) tree() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	var walk func(parent *recNode, depth int)
	walk = func(parent *recNode, depth int) {
		for _, n := range r.nodes {
			if n.parent == parent {
				fmt.Fprintf(&b, "%s%s %s\n", strings.Repeat("  ", depth), n.kind, n.label)
				walk(n, depth+1)
			}
		}
	}
	walk(nil, 0)
	return b.String()
}

// checkEnds fails the test unless every Start had exactly one End.
func (r *recTracer) checkEnds(t *testing.T) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, n := range r.nodes {
		if n.ends != 1 {
			t.Errorf("%s %s: %d ends, want 1", n.kind, n.label, n.ends)
		}
	}
}

func (r *recTracer) reset() {
	r.mu.Lock()
	r.nodes = nil
	r.mu.Unlock()
}

// last returns the last node of kind.
func (r *recTracer) last(kind string) *recNode {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.nodes) - 1; i >= 0; i-- {
		if r.nodes[i].kind == kind {
			return r.nodes[i]
		}
	}
	return nil
}

func tracedSetup(t *testing.T, p dbx.Pool) (fixture, *recTracer) {
	t.Helper()
	srv := server(t)
	schema := newSchema(t, srv)
	rec := &recTracer{}
	cfg := oneDB(srv, schema, p)
	cfg.Tracer = rec
	m := open(t, cfg)
	return fixture{m: m, d: raw(t, m, "main"), admin: admin(t, srv, schema)}, rec
}

// TestTracerTree: a Write's attempt is traced with its connection wait
// and its statements under it (named by their sqlc names, also when rows
// are read), a plain query outside a transaction gets its own wait and
// statement, each with the pool's target; every Start has its End.
func TestTracerTree(t *testing.T) {
	t.Parallel()
	f, rec := tracedSetup(t, small())
	ctx := context.Background()
	err := f.d.Write(ctx, func(ctx context.Context, q dbx.DBTX) error {
		if _, err := q.ExecContext(ctx, "-- name: BumpKV :exec\nUPDATE kv SET v = v + 1 WHERE k = ?", 1); err != nil {
			return err
		}
		rows, err := q.QueryContext(ctx, "-- name: ListKV :many\nSELECT k, v FROM kv ORDER BY k")
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	var v int
	if err := f.d.Queries(ctx).QueryRowContext(ctx, "-- name: GetKV :one\nSELECT v FROM kv WHERE k = ?", 1).Scan(&v); err != nil {
		t.Fatal(err)
	}
	want := "tx write#1\n  acquire \n  query BumpKV\n  query ListKV\nacquire \nquery GetKV\n"
	if got := rec.tree(); got != want {
		t.Errorf("trace tree:\n%s\nwant:\n%s", got, want)
	}
	rec.checkEnds(t)
	tg := rec.last("query").target
	if srv := server(t); tg == nil || tg.DB != "main" || tg.Schema == "" || tg.Host == "" ||
		(srv.Net == "tcp" && tg.Port == 0) || strings.Contains(fmt.Sprint(*tg), srv.User+":") {
		t.Errorf("target %+v", tg)
	}
	if tg.System != "mariadb" && tg.System != "mysql" {
		t.Errorf("target system %q", tg.System)
	}
}

// TestTracerErrorPaths: a failed statement, a pool timeout, a panicking
// fn and a deadlock retried all end what they started, with the error.
func TestTracerErrorPaths(t *testing.T) {
	t.Parallel()
	p := small()
	p.Size, p.Overflow, p.Timeout = dbx.Int(1), dbx.Int(0), 100*time.Millisecond
	f, rec := tracedSetup(t, p)
	ctx := context.Background()

	// A syntax error: the query's End has the server's number.
	err := f.d.Read(ctx, func(ctx context.Context, q dbx.DBTX) error {
		_, err := q.ExecContext(ctx, "-- name: Broken :exec\nSELEC 1")
		return err
	})
	var me *mysql.MySQLError
	if q := rec.last("query"); q == nil || q.label != "Broken" || !errors.As(q.err, &me) || me.Number != 1064 {
		t.Errorf("query end of a syntax error: %+v (err %v)", q, err)
	}
	if tx := rec.last("tx"); tx.err == nil {
		t.Error("the failed transaction ended without its error")
	}

	// A pool timeout: the only connection is held by a Write.
	held, release := make(chan struct{}), make(chan struct{})
	done := make(chan error)
	go func() {
		done <- f.d.Write(ctx, func(ctx context.Context, q dbx.DBTX) error {
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	rec.reset()
	err = f.d.Read(ctx, func(ctx context.Context, q dbx.DBTX) error { return nil })
	if !errors.Is(err, dbx.ErrPoolTimeout) {
		t.Fatalf("read beside a held pool of one: %v, want ErrPoolTimeout", err)
	}
	if a := rec.last("acquire"); a == nil || !errors.Is(a.err, dbx.ErrPoolTimeout) || a.parent == nil || a.parent.kind != "tx" {
		t.Errorf("acquire end of a pool timeout: %+v", a)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	// A panic in fn: the attempt's End comes, the panic goes on.
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the panic did not reach the caller")
			}
		}()
		_ = f.d.Write(ctx, func(ctx context.Context, q dbx.DBTX) error { panic("boom") })
	}()
	if tx := rec.last("tx"); tx.ends != 1 || tx.err == nil {
		t.Errorf("tx end after a panic: %+v", tx)
	}
	rec.checkEnds(t)
}

// TestTracerRetry: with Retry, each attempt is its own span, the first
// saying that another follows.
func TestTracerRetry(t *testing.T) {
	t.Parallel()
	f, rec := tracedSetup(t, small())
	errs, _ := deadlock(t, f.d, dbx.Retry(3))
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	rec.mu.Lock()
	var retried, attempts2 int
	for _, n := range rec.nodes {
		if n.kind == "tx" && n.extra == "retried=true unknown=false" {
			retried++
			if !errors.Is(n.err, dbx.ErrDeadlock) {
				t.Errorf("retried attempt ended with %v, want ErrDeadlock", n.err)
			}
		}
		if n.kind == "tx" && n.label == "write#2" {
			attempts2++
		}
	}
	rec.mu.Unlock()
	if retried != 1 || attempts2 != 1 {
		t.Errorf("%d attempts retried and %d second attempts, want 1 and 1:\n%s", retried, attempts2, rec.tree())
	}
	rec.checkEnds(t)
}
