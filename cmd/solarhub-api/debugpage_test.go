package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/solarhub/hubdb/cmd/solarhub-api/api"
	"github.com/solarhub/hubdb/hubtest"
)

// TestDebugPage runs the API as main does and fetches its pool page: every
// database the API opened has a row, the API's own routes still answer,
// and a client that is not on loopback is refused.
func TestDebugPage(t *testing.T) {
	d := hubtest.New(t, api.Databases...)
	ctx, stop := context.WithCancel(context.Background())
	var stderr syncBuffer
	code := make(chan int, 1)
	go func() { code <- run(ctx, []string{"-addr", "127.0.0.1:0"}, d.Env(), &stderr) }()
	defer func() {
		stop()
		select {
		case c := <-code:
			if c != 0 {
				t.Errorf("run exited %d:\n%s", c, stderr.String())
			}
		case <-time.After(30 * time.Second):
			t.Errorf("run did not stop within 30 s of the signal")
		}
	}()
	addrRE := regexp.MustCompile(`listening" addr=(\S+)`)
	var addr string
	deadline := time.Now().Add(time.Minute)
	for addr == "" {
		if m := addrRE.FindStringSubmatch(stderr.String()); m != nil {
			addr = m[1]
			break
		}
		select {
		case c := <-code:
			t.Fatalf("run exited %d before listening:\n%s", c, stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("the API did not listen within a minute:\n%s", stderr.String())
		}
	}
	base := "http://" + addr
	if resp, body := fetch(t, base+"/v1/sites/1/latest"); resp.StatusCode == http.StatusNotFound && strings.Contains(body, "no such endpoint") {
		t.Errorf("the API's route is shadowed: %s", body)
	}
	resp, body := fetch(t, base+debugPath)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Security-Policy") == "" {
		t.Fatalf("GET %s: %s\n%s", debugPath, resp.Status, body)
	}
	for _, db := range api.Databases {
		if !strings.Contains(body, `<tr data-db="`+db+`"`) {
			t.Errorf("the pool page has no row for %s", db)
		}
	}
	if !strings.Contains(body, "solarhub-api pools") || !strings.Contains(body, "Recent warnings") {
		t.Errorf("the pool page lacks its title or its recorder's sections:\n%s", body)
	}

	// the guard itself: a remote client is refused, loopback in either
	// family is served
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "page") })
	h := withDebugPage(http.NotFoundHandler(), page)
	for remote, want := range map[string]int{
		"203.0.113.7:4711": http.StatusForbidden, "[2001:db8::1]:4711": http.StatusForbidden,
		"127.0.0.1:4711": http.StatusOK, "[::1]:4711": http.StatusOK, "[::ffff:127.0.0.1]:4711": http.StatusOK,
	} {
		rr := httptest.NewRecorder()
		req := httptest.NewRequest("GET", debugPath, nil)
		req.RemoteAddr = remote
		h.ServeHTTP(rr, req)
		if rr.Code != want {
			t.Errorf("from %s: %d, want %d", remote, rr.Code, want)
		}
	}
}

// fetch GETs url.
func fetch(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// syncBuffer is a bytes.Buffer safe for the server's log and the test's
// reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
