package faults

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/solarhub/hubdb/dbx"
)

// TestTooManyConnections starts a server with --max-connections=20, opens
// the pools (one idle connection each), then lets another client take
// every remaining connection slot and runs 150 calls, 6 at a time, which
// need new connections. Then it frees the slots and runs 150 more.
//
// Promise: while the server is full, no call gets 1040: the server's
// refusal lowers the process's connection budget to what it holds, and the
// calls share those connections (stealing idle ones across pools) within
// their pool timeout; once the slots are free, every call succeeds; no
// retry storm: the budget grows back by one connection per 250 ms, so the
// server sees about one refused attempt per interval, not one per call.
func TestTooManyConnections(t *testing.T) {
	s := startServer(t, "--max-connections=20")
	ctx := context.Background()
	if _, err := s.admin.ExecContext(ctx, "CREATE USER 'hog'@'127.0.0.1' IDENTIFIED BY 'hog-pw'"); err != nil {
		t.Fatal(err)
	}
	h := openHub(t, s.Addr(), dbx.Pool{Size: dbx.Int(2), Overflow: dbx.Int(4), Timeout: 5 * time.Second})

	// The other client takes every slot left.
	hogCfg := mysql.NewConfig()
	hogCfg.User, hogCfg.Passwd, hogCfg.Net, hogCfg.Addr = "hog", "hog-pw", "tcp", s.Addr()
	hogCfg.Logger = quietLogger{}
	conn, err := mysql.NewConnector(hogCfg)
	if err != nil {
		t.Fatal(err)
	}
	hog := sql.OpenDB(conn)
	defer hog.Close()
	var held []*sql.Conn
	release := func() {
		for _, c := range held {
			_ = c.Close()
		}
		held = nil
		_ = hog.Close()
	}
	defer release()
	for len(held) < 30 {
		c, err := hog.Conn(ctx)
		if err != nil {
			if !errors.Is(err, &mysql.MySQLError{Number: 1040}) {
				t.Fatalf("hog: %v", err)
			}
			break
		}
		// database/sql opens lazily: a ping makes the connection real.
		if err := c.PingContext(ctx); err != nil {
			t.Fatalf("hog ping: %v", err)
		}
		held = append(held, c)
	}
	if len(held) == 30 {
		t.Fatalf("took 30 connections without hitting max_connections=20")
	}
	hogConns := len(held)
	t.Logf("the other client holds %d connections; the server is full", hogConns)

	run := func(c *tally, led *ledger, base int64) {
		var wg sync.WaitGroup
		sem := make(chan struct{}, 6)
		for i := range int64(150) {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				dl, _ := ctx.Deadline()
				start := time.Now()
				k := base + i
				if i%2 == 0 {
					err := h.write(ctx, k, dbx.Retry(3))
					led.record(k, err)
					c.add(start, dl, err)
					return
				}
				c.add(start, dl, h.read(ctx, k, dbx.Retry(3)))
			})
		}
		wg.Wait()
	}

	led := newLedger()
	full := newTally()
	refusedBefore := s.statusInt(t, "Connection_errors_max_connections")
	abortedBefore := s.statusInt(t, "Aborted_connects")
	opensBefore := h.events.get(dbx.EventOpen)
	fullStart := time.Now()
	run(full, led, 0)
	fullTook := time.Since(fullStart)
	refused := s.statusInt(t, "Connection_errors_max_connections") - refusedBefore
	aborted := s.statusInt(t, "Aborted_connects") - abortedBefore
	opened := h.events.get(dbx.EventOpen) - opensBefore
	tooMany := full.count("too_many_connections")
	full.logExamples(t)
	if tooMany > 0 {
		t.Errorf("%d calls got dbx.ErrTooManyConnections while their pool timeout allowed waiting (%s)", tooMany, full)
	}
	if n := full.errors(); n > 0 {
		t.Errorf("%d calls failed while the server was full (%s)", n, full)
	}
	// at most the dials in flight when the server first refused (one per
	// parallel caller), then one per 250 ms as the budget grows back
	if most := 6 + int64(fullTook/(250*time.Millisecond)); refused > most {
		t.Errorf("retry storm: the server refused %d connection attempts in %v (at most %d)",
			refused, fullTook.Round(time.Millisecond), most)
	}
	srv := h.m.Servers()
	if len(srv) != 1 || srv[0].Shrinks == 0 || srv[0].Refused == 0 {
		t.Errorf("budget status %v: want one server with shrinks and refusals counted", srv)
	}
	if n := h.events.get(dbx.EventShrink); n != srv[0].Shrinks {
		t.Errorf("%d shrink events for %d shrinks", n, srv[0].Shrinks)
	}

	// Free the slots; the pools must serve again.
	release()
	took, ok := h.probeAll(t, 10*time.Second)
	if !ok {
		t.Fatalf("pools did not serve within 10 s of the connections being freed")
	}
	after := newTally()
	run(after, led, 1000)
	after.logExamples(t)
	if n := after.errors(); n > 0 {
		t.Errorf("%d calls failed after the connections were freed (%s)", n, after)
	}
	checked, lost := led.check(t, s.present(t))
	all := merge(full, after)
	figures("too-many-connections", all.requests, 1, all, checked, lost,
		fmt.Sprintf("other_client_connections=%d refused_attempts=%d aborted_connects=%d calls_refused=%d app_connections_opened_while_full=%d steals=%d shrinks=%d full_phase=%v recovery=%v",
			hogConns, refused, aborted, tooMany, opened, srv[0].Steals, srv[0].Shrinks, fullTook.Round(time.Millisecond), took.Round(time.Millisecond)))
}
