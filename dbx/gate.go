package dbx

import (
	"container/list"
	"context"
	"sync"
	"time"
)

// gate admits at most max holders at a time (0: no limit) and serves waiters in arrival
// order. database/sql hands a freed connection to a random waiter
// (golang/go#31708) and has no wait timeout; every path to a pooled
// connection passes this gate first, and the gate's limit equals the
// pool's MaxOpenConns, so database/sql itself never queues.
type gate struct {
	mu       sync.Mutex
	max      int
	inUse    int
	queue    list.List // of *waiter, oldest first
	closed   bool
	idle     chan struct{} // closed while inUse == 0
	waits    int64         // callers that had to queue
	timeouts int64         // callers that gave up after the timeout

	// onQueue, when set (tests), is called with the queue length after a
	// caller joined the queue.
	onQueue func(waiting int)
	// onIdle, set by afterIdle, runs once when the last holder releases.
	onIdle func()
}

type waiter struct {
	ready   chan struct{}
	granted bool // set under gate.mu when a slot was handed over
}

func newGate(max int) *gate {
	g := &gate{max: max, idle: make(chan struct{})}
	close(g.idle)
	return g
}

// gateResult says why acquire returned without a slot.
type gateResult int

const (
	admitted gateResult = iota
	timedOut
	ctxDone
	gateClosed
)

// acquire takes a slot, waiting at most timeout (0: no limit) and as long
// as ctx allows. On timedOut, snap is called under the gate's lock while
// the caller is still queued, so it sees the queue as it was.
func (g *gate) acquire(ctx context.Context, timeout time.Duration, snap func(inUse, waiting int)) gateResult {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return gateClosed
	}
	if (g.max == 0 || g.inUse < g.max) && g.queue.Len() == 0 {
		g.take()
		g.mu.Unlock()
		return admitted
	}
	w := &waiter{ready: make(chan struct{})}
	el := g.queue.PushBack(w)
	g.waits++
	n := g.queue.Len()
	hook := g.onQueue
	g.mu.Unlock()
	if hook != nil {
		hook(n)
	}

	var expired <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expired = t.C
	}
	var res gateResult
	select {
	case <-w.ready:
	case <-expired:
		res = timedOut
	case <-ctx.Done():
		res = ctxDone
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case w.granted: // handed a slot, possibly just as we gave up: keep it
		return admitted
	case g.closed:
		return gateClosed
	}
	if res == timedOut {
		g.timeouts++
		if snap != nil {
			snap(g.inUse, g.queue.Len())
		}
	}
	g.queue.Remove(el)
	return res
}

// release returns a slot; the oldest waiter gets it.
func (g *gate) release() {
	g.mu.Lock()
	g.handOff()
	var f func()
	if g.inUse == 0 && g.onIdle != nil {
		f, g.onIdle = g.onIdle, nil
	}
	g.mu.Unlock()
	if f != nil {
		go f() // the caller may hold database/sql's lock of its connection
	}
}

// handOff gives the caller's slot to the oldest waiter, or frees it.
// g.mu is held.
func (g *gate) handOff() {
	if front := g.queue.Front(); front != nil && !g.closed {
		w := g.queue.Remove(front).(*waiter)
		w.granted = true
		close(w.ready)
		return
	}
	g.inUse--
	if g.inUse == 0 {
		close(g.idle)
	}
}

// take counts a new holder. g.mu is held.
func (g *gate) take() {
	if g.inUse == 0 {
		g.idle = make(chan struct{})
	}
	g.inUse++
}

// close makes further acquires fail and wakes every waiter with
// gateClosed. Holders release as usual.
func (g *gate) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closed = true
	for e := g.queue.Front(); e != nil; e = g.queue.Front() {
		w := g.queue.Remove(e).(*waiter)
		close(w.ready) // not granted: the waiter sees closed
	}
}

// isClosed reports whether close was called.
func (g *gate) isClosed() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.closed
}

// afterIdle runs f once no slot is held: now, or when the last holder
// releases (then in a goroutine of its own: the releasing caller may hold
// database/sql's connection lock).
func (g *gate) afterIdle(f func()) {
	g.mu.Lock()
	if g.inUse > 0 {
		g.onIdle = f
		g.mu.Unlock()
		return
	}
	g.mu.Unlock()
	f()
}

// counts returns the holders and waiters.
func (g *gate) counts() (inUse, waiting int, waits, timeouts int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.inUse, g.queue.Len(), g.waits, g.timeouts
}

// waitIdle blocks until no slot is held or ctx ends.
func (g *gate) waitIdle(ctx context.Context) error {
	g.mu.Lock()
	idle := g.idle
	g.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
