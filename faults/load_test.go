package faults

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/solarhub/hubdb/dbx"
)

// load runs a bounded mixed load: workers alternate at random between
// writing a new key (recorded in the ledger) and reading a key written
// before, over the three databases, each call under its own deadline.
type load struct {
	h         *hub
	led       *ledger
	writes    *tally
	reads     *tally
	timeout   time.Duration // each call's ctx deadline
	writeOpts []dbx.TxOption
	readOpts  []dbx.TxOption
	maxOps    int64 // bound on the calls of the whole run
	keyBase   int64

	next atomic.Int64 // the last key handed out
	ops  atomic.Int64 // calls finished
	stop chan struct{}
	wg   sync.WaitGroup

	mu    sync.Mutex
	fails []span // the calls that failed
	tick  chan struct{}
}

// span is one failed call's time.
type span struct {
	start, end time.Time
	write      bool
	kind       string
}

func newLoad(h *hub, timeout time.Duration, maxOps int64) *load {
	return &load{
		h: h, led: newLedger(), writes: newTally(), reads: newTally(), timeout: timeout,
		maxOps: maxOps, stop: make(chan struct{}), tick: make(chan struct{}, 1),
	}
}

// start runs n workers until halt or maxOps calls.
func (l *load) start(n int) {
	for range n {
		l.wg.Go(l.worker)
	}
}

func (l *load) worker() {
	for {
		select {
		case <-l.stop:
			return
		default:
		}
		if l.ops.Load() >= l.maxOps {
			return
		}
		l.one()
		l.ops.Add(1)
		select { // wake whoever waits for progress
		case l.tick <- struct{}{}:
		default:
		}
	}
}

// one makes one call: a write of a new key or a read of an older one.
func (l *load) one() {
	ctx, cancel := context.WithTimeout(context.Background(), l.timeout)
	defer cancel()
	dl, _ := ctx.Deadline()
	start := time.Now()
	var err error
	write := rand.IntN(2) == 0
	var kind string
	if write {
		k := l.keyBase + l.next.Add(1)
		err = l.h.write(ctx, k, l.writeOpts...)
		l.led.record(k, err)
		kind = l.writes.add(start, dl, err)
	} else {
		k := l.keyBase + rand.Int64N(l.next.Load()+1)
		err = l.h.read(ctx, k, l.readOpts...)
		kind = l.reads.add(start, dl, err)
	}
	if err != nil {
		l.mu.Lock()
		l.fails = append(l.fails, span{start: start, end: time.Now(), write: write, kind: kind})
		l.mu.Unlock()
	}
}

// waitOps blocks until n more calls have finished (or the load ended), at
// most timeout; it reports whether they did.
func (l *load) waitOps(n int64, timeout time.Duration) bool {
	target := l.ops.Load() + n
	t := time.NewTimer(timeout)
	defer t.Stop()
	for l.ops.Load() < target {
		select {
		case <-l.tick:
		case <-t.C:
			return false
		}
	}
	return true
}

// halt stops the workers and waits for them.
func (l *load) halt() {
	close(l.stop)
	l.wg.Wait()
}

// unexplained returns the failed calls that overlap none of the windows
// (each a [from, to] pair in which a fault was active).
func (l *load) unexplained(windows [][2]time.Time) []span {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []span
	for _, f := range l.fails {
		ok := false
		for _, w := range windows {
			if !f.end.Before(w[0]) && !f.start.After(w[1]) {
				ok = true
				break
			}
		}
		if !ok {
			out = append(out, f)
		}
	}
	return out
}

// probeAll reads from every database until all answer, polling at most
// timeout; it returns how long that took and whether they all answered.
func (h *hub) probeAll(t *testing.T, timeout time.Duration) (time.Duration, bool) {
	t.Helper()
	start := time.Now()
	ok := waitFor(timeout, func() bool {
		for k := range int64(len(loadDBs)) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			err := h.read(ctx, k)
			cancel()
			if err != nil {
				return false
			}
		}
		return true
	})
	return time.Since(start), ok
}
