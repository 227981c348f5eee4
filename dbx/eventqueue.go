package dbx

import (
	"context"
	"sync"
	"time"
)

// eventQueue delivers the events raised while database/sql holds a
// connection's lock (checkout pre-ping, checkin, close): a slow
// Config.OnEvent or log handler there would stall the caller's Row.Scan or
// Rows.Close and every other user of that connection. Events are delivered
// in order by one goroutine at a time, started when the first event is
// queued and gone once the queue is empty; nothing runs while no events
// come.
type eventQueue struct {
	mu      sync.Mutex
	items   []Event
	running bool
	idle    chan struct{} // closed when no drainer runs
}

// emitLater queues ev for delivery by p.emit outside the caller's locks.
func (p *pool) emitLater(ev Event) {
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	q := &p.events
	q.mu.Lock()
	q.items = append(q.items, ev)
	if q.running {
		q.mu.Unlock()
		return
	}
	q.running = true
	q.idle = make(chan struct{})
	q.mu.Unlock()
	go q.drain(p.emit)
}

func (q *eventQueue) drain(deliver func(Event)) {
	for {
		q.mu.Lock()
		if len(q.items) == 0 {
			q.items = nil
			q.running = false
			close(q.idle)
			q.mu.Unlock()
			return
		}
		ev := q.items[0]
		q.items = q.items[1:]
		q.mu.Unlock()
		deliver(ev)
	}
}

// flush waits until every queued event has been delivered, or ctx ends.
func (q *eventQueue) flush(ctx context.Context) error {
	for {
		q.mu.Lock()
		idle, running := q.idle, q.running
		q.mu.Unlock()
		if !running {
			return nil
		}
		select {
		case <-idle:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
