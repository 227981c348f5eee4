package main

import (
	"net"
	"net/http"
	"net/netip"
)

// debugPath is where the API serves dbxpage's live pool page.
const debugPath = "/debug/dbx"

// withDebugPage serves page at GET /debug/dbx, to loopback clients only,
// and every other request with next.
//
// The example has no users, so "loopback only" stands in for an admin
// check: it keeps the page off the network when the API listens on all
// interfaces. A production service must put the page behind its own
// authorization instead (mux.Handle("GET /debug/dbx", requireAdmin(page))),
// or serve it on a second listener bound to localhost: behind a reverse
// proxy on the same host every request comes from loopback.
func withDebugPage(next, page http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET "+debugPath, loopbackOnly(page))
	mux.Handle("/", next)
	return mux
}

// loopbackOnly serves h to clients on a loopback address and answers 403
// to the others.
func loopbackOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		if a, err := netip.ParseAddr(host); err != nil || !a.Unmap().IsLoopback() {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Header().Set("X-Content-Type-Options", "nosniff")
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte("the pool page is served to loopback clients only\n"))
			return
		}
		h.ServeHTTP(w, r)
	})
}
