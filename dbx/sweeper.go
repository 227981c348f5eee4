package dbx

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// sweeper is the one background goroutine of a Manager: it closes idle
// connections that outlived their jittered lifetime (database/sql's own
// check closes a whole cohort at the same age) and pings idle connections
// before the server's wait_timeout would close them (keepalive). It runs
// only while some pool needs it and stops at Close.
type sweeper struct {
	mu       sync.Mutex // guards pools: replica pools join later (add)
	pools    []*pool
	interval time.Duration
	stop     chan struct{}
	done     chan struct{}
	once     sync.Once
}

// keepAliveDefault is the keepalive of a pool that sets none: a third of
// the server's wait_timeout, at most 5 minutes.
func keepAliveDefault(waitTimeout time.Duration) time.Duration {
	if waitTimeout <= 0 {
		return 5 * time.Minute
	}
	return min(waitTimeout/3, 5*time.Minute)
}

// startSweeper starts the sweeper for pools, or returns nil when none has
// a lifetime or a keepalive.
func startSweeper(pools []*pool) *sweeper {
	interval := time.Duration(0)
	pick := func(d time.Duration) {
		if d > 0 && (interval == 0 || d < interval) {
			interval = d
		}
	}
	for _, p := range pools {
		pick(p.set.keepAlive / 4)
		pick(p.set.recycle / 40) // the jitter window is a fifth of it: ~8 sweeps across
		if p.set.maxIdle() > p.set.size {
			pick(p.set.overflowIdle / 4)
		}
	}
	if interval == 0 {
		return nil
	}
	interval = max(interval, 10*time.Millisecond)
	s := &sweeper{pools: pools, interval: interval, stop: make(chan struct{}), done: make(chan struct{})}
	go s.run()
	return s
}

func (s *sweeper) run() {
	defer close(s.done)
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.mu.Lock()
			pools := s.pools
			s.mu.Unlock()
			for _, p := range pools {
				s.sweep(p)
			}
		}
	}
}

// add sweeps p too (a replica pool opened after Open). A nil sweeper (no
// pool needed one) stays nil: p's lifetimes are then database/sql's.
func (s *sweeper) add(p *pool) {
	if s == nil {
		return
	}
	s.mu.Lock()
	s.pools = append(slices.Clip(s.pools), p)
	s.mu.Unlock()
}

// close stops the sweeper and waits for it.
func (s *sweeper) close() {
	if s == nil {
		return
	}
	s.once.Do(func() { close(s.stop) })
	<-s.done
}

// sweep closes p's expired idle connections and the overflow idle longer
// than OverflowIdleTime, and pings those idle longer than the keepalive.
func (s *sweeper) sweep(p *pool) {
	now := time.Now()
	var expired, stale, idle []*conn
	p.budget.mu.Lock()
	for c := range p.conns {
		if c.state.Load() != connIdle {
			continue
		}
		switch {
		case c.expired(now):
			if c.leaveIdle(connDead) {
				p.dropSpare()
				expired = append(expired, c)
			}
		case p.set.keepAlive > 0 && now.Sub(time.Unix(0, c.returned.Load())) >= p.set.keepAlive:
			stale = append(stale, c)
			idle = append(idle, c)
		default:
			idle = append(idle, c)
		}
	}
	surplus := s.overflowSurplus(p, now, idle)
	p.budget.mu.Unlock()
	for _, c := range expired {
		p.budget.expire(c)
		p.emitLater(Event{Kind: EventKeepAlive, ConnID: c.id, Err: errors.New("lifetime (Pool.Recycle minus jitter) reached while idle")})
	}
	for _, c := range surplus {
		p.budget.expire(c)
		p.emitLater(Event{Kind: EventKeepAlive, ConnID: c.id, Err: errors.New("overflow connection idle longer than Pool.OverflowIdleTime")})
	}
	for _, c := range stale {
		c.keepAlive(now)
	}
}

// overflowSurplus takes out of idle the connections beyond Pool.Size that
// sat idle longer than Pool.OverflowIdleTime, least recently used first,
// and returns them (marked dead: the caller closes them). budget.mu is
// held.
func (s *sweeper) overflowSurplus(p *pool, now time.Time, idle []*conn) []*conn {
	excess := int(p.idle.Load()) - p.set.size
	if p.set.maxIdle() <= p.set.size || excess <= 0 {
		return nil
	}
	slices.SortFunc(idle, func(a, b *conn) int { return cmp.Compare(a.returned.Load(), b.returned.Load()) })
	var out []*conn
	for _, c := range idle {
		if len(out) == excess || now.Sub(time.Unix(0, c.returned.Load())) < p.set.overflowIdle {
			break
		}
		if c.leaveIdle(connDead) {
			p.dropSpare()
			out = append(out, c)
		}
	}
	return out
}

// keepAlive pings the idle connection c; a failure closes it.
func (c *conn) keepAlive(now time.Time) {
	c.pingMu.Lock()
	defer c.pingMu.Unlock()
	if !c.leaveIdle(connPinging) {
		return
	}
	c.p.dropSpare() // not to be counted on while pinged
	ctx, cancel := context.WithTimeout(context.Background(), max(c.p.set.connectTimeout, time.Second))
	err := c.mysqlConn.Ping(ctx)
	cancel()
	if err != nil {
		c.state.Store(connDead)
		c.p.budget.expire(c)
		c.p.emitLater(Event{Kind: EventKeepAlive, ConnID: c.id, Err: fmt.Errorf("keepalive ping failed: %w", err)})
		return
	}
	c.returned.Store(now.UnixNano())
	c.state.Store(connIdle)
	c.p.idle.Add(1)
	c.p.spare.Add(1)
}
