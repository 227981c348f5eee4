package dbx

import "context"

// WaitIdle is m.WaitIdle, for the tests written before it was exported.
func WaitIdle(ctx context.Context, m *Manager) error { return m.WaitIdle(ctx) }

// OnQueue sets the gate hook called after a caller joins the queue of
// database name.
func OnQueue(m *Manager, name string, f func(waiting int)) {
	g := m.pools[name].gate
	g.mu.Lock()
	g.onQueue = f
	g.mu.Unlock()
}
