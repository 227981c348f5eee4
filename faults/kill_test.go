package faults

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/solarhub/hubdb/dbx"
)

// TestKillIdleConnections kills every idle pooled connection of the
// application with KILL CONNECTION, five times, between bursts of mixed
// load (writes and reads across three databases, eight at a time).
//
// Promise: the next use reconnects: no error reaches a read (nor a write:
// the dead connection is found by pre-ping before anything is sent).
func TestKillIdleConnections(t *testing.T) {
	s := startServer(t)
	h := openHub(t, s.Addr(), dbx.Pool{Size: dbx.Int(4), Overflow: dbx.Int(4), Timeout: 5 * time.Second})
	led, writes, reads := newLedger(), newTally(), newTally()
	var killed int64
	key := int64(0)
	const rounds, burst = 5, 200
	for round := range rounds + 1 {
		// A burst of 200 calls, 8 at a time, fills the pools.
		mixedBurst(h, led, &key, burst, 8, writes, reads)
		if round == rounds {
			break
		}
		// Once the rows of the last reads are closed and the surplus
		// connections gone, every application connection is idle: kill
		// them all and wait until the server has dropped them.
		settled := waitFor(10*time.Second, func() bool {
			open := 0
			for _, st := range h.m.Status() {
				open += st.Open
			}
			return h.inUse() == 0 && s.appConns(t) == open
		})
		if !settled {
			t.Fatalf("round %d: pools did not settle: %v", round, h.m.Status())
		}
		ids := s.appConnIDs(t)
		if len(ids) == 0 {
			t.Fatalf("round %d: no idle application connection to kill", round)
		}
		for _, id := range ids {
			if _, err := s.admin.ExecContext(context.Background(), fmt.Sprintf("KILL CONNECTION %d", id)); err != nil {
				t.Fatalf("KILL CONNECTION %d: %v", id, err)
			}
		}
		killed += int64(len(ids))
		if !waitFor(10*time.Second, func() bool { return s.appConns(t) == 0 }) {
			t.Fatalf("round %d: killed connections still listed after 10 s", round)
		}
	}
	writes.logExamples(t)
	reads.logExamples(t)
	if n := reads.errors(); n > 0 {
		t.Errorf("%d reads failed after KILL CONNECTION (%s)", n, reads)
	}
	if n := writes.errors(); n > 0 {
		t.Errorf("%d writes failed after KILL CONNECTION (%s)", n, writes)
	}
	inv := h.events.get(dbx.EventInvalidate)
	if inv == 0 {
		t.Errorf("no connection was invalidated: the kills were not noticed")
	}
	checked, lost := led.check(t, s.present(t))
	all := merge(writes, reads)
	figures("kill-connection", all.requests, killed, all, checked, lost,
		fmt.Sprintf("rounds=%d invalidated=%d opened=%d", rounds, inv, h.events.get(dbx.EventOpen)))
}

// appConnIDs returns the ids of the application user's connections.
func (s *server) appConnIDs(t *testing.T) []int64 {
	t.Helper()
	rows, err := s.admin.QueryContext(context.Background(),
		"SELECT ID FROM information_schema.PROCESSLIST WHERE USER = ?", appUser)
	if err != nil {
		t.Fatalf("processlist: %v", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return ids
}
