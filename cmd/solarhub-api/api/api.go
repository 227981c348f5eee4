package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/solarhub/hubdb/gen"
)

// DefaultRequestTimeout bounds a request when Options.RequestTimeout is 0.
const DefaultRequestTimeout = 5 * time.Second

// Options configure [New].
type Options struct {
	// Logger receives errors and warnings. Default slog.Default().
	Logger *slog.Logger
	// RequestTimeout is each request's deadline, counted from its arrival
	// (a shorter deadline of the request's own context wins). Default 5 s.
	RequestTimeout time.Duration
	// Metrics, when set, is served at GET /metrics (e.g. promhttp's
	// handler for the registry dbxprom registered with).
	Metrics http.Handler
	// Now returns the current time. Default time.Now.
	Now func() time.Time
}

// server holds the handlers' dependencies.
type server struct {
	db      *gen.Hub
	log     *slog.Logger
	timeout time.Duration
	now     func() time.Time
}

// Databases are the databases the handlers of [New] use. A service that
// only serves the API opens just these:
//
//	hub, err := gen.Open(ctx, cfg, api.Databases...)
var Databases = []string{
	gen.NameAlarm, gen.NameAnalysis, gen.NameDevice, gen.NameESS,
	gen.NameMeter, gen.NamePV, gen.NameSchedule, gen.NameSite,
}

// New returns the API's handler on the hub's databases: its handlers use
// those in [Databases], and /healthz pings every pool the hub opened. See
// the package documentation for the endpoints.
func New(hub *gen.Hub, opts Options) http.Handler {
	s := &server{db: hub, log: opts.Logger, timeout: opts.RequestTimeout, now: opts.Now}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.timeout <= 0 {
		s.timeout = DefaultRequestTimeout
	}
	if s.now == nil {
		s.now = time.Now
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.healthz)
	if opts.Metrics != nil {
		mux.Handle("GET /metrics", opts.Metrics)
	}
	mux.Handle("GET /v1/sites/{site}/latest", s.handle(s.latest))
	mux.Handle("GET /v1/sites/{site}/batteries/{device}/curve", s.handle(s.curve))
	mux.Handle("PUT /v1/sites/{site}/batteries/{device}/schedule/{date}", s.handle(s.putSchedule))
	mux.Handle("POST /v1/sites/{site}/batteries/{device}/readings", s.handle(s.ingestReadings))
	mux.Handle("GET /v1/sites/{site}/alarms", s.handle(s.listAlarms))
	mux.Handle("POST /v1/alarms/{alarm}/ack", s.handle(s.ackAlarm))
	mux.Handle("GET /v1/sites/{site}/kpis", s.handle(s.kpis))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, errorBody{"no such endpoint: " + r.Method + " " + r.URL.Path})
	})
	return mux
}

// handlerFunc is a handler that returns its error; [server.handle] turns
// the error into a response.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle runs h under the request deadline and maps its error to a
// response. A panic becomes a 500 and is logged.
func (s *server) handle(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), s.timeout)
		defer cancel()
		r = r.WithContext(ctx)
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("api: panic", "method", r.Method, "path", r.URL.Path, "panic", v)
				writeJSON(w, http.StatusInternalServerError, errorBody{"internal error"})
			}
		}()
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// healthz pings every opened pool (at most 2 s): 200 when all answer, 503 naming
// the failures otherwise.
func (s *server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.db.Manager.Ping(ctx); err != nil {
		s.log.Warn("api: health check failed", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "databases": len(s.db.Manager.Names())})
}
