package dbx

import "context"

// WaitIdle blocks until no connection of m is checked out, or ctx ends.
// Plain queries check their connection in from a goroutine once their
// rows are closed, so tests wait for that instead of sleeping.
func WaitIdle(ctx context.Context, m *Manager) error {
	for _, name := range m.names {
		if err := m.pools[name].gate.waitIdle(ctx); err != nil {
			return err
		}
	}
	return nil
}

// OnQueue sets the gate hook called after a caller joins the queue of
// database name.
func OnQueue(m *Manager, name string, f func(waiting int)) {
	g := m.pools[name].gate
	g.mu.Lock()
	g.onQueue = f
	g.mu.Unlock()
}
