package dbx_test

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/solarhub/hubdb/dbx"
)

// blockingCloseConn is a socket whose Close, once block is set, says so
// on closing and waits for release.
type blockingCloseConn struct {
	*net.TCPConn // the driver's liveness check needs its syscall.Conn
	block        atomic.Bool
	closing      chan<- struct{}
	release      <-chan struct{}
	once         sync.Once
}

func (c *blockingCloseConn) Close() error {
	if c.block.Load() {
		c.once.Do(func() {
			c.closing <- struct{}{}
			<-c.release
		})
	}
	return c.TCPConn.Close()
}

// TestPermitHeldUntilSocketClosed: when database/sql closes a connection
// (here: the pre-ping found it killed), the server budget counts it until
// its socket is closed, so the dial its permit allows next never runs
// beside it. The killed connection's socket (found by its local port in
// the processlist) holds its Close open; while it does, the budget must
// still count one connection.
func TestPermitHeldUntilSocketClosed(t *testing.T) {
	t.Parallel()
	srv := server(t)
	schema := newSchema(t, srv)
	closing := make(chan struct{}, 1)
	release := make(chan struct{})
	var releaseOnce sync.Once
	unblock := func() { releaseOnce.Do(func() { close(release) }) }
	defer unblock()
	var mu sync.Mutex
	byPort := map[int]*blockingCloseConn{}
	s := srv.Clone()
	s.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		var d net.Dialer
		nc, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		tc, ok := nc.(*net.TCPConn)
		if !ok {
			return nc, nil
		}
		c := &blockingCloseConn{TCPConn: tc, closing: closing, release: release}
		mu.Lock()
		byPort[tc.LocalAddr().(*net.TCPAddr).Port] = c
		mu.Unlock()
		return c, nil
	}
	m := open(t, oneDB(s, schema, dbx.Pool{Size: dbx.Int(1), Overflow: dbx.Int(0), PingAfterIdle: time.Nanosecond}))
	d := raw(t, m, "main")
	ctx := context.Background()
	id := idleConnID(t, m, d)
	adm := admin(t, srv, "")
	var host string
	if err := adm.QueryRowContext(ctx, "SELECT HOST FROM information_schema.PROCESSLIST WHERE ID = ?", id).Scan(&host); err != nil {
		t.Fatal(err)
	}
	_, port, err := net.SplitHostPort(host)
	if err != nil {
		t.Fatalf("processlist HOST %q: %v", host, err)
	}
	p, _ := strconv.Atoi(port)
	mu.Lock()
	victim := byPort[p]
	mu.Unlock()
	if victim == nil {
		t.Fatalf("connection %d (%s) was not dialed through the test's DialFunc", id, host)
	}
	victim.block.Store(true)
	if _, err := adm.ExecContext(ctx, fmt.Sprintf("KILL CONNECTION %d", id)); err != nil {
		t.Fatal(err)
	}
	read := make(chan error, 1)
	go func() {
		read <- d.Read(ctx, func(ctx context.Context, q dbx.DBTX) error {
			var n int
			return q.QueryRowContext(ctx, "SELECT 1").Scan(&n)
		})
	}()
	select {
	case <-closing:
	case err := <-read:
		t.Fatalf("the Read ended (%v) without closing the killed connection's socket", err)
	case <-time.After(30 * time.Second):
		t.Fatal("the killed connection's socket was not closed within 30 s")
	}
	if open := m.Servers()[0].Open; open != 1 {
		t.Errorf("while the killed connection's socket is still open the budget counts %d connections, want 1", open)
	}
	unblock()
	if err := <-read; err != nil {
		t.Fatalf("Read after the killed connection was replaced: %v", err)
	}
	if open := m.Servers()[0].Open; open != 1 {
		t.Errorf("after the replacement the budget counts %d connections, want 1", open)
	}
}
