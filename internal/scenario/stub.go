package scenario

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// setpoint is the stub service's answer: what the battery should do next.
type setpoint struct {
	Mode   string  `json:"mode"`
	SocPct float64 `json:"soc_pct"`
}

// stub is the external service: an HTTP server on 127.0.0.1 that answers
// GET /setpoint?device=ID after its latency, and a client with enough
// keep-alive connections for every request of a run.
type stub struct {
	srv     *http.Server
	url     string
	client  *http.Client
	latency time.Duration
	done    chan struct{}
}

// startStub starts the stub service on a free loopback port.
func startStub(latency time.Duration) (*stub, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("scenario: stub service: %w", err)
	}
	s := &stub{
		url:     "http://" + ln.Addr().String() + "/setpoint",
		latency: latency,
		done:    make(chan struct{}),
		client: &http.Client{
			Timeout: 30 * time.Second,
			Transport: &http.Transport{
				MaxIdleConns:        maxRequests,
				MaxIdleConnsPerHost: maxRequests,
				IdleConnTimeout:     5 * time.Minute,
				DisableCompression:  true,
			},
		},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /setpoint", s.serve)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln) // returns http.ErrServerClosed on close
	}()
	return s, nil
}

// serve answers after the stub's latency: the latency is the workload.
func (s *stub) serve(w http.ResponseWriter, r *http.Request) {
	dev, err := strconv.ParseInt(r.URL.Query().Get("device"), 10, 64)
	if err != nil {
		http.Error(w, "device: want an integer", http.StatusBadRequest)
		return
	}
	wait := s.latency
	if r.URL.Query().Get("warm") != "" {
		wait = warmLatency
	}
	if wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	modes := [...]string{"charging", "discharging", "idle"}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(setpoint{Mode: modes[dev%3], SocPct: float64(20 + dev%60)})
}

// call asks the stub for device's set-point.
func (s *stub) call(ctx context.Context, device int64) (setpoint, error) {
	return s.get(ctx, s.url+"?device="+strconv.FormatInt(device, 10))
}

func (s *stub) get(ctx context.Context, url string) (setpoint, error) {
	var sp setpoint
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return sp, err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return sp, fmt.Errorf("external call: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, resp.Body)
		return sp, fmt.Errorf("external call: %s", resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&sp); err != nil {
		return sp, fmt.Errorf("external call: %w", err)
	}
	return sp, nil
}

// warmLatency is the stub's answer time while warming: long enough for n
// calls to be in flight together, so each gets its own connection.
const warmLatency = 20 * time.Millisecond

// warm opens n keep-alive connections to the stub (n calls at once), so that no run pays for n TCP handshakes
// arriving together at the stub's listen queue.
func (s *stub) warm(ctx context.Context, n int) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for i := range n {
		wg.Go(func() {
			if _, err := s.get(ctx, s.url+"?warm=1&device="+strconv.Itoa(i)); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		return fmt.Errorf("scenario: warming the stub service: %d of %d calls failed: %w", len(errs), n, errs[0])
	}
	return nil
}

// close stops the stub and closes the client's connections.
func (s *stub) close() {
	s.client.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		_ = s.srv.Close()
	}
	<-s.done
}
