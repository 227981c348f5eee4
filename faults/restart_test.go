package faults

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/solarhub/hubdb/dbx"
)

// TestRestartMidLoad restarts the server twice (SIGTERM: clean shutdown;
// SIGKILL: crash and recovery) while six workers write and read across
// three databases.
//
// Promise: every write whose Write returned nil is present afterwards;
// every write that returned an error is absent, or its error matches
// dbx.ErrCommitUnknown; reads retry transparently where safe (dbx.Retry:
// no read fails outside the outages); no call runs past its own ctx
// deadline (by more than a scheduling tolerance); every pool serves again
// within 5 s of the server accepting connections.
func TestRestartMidLoad(t *testing.T) {
	s := startServer(t)
	h := openHub(t, s.Addr(), dbx.Pool{
		Size: dbx.Int(4), Overflow: dbx.Int(2), Timeout: 3 * time.Second, ConnectTimeout: time.Second,
		ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second, TxTimeout: 2 * time.Second,
	})
	l := newLoad(h, time.Second, 50_000)
	l.writeOpts = []dbx.TxOption{dbx.Retry(10), dbx.RetryBackoff(50*time.Millisecond, 200*time.Millisecond)}
	l.readOpts = []dbx.TxOption{dbx.Retry(10), dbx.RetryBackoff(50*time.Millisecond, 200*time.Millisecond)}
	l.start(6)

	const recoveryLimit = 5 * time.Second
	var windows [][2]time.Time
	var recoveries []string
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		if !l.waitOps(300, 60*time.Second) {
			l.halt()
			t.Fatalf("load made no progress before %v", sig)
		}
		down := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		err := s.Restart(ctx, sig)
		cancel()
		if err != nil {
			l.halt()
			t.Fatalf("restart with %v: %v", sig, err)
		}
		up := time.Now()
		took, ok := h.probeAll(t, 30*time.Second)
		if !ok {
			t.Errorf("%v: pools did not serve within 30 s of the server being back", sig)
		} else if took > recoveryLimit {
			t.Errorf("%v: pools took %v to serve again, over %v", sig, took, recoveryLimit)
		}
		windows = append(windows, [2]time.Time{down, up.Add(took)})
		recoveries = append(recoveries, fmt.Sprintf("%s_outage=%v %s_recovery=%v",
			sigName(sig), up.Sub(down).Round(time.Millisecond), sigName(sig), took.Round(time.Millisecond)))
		t.Logf("%v: server down %v, pools serving %v after it was back", sig, up.Sub(down).Round(time.Millisecond), took.Round(time.Millisecond))
	}
	if !l.waitOps(300, 60*time.Second) {
		t.Errorf("load made no progress after the last restart")
	}
	l.halt()

	for _, f := range l.unexplained(windows) {
		t.Errorf("a %s failed outside any outage: %s at %v..%v", rw(f.write), f.kind, f.start.Format(time.StampMilli), f.end.Format(time.StampMilli))
	}
	for _, c := range []*tally{l.writes, l.reads} {
		if c.overdue > 0 {
			t.Errorf("%d calls ran past their deadline by more than %v (max %v)", c.overdue, deadlineTolerance, c.maxOver)
		}
	}
	if n := l.reads.count("commit_unknown"); n > 0 {
		t.Errorf("%d reads failed with ErrCommitUnknown: a read-only transaction has nothing to commit", n)
	}
	if n := l.writes.count("other") + l.reads.count("other"); n > 0 {
		t.Errorf("%d calls failed with an unclassified error", n)
	}
	l.writes.logExamples(t)
	l.reads.logExamples(t)
	checked, lost := l.led.check(t, s.present(t))
	if n := h.inUse(); n != 0 {
		t.Errorf("InUse %d after the load", n)
	}
	all := merge(l.writes, l.reads)
	figures("restart", all.requests, 2, all, checked, lost,
		fmt.Sprintf("writes=%d reads=%d read_errors=%d tx_retries=%d max_over_deadline=%v",
			l.writes.requests, l.reads.requests, l.reads.errors(), h.events.get(dbx.EventRetry), maxOver(l.writes, l.reads).Round(time.Millisecond)),
		recoveries[0], recoveries[1])
}

func sigName(sig syscall.Signal) string {
	if sig == syscall.SIGKILL {
		return "kill"
	}
	return "term"
}

func rw(write bool) string {
	if write {
		return "write"
	}
	return "read"
}

// merge adds tallies into a new one.
func merge(cs ...*tally) *tally {
	m := newTally()
	for _, c := range cs {
		c.mu.Lock()
		m.requests += c.requests
		for k, v := range c.byKind {
			m.byKind[k] += v
		}
		c.mu.Unlock()
	}
	return m
}

func maxOver(cs ...*tally) time.Duration {
	var m time.Duration
	for _, c := range cs {
		m = max(m, c.maxOver)
	}
	return m
}
