package dbx

import (
	"context"
	"database/sql/driver"
	"errors"
	"log/slog"
	"net"
	"testing"
	"time"
)

// TestEndTx checks that COMMIT and ROLLBACK cannot outlive the
// transaction's context: endTx closes the socket when ctx ends while the
// driver waits for the server, and says whether the statement was sent.
func TestEndTx(t *testing.T) {
	waitRead := func(c net.Conn) func() error { // a driver waiting for an answer
		return func() error {
			_, err := c.Read(make([]byte, 1))
			return err
		}
	}
	t.Run("answer before the deadline", func(t *testing.T) {
		a, b := net.Pipe()
		defer b.Close()
		nc := &conn{netConn: a}
		go func() { _, _ = b.Write([]byte{0}) }()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := endTx(ctx, nc, waitRead(a)); err != nil {
			t.Fatal(err)
		}
		if nc.aborted.Load() {
			t.Error("socket closed although the answer came in time")
		}
	})
	t.Run("no answer: closed at the deadline", func(t *testing.T) {
		a, b := net.Pipe()
		defer b.Close()
		nc := &conn{netConn: a, p: &pool{name: "test", log: slog.New(slog.DiscardHandler)}}
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		start := time.Now()
		err := endTx(ctx, nc, waitRead(a))
		if took := time.Since(start); took > 5*time.Second {
			t.Fatalf("endTx returned after %v", took)
		}
		if err == nil || !nc.aborted.Load() {
			t.Fatalf("err %v, aborted %v; want an error and a closed socket", err, nc.aborted.Load())
		}
		// Sent but unanswered: not "deadline exceeded", which would read
		// as "not sent".
		if errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%v matches context.DeadlineExceeded", err)
		}
		if nc.IsValid() {
			t.Error("an aborted connection reports itself valid")
		}
		if nc.ResetSession(context.Background()) != driver.ErrBadConn {
			t.Error("an aborted connection passes ResetSession")
		}
	})
	t.Run("nothing written", func(t *testing.T) {
		a, b := net.Pipe()
		defer b.Close()
		nc := &conn{netConn: a}
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		err := endTx(ctx, nc, func() error {
			<-ctx.Done()
			for !nc.aborted.Load() {
				time.Sleep(time.Millisecond)
			}
			return driver.ErrBadConn
		})
		if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, driver.ErrBadConn) {
			t.Errorf("%v; want it to match context.DeadlineExceeded and driver.ErrBadConn", err)
		}
	})
}
