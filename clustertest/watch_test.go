package clustertest

import (
	"sync"
	"time"
)

// healthWatch records when a replica or node changes between healthy and
// not, as dbx's Status reports it, polling every millisecond: the
// moments a case reports ("taken out 80ms after the stop") are those of
// the transitions, not of the case's own, coarser, waits.
type healthWatch struct {
	stop chan struct{}
	done chan struct{}

	mu     sync.Mutex
	events []healthEvent
}

// healthEvent is one observed state: the first, then every change.
type healthEvent struct {
	at      time.Time
	healthy bool
	why     string
}

// watchHealth starts watching state (healthy, and why not); Stop ends it.
func watchHealth(state func() (bool, string)) *healthWatch {
	h := &healthWatch{stop: make(chan struct{}), done: make(chan struct{})}
	ok, why := state()
	h.events = append(h.events, healthEvent{at: time.Now(), healthy: ok, why: why})
	go func() {
		defer close(h.done)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-h.stop:
				return
			case <-tick.C:
			}
			ok, why := state()
			now := time.Now()
			h.mu.Lock()
			if last := h.events[len(h.events)-1]; last.healthy != ok {
				h.events = append(h.events, healthEvent{at: now, healthy: ok, why: why})
			}
			h.mu.Unlock()
		}
	}()
	return h
}

// firstAfter returns the first observed change to healthy (or, with
// healthy false, to unhealthy) at or after t.
func (h *healthWatch) firstAfter(t time.Time, healthy bool) (healthEvent, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, e := range h.events {
		if i > 0 && e.healthy == healthy && !e.at.Before(t) {
			return e, true
		}
	}
	return healthEvent{}, false
}

// current is the last observed state.
func (h *healthWatch) current() healthEvent {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.events[len(h.events)-1]
}

// Stop ends the watch and waits for its goroutine.
func (h *healthWatch) Stop() {
	select {
	case <-h.stop:
	default:
		close(h.stop)
	}
	<-h.done
}
