package dbx

import (
	"context"
	"log/slog"
	"testing"
)

// TestPlainSlotMovesToTheRetryConnection drives a plain query's gate slot
// through what database/sql does when the first connection turns out
// broken before anything was sent: it closes that connection and runs the
// query again on another. The slot must follow the query, go back exactly
// once, and go back from the caller when no connection holds it.
func TestPlainSlotMovesToTheRetryConnection(t *testing.T) {
	newPool := func() *pool {
		return &pool{name: "main", gate: newGate(1), log: slog.New(slog.DiscardHandler)}
	}
	inUse := func(p *pool) int { n, _, _, _ := p.gate.counts(); return n }

	t.Run("retry then rows closed", func(t *testing.T) {
		p := newPool()
		pl, ctx, err := p.acquirePlain(context.Background(), callSite{})
		if err != nil {
			t.Fatal(err)
		}
		first, second := &conn{p: p}, &conn{p: p}
		first.claimPlain(ctx)
		first.checkInPlain(true) // broken before anything was sent: database/sql closes it
		if inUse(p) != 1 {
			t.Fatalf("slot given back while the query is retried: in use %d", inUse(p))
		}
		second.claimPlain(ctx) // the retry
		pl.callReturned()      // rows open on the second connection
		if inUse(p) != 1 {
			t.Fatalf("slot given back with rows still open: in use %d", inUse(p))
		}
		second.checkInPlain(false) // rows closed: database/sql checks the connection in
		if inUse(p) != 0 {
			t.Fatalf("in use %d after the rows were closed, want 0", inUse(p))
		}
		second.checkInPlain(false)
		first.checkInPlain(true)
		if inUse(p) != 0 {
			t.Fatalf("in use %d after repeated check-ins, want 0 (released once)", inUse(p))
		}
	})

	t.Run("no connection claimed", func(t *testing.T) {
		p := newPool()
		pl, _, err := p.acquirePlain(context.Background(), callSite{})
		if err != nil {
			t.Fatal(err)
		}
		pl.callReturned() // e.g. the dial failed: no connection ever ran the query
		if inUse(p) != 0 {
			t.Fatalf("in use %d, want 0", inUse(p))
		}
	})

	t.Run("broken at check-in after the call returned", func(t *testing.T) {
		p := newPool()
		pl, ctx, err := p.acquirePlain(context.Background(), callSite{})
		if err != nil {
			t.Fatal(err)
		}
		c := &conn{p: p}
		c.claimPlain(ctx)
		pl.callReturned()
		c.checkInPlain(true) // rows.Close found the connection broken
		if inUse(p) != 0 {
			t.Fatalf("in use %d, want 0", inUse(p))
		}
	})

	t.Run("another pool's slot is not claimed", func(t *testing.T) {
		p, other := newPool(), newPool()
		pl, ctx, err := p.acquirePlain(context.Background(), callSite{})
		if err != nil {
			t.Fatal(err)
		}
		c := &conn{p: other}
		c.claimPlain(ctx)
		if c.plain.Load() != nil {
			t.Fatal("a connection of another pool claimed the slot")
		}
		pl.callReturned()
		if inUse(p) != 0 {
			t.Fatalf("in use %d, want 0", inUse(p))
		}
	})
}
