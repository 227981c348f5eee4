package hubtest

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
)

// testLogger is a slog.Logger that writes to the test's log (shown when
// the test fails, or with -v), so that dbx's warnings (a leaked
// connection, a transaction left idle) appear beside the test that caused
// them. Records that arrive after the test's databases are gone are
// dropped: the testing package panics on a log after the test ended.
func testLogger(out *tbOut) *slog.Logger {
	return slog.New(&tbHandler{out: out, level: slog.LevelInfo})
}

// tbOut is a test's log until stop.
type tbOut struct {
	mu   sync.Mutex
	t    TB
	done bool
}

func (o *tbOut) stop() {
	o.mu.Lock()
	o.done = true
	o.mu.Unlock()
}

func (o *tbOut) log(s string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.done {
		o.t.Logf("%s", s)
	}
}

type tbHandler struct {
	out   *tbOut
	level slog.Level
	attrs []slog.Attr
	group string
}

func (h *tbHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *tbHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	fmt.Fprintf(&b, "dbx %s: %s", r.Level, r.Message)
	write := func(a slog.Attr) bool {
		key := a.Key
		if h.group != "" {
			key = h.group + "." + key
		}
		fmt.Fprintf(&b, " %s=%v", key, a.Value)
		return true
	}
	for _, a := range h.attrs {
		write(a)
	}
	r.Attrs(write)
	h.out.log(b.String())
	return nil
}

func (h *tbHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr(nil), h.attrs...), as...)
	return &c
}

func (h *tbHandler) WithGroup(name string) slog.Handler {
	c := *h
	if c.group != "" {
		name = c.group + "." + name
	}
	c.group = name
	return &c
}
