package hubtest

import (
	"log/slog"
	"strings"
	"sync"
)

// testLogger is a slog.Logger that writes to the test's log (shown when
// the test fails, or with -v), so that dbx's warnings (a leaked
// connection, a transaction left idle) appear beside the test that caused
// them: slog's text handler, one record per line. Records that arrive
// after the test's databases are gone are dropped: the testing package
// panics on a log after the test ended.
func testLogger(out *tbOut) *slog.Logger {
	return slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// tbOut is a test's log until stop, as an io.Writer of log lines.
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

// Write logs p (one record of the text handler) to the test's log.
func (o *tbOut) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.done {
		o.t.Logf("dbx: %s", strings.TrimSuffix(string(p), "\n"))
	}
	return len(p), nil
}
