package faults

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/solarhub/hubdb/dbx"
)

// TestIdleTimeout runs a server with wait_timeout=2 and lets the pools sit
// idle past it, twice: once with pre-ping on and Recycle above
// wait_timeout (dbx warns at Open; the server drops the idle connections
// and pre-ping must find them dead), once with pre-ping off and Recycle
// 1 s (recycling must retire connections before the server drops them).
//
// Promise: no "server has gone away" / invalid connection (nor any other
// error) reaches a caller after the idle period.
func TestIdleTimeout(t *testing.T) {
	s := startServer(t, "--wait-timeout=2")
	led, c := newLedger(), newTally()
	key := int64(0)
	burst := func(h *hub) time.Time {
		mixedBurst(h, led, &key, 150, 6, c, c)
		return time.Now()
	}
	var extra []string

	// Phase 1: pre-ping, keepalive off. The server closes the idle
	// connections itself.
	h := openHub(t, s.Addr(), dbx.Pool{Size: dbx.Int(4), Overflow: dbx.Int(2), Recycle: time.Hour, KeepAlive: -1})
	if h.events.get(dbx.EventCheck) == 0 {
		t.Errorf("dbx.Open did not warn that Recycle 1h is not below wait_timeout 2s")
	}
	aborted := s.statusInt(t, "Aborted_clients")
	burst(h)
	if !waitFor(15*time.Second, func() bool { return h.inUse() == 0 && s.appConns(t) == 0 }) {
		t.Fatalf("the server did not drop the idle connections within 15 s (wait_timeout=2): %d left", s.appConns(t))
	}
	dropped := s.statusInt(t, "Aborted_clients") - aborted
	before := c.errors()
	burst(h)
	inv := h.events.get(dbx.EventInvalidate)
	if c.errors() > before {
		t.Errorf("pre-ping: %d calls failed after the idle period (%s)", c.errors()-before, c)
	}
	if inv == 0 {
		t.Errorf("pre-ping: no dead connection was invalidated; the idle period tested nothing")
	}
	extra = append(extra, fmt.Sprintf("preping_server_dropped=%d preping_invalidated=%d", dropped, inv))
	_ = h.m.Close()

	// Phase 2: pre-ping off, Recycle 1 s.
	h = openHub(t, s.Addr(), dbx.Pool{Size: dbx.Int(4), Overflow: dbx.Int(2), Recycle: time.Second, DisablePrePing: true, KeepAlive: -1})
	last := burst(h)
	// Idle past wait_timeout: the fault here is time itself, polled with
	// the server's view (no application connection left).
	if !waitFor(15*time.Second, func() bool {
		return time.Since(last) > 2500*time.Millisecond && h.inUse() == 0 && s.appConns(t) == 0
	}) {
		t.Fatalf("recycle: connections still open on the server 15 s after the burst: %d", s.appConns(t))
	}
	before = c.errors()
	burst(h)
	if c.errors() > before {
		t.Errorf("recycle: %d calls failed after the idle period (%s)", c.errors()-before, c)
	}
	// closed for their age: by database/sql at checkout, or by dbx's sweep
	// while idle (each connection's jittered lifetime)
	recycled := h.events.get(dbx.EventKeepAlive)
	for _, st := range h.m.Status() {
		recycled += st.Stats.MaxLifetimeClosed
	}
	if recycled == 0 {
		t.Errorf("recycle: no connection was closed for its age")
	}
	extra = append(extra, fmt.Sprintf("recycle_closed=%d recycle_invalidated=%d", recycled, h.events.get(dbx.EventInvalidate)))

	c.logExamples(t)
	c.mu.Lock()
	for _, e := range c.examples {
		if strings.Contains(e, "gone away") || strings.Contains(e, "invalid connection") || strings.Contains(e, "bad connection") {
			t.Errorf("a caller saw a dead connection: %s", e)
		}
	}
	c.mu.Unlock()
	checked, lost := led.check(t, s.present(t))
	figures("idle-timeout", c.requests, 2, c, checked, lost, extra...)
}
