// Package dbxpage is a live page of a [dbx.Manager]'s pools, an
// http.Handler to mount the way net/http/pprof's handlers are (say at
// /debug/dbx): every pool (open, in use, idle, waiting, timeouts, size and
// overflow) grouped by server with its connection budget; the recent
// warnings (leaks, idle transactions, pool timeouts, slow queries) with
// the caller's file:line; and the slowest queries by sqlc name (count,
// errors, mean, p99, max). It is server-rendered HTML that reloads itself
// every few seconds (a meta refresh: no script, no build step), or JSON
// with ?format=json.
//
// A [Recorder] collects the warnings and query latencies from the
// Manager's events; give it them before Open, then the Manager to [New]:
//
//	rec := dbxpage.NewRecorder(dbxpage.RecorderOptions{})
//	cfg = rec.Instrument(cfg) // chains any OnEvent hook already set (dbxprom's too)
//	mgr, err := dbx.Open(ctx, cfg) // or gen.Open(ctx, cfg)
//	...
//	mux.Handle("GET /debug/dbx", requireAdmin(dbxpage.New(mgr, rec, dbxpage.Options{})))
//
// # Mount it behind your authorization
//
// The page holds no secret (server addresses as configured, never a user
// or password; errors with anything shaped like DSN credentials masked),
// but it does tell database names, query names, source file paths and the
// load of each pool: treat it like /debug/pprof. The package registers
// nothing on import and never touches http.DefaultServeMux (golang/go#22085
// is what that costs); you mount the handler on a mux you choose, wrapped
// in your application's admin check, e.g.
// mux.Handle("/debug/dbx", requireAdmin(page)), or on a separate listener
// bound to localhost. The page only answers GET and HEAD, takes no action,
// and sends Cache-Control: no-store, X-Content-Type-Options: nosniff and a
// Content-Security-Policy that allows its own style sheet and nothing else.
//
// # Cost
//
// The Recorder's Observe runs on the goroutine of every statement
// (EventQuery): for a known query name it is a read-locked map lookup and
// a few atomic adds, with no allocation. Warnings go into a fixed ring
// under a mutex. The page reads [dbx.Manager.Status] and
// [dbx.Manager.Servers] when requested; nothing runs in the background.
package dbxpage
